#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx: per-owner limits (issue 18). [limits]
# max_pending_per_owner = 10: 16 concurrent creates of an owner with 5
# pending give exactly 5 x 202 and 11 x 429 problem+json
# (pending-limit-reached, Retry-After); an Idempotency-Key refused at the
# limit is free again, and gets 202 once a claim frees a slot.
# max_processing_per_owner = 2: the worker API's claims leave the owner's
# third pending (204) while another owner's work is claimed, and claim it
# once one completes. gentrackctl owner limit / owner limits set and show an
# owner's own limits; bad input is a usage error that changes nothing.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq
start_stack limits --workers 4

COLL=/api/v1/generation-requests
AUTH_KEY=$CLIENT_KEY
CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")

printf '[limits]\nmax_pending_per_owner = 10\nmax_processing_per_owner = 2\n' >"$GT_STACK_DIR/extra.conf"
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1
check "restart with max_pending_per_owner 10, max_processing_per_owner 2" \
	bash "$GT_STACK" up "$GT_STACK_DIR" --workers 4

create() { # create BODY [curl args]
	local body=$1
	shift
	api POST "$COLL" "$body" "$@"
}
claim() { # claim TYPE [worker]
	AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim \
		"{\"worker_id\":\"${2:-e2e-limits:1}\",\"entity_types\":[\"$1\"],\"lease_seconds\":60}"
}
claimed_owner() { # the owner of the claimed request, or the status
	[[ $ST == 200 ]] || { echo "$ST"; return; }
	sql "SELECT owner FROM generation_requests WHERE id = UNHEX('$(jb .request_id | tr -d -)')"
}
complete() { # complete ID [worker]
	AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$1/complete" \
		"{\"worker_id\":\"${2:-e2e-limits:1}\",\"attempt\":1}"
}
pending_of() { sql "SELECT COUNT(*) FROM generation_requests WHERE owner = '$1' AND status = 'pending'"; }
processing_of() { sql "SELECT COUNT(*) FROM generation_requests WHERE owner = '$1' AND status = 'processing'"; }

# ==== the pending limit: 16 concurrent creates, 5 pending, limit 10 ====
for _ in 1 2 3 4 5; do create '{"entity_type":"essay"}'; done
check "5 pending" eq "$(pending_of acme)" 5
OUT=$GT_TMP/burst
mkdir -p "$OUT"
for i in $(seq 16); do
	curl -sS --max-time 20 -o "$OUT/$i.body" -D "$OUT/$i.headers" -w '%{http_code}' \
		-X POST -H "Authorization: Bearer $CLIENT_KEY" -H 'Content-Type: application/json' \
		--data-binary '{"entity_type":"essay"}' "$BASE_URL$COLL" >"$OUT/$i.status" 2>/dev/null &
done
wait
accepted=0 limited=0 other=""
for i in $(seq 16); do
	case $(cat "$OUT/$i.status") in
	202) accepted=$((accepted + 1)) ;;
	429) limited=$((limited + 1)) ;;
	*) other+=" $(cat "$OUT/$i.status")" ;;
	esac
	# Into the record, as req() would: the answers are checked against api/openapi.json.
	cp "$OUT/$i.body" "$HB"
	cp "$OUT/$i.headers" "$HH"
	ST=$(cat "$OUT/$i.status")
	[[ -z $GT_RECORD_ANSWERS ]] || record_answer POST "$COLL"
	if [[ $ST == 429 ]]; then
		LAST_429=$i
	fi
done
check "16 concurrent creates: exactly 5 accepted" eq "$accepted" 5
check "16 concurrent creates: exactly 11 answered 429" eq "$limited" 11
check "16 concurrent creates: nothing else ($other)" eq "$other" ""
check "10 pending after" eq "$(pending_of acme)" 10
cp "$OUT/${LAST_429:-1}.body" "$HB"
cp "$OUT/${LAST_429:-1}.headers" "$HH"
ST=$(cat "$OUT/${LAST_429:-1}.status")
check "a 429: problem+json" is_problem 429
check "a 429: its type" eq "$(jb .type)" urn:gentrack:problem:pending-limit-reached
check "a 429: names the limit" eq "$(jb .limit)/$(jb .max)" max_pending/10
check "a 429: the detail names it" match "$(jb .detail)" 'acme has 10 pending.*max_pending_per_owner'
check "a 429: Retry-After 5" eq "$(hdr Retry-After)" 5
refused "one more create" 429 create '{"entity_type":"essay"}'
AUTH_KEY=$CLIENT_KEY_2 create '{"entity_type":"poem"}'
check "another owner is not held back" status_is 202

# ==== an Idempotency-Key refused at the limit is free again ====
create '{"entity_type":"essay"}' -H 'Idempotency-Key: lim-1'
check "at the limit, with a key: 429" is_problem 429
check "at the limit, with a key: no key kept" \
	eq "$(sql "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = 'lim-1'")" 0
claim essay
FIRST=$(jb .request_id)
check "a claim frees a slot" eq "$(pending_of acme)" 9
create '{"entity_type":"essay"}' -H 'Idempotency-Key: lim-1'
check "the same key after a slot freed: 202" status_is 202
check "the same key after a slot freed: not a replay" eq "$(hdr Idempotent-Replayed)" ""
create '{"entity_type":"essay"}' -H 'Idempotency-Key: lim-1'
check "and again: the replay of that 202" eq "$ST/$(hdr Idempotent-Replayed)" 202/true

# ==== the processing limit, through the worker API ====
check "acme: 1 processing" eq "$(processing_of acme)" 1
claim essay
check "a second of acme's: claimed" eq "$(claimed_owner)" acme
AUTH_KEY=$CLIENT_KEY_2 create '{"entity_type":"essay"}'
claim essay
check "acme at 2 processing: globex's is claimed instead" eq "$(claimed_owner)" globex
claim essay
check "nothing but acme's left: 204" status_is 204
check "acme: still 2 processing" eq "$(processing_of acme)" 2
complete "$FIRST"
check "one of acme's completes" status_is 200
claim essay
check "then acme's next is claimed" eq "$(claimed_owner)" acme
check "acme: 2 processing" eq "$(processing_of acme)" 2

# ==== gentrackctl owner limit / owner limits ====
out=$("${CTL[@]}" owner limit --owner acme --pending 20 --processing 3 2>&1)
check "owner limit: ok" eq "$?" 0
check "owner limit: says so" match "$out" 'acme: max_pending 20 \(own\), max_processing 3 \(own\)'
check "owner limit: stored" eq "$(sql "SELECT CONCAT(max_pending, '/', max_processing) FROM owner_limits WHERE owner = 'acme'")" 20/3
claim essay
check "acme's own processing limit 3: a third claimed" eq "$(claimed_owner)" acme
claim essay
check "then 204" status_is 204
n=$(pending_of acme)
for _ in $(seq $((20 - n))); do create '{"entity_type":"essay"}'; done
check "acme's own pending limit 20: up to 20 pending" eq "$(pending_of acme)" 20
create '{"entity_type":"essay"}'
check "the 21st: 429" is_problem 429
check "the 21st: names the owner's own limit" eq "$(jb .max)" 20
check "the 21st: the detail says it is acme's own" match "$(jb .detail)" 'its own'
out=$("${CTL[@]}" --json owner limit --owner globex --processing 0)
check "owner limit --json" eq "$(jq -c . <<<"$out")" \
	'{"owner":"globex","max_pending":10,"max_pending_source":"default","max_processing":0,"max_processing_source":"owner"}'
check "owner limits --json" eq "$("${CTL[@]}" --json owner limits | jq -c .)" \
	'{"defaults":{"max_pending_per_owner":10,"max_processing_per_owner":2},"items":[{"owner":"acme","max_pending":20,"max_pending_source":"owner","max_processing":3,"max_processing_source":"owner"},{"owner":"globex","max_pending":10,"max_pending_source":"default","max_processing":0,"max_processing_source":"owner"}]}'
out=$("${CTL[@]}" owner limits)
check "owner limits: the defaults" match "$out" '\(everyone else\) +10 \(default\) +2 \(default\)'
check "owner limits: acme" match "$out" 'acme +20 \(own\) +3 \(own\)'
check "owner limits: globex's none" match "$out" 'globex +10 \(default\) +none \(own\)'
before=$(sql "SELECT COUNT(*), COALESCE(SUM(max_pending), 0), COALESCE(SUM(max_processing), 0), MAX(updated_at) FROM owner_limits")
for bad in "--pending -1" "--pending x" "--pending 1.5" "--pending 1000001" "--processing ''" \
	"--pending" "" "--pending 3 extra"; do
	eval "\"\${CTL[@]}\" owner limit --owner acme $bad" >/dev/null 2>&1
	check "owner limit --owner acme $bad: usage error" eq "$?" 1
done
"${CTL[@]}" owner limit --owner 'a b' --pending 3 >/dev/null 2>&1
check "owner limit, a bad owner name: usage error" eq "$?" 1
"${CTL[@]}" owner limit --pending 3 >/dev/null 2>&1
check "owner limit without --owner: usage error" eq "$?" 1
"${CTL[@]}" owner limits extra >/dev/null 2>&1
check "owner limits extra: usage error" eq "$?" 1
check "bad input changed nothing" eq "$(sql "SELECT COUNT(*), COALESCE(SUM(max_pending), 0), COALESCE(SUM(max_processing), 0), MAX(updated_at) FROM owner_limits")" "$before"
out=$("${CTL[@]}" owner limit --owner acme --pending default --processing default)
check "owner limit ... default: back to the config's" match "$out" 'max_pending 10 \(default\), max_processing 2 \(default\)'
check "owner limit ... default: no row left" eq "$(sql "SELECT COUNT(*) FROM owner_limits WHERE owner = 'acme'")" 0
create '{"entity_type":"essay"}'
check "back to the config's 10: 429 at 20 pending" is_problem 429
check "back to the config's 10: its value" eq "$(jb .max)" 10

finish
