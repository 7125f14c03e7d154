#!/usr/bin/env bash
# jq programs and `eval` checks name their $variables inside single quotes on
# purpose; helper functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx: the bulk retry by filter (issue 14): failed and
# partial requests of two types, with different failure reasons and finish
# times; the preview counts exactly the matching ones, the confirmed form
# retries exactly them with their entities kept and one audit event each as
# admin:NAME, a double submit applies once, a missing or wrong CSRF token
# changes nothing, bad filters are a 400, and the JSON twin does the same.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq awk
start_stack bulk_retry --workers 2

COLL=/api/v1/generation-requests
ADMIN=(-u "admin:$ADMIN_PASSWORD")
AUTH_KEY=$CLIENT_KEY
JAR=$GT_TMP/cookies

body_has() { grep -qF -- "$1" "$HB" && return 0; GT_DETAIL="'$1' not in the body: $(head -c 300 "$HB")"; return 1; }
hex_id() { printf '%s' "$1" | tr -d '-'; }
csrf_of() { grep -o 'name="csrf_token" value="[^"]*"' "$HB" | head -1 | sed 's/.*value="//; s/"$//'; }
form_value() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$HB" | tail -1 | sed 's/.*value="//; s/"$//'; }
admin_get() { req GET "$1" "${ADMIN[@]}" -b "$JAR" -c "$JAR"; }
admin_post() {
	req POST "$1" "${ADMIN[@]}" -b "$JAR" -c "$JAR" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "$2"
}
admin_json() { req POST "$1" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-raw "$2"; }
ago() { date -u -d "-$1 min" +%Y-%m-%dT%H:%M:%SZ; }

# seed TYPE STATUS REASON MINUTES: a request of TYPE finished MINUTES ago as
# STATUS with REASON (- for none), one of its two entities generated. Its id
# goes to the tally "TYPE STATUS REASON MINUTES".
declare -A SEEDED
seed() {
	api POST "$COLL" "{\"entity_type\":\"$1\",\"count\":2}"
	local id hex reason=NULL
	id=$(jb '.request_id // empty')
	hex=$(hex_id "$id")
	[[ $3 != - ]] && reason="'$3'"
	sql "UPDATE generation_requests SET status = '$2', attempt = 1, generated_count = 1,
	     failed_count = 1, started_at = UTC_TIMESTAMP(6) - INTERVAL $4 + 1 MINUTE,
	     completed_at = UTC_TIMESTAMP(6) - INTERVAL $4 MINUTE, failure_reason = $reason,
	     error_message = IF($reason IS NULL, NULL, 'seeded'), version = version + 1
	     WHERE id = UNHEX('$hex')"
	sql "INSERT INTO generation_entities (request_id, idx, status, entity_json, attempt, created_at)
	     VALUES (UNHEX('$hex'), 0, 'generated', '{\"seeded\":\"$id\"}', 1, UTC_TIMESTAMP(6))"
	SEEDED["$1 $2 $3 $4"]+="$id "
}
status_of() { sql "SELECT status FROM generation_requests WHERE id = UNHEX('$(hex_id "$1")')"; }
entities_of() { sql "SELECT COUNT(*) FROM generation_entities WHERE request_id = UNHEX('$(hex_id "$1")') AND status = 'generated'"; }
last_event() {
	sql "SELECT actor, from_status, to_status, COALESCE(message, '') FROM generation_events
	     WHERE request_id = UNHEX('$(hex_id "$1")') ORDER BY id DESC LIMIT 1" | tr '\t' '|'
}
# Every seeded request's status, "TYPE STATUS REASON MINUTES=status ...", sorted.
statuses() {
	local k id
	for k in "${!SEEDED[@]}"; do
		for id in ${SEEDED[$k]}; do printf '%s=%s\n' "$k" "$(status_of "$id")"; done
	done | sort | tr '\n' ';'
}

seed rta failed generator_failed 30
seed rta failed generator_failed 40
seed rta failed lease_expired 30      # another reason
seed rta failed generator_failed 180  # finished before the window
seed rta partial - 30                 # another status
seed rtb failed generator_failed 30   # another type
seed rtb partial - 20
A=$(ago 60); B=$(ago -1)
FILTER="entity_type=rta&status=failed&failure_reason=generator_failed&finished_after=$A&finished_before=$B"

# ==== the filter form and its validation ====
admin_get /admin/bulk-retry
check "bulk retry form: 200" status_is 200
check "the form has the filter fields" body_has 'name="failure_reason"'
before=$(writes)
for bad in "entity_type=RTA&status=failed&finished_after=$A&finished_before=$B" \
	"entity_type=rta&status=completed&finished_after=$A&finished_before=$B" \
	"entity_type=rta&status=failed&failure_reason=bogus&finished_after=$A&finished_before=$B" \
	"entity_type=rta&status=failed&finished_after=yesterday&finished_before=$B" \
	"entity_type=rta&status=failed&finished_after=$B&finished_before=$A"; do
	admin_get "/admin/bulk-retry?$bad"
	check "bad filter $bad: 400" status_is 400
done
check "bad filters wrote nothing" eq "$(writes)" "$before"
admin_get "/admin/bulk-retry?entity_type=rtnone&status=failed&finished_after=$A&finished_before=$B"
check "an empty filter result: 200 saying 0" eval '[[ $ST == 200 ]] && body_has "<strong id=\"bulk-count\">0</strong>"'

# ==== preview, CSRF, confirm, once ====
admin_get "/admin/bulk-retry?$FILTER"
check "preview: 200" status_is 200
check "preview counts exactly the 2 matching" body_has '<strong id="bulk-count">2</strong>'
TOKEN=$(csrf_of)
FORM="action_id=$(form_value action_id)&as_of=$(form_value as_of)&expected=$(form_value expected)&$FILTER&reason=bulk+retry+test"
untouched=$(statuses)
before=$(writes)
admin_post /admin/bulk-retry "$FORM"
check "bulk retry without a CSRF token: 403" status_is 403
admin_post /admin/bulk-retry "csrf_token=${TOKEN}x&$FORM"
check "bulk retry with a wrong CSRF token: 403" status_is 403
admin_get "/admin/bulk-cancel?older_than=30"
admin_post /admin/bulk-retry "csrf_token=$(csrf_of)&$FORM"
check "bulk retry with the bulk cancel's token: 403" status_is 403
check "refused posts changed nothing" eq "$(writes)|$(statuses)" "$before|$untouched"
admin_post /admin/bulk-retry "csrf_token=$TOKEN&$FORM"
check "bulk retry confirm: 303 with the count" match "$ST $(hdr Location)" '^303 /admin/\?done=bulk_retry&n=2$'
for id in ${SEEDED["rta failed generator_failed 30"]} ${SEEDED["rta failed generator_failed 40"]}; do
	check "retried $id: pending" eq "$(status_of "$id")" pending
	check "retried $id: its entity kept" eq "$(entities_of "$id")" 1
	check "retried $id: event by admin:admin with the reason" eq "$(last_event "$id")" 'admin:admin|failed|pending|bulk retry test; keeps 1 generated, 1 remain'
done
for k in "rta failed lease_expired 30" "rta failed generator_failed 180" "rta partial - 30" "rtb failed generator_failed 30" "rtb partial - 20"; do
	id=${SEEDED[$k]% }
	read -r _ st _ <<<"$k"
	check "not matching ($k): untouched" eq "$(status_of "$id")" "$st"
done
# The retried requests are pending again; fail them once more so that a
# second run of the same form would find them: it must not.
sql "UPDATE generation_requests SET status = 'failed', completed_at = UTC_TIMESTAMP(6) - INTERVAL 30 MINUTE
     WHERE entity_type = 'rta' AND status = 'pending'"
before=$(writes)
admin_post /admin/bulk-retry "csrf_token=$TOKEN&$FORM"
check "submitted twice: applied once" match "$ST $(hdr Location)" '^303 /admin/\?done=bulk_retry_repeat&n=2$'
check "the repeat wrote nothing" eq "$(writes)" "$before"
admin_get "/admin/?done=bulk_retry&n=2"
check "the dashboard says what the bulk retry did" body_has 'Bulk retry done: 2 requests sent back to pending.'
check "the dashboard links the bulk retry" body_has 'href="/admin/bulk-retry"'

# ==== the JSON twin ====
JF="\"entity_type\":\"rtb\",\"finished_after\":\"$A\",\"finished_before\":\"$B\""
before=$(writes)
admin_json /admin/api/bulk-retry "{$JF,\"status\":\"partial\",\"reason\":\"api\"}"
check "api without action_id: 400" is_problem 400
admin_json /admin/api/bulk-retry "{$JF,\"status\":\"processing\",\"reason\":\"api\",\"action_id\":\"a1\"}"
check "api with a bad status: 400" is_problem 400
admin_json /admin/api/bulk-retry "{$JF,\"status\":\"partial\",\"failure_reason\":\"nope\",\"reason\":\"api\",\"action_id\":\"a1\"}"
check "api with a bad failure_reason: 400" is_problem 400
admin_json /admin/api/bulk-retry "{$JF,\"status\":\"partial\",\"reason\":\"api\",\"action_id\":\"a1\",\"extra\":1}"
check "api with an unknown field: 400" is_problem 400
req POST /admin/api/bulk-retry "${ADMIN[@]}" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw 'x=1'
check "api as a form: 415" is_problem 415
check "refused api calls wrote nothing" eq "$(writes)" "$before"
admin_json /admin/api/bulk-retry "{\"entity_type\":\"rtnone\",\"finished_after\":\"$A\",\"finished_before\":\"$B\",\"status\":\"failed\",\"reason\":\"api\",\"action_id\":\"a0\"}"
check "api with nothing to retry: 200 with 0" jtrue '.retried==0 and .repeat==false'
admin_json /admin/api/bulk-retry "{$JF,\"status\":\"partial\",\"reason\":\"api\",\"action_id\":\"a1\"}"
check "api bulk retry: 200 with 1" jtrue '.retried==1 and .repeat==false'
id=${SEEDED["rtb partial - 20"]% }
check "api: the partial one pending, entity kept" eq "$(status_of "$id")|$(entities_of "$id")" "pending|1"
check "api: its event" eq "$(last_event "$id")" 'admin:admin|partial|pending|api; keeps 1 generated, 1 remain'
check "api: the failed one of rtb untouched" eq "$(status_of "${SEEDED["rtb failed generator_failed 30"]% }")" failed
sql "UPDATE generation_requests SET status = 'partial' WHERE id = UNHEX('$(hex_id "$id")')"
before=$(writes)
admin_json /admin/api/bulk-retry "{$JF,\"status\":\"partial\",\"reason\":\"api\",\"action_id\":\"a1\"}"
check "api resent: applied once" jtrue '.retried==1 and .repeat==true'
check "api resend wrote nothing" eq "$(writes)" "$before"

# ==== bulk cancel of the pending requests of a type (scope=pending) ====
# 40 minutes old: past older_than=30, not yet past pending_timeout (1 h), so
# not "stuck": only the pending scope sees them.
for i in 1 2; do api POST "$COLL" '{"entity_type":"pca"}'; done
api POST "$COLL" '{"entity_type":"pca"}'; PCA_FRESH=$(jb .request_id)
api POST "$COLL" '{"entity_type":"pcb"}'; PCB=$(jb .request_id)
sql "UPDATE generation_requests SET requested_at = UTC_TIMESTAMP(6) - INTERVAL 40 MINUTE
     WHERE entity_type IN ('pca', 'pcb') AND id NOT IN (UNHEX('$(hex_id "$PCA_FRESH")'))"
admin_get "/admin/"
check "the dashboard has the pending-of-a-type form" body_has 'name="scope" value="pending"'
admin_get "/admin/bulk-cancel?older_than=30&entity_type=pca"
check "stuck scope: none of them" body_has '<strong id="bulk-count">0</strong>'
admin_get "/admin/bulk-cancel?scope=pending&older_than=30"
check "pending scope without a type: 400" status_is 400
admin_get "/admin/bulk-cancel?scope=bogus&older_than=30&entity_type=pca"
check "an unknown scope: 400" status_is 400
admin_get "/admin/bulk-cancel?scope=pending&older_than=30&entity_type=pca"
check "pending scope: counts the 2 old pending of pca" body_has '<strong id="bulk-count">2</strong>'
PFORM="action_id=$(form_value action_id)&as_of=$(form_value as_of)&expected=$(form_value expected)&scope=pending&older_than=30&entity_type=pca&reason=drain+pca"
PTOKEN=$(csrf_of)
before=$(writes)
admin_post /admin/bulk-cancel "$PFORM"
check "pending bulk cancel without a CSRF token: 403" status_is 403
check "... nothing written" eq "$(writes)" "$before"
admin_post /admin/bulk-cancel "csrf_token=$PTOKEN&$PFORM"
check "pending bulk cancel: 303 with 2" match "$ST $(hdr Location)" '^303 /admin/\?done=bulk&n=2$'
check "pca: 2 cancelled, the fresh one pending" eq "$(sql "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'pca' AND status = 'cancelled'")|$(status_of "$PCA_FRESH")" "2|pending"
check "pcb untouched" eq "$(status_of "$PCB")" pending
before=$(writes)
admin_post /admin/bulk-cancel "csrf_token=$PTOKEN&$PFORM"
check "pending bulk cancel twice: applied once" match "$ST $(hdr Location)" '^303 /admin/\?done=bulk_repeat&n=2$'
check "... nothing written" eq "$(writes)" "$before"

finish
