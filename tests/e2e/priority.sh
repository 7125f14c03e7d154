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
# gentrackctl get and the admin request page show the priority.
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

finish
