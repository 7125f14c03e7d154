#!/usr/bin/env bash
# The example status page (examples/status-page/ with clients/js/gentrack.mjs)
# in a real browser, against a private stack with live updates (nginx +
# Nchan): runs status_page.mjs, which follows generations with their status
# tokens, stops nginx for 3 s mid-stream, cancels from the page and aborts a
# watch. Screenshots: tests/output/status-page-*.png in the build tree.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq node npm chromium
[[ -r /usr/lib/nginx/modules/ngx_nchan_module.so ]] ||
	{ [[ -n ${CI:-} ]] && { echo "FAIL: libnginx-mod-nchan missing (run ./dev deps)"; exit 1; }
	  skip_test "libnginx-mod-nchan is not installed (./dev deps)"; }

need_playwright

start_stack status_page --workers 2
OUT_DIR=$GT_BUILDDIR/tests/output
run_browser() {
	BASE_URL=$BASE_URL CLIENT_KEY=$CLIENT_KEY WORKER_KEY=$WORKER_KEY OUT_DIR=$OUT_DIR \
		GT_NPM_DIR=$NPM_DIR STACK_SH=$GT_STACK STACK_DIR=$GT_STACK_DIR \
		timeout 150 node "$GT_SRCDIR/tests/browser/status_page.mjs"
}
check "the status page in headless chromium" run_browser
check "the page's token never reached nginx's access log" \
	eq "$(grep -c 'gtt_' "$GT_STACK_DIR/nginx/access.log")" 0
echo "screenshots: $OUT_DIR/status-page-*.png"
finish
