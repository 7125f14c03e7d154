#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx: pausing and resuming a queue (issue 14). A paused
# type's claims answer 204 while other types are still handed out and
# creates still answer 202; a resume hands it out again. The forms need
# their CSRF token (bound to the session and to "pause TYPE"): without one,
# with a wrong one or another form's, 403 and nothing changes. The pause
# survives a restart of the FastCGI pool, shows on the queues page and the
# dashboard, and is in the queues' audit trail as admin:NAME with its reason.
# The JSON twins; and pending_timeout, which waits for the resume.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq awk
start_stack queues --workers 2

COLL=/api/v1/generation-requests
ADMIN=(-u "admin:$ADMIN_PASSWORD")
AUTH_KEY=$CLIENT_KEY
CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")

body_has() { grep -qF -- "$1" "$HB" && return 0; GT_DETAIL="'$1' not in the body: $(head -c 300 "$HB")"; return 1; }
hex_id() { printf '%s' "$1" | tr -d '-'; }
db_status() { sql "SELECT status FROM generation_requests WHERE id = UNHEX('$(hex_id "$1")')"; }
create() { api POST "$COLL" "{\"entity_type\":\"$1\"}"; ID=$(jb '.request_id // empty'); }
claim() { # claim TYPE...: the oldest pending of those types, by the worker key
	local types
	types=$(printf '"%s",' "$@")
	AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim \
		"{\"worker_id\":\"e2e-queues:1\",\"entity_types\":[${types%,}],\"lease_seconds\":60}"
}
claimed() { [[ $ST == 200 ]] && jb .request_id || echo "$ST"; }
JAR=$GT_TMP/cookies
admin_get() { req GET "$1" "${ADMIN[@]}" -b "$JAR" -c "$JAR"; }
admin_post() { # admin_post PATH FORM-DATA [curl args]
	local path=$1 data=$2
	shift 2
	req POST "$path" "${ADMIN[@]}" -b "$JAR" -c "$JAR" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "$data" "$@"
}
admin_json() { # admin_json PATH BODY
	req POST "$1" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-binary "$2"
}
# The CSRF token of the form that posts to /admin/queues/TYPE/VERB on the last page.
queue_token() {
	grep -o "action=\"/admin/queues/$1/$2\"[^>]*><input type=\"hidden\" name=\"csrf_token\" value=\"[^\"]*\"" "$HB" |
		head -1 | sed 's/.*value="//; s/"$//'
}
# Everything a pause or a resume could write.
queue_writes() {
	sql "SELECT (SELECT COUNT(*) FROM queue_pauses), (SELECT COUNT(*) FROM queue_events),
	            (SELECT COALESCE(GROUP_CONCAT(entity_type, ':', paused_by, ':', reason), '') FROM queue_pauses)" | tr '\t' ' '
}
paused_by() { sql "SELECT CONCAT(paused_by, '|', reason) FROM queue_pauses WHERE entity_type = '$1'"; }
last_queue_event() {
	sql "SELECT CONCAT(actor, '|', action, '|', COALESCE(reason, '')) FROM queue_events
	     WHERE entity_type = '$1' ORDER BY id DESC LIMIT 1"
}
# refused_form NAME STATUS PATH DATA [curl args]: the post is refused and writes nothing.
refused_form() {
	local name=$1 want=$2 before
	shift 2
	before=$(queue_writes)
	admin_post "$@"
	check "$name: $want" status_is "$want"
	check "$name: nothing changed" eq "$(queue_writes)" "$before"
}
no_inline_script() {
	local bad
	bad=$(grep -oE '<script[^>]*>' "$HB" | grep -v 'src="/admin/static/admin.js"')
	[[ -z $bad ]] || { GT_DETAIL="inline script: $bad"; return 1; }
	! grep -qiE '<style|onclick=|onload=|onsubmit=|javascript:' "$HB" || { GT_DETAIL="inline handler or style"; return 1; }
}

# ==== two queues with work ====
create problem
P1=$ID
create problem
P2=$ID
create quiz
Q1=$ID
create quiz
Q2=$ID
check "four requests created" test -n "$P1$P2$Q1$Q2"

# ==== the queues page ====
admin_get /admin/queues
check "queues page: 200" status_is 200
check "queues page: CSP without inline script" match "$(hdr Content-Security-Policy)" "script-src 'self'"
check "queues page: no inline script" no_inline_script
check "queues page lists problem" body_has 'id="queue-problem"'
check "queues page lists quiz" body_has 'id="queue-quiz"'
check "a pause form per queue, confirmed in the browser" \
	match "$(grep -o 'action="/admin/queues/problem/pause"[^>]*' "$HB")" 'data-confirm="Pause the problem queue'
PAUSE_PROBLEM=$(queue_token problem pause)
PAUSE_QUIZ=$(queue_token quiz pause)
check "the pause forms carry tokens" test -n "$PAUSE_PROBLEM" -a -n "$PAUSE_QUIZ"

# ==== refused pauses change nothing ====
refused_form "pause without a token" 403 /admin/queues/problem/pause "reason=outage"
refused_form "pause with a wrong token" 403 /admin/queues/problem/pause "reason=outage&csrf_token=1999999999.AAAA"
refused_form "pause with the quiz form's token" 403 /admin/queues/problem/pause \
	"reason=outage&csrf_token=$PAUSE_QUIZ"
before=$(queue_writes)
req POST /admin/queues/problem/pause "${ADMIN[@]}" -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-raw "reason=outage&csrf_token=$PAUSE_PROBLEM"
check "pause with the token but without the page session (another browser): 403" status_is 403
check "... nothing changed" eq "$(queue_writes)" "$before"
refused_form "pause without a reason" 400 /admin/queues/problem/pause "reason=&csrf_token=$PAUSE_PROBLEM"
refused_form "pause of a bad entity type" 400 /admin/queues/Problem/pause "reason=x&csrf_token=$PAUSE_PROBLEM"
claim problem
check "before the pause, problem is handed out" eq "$(claimed)" "$P1"

# ==== pause ====
admin_post /admin/queues/problem/pause "reason=provider+down&csrf_token=$PAUSE_PROBLEM"
check "pause: 303 back to the queues page" match "$ST $(hdr Location)" '^303 /admin/queues\?done=paused'
check "the pause is stored: who and why" eq "$(paused_by problem)" "admin:admin|provider down"
check "the audit trail names admin:admin and the reason" eq "$(last_queue_event problem)" "admin:admin|pause|provider down"
claim problem
check "paused: a claim of problem answers 204" status_is 204
claim problem quiz
check "paused: a claim of problem or quiz gets the quiz" eq "$(claimed)" "$Q1"
create problem
P3=$ID
check "paused: a create of problem is still 202" status_is 202
check "... and pending" eq "$(db_status "$P3")" pending
claim problem
check "paused: still 204 with three problem requests waiting" status_is 204

admin_get /admin/queues?done=paused
check "the queues page says so" body_has 'Paused: workers get none'
check "the problem row shows the paused badge" \
	match "$(grep -o '<tr id="queue-problem"[^>]*>.*</tr>' "$HB" | head -c 2000)" 'class="st st-paused"'
check "with who and why" match "$(grep -o '<tr id="queue-problem".*' "$HB" | head -c 3000)" 'by admin:admin.*provider down'
check "and a resume form" body_has 'action="/admin/queues/problem/resume"'
check "the quiz row is running" match "$(grep -o '<tr id="queue-quiz"[^>]*>.*' "$HB" | head -c 1500)" 'running'
check "pauses and resumes are listed" match "$(grep -o '<table class="queue-events">.*' "$HB" | head -c 3000)" 'pause</td><td>admin:admin'
RESUME_PROBLEM=$(queue_token problem resume)
PAUSE_AGAIN=$(queue_token quiz pause)
admin_get "/admin/generations/$P3"
check "a pending request's page shows its queue paused" \
	match "$(grep -o '<th scope="row">entity_type</th>.*' "$HB" | head -c 600)" 'problem <span class="st st-paused" title="paused by admin:admin'

# Pausing it again (the old form, its token still good): 409, the first pause stands.
before=$(queue_writes)
admin_post /admin/queues/problem/pause "reason=again&csrf_token=$PAUSE_PROBLEM"
check "pausing a paused queue: 409" status_is 409
check "... saying who paused it" body_has 'already paused by admin:admin'
check "... nothing changed" eq "$(queue_writes)" "$before"
admin_get "/admin/queues?entity_type=idle_type"
check "an idle type can be shown (to pause it ahead)" body_has 'action="/admin/queues/idle_type/pause"'
admin_get /admin/
check "dashboard: the queue summary shows the paused badge" \
	match "$(grep -o '<table class="queues stack">.*' "$HB" | head -c 3000)" 'st-paused'
# A stuck pending problem request: its row on the dashboard has the badge.
sql "UPDATE generation_requests SET requested_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR WHERE id = UNHEX('$(hex_id "$P2")')"
admin_get /admin/
check "dashboard: a stuck request of the paused type shows the badge" \
	match "$(grep -o '<table class="stuck">.*' "$HB" | head -c 4000)" "${P2:0:8}.*st-paused"

# ==== the JSON twins ====
req GET /admin/api/queues "${ADMIN[@]}"
check "GET /admin/api/queues: 200" status_is 200
check "it lists problem paused by admin:admin, with its depth" \
	jtrue '.items[] | select(.entity_type == "problem") | .paused and .paused_by == "admin:admin" and .pause_reason == "provider down" and .pending == 2 and .processing == 1 and (.oldest_pending_age_seconds >= 7199)'
check "and quiz running" jtrue '.items[] | select(.entity_type == "quiz") | (.paused | not) and .processing == 1'
before=$(queue_writes)
admin_json /admin/api/queues/problem/pause '{"reason":"again"}'
check "JSON pause of a paused queue: 409 problem+json" is_problem 409
check "... naming who paused it" match "$(jb .detail)" 'admin:admin'
check "... nothing changed" eq "$(queue_writes)" "$before"
req POST /admin/api/queues/problem/pause "${ADMIN[@]}" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw 'reason=x'
check "JSON twin with a form body: 415" is_problem 415
req POST /admin/api/queues/quiz/pause "${ADMIN[@]}" -H 'Content-Type: application/json' -H 'Cookie: gentrack_session=x' --data-binary '{"reason":"x"}'
check "JSON twin with a cookie: 403" is_problem 403
admin_json /admin/api/queues/9bad/pause '{"reason":"x"}'
check "JSON twin, bad entity type: 400" is_problem 400
admin_json /admin/api/queues/quiz/pause '{}'
check "JSON twin without a reason: 400" is_problem 400
check "... nothing changed" eq "$(queue_writes)" "$before"
admin_post /admin/queues/quiz/pause "reason=x&csrf_token=$PAUSE_AGAIN"
check "the form too: pausing quiz works with its token" match "$ST" '^303$'
admin_get /admin/queues
check "the paused problem row offers resume, not pause" \
	test -n "$(queue_token problem resume)" -a -z "$(queue_token problem pause)"
admin_json /admin/api/queues/quiz/resume '{"reason":"test over"}'
check "JSON resume: 200 with the queue" jtrue '.entity_type == "quiz" and (.paused | not) and .paused_by == null'
check "... recorded" eq "$(last_queue_event quiz)" "admin:admin|resume|test over"
admin_json /admin/api/queues/quiz/resume '{"reason":"again"}'
check "JSON resume of a running queue: 409" is_problem 409

# ==== gentrackctl queue ====
check "gentrackctl queue pause quiz" eval '"${CTL[@]}" queue pause quiz --reason "from the shell" >"$GT_TMP/ctl1" 2>&1'
check "... recorded as cli:USER" match "$(last_queue_event quiz)" '^cli:[^|]+\|pause\|from the shell$'
claim quiz
check "... and the claims of quiz answer 204" status_is 204
"${CTL[@]}" queue pause quiz --reason again >"$GT_TMP/ctl2" 2>&1
check "pausing it again from the shell: exit 1, nothing changed" eq "$?:$(last_queue_event quiz | cut -d'|' -f2-)" "1:pause|from the shell"
check "... saying who paused it" match "$(cat "$GT_TMP/ctl2")" 'already paused \(by cli:'
check "gentrackctl queue list shows both paused" \
	eq "$("${CTL[@]}" queue list | awk '$NF != "STATE" && /paused by/ {print $1}' | sort | tr '\n' ' ')" "problem quiz "
check "gentrackctl --json queue list" \
	eq "$("${CTL[@]}" --json queue list | jq -r '[.items[] | select(.paused) | .entity_type] | join(",")')" "problem,quiz"
check "gentrackctl queue resume quiz" eval '"${CTL[@]}" queue resume quiz --reason "shell test over" >/dev/null 2>&1'
"${CTL[@]}" queue pause Quiz --reason x >/dev/null 2>&1
check "a bad entity type: exit 1" eq "$?" 1
"${CTL[@]}" queue pause quiz >/dev/null 2>&1
check "no reason: exit 1" eq "$?:$(last_queue_event quiz | cut -d'|' -f2)" "1:resume"

# ==== the pause survives a restart of the pool ====
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1
bash "$GT_STACK" up "$GT_STACK_DIR" >/dev/null 2>&1
# shellcheck source=/dev/null
. "$GT_STACK_DIR/credentials.env"
claim problem
check "after a restart of the pool, problem is still paused: 204" status_is 204
admin_get /admin/queues
check "... and shown paused" match "$(grep -o '<tr id="queue-problem"[^>]*>.*</tr>' "$HB" | head -c 2000)" 'st-paused'

# ==== resume ====
refused_form "resume without a token" 403 /admin/queues/problem/resume "reason=back"
refused_form "resume with the pause form's token" 403 /admin/queues/problem/resume \
	"reason=back&csrf_token=$PAUSE_PROBLEM"
claim problem
check "refused resumes left it paused: 204" status_is 204
admin_post /admin/queues/problem/resume "reason=provider+back&csrf_token=$RESUME_PROBLEM"
check "resume: 303" match "$ST $(hdr Location)" '^303 /admin/queues\?done=resumed'
check "the pause is gone" eq "$(sql "SELECT COUNT(*) FROM queue_pauses WHERE entity_type = 'problem'")" 0
check "the audit trail has the resume" eq "$(last_queue_event problem)" "admin:admin|resume|provider back"
claim problem
check "resumed: the claim gets the oldest problem request" eq "$(claimed)" "$P2"

# ==== pending_timeout waits for the resume (README "Pausing a queue") ====
# P3 waited two hours (past the hour of pending_timeout) through a pause.
admin_json /admin/api/queues/problem/pause '{"reason":"second outage"}'
check "JSON pause: 200 with the queue" jtrue '.entity_type == "problem" and .paused and .paused_by == "admin:admin"'
sql "UPDATE generation_requests SET requested_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR WHERE id = UNHEX('$(hex_id "$P3")')"
"${CTL[@]}" reap >"$GT_TMP/reap1" 2>&1
check "the reaper fails nothing of a paused queue" eq "$(db_status "$P3")" pending
AUTH_KEY=$CLIENT_KEY api GET "$COLL/$P3"
check "nor does a client's status read" eq "$(jb .status)" pending
admin_json /admin/api/queues/problem/resume '{"reason":"back again"}'
"${CTL[@]}" reap >"$GT_TMP/reap2" 2>&1
check "just resumed: its hour counts from the resume, still pending" eq "$(db_status "$P3")" pending
# An hour after the resume: the resume's event moved back an hour and a minute.
sql "UPDATE queue_events SET at = at - INTERVAL 61 MINUTE WHERE entity_type = 'problem'"
"${CTL[@]}" reap >"$GT_TMP/reap3" 2>&1
check "an hour after the resume, never picked up: failed never_started" \
	eq "$(sql "SELECT CONCAT(status, ' ', failure_reason) FROM generation_requests WHERE id = UNHEX('$(hex_id "$P3")')")" "failed never_started"

finish
