#!/usr/bin/env bash
# The admin page in a real browser (headless Debian chromium + playwright-core
# from npm): seeds a stuck request and two stuck pending ones into a private
# stack, runs admin.mjs, then checks the store saw what the page said.
# Screenshots: tests/output/admin-*.png in the build tree.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq node npm chromium

need_playwright

start_stack browser --workers 2
AUTH_KEY=$CLIENT_KEY
hex_id() { printf '%s' "$1" | tr -d '-'; }

api POST /api/v1/generation-requests '{"entity_type":"problem","count":3,"subject_key":"topic-stuck","metadata":{"note":"<b>seeded</b>"}}'
STUCK_ID=$(jb .request_id)
check "seed: a request" match "$STUCK_ID" '^[0-9a-f-]{36}$'
AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim '{"worker_id":"browser-host:7","entity_types":["problem"],"lease_seconds":60}'
check "seed: claimed by a worker" status_is 200
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$STUCK_ID/entities" \
	'{"worker_id":"browser-host:7","attempt":1,"index":0,"entity":{"question":"2 + 2?","answer":4}}'
check "seed: one entity" status_is 200
sql "UPDATE generation_requests SET started_at = NOW(6) - INTERVAL 25 MINUTE,
     lease_expires_at = NOW(6) - INTERVAL 20 MINUTE WHERE id = UNHEX('$(hex_id "$STUCK_ID")')"
AUTH_KEY=$CLIENT_KEY
for i in 1 2; do api POST /api/v1/generation-requests '{"entity_type":"bulkb"}'; done
sql "UPDATE generation_requests SET requested_at = NOW(6) - INTERVAL 2 HOUR WHERE entity_type = 'bulkb'"

OUT_DIR=$GT_BUILDDIR/tests/output
run_browser() {
	BASE_URL=$BASE_URL ADMIN_USER=$ADMIN_USER ADMIN_PASSWORD=$ADMIN_PASSWORD STUCK_ID=$STUCK_ID \
		OUT_DIR=$OUT_DIR GT_NPM_DIR=$NPM_DIR \
		timeout 120 node "$GT_SRCDIR/tests/browser/admin.mjs"
}
check "the browser flow (headless chromium)" run_browser
check "store: the request is failed by the operator" \
	eq "$(sql "SELECT status, failure_reason FROM generation_requests WHERE id = UNHEX('$(hex_id "$STUCK_ID")')" | tr '\t' ' ')" "failed operator_failed"
check "store: the event is by admin:admin" \
	eq "$(sql "SELECT actor FROM generation_events WHERE request_id = UNHEX('$(hex_id "$STUCK_ID")') ORDER BY id DESC LIMIT 1")" "admin:admin"
check "store: both bulk requests cancelled" \
	eq "$(sql "SELECT GROUP_CONCAT(status) FROM generation_requests WHERE entity_type = 'bulkb'")" "cancelled,cancelled"
check "screenshots saved" eval '[[ -s $OUT_DIR/admin-dashboard.png && -s $OUT_DIR/admin-detail.png ]]'
echo "screenshots: $OUT_DIR/admin-*.png"
finish
