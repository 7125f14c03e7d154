#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# The operator's console in a real browser (headless Debian chromium +
# playwright-core): a real gentrack-worker serves the types cpaused and
# crunning while console.mjs pauses cpaused from /admin/queues, sees the
# worker leave it alone, resumes it and sees the worker take it; then bulk-
# retries seeded failed requests of cretry from /admin/bulk-retry; then
# screenshots every admin page (the GET page routes of src/bin/routes.c) at
# 1280 and 390 px, where nothing may scroll sideways. Afterwards the store is
# checked for what the pages said. Screenshots: tests/browser/screenshots/
# in the build tree.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq node npm chromium
WORKER_BIN=$GT_BUILDDIR/src/gentrack-worker
[[ -x $WORKER_BIN ]] || { echo "FAIL: $WORKER_BIN not built"; echo "0 passed, 1 failed"; exit 1; }

need_playwright

start_stack console --workers 2
AUTH_KEY=$CLIENT_KEY
COLL=/api/v1/generation-requests
hex_id() { printf '%s' "$1" | tr -d '-'; }

# The worker (and its generators) carry this mark, so that everything this
# test started is found by pid and stopped however the test ends.
MARK=gentrack-browser-console-$$-$RANDOM
declare -A WPID=()
trap 'stop_everything; bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT
env "GT_E2E_MARK=$MARK" "GENTRACK_WORKER_KEY=$WORKER_KEY" DEMO_DELAY=0.05 \
	"$WORKER_BIN" --url "$BASE_URL" --poll 0.2 --worker-id console-worker:1 \
	--entity-type cpaused --entity-type crunning -- "$GT_SRCDIR/examples/demo-generator" \
	>>"$GT_STACK_DIR/worker.log" 2>&1 &
WPID[worker]=$!

# seed_failed REASON: a cretry request failed with REASON 30 minutes ago,
# one of its two entities generated (as tests/e2e/bulk_retry.sh seeds them).
seed_failed() {
	api POST "$COLL" '{"entity_type":"cretry","count":2,"subject_key":"bulk-'"$RANDOM$RANDOM"'"}'
	local id hex
	id=$(jb '.request_id // empty')
	hex=$(hex_id "$id")
	sql "UPDATE generation_requests SET status = 'failed', attempt = 1, generated_count = 1,
	     failed_count = 1, started_at = UTC_TIMESTAMP(6) - INTERVAL 31 MINUTE,
	     completed_at = UTC_TIMESTAMP(6) - INTERVAL 30 MINUTE, failure_reason = '$1',
	     error_message = 'demo-generator: the provider is down', version = version + 1
	     WHERE id = UNHEX('$hex')"
	sql "INSERT INTO generation_entities (request_id, idx, status, entity_json, attempt, created_at)
	     VALUES (UNHEX('$hex'), 0, 'generated', '{\"seeded\":\"$id\"}', 1, UTC_TIMESTAMP(6))"
	echo "$id"
}
RETRY_IDS=()
for _ in 1 2 3; do RETRY_IDS+=("$(seed_failed generator_failed)"); done
OTHER_ID=$(seed_failed lease_expired)
check "seed: three failed cretry requests and one of another reason" \
	eq "$(sql "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'cretry' AND status = 'failed'")" 4

# Two pending requests of a type nobody serves, two hours old: the stuck
# list and the bulk cancel preview have rows, with long values in them.
for _ in 1 2; do
	api POST "$COLL" '{"entity_type":"cstale_with_a_rather_long_entity_type_name","count":4,"subject_key":"a-subject-key-long-enough-to-test-the-narrow-layout-0123456789","metadata":{"note":"<b>seeded</b>"}}'
done
sql "UPDATE generation_requests SET requested_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR
     WHERE entity_type LIKE 'cstale%'"

# The Webhooks page's rows: an endpoint failing (a long URL and error), one
# a 410 disabled (its re-enable form), and a dead delivery of the first with
# its eight attempts (as the deliverer writes them; tests/e2e/admin_webhooks.sh
# has them made by a real deliverer).
DELIVERY_ID=msg_console00000000000000001
sql "INSERT INTO webhook_endpoints (owner, name, url, secret, events, disabled_at, created_at,
       last_attempt_at, last_status, last_error, failures)
     VALUES ('acme', 'a-rather-long-endpoint-name',
       'https://hooks.acme.example/gentrack/a/long/path/to/test/the/narrow/layout/0123456789',
       'whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz', 'completed,partial,failed,cancelled', NULL,
       UTC_TIMESTAMP(6) - INTERVAL 1 DAY, UTC_TIMESTAMP(6) - INTERVAL 5 MINUTE, 503,
       'HTTP 503: upstream connect error or disconnect/reset before headers, a long answer', 8),
       ('globex', 'default', 'https://globex.example/hooks', 'whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIz',
       'failed', UTC_TIMESTAMP(6) - INTERVAL 2 HOUR, UTC_TIMESTAMP(6) - INTERVAL 1 DAY,
       UTC_TIMESTAMP(6) - INTERVAL 2 HOUR, 410, 'HTTP 410: gone', 1)"
sql "INSERT INTO webhook_deliveries (id, request_id, endpoint_id, event_type, payload, state, attempts,
       created_at, next_attempt_at, last_attempt_at, last_status, last_error)
     SELECT '$DELIVERY_ID', UNHEX('$(hex_id "${RETRY_IDS[0]}")'), id, 'generation_request.failed',
       '{\"type\":\"generation_request.failed\",\"data\":{\"status\":\"failed\"}}', 'dead', 8,
       UTC_TIMESTAMP(6) - INTERVAL 1 DAY, UTC_TIMESTAMP(6) - INTERVAL 5 MINUTE,
       UTC_TIMESTAMP(6) - INTERVAL 5 MINUTE, 503, 'HTTP 503: upstream connect error'
     FROM webhook_endpoints WHERE owner = 'acme'"
sql "INSERT INTO webhook_attempts (delivery_id, at, duration_us, http_status, error, deliverer)
     SELECT '$DELIVERY_ID', UTC_TIMESTAMP(6) - INTERVAL (9 - seq) HOUR, 15000 * seq, IF(seq = 3, NULL, 503),
       IF(seq = 3, 'Operation timed out after 15001 milliseconds with 0 bytes received',
          'HTTP 503: upstream connect error'), 'deliverer:app-host-1.example:12345'
     FROM seq_1_to_8"
check "seed: two webhook endpoints and a dead delivery with 8 attempts" \
	eq "$(sql "SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id = '$DELIVERY_ID'")" 8

# Every admin page a browser GETs, from the route table: console.mjs fails
# when one of them has no screenshot.
PAGE_ROUTES=$(grep -oE '"GET", ADMIN "[^"]*", [A-Z_]+, PAGE,' "$GT_SRCDIR/src/bin/routes.c" |
	sed -E 's/^"GET", ADMIN "([^"]*)".*/\/admin\1/' | tr '\n' ' ')
check "the route table lists admin pages" match "$PAGE_ROUTES" '/admin/queues'

OUT_DIR=$GT_BUILDDIR/tests/browser/screenshots
rm -rf "$OUT_DIR"
run_browser() {
	BASE_URL=$BASE_URL ADMIN_USER=$ADMIN_USER ADMIN_PASSWORD=$ADMIN_PASSWORD CLIENT_KEY=$CLIENT_KEY \
		RETRY_IDS="${RETRY_IDS[*]}" OTHER_ID=$OTHER_ID PAGE_ROUTES=$PAGE_ROUTES DELIVERY_ID=$DELIVERY_ID \
		OUT_DIR=$OUT_DIR GT_NPM_DIR=$NPM_DIR \
		timeout 400 node "$GT_SRCDIR/tests/browser/console.mjs"
}
check "the console flows (headless chromium)" run_browser

entities_of() { sql "SELECT COUNT(*) FROM generation_entities WHERE request_id = UNHEX('$(hex_id "$1")') AND status = 'generated'"; }
for id in "${RETRY_IDS[@]}"; do
	check "store: $id was retried by admin:admin" \
		eq "$(sql "SELECT actor FROM generation_events WHERE request_id = UNHEX('$(hex_id "$id")') AND from_status = 'failed' AND to_status = 'pending'")" "admin:admin"
	check "store: $id kept its entity" eq "$(entities_of "$id")" 1
done
check "store: the other failure reason was not retried" \
	eq "$(sql "SELECT status FROM generation_requests WHERE id = UNHEX('$(hex_id "$OTHER_ID")')")" failed
check "store: the pause and the resume, as admin:admin with their reasons" \
	eq "$(sql "SELECT GROUP_CONCAT(CONCAT(action, ':', actor, ':', reason) ORDER BY id SEPARATOR ' ') FROM queue_events WHERE entity_type = 'cpaused'")" \
	"pause:admin:admin:provider outage (browser test) resume:admin:admin:provider back (browser test)"
check "screenshots saved" eval '[[ -s $OUT_DIR/queues-1280.png && -s $OUT_DIR/queues-390.png ]]'
echo "screenshots: $OUT_DIR/*.png"
finish
