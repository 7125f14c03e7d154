#!/usr/bin/env bash
# run_browser is called through `check`.
# shellcheck disable=SC2317
# The throughput charts in a real browser (headless Debian chromium +
# playwright-core): a history seeded straight into the store at known
# minutes, then charts.mjs clicks through the dashboard's and the queues
# page's chart links (6 h and 24 h, every type and one) and checks that the
# chart drawn is that history, point by point. Screenshots of the charts:
# tests/browser/chart-screenshots/ in the build tree (console.sh empties
# screenshots/ when it starts, and make -j may run the two at once).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl node npm chromium
need_playwright
start_stack browser-charts --workers 2

# ==== a history at known minutes ====
# seed TYPE STATUS N REQUESTED_AGO COMPLETED_AGO: seed_finished, and a line of
# HISTORY for charts.mjs to work out each point of each chart from.
HISTORY=""
seed() {
	local requested completed
	requested=$(store_minute_ago "$4")
	completed=$(store_minute_ago "$5")
	seed_finished "$1" "$2" "$3" "$requested" "$completed"
	HISTORY+="$1 $2 $3 $requested $completed"$'\n'
}
# The last hour (both types listed in the queue tables, so both have links);
# 20 and 22 minutes ago share a 5-minute point or not, as the clock falls.
seed bchart_a completed 4 '50 MINUTE' '20 MINUTE'
seed bchart_a failed 3 '50 MINUTE' '20 MINUTE'
seed bchart_a partial 1 '23 MINUTE' '22 MINUTE'
seed bchart_b completed 2 '51 MINUTE' '20 MINUTE'
seed bchart_b failed 1 '25 MINUTE' '22 MINUTE'
# The failed series climbing through an outage, 3 h ago.
seed bchart_a failed 1 '185 MINUTE' '183 MINUTE'
seed bchart_a failed 2 '185 MINUTE' '182 MINUTE'
seed bchart_a failed 5 '185 MINUTE' '181 MINUTE'
seed bchart_b completed 6 '241 MINUTE' '240 MINUTE'
# In the 24 h window only; in neither.
seed bchart_a completed 7 '1201 MINUTE' '1200 MINUTE'
seed bchart_b partial 2 '1000 MINUTE' '999 MINUTE'
seed bchart_a completed 9 '1801 MINUTE' '1800 MINUTE'
check "seed: the history is in the store" \
	eq "$(sql "SELECT COUNT(*) FROM generation_requests WHERE owner = 'seed'")" 43

OUT_DIR=$GT_BUILDDIR/tests/browser/chart-screenshots
rm -rf "$OUT_DIR"
run_browser() {
	BASE_URL=$BASE_URL ADMIN_USER=$ADMIN_USER ADMIN_PASSWORD=$ADMIN_PASSWORD \
		HISTORY=$HISTORY CHART_TYPE=bchart_a OUT_DIR=$OUT_DIR GT_NPM_DIR=$NPM_DIR \
		timeout 400 node "$GT_SRCDIR/tests/browser/charts.mjs"
}
check "the charts show the seeded history (headless chromium)" run_browser
echo "screenshots: $OUT_DIR/*.png"
finish
