#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check` and `wait_for`.
# shellcheck disable=SC2016,SC2317
# Webhook delivery when things go wrong (issue 16): a deliverer killed with
# SIGKILL in the middle of a POST leaves its delivery to the next deliverer
# after its lease, sent again with the same webhook-id, never lost; two
# deliverers at once on 1,000 due deliveries send each exactly once with its
# own id; a 429's Retry-After: 3 holds the next attempt back 3 s; a
# redirect is not followed (tried again); a receiver that never answers
# times out and is tried again. [webhooks] timeout_seconds and
# lease_seconds are shortened (2 s, 4 s) so this takes seconds, not minutes.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq node npm
start_stack webhooks_crash
# shellcheck source-path=SCRIPTDIR source=webhook_lib.sh
. "$GT_SRCDIR/tests/e2e/webhook_lib.sh"
webhook_receiver_start
DELIVERERS=()
# Only what this test started, by pid.
trap 'kill "$RECEIVER" "${DELIVERERS[@]}" 2>/dev/null; bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT

webhook_config 'retry_schedule_divisor = 1000' 'timeout_seconds = 2' 'lease_seconds = 4'
"$GENTRACKCTL" --config "$WH_CONF" key create --role client --owner initech 2>/dev/null | tail -n 1 >"$HOOKS/initech.key"
"$GENTRACKCTL" --config "$WH_CONF" key create --role client --owner umbrella 2>/dev/null | tail -n 1 >"$HOOKS/umbrella.key"
INITECH_KEY=$(cat "$HOOKS/initech.key")
UMBRELLA_KEY=$(cat "$HOOKS/umbrella.key")

add() { webhook_add "$@"; }
# One endpoint per owner: a request of an owner is delivered to that one only.
check "acme's endpoint 'stall' (no answer to the first POST of each id)" add stall acme
check "globex's 'busy' (429 Retry-After: 3 first)" add busy globex
check "initech's 'moved' (302 first)" add moved initech
check "umbrella's 'ok'" add ok umbrella

run() { webhook_run "$1" hook_crash; }
n_received() { received_id "$1" | wc -l; }
at_least() { (($(n_received "$1") >= $2)); }
# deliver_until ID STATE TENTHS: one-pass deliver, again and again, until ID is in STATE.
deliver_until() {
	local i
	for ((i = 0; i < $3; i++)); do
		"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1 || return 1
		[[ $(state_of "$1") == "$2" ]] && return 0
		sleep 0.1
	done
	GT_DETAIL="$1 is $(state_of "$1"), not $2"
	return 1
}
attempts_of() { # status|error|duration ms per attempt, oldest first
	sql "SELECT COALESCE(http_status, '-'), COALESCE(error, '-'), duration_us DIV 1000
	     FROM webhook_attempts WHERE delivery_id = '$1' ORDER BY id" | tr '\t' '|'
}

# ==== SIGKILL in the middle of a POST ====
ID=$(run "$CLIENT_KEY")
MSG=$(delivery_of "$ID")
check "acme's request completes, its delivery written" match "$MSG" '^msg_'
"${WCTL[@]}" deliver --follow --interval 0.1 >"$HOOKS/killed.out" 2>&1 &
KILLED=$!
DELIVERERS+=("$KILLED")
check "a deliverer POSTs it; the receiver holds the request open" wait_for 100 at_least "$MSG" 1
kill -KILL "$KILLED"
wait "$KILLED" 2>/dev/null
check "the deliverer is killed with SIGKILL mid-POST" eq "$(ps -o stat= -p "$KILLED" | tr -d ' ')" ""
check "... the delivery stays pending, leased to the dead deliverer, no attempt recorded" \
	eq "$(sql "SELECT state, attempts, lease_owner LIKE '%:$KILLED' FROM webhook_deliveries WHERE id = '$MSG'" | tr '\t' ' ')/$(attempts_of "$MSG" | wc -l)" \
	"pending 0 1/0"
"${WCTL[@]}" deliver >"$HOOKS/early.out" 2>&1
check "another deliverer leaves it alone while the lease lasts" \
	eq "$(cat "$HOOKS/early.out")/$(n_received "$MSG")" "delivered: 0 delivered, 0 to retry, 0 dead/1"
check "... after the lease (4 s) it sends it again" deliver_until "$MSG" delivered 80
check "... the receiver got it twice, with the same webhook-id, both verified" \
	eq "$(received_id "$MSG" | jq -r '[.id, .verified] | join(" ")' | sort -u)/$(n_received "$MSG")" "$MSG true/2"
check "... recorded delivered after one attempt (the killed one never finished)" \
	eq "$(sql "SELECT state, attempts, last_status FROM webhook_deliveries WHERE id = '$MSG'" | tr '\t' ' ')" \
	"delivered 1 200"

# ==== a receiver that never answers: timeout, tried again ====
ID=$(run "$CLIENT_KEY")
MSG=$(delivery_of "$ID")
check "a receiver that never answers: the POST times out, then the retry is delivered" \
	deliver_until "$MSG" delivered 60
A=$(attempts_of "$MSG")
check "... two attempts: no answer and a timeout, then 200" \
	eq "$(head -n 1 <<<"$A" | cut -d'|' -f1)/$(head -n 1 <<<"$A" | grep -ci 'timed out')/$(sed -n 2p <<<"$A" | cut -d'|' -f1,2)/$(wc -l <<<"$A")" "-/1/200|-/2"
check "... the first gave up after timeout_seconds (2 s), not before" \
	match "$(head -n 1 <<<"$A" | cut -d'|' -f3)" '^(19[5-9][0-9]|2[0-9]{3})$'
check "... same webhook-id on both" eq "$(received_id "$MSG" | jq -r .id | sort -u)/$(n_received "$MSG")" "$MSG/2"

# ==== Retry-After honoured ====
ID=$(run "$CLIENT_KEY_2")
MSG=$(delivery_of "$ID")
check "a 429 with Retry-After: 3, then 200" deliver_until "$MSG" delivered 80
R=$(received_id "$MSG")
check "... two POSTs: 429, then 200" eq "$(jq -r .status <<<"$R" | tr '\n' ' ')" "429 200 "
GAP=$(jq -s '.[1].at - .[0].at' <<<"$R")
check "... the second not before 3 s after the first (${GAP} ms; the schedule alone says 5 ms)" \
	eval '((GAP >= 3000 && GAP < 8000))'
check "... the attempts as recorded: 3 s apart too" \
	eval '(($(sql "SELECT TIMESTAMPDIFF(MICROSECOND, MIN(at), MAX(at)) DIV 1000 FROM webhook_attempts WHERE delivery_id = '"'$MSG'"'") >= 2900))'

# ==== a redirect is not followed ====
ID=$(run "$INITECH_KEY")
MSG=$(delivery_of "$ID")
check "a 302: retried, then delivered" deliver_until "$MSG" delivered 40
check "... the Location (/ok) never called" eq "$(jq -c --arg id "$MSG" 'select(.id == $id and .name == "ok")' "$HOOKS/received.jsonl" | wc -l)" 0
check "... two POSTs to the endpoint: 302, 200" eq "$(received_id "$MSG" | jq -r '.name + " " + (.status|tostring)' | tr '\n' ' ')" "moved 302 moved 200 "
check "... the first recorded as HTTP 302" match "$(attempts_of "$MSG" | head -n 1)" '^302\|HTTP 302'

# ==== two deliverers at once on 1,000 due deliveries ====
ID=$(run "$UMBRELLA_KEY")
MSG=$(delivery_of "$ID")
check "umbrella's first delivery goes out" deliver_until "$MSG" delivered 20
# 1,000 more of it, due now, each its own webhook-id (the outbox's msg_ and
# 24 base64url characters), as 1,000 requests ending at once would write.
sql "INSERT INTO webhook_deliveries (id, request_id, endpoint_id, event_type, payload, created_at, next_attempt_at)
     SELECT CONCAT('msg_bulk', LPAD(s.seq, 20, '0')), d.request_id, d.endpoint_id, d.event_type, d.payload,
            UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)
     FROM seq_1_to_1000 s JOIN webhook_deliveries d ON d.id = '$MSG'"
check "1,000 deliveries due" eq "$(sql "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending' AND id LIKE 'msg\\_bulk%'")" 1000
"${WCTL[@]}" deliver >"$HOOKS/two-1.out" 2>&1 &
D1=$!
"${WCTL[@]}" deliver >"$HOOKS/two-2.out" 2>&1 &
D2=$!
DELIVERERS+=("$D1" "$D2")
wait "$D1"
rc1=$?
wait "$D2"
check "two deliverers at once: both finish, exit 0" eq "$rc1/$?" "0/0"
n1=$(sed -n 's/^delivered: \([0-9]*\) delivered.*/\1/p' "$HOOKS/two-1.out")
n2=$(sed -n 's/^delivered: \([0-9]*\) delivered.*/\1/p' "$HOOKS/two-2.out")
check "... between them 1,000 delivered ($n1 + $n2), both did some" \
	eval '((n1 + n2 == 1000 && n1 > 0 && n2 > 0))'
BULK=$(jq -r 'select(.name == "ok" and (.id | test("^msg_bulk[0-9]{20}$"))) | .id' "$HOOKS/received.jsonl")
check "... the receiver got 1,000 POSTs, 1,000 different ids: no duplicate" \
	eq "$(wc -l <<<"$BULK")/$(sort -u <<<"$BULK" | wc -l)" "1000/1000"
check "... each id one of those written" \
	eq "$(sort -u <<<"$BULK" | comm -3 - <(sql "SELECT id FROM webhook_deliveries WHERE id LIKE 'msg\\_bulk%'" | sort) | wc -l)" 0
check "... every one verified" \
	eq "$(jq -r 'select(.name == "ok" and (.id | test("^msg_bulk[0-9]{20}$"))) | .verified' "$HOOKS/received.jsonl" | sort -u)" true
check "... all recorded delivered after one attempt, by two deliverers" \
	eq "$(sql "SELECT COUNT(*), SUM(attempts = 1) FROM webhook_deliveries WHERE id LIKE 'msg\\_bulk%' AND state = 'delivered'" | tr '\t' ' ')/$(sql "SELECT COUNT(DISTINCT deliverer) FROM webhook_attempts WHERE delivery_id LIKE 'msg\\_bulk%'")" \
	"1000 1000/2"

finish
