#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose.
# shellcheck disable=SC2016
# End to end through nginx: the console's queue columns and throughput
# charts (issue 14). A history seeded straight into the store at known
# minutes: the chart twin (/admin/api/charts) counts it bucket by bucket,
# of every type and of one, over 6 h (a minute a point) and 24 h (5
# minutes); the SVG on the dashboard and the queues page has a point per
# bucket, a legend, axes and titles, and no inline style; the queue table
# shows what finished in the last hour, p50 and p95 of known durations, and
# the workers serving each type, and so does `gentrackctl queue list`; a bad
# window or an unknown type is a 400.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq awk
start_stack charts --workers 2

COLL=/api/v1/generation-requests
ADMIN=(-u "admin:$ADMIN_PASSWORD")
AUTH_KEY=$CLIENT_KEY

body_has() { grep -qF -- "$1" "$HB" && return 0; GT_DETAIL="'$1' not in the body: $(head -c 300 "$HB")"; return 1; }
admin_get() { req GET "$1" "${ADMIN[@]}"; }
# The <tr> of a queue on the last page, one cell a line ("<td ...>value").
queue_cells() { grep -o "<tr id=\"queue-$1\".*" "$HB" | head -1 | sed 's#</tr>.*##' | grep -o '<td[^>]*>[^<]*\(<span[^>]*>[^<]*\)\?'; }
# The nth (1-based) cell's text of queue TYPE's row.
cell() { queue_cells "$1" | sed -n "${2}p" | sed 's/<[^>]*>//g'; }
# How many points the nth polyline of the page's chart has.
points() {
	grep -o '<polyline[^>]*points="[^"]*"' "$HB" | sed -n "${1}p" | sed 's/.*points="//; s/"$//' | tr ' ' '\n' | grep -c ,
}
no_inline_style() {
	local svg
	svg=$(grep -o '<svg class="chart".*</svg>' "$HB")
	[[ -n $svg ]] || { GT_DETAIL="no chart"; return 1; }
	! grep -qiE 'style=|<style|<script|on[a-z]+=' <<<"$svg" || { GT_DETAIL="inline style or script in the SVG"; return 1; }
}
# The RFC 3339 "at" of the bucket of a 'YYYY-MM-DD HH:MM:SS' time, of BUCKET minutes.
bucket_at() {
	sql "SELECT DATE_FORMAT(t - INTERVAL MINUTE(t) % $2 MINUTE, '%Y-%m-%dT%H:%i:00.000000Z')
	     FROM (SELECT TIMESTAMP('$1') AS t) x"
}

# ==== a history at known minutes ====
api POST "$COLL" '{"entity_type":"chart_a"}'
check "a chart_a request created through the API" status_is 202
A_NOW=$(store_minute_ago '0 MINUTE')
C1=$(store_minute_ago '20 MINUTE')    # the last hour's finishes, all in one minute
R1=$(store_minute_ago '50 MINUTE')    # when they were requested
C2=$(store_minute_ago '3 HOUR')       # in the 6 h window
R2=$(store_minute_ago '181 MINUTE')
C3=$(store_minute_ago '20 HOUR')      # in the 24 h window only
R3=$(store_minute_ago '1201 MINUTE')
C4=$(store_minute_ago '30 HOUR')      # in neither
# The last hour of chart_a: durations 10..100 s over completed, partial and
# failed (p50 55 s, p95 95.5 s, interpolated), and a failure that never started.
seed_finished chart_a completed 8 "$R1" "$C1" 10 20 30 40 50 60 70 80
seed_finished chart_a partial 1 "$R1" "$C1" 90
seed_finished chart_a failed 1 "$R1" "$C1" 100
seed_finished chart_a failed 1 "$R1" "$C1"
seed_finished chart_a completed 5 "$R2" "$C2" 5 5 5 5 5
seed_finished chart_a failed 4 "$R2" "$C2" 5 5 5 5
seed_finished chart_a completed 6 "$R3" "$C3" 5 5 5 5 5 6
seed_finished chart_a completed 7 "$C4" "$C4" 5 5 5 5 5 5 5
seed_finished chart_b completed 3 "$R1" "$C1" 1 2 3
# chart_c: nothing pending, only finishes in the last hour: it has a row too.
seed_finished chart_c completed 2 "$R1" "$C1" 4 4
# Workers: serving chart_a and chart_b (idle, polling); chart_a (holding, within
# its lease); not serving: idle for 10 minutes, holding but silent past its lease.
sql "INSERT INTO workers_seen (owner, worker_id, entity_types, first_seen, last_seen, held_request, lease_seconds) VALUES
     ('w', 'idle-now', 'chart_a,chart_b', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), NULL, 0),
     ('w', 'idle-gone', 'chart_a', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) - INTERVAL 10 MINUTE, NULL, 0),
     ('w', 'busy', 'chart_a', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) - INTERVAL 8 MINUTE, UNHEX(REPLACE(UUID(), '-', '')), 600),
     ('w', 'lost', 'chart_a,chart_c', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) - INTERVAL 3 MINUTE, UNHEX(REPLACE(UUID(), '-', '')), 60)"

# ==== the chart twin ====
req GET "/admin/api/charts?type=chart_a" "${ADMIN[@]}"
# The minute may turn between the seeding and this answer (a loaded machine).
AFTER_NOW=$(store_minute_ago '0 MINUTE')
check "GET /admin/api/charts?type=chart_a: 200" status_is 200
check "6 h by default, a minute a point: 360 points" \
	jtrue '.hours == 6 and .bucket_seconds == 60 and (.points | length) == 360 and .entity_type == "chart_a"'
check "the points are a minute apart, the last one the current minute" \
	jtrue --arg now "$(bucket_at "$A_NOW" 1)" --arg after "$(bucket_at "$AFTER_NOW" 1)" \
	'(.points[-1].at == $now or .points[-1].at == $after) and (.points[0].at < .points[1].at)'
check "chart_a's 6 h totals: completed 13, partial 1, failed 6, new 21" \
	jtrue '.totals == {"completed": 13, "partial": 1, "failed": 6, "new": 21}'
check "the minute of the last hour's finishes: 8 completed, 1 partial, 2 failed" \
	jtrue --arg at "$(bucket_at "$C1" 1)" '.points[] | select(.at == $at) | .completed == 8 and .partial == 1 and .failed == 2'
check "the minute they were requested: 11 new" \
	jtrue --arg at "$(bucket_at "$R1" 1)" '.points[] | select(.at == $at) | .new == 11'
check "3 h ago: 5 completed, 4 failed in their minute" \
	jtrue --arg at "$(bucket_at "$C2" 1)" '.points[] | select(.at == $at) | .completed == 5 and .failed == 4'
req GET "/admin/api/charts?hours=24&type=chart_a" "${ADMIN[@]}"
check "24 h: 5 minutes a point, 288 points" jtrue '.hours == 24 and .bucket_seconds == 300 and (.points | length) == 288'
check "chart_a's 24 h totals take in 20 h ago, not 30 h ago" \
	jtrue '.totals == {"completed": 19, "partial": 1, "failed": 6, "new": 27}'
check "20 h ago: 6 completed in their 5 minutes" \
	jtrue --arg at "$(bucket_at "$C3" 5)" '.points[] | select(.at == $at) | .completed == 6'
req GET "/admin/api/charts" "${ADMIN[@]}"
check "every type: chart_a's, chart_b's and chart_c's finishes (+ the API's request)" \
	jtrue '.entity_type == null and .totals == {"completed": 18, "partial": 1, "failed": 6, "new": 26}'
check "... in the last hour's minute: 8 + 3 + 2 completed" \
	jtrue --arg at "$(bucket_at "$C1" 1)" '.points[] | select(.at == $at) | .completed == 13'
req GET "/admin/api/charts?type=chart_c" "${ADMIN[@]}"
check "a type with finishes only (no pending) has its chart" jtrue '.totals.completed == 2 and .totals.new == 2'

req GET "/admin/api/charts?hours=7" "${ADMIN[@]}"
check "hours=7: 400 problem+json" is_problem 400
check "... saying which windows there are" match "$(jb .detail)" '6 or 24'
req GET "/admin/api/charts?type=no_such_type" "${ADMIN[@]}"
check "an unknown type: 400 problem+json" is_problem 400
check "... naming it" match "$(jb .detail)" 'no_such_type'
req GET "/admin/api/charts?type=Bad-Type" "${ADMIN[@]}"
check "a malformed type: 400" is_problem 400
req GET "/admin/api/charts"
check "the twin needs credentials: 401" eq "$ST" 401

# ==== the queue table ====
admin_get /admin/queues
check "queues page: 200" status_is 200
check "the new headings" match "$(grep -o '<table class="queues stack">.*</thead>' "$HB")" \
	'completed \(1 h\).*partial \(1 h\).*failed \(1 h\).*p50 time \(1 h\).*p95 time \(1 h\).*workers'
# cells: type, pending, oldest, processing, completed, partial, failed, p50, p95, workers, state
check "chart_a: 1 pending, 8 completed, 1 partial, 2 failed in the last hour" \
	eq "$(cell chart_a 2) $(cell chart_a 5) $(cell chart_a 6) $(cell chart_a 7)" "1 8 1 2"
check "chart_a: p50 55.0 s, p95 95.5 s" eq "$(cell chart_a 8)|$(cell chart_a 9)" "55.0 s|95.5 s"
check "chart_a: 2 workers serving (not the idle-gone, not the lost)" eq "$(cell chart_a 10)" 2
check "chart_b: 3 completed, 1 worker" eq "$(cell chart_b 5) $(cell chart_b 10)" "3 1"
check "chart_c, with nothing pending, is listed: 2 completed, p50 4.0 s, no worker" \
	eq "$(cell chart_c 2) $(cell chart_c 5) $(cell chart_c 8) $(cell chart_c 10)" "0 2 4.0 s 0"
req GET /admin/api/queues "${ADMIN[@]}"
check "the queues twin: chart_a's last hour and workers" \
	jtrue '.items[] | select(.entity_type == "chart_a") | .last_hour == {"completed": 8, "partial": 1, "failed": 2, "p50_seconds": 55, "p95_seconds": 95.5} and .workers == 2'
check "... chart_c's too" \
	jtrue '.items[] | select(.entity_type == "chart_c") | .last_hour.completed == 2 and .pending == 0 and .workers == 0'

# ==== the same table from a shell ====
CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")
ctl_row() { "${CTL[@]}" queue list | grep "^$1 "; }
check "gentrackctl queue list: the page's headings" \
	match "$("${CTL[@]}" queue list | head -1)" '^ENTITY TYPE +PENDING +OLDEST +PROCESSING +COMPLETED 1H +PARTIAL 1H +FAILED 1H +P50 1H +P95 1H +WORKERS +STATE$'
check "gentrackctl queue list: chart_a's last hour, p50, p95 and workers, as on the page" \
	match "$(ctl_row chart_a)" '^chart_a +1 +[0-9]+ min +0 +8 +1 +2 +55\.0 s +95\.5 s +2 +running$'
check "gentrackctl queue list: chart_c, nothing pending, listed with its last hour" \
	match "$(ctl_row chart_c)" '^chart_c +0 +- +0 +2 +0 +0 +4\.0 s +4\.0 s +0 +running$'
without_ages='[.items[] | del(.oldest_pending_age_seconds)]'
req GET /admin/api/queues "${ADMIN[@]}"
check "gentrackctl --json queue list: the queues twin's items (ages aside)" \
	eq "$("${CTL[@]}" --json queue list | jq -cS "$without_ages")" "$(jq -cS "$without_ages" "$HB")"

# ==== the charts on the pages ====
admin_get "/admin/queues?hours=6&type=chart_a"
check "queues page with a chart: 200" status_is 200
check "the chart is inline SVG with no style attribute or script" no_inline_style
check "four series of 360 points" eq "$(points 1) $(points 2) $(points 3) $(points 4)" "360 360 360 360"
check "a legend with the window's totals" \
	match "$(grep -o '<g class="legend">.*</g>' "$HB" | head -c 3000)" '>completed \(13\)<.*>partial \(1\)<.*>failed \(6\)<.*>new \(21\)<'
check "the chart's title names the type" body_has '-title">Requests per minute, last 6 h, entity type chart_a</title>'
check "a <desc> and a <title> per series" \
	match "$(grep -o '<svg class="chart".*</svg>' "$HB")" '<desc id="chart-throughput-desc">.*<g class="series"><title>completed: 13 in all, at most 8 requests per minute</title>'
check "the axes: the count unit and time ticks" \
	match "$(grep -o '<svg class="chart".*</svg>' "$HB")" '>[0-9][0-9]:00</text>.*>time \(UTC\), a point per minute</text>.*>requests per minute</text>'
check "distinct dashes per series" \
	eq "$(grep -o '<polyline[^>]*' "$HB" | grep -o 'stroke-dasharray="[^"]*"' | sort -u | wc -l)" 3
check "links to the other window and to every type" \
	match "$(grep -o '<p class="chart-nav">.*</p>' "$HB" | head -c 3000)" 'href="/admin/queues\?hours=24&amp;type=chart_a#charts".*href="/admin/queues\?hours=6#charts".*type=chart_c#charts'
check "the current choice is marked" \
	match "$(grep -o '<p class="chart-nav">.*</p>' "$HB" | head -c 3000)" 'type=chart_a#charts" aria-current="true">chart_a<'
admin_get "/admin/queues?hours=24"
check "24 h of every type: 288 points" eq "$(points 1)" 288
check "... titled so" body_has 'Requests per 5 minutes, last 24 h, all entity types'

admin_get "/admin/?hours=24&type=chart_b"
check "dashboard with a chart: 200" status_is 200
check "dashboard: the chart" no_inline_style
check "dashboard: 288 points of chart_b" eq "$(points 1)" 288
check "dashboard: chart_b's legend" match "$(grep -o '<g class="legend">.*</g>' "$HB" | head -c 3000)" '>completed \(3\)<'
check "dashboard: the refresh keeps the chart's choice" body_has 'data-refresh="/admin/?partial=1&amp;hours=24&amp;type=chart_b"'
check "dashboard: the queue summary has the new columns" \
	match "$(grep -o '<tr id="queue-chart_a".*' "$HB" | head -c 3000)" '95.5 s'
admin_get "/admin/?partial=1&hours=24&type=chart_b"
check "dashboard refresh: the chart again" eq "$(points 1)" 288

# ==== bad choices: the page's 400 ====
admin_get "/admin/queues?hours=7"
check "queues page, hours=7: 400" status_is 400
check "... a clear sentence" body_has '6 or 24 hours'
admin_get "/admin/?type=no_such_type"
check "dashboard, an unknown type: 400" status_is 400
check "... naming it" body_has 'No request of type no_such_type'
admin_get "/admin/queues?type=%3Cb%3E"
check "a malformed type: 400" status_is 400
check "... saying what a type is, not echoing it" eq "$(grep -c 'type= is not one' "$HB"):$(grep -c '&lt;b&gt;' "$HB")" "1:0"

finish
