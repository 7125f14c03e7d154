#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx: priority and fair share across owners (issue 18).
# "priority" in a create is 0..9 (5 when absent), anything else a 400 that
# stores nothing; the resource shows it, ?priority= filters the list, an
# Idempotency-Key reused with another priority is a 422. The worker's claims
# take the higher priority first, and one owner's burst does not hold up
# another owner's single request. gentrackctl owner weight sets a weight;
# gentrackctl get and the admin request page show the priority; the lists an
# operator scans show it too (column P: the dashboard's stuck and filtered
# lists, gentrackctl list) and filter by it (the dashboard, /admin/api/stuck).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq
start_stack priority --workers 2

COLL=/api/v1/generation-requests
AUTH_KEY=$CLIENT_KEY
CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")

create() { # create BODY [curl args]
	local body=$1
	shift
	api POST "$COLL" "$body" "$@"
	ID=$(jb '.request_id // empty')
}
claim() {
	AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim \
		"{\"worker_id\":\"e2e-priority:1\",\"entity_types\":[\"$1\"],\"lease_seconds\":60}"
}
claimed() { [[ $ST == 200 ]] && jb .request_id || echo "$ST"; }

# ==== create, the resource, validation ====
create '{"entity_type":"essay"}'
check "no priority: 202" status_is 202
check "no priority: 5 in the answer" eq "$(jb .priority)" 5
DEFAULT_ID=$ID
create '{"entity_type":"essay","priority":9}'
check "priority 9: 202" status_is 202
check "priority 9: in the answer" eq "$(jb .priority)" 9
HIGH_ID=$ID
api GET "$COLL/$HIGH_ID" ''
check "priority 9: in the resource" eq "$(jb .priority)" 9
check "priority 9: in the store" eq "$(sql "SELECT priority FROM generation_requests WHERE id = UNHEX('${HIGH_ID//-/}')")" 9
create '{"entity_type":"essay","priority":0}'
check "priority 0: 202" status_is 202
for bad in 10 -1 5.5 '"high"' true '[9]' 99999999999; do
	refused "priority $bad" 400 create "{\"entity_type\":\"essay\",\"priority\":$bad}"
	check "priority $bad: the detail names the field" eval '[[ $(jb .detail) == *priority* ]]'
done

# ==== the list filter ====
api GET "$COLL?priority=9" ''
check "?priority=9: 200" status_is 200
check "?priority=9: only the priority-9 request" eq "$(jb '[.items[].request_id] | join(",")')" "$HIGH_ID"
api GET "$COLL?priority=5&entity_type=essay" ''
check "?priority=5: the default one" eq "$(jb '[.items[].request_id] | join(",")')" "$DEFAULT_ID"
for bad in 10 -1 x ''; do
	api GET "$COLL?priority=$bad" ''
	check "?priority=$bad: 400 problem+json" is_problem 400
done

# ==== Idempotency-Key: the priority is part of the body ====
create '{"entity_type":"essay","priority":3}' -H 'Idempotency-Key: prio-1'
check "idempotency: first 202" status_is 202
create '{"entity_type":"essay","priority":3}' -H 'Idempotency-Key: prio-1'
check "idempotency: replay 202, same priority" eval '[[ $ST == 202 && $(jb .priority) == 3 && $(hdr Idempotent-Replayed) == true ]]'
refused "idempotency: same key, other priority" 422 create '{"entity_type":"essay","priority":4}' -H 'Idempotency-Key: prio-1'

# ==== claims: priority first ====
claim essay
check "claim: the priority-9 request first" eq "$(claimed)" "$HIGH_ID"
check "claim: the worker sees its priority" eq "$(jb .priority)" 9

# ==== claims: fair share across owners ====
for _ in $(seq 40); do create '{"entity_type":"burst"}'; done
check "owner acme queued 40" eq "$(sql "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'burst' AND owner = 'acme'")" 40
AUTH_KEY=$CLIENT_KEY_2 create '{"entity_type":"burst"}'
GLOBEX_ID=$ID
at=0
for k in 1 2 3 4; do
	claim burst
	[[ $(claimed) == "$GLOBEX_ID" ]] && { at=$k; break; }
done
check "globex's single request is among the next 4 claims (at $at)" eval '((at >= 1 && at <= 4))'

# ==== gentrackctl ====
out=$("${CTL[@]}" owner weight --owner acme 3 2>&1)
check "owner weight: ok" eq "$?" 0
check "owner weight: stored" eq "$(sql "SELECT weight FROM owner_weights WHERE owner = 'acme'")" 3
check "owner weight: says so" match "$out" 'acme.*3'
"${CTL[@]}" owner weight --owner acme 0 >/dev/null 2>&1
check "owner weight 0: usage error" eq "$?" 1
"${CTL[@]}" owner weight --owner 'a b' 2 >/dev/null 2>&1
check "owner weight, a bad owner name: usage error" eq "$?" 1
check "owner weights: lists it" eq "$("${CTL[@]}" --json owner weights | jq -c .items)" '[{"owner":"acme","weight":3}]'
check "gentrackctl list --priority 9: the priority-9 request only" \
	eq "$("${CTL[@]}" --json list --priority 9 | jq -r '[.[].request_id] | join(",")')" "$HIGH_ID"
"${CTL[@]}" list --priority 10 >/dev/null 2>&1
check "gentrackctl list --priority 10: usage error" eq "$?" 1
out=$("${CTL[@]}" get "$DEFAULT_ID")
check "gentrackctl get: shows the priority" match "$out" 'priority +5'

# ==== the admin request page ====
req GET "/admin/generations/$HIGH_ID" -u "admin:$ADMIN_PASSWORD"
check "admin detail: 200" status_is 200
check "admin detail: shows the priority" eval 'grep -qF "<th scope=\"row\">priority</th><td>9</td>" "$HB"'

# ==== the lists: column P, the priority filter ====
create '{"entity_type":"plist","priority":7}'
P7_ID=$ID
create '{"entity_type":"plist"}'
P5_ID=$ID
# Both pending past pending_timeout (1 h): stuck.
sql "UPDATE generation_requests SET requested_at = NOW(6) - INTERVAL 2 HOUR WHERE entity_type = 'plist'"
# The <tr> of request $1 on the last page, in the table of class $2 ("" for the filtered list).
row_of() { grep -o "<table${2:+ class=\"$2\"}><thead>.*" "$HB" | sed 's#</table>.*##' | grep -o "<tr><td><a class=\"id\" href=\"/admin/generations/$1\".*" | sed 's#</tr>.*##'; }
req GET "/admin/?entity_type=plist" -u "admin:$ADMIN_PASSWORD"
check "dashboard: the stuck list has a P column" match "$(grep -o '<table class="stuck"><thead>.*</thead>' "$HB")" '<th>status</th><th[^>]*>P</th><th>entity type</th>'
check "dashboard: the stuck list shows priority 7" match "$(row_of "$P7_ID" stuck)" '</td><td class="num">7</td><td>plist'
check "dashboard: the stuck list shows priority 5" match "$(row_of "$P5_ID" stuck)" '</td><td class="num">5</td><td>plist'
check "dashboard: the filtered list shows priority 7" match "$(row_of "$P7_ID" "")" '</td><td class="num">7</td><td>plist'
check "dashboard: a priority filter in the form" match "$(cat "$HB")" '<select name="priority"><option value="">any</option><option value="9">9</option>'
req GET "/admin/?entity_type=plist&priority=7" -u "admin:$ADMIN_PASSWORD"
check "dashboard ?priority=7: 200" status_is 200
check "dashboard ?priority=7: the option is selected" match "$(cat "$HB")" '<option value="7" selected>7</option>'
check "dashboard ?priority=7: the refresh keeps it" match "$(cat "$HB")" 'data-refresh="/admin/\?partial=1&amp;entity_type=plist&amp;priority=7&amp;'
check "dashboard ?priority=7: stuck, the priority-7 request" eval '[[ -n $(row_of "$P7_ID" stuck) ]]'
check "dashboard ?priority=7: stuck, not the priority-5 one" eval '[[ -z $(row_of "$P5_ID" stuck) ]]'
check "dashboard ?priority=7: filtered, the priority-7 request" eval '[[ -n $(row_of "$P7_ID" "") ]]'
check "dashboard ?priority=7: filtered, not the priority-5 one" eval '[[ -z $(row_of "$P5_ID" "") ]]'
req GET "/admin/?priority=7" -u "admin:$ADMIN_PASSWORD"
check "dashboard ?priority=7 alone: the filtered list" eval '[[ -n $(row_of "$P7_ID" "") && -z $(row_of "$P5_ID" "") ]]'
req GET "/admin/?priority=10" -u "admin:$ADMIN_PASSWORD"
check "dashboard ?priority=10: ignored, with a message" eval '[[ $ST == 200 ]] && grep -qF "A priority is 0 to 9: filter ignored." "$HB"'
req GET "/admin/api/stuck?entity_type=plist&priority=7" -u "admin:$ADMIN_PASSWORD"
check "api stuck ?priority=7: the priority-7 request only" eq "$(jb '[.items[] | .request_id + ":" + (.priority|tostring)] | join(",")')" "$P7_ID:7"
req GET "/admin/api/stuck?entity_type=plist&priority=5" -u "admin:$ADMIN_PASSWORD"
check "api stuck ?priority=5: the default one only" eq "$(jb '[.items[].request_id] | join(",")')" "$P5_ID"
for bad in 10 -1 x ''; do
	req GET "/admin/api/stuck?priority=$bad" -u "admin:$ADMIN_PASSWORD"
	check "api stuck ?priority=$bad: 400 problem+json" is_problem 400
done
out=$("${CTL[@]}" list --entity-type plist)
check "gentrackctl list: a P column" match "$(head -1 <<<"$out")" '^ID +STATUS +P +TYPE +OWNER '
check "gentrackctl list: priority 7" match "$(grep -F "$P7_ID" <<<"$out")" "^$P7_ID +pending +7 +plist "
check "gentrackctl list: priority 5" match "$(grep -F "$P5_ID" <<<"$out")" "^$P5_ID +pending +5 +plist "

finish
