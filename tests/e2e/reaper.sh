#!/usr/bin/env bash
# Nothing stays stuck, through nginx: a lapsed lease is retried (by the timer's
# `gentrackctl reap`, or on the spot by a client's status read), attempts run
# out into `failed` with the reason, and a worker killed mid-request has its
# request retried and completed by another worker, entities not duplicated.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq
start_stack reaper_e2e --workers 2
export GENTRACK_CONFIG

# worker_call PATH BODY: a worker API call with the worker key.
worker_call() {
	AUTH_KEY=$WORKER_KEY api POST "$1" "$2"
}
claim() { # claim TYPE WORKER LEASE
	worker_call /api/v1/worker/claim "{\"worker_id\":\"$2\",\"entity_types\":[\"$1\"],\"lease_seconds\":$3}"
}
create() { # create TYPE COUNT -> sets ID
	AUTH_KEY=$CLIENT_KEY api POST /api/v1/generation-requests "{\"entity_type\":\"$1\",\"count\":$2}"
	ID=$(jb .request_id)
}
get() { AUTH_KEY=$CLIENT_KEY api GET "/api/v1/generation-requests/$ID" ''; }
# jtrue_in JSON FILTER: the jq filter is true of the JSON text.
jtrue_in() { jq -e "$2" <<<"$1" >/dev/null 2>&1; }
reaper_events() {
	sql "SELECT COUNT(*) FROM generation_events WHERE request_id = UNHEX(REPLACE('$ID', '-', ''))
	     AND actor = 'reaper' AND to_status = '$1'"
}

# ---- the timer's reap retries a lapsed lease ----
create timer_kind 2
claim timer_kind w-timer 1
check "claimed with a 1 s lease" eq "$(jb .status)/$(jb .attempt)" "processing/1"
sleep 1.3
out=$("$GENTRACKCTL" reap 2>&1)
check "reap says it retried one" match "$out" '^reaped: 0 failed, 1 retried, 0 expired-pending$'
get
check "the request is pending again" eq "$(jb .status)" "pending"
check "with one reaper event" eq "$(reaper_events pending)" 1
worker_call "/api/v1/worker/generation-requests/$ID/heartbeat" '{"worker_id":"w-timer","attempt":1}'
check "the old worker's heartbeat is refused (409)" is_problem 409
worker_call "/api/v1/worker/generation-requests/$ID/heartbeat" '{"worker_id":"w-timer"}'
check "a heartbeat without its attempt is refused (400)" is_problem 400
out=$("$GENTRACKCTL" reap 2>&1)
check "a second reap finds nothing" match "$out" '^reaped: 0 failed, 0 retried, 0 expired-pending$'

# ---- a status read does the same on the spot, until attempts run out ----
create read_kind 2
for attempt in 1 2; do
	claim read_kind w-read 1
	sleep 1.3
	get
	check "attempt $attempt: a GET after the lease lapsed answers pending" eq "$(jb .status)" "pending"
done
claim read_kind w-read 1
check "the third claim is attempt 3" eq "$(jb .attempt)" 3
sleep 1.3
get
check "attempts exhausted: the GET answers failed" eq "$(jb .status)" "failed"
check "... failure_reason lease_expired" eq "$(jb .failure_reason)" "lease_expired"
check "... the message says why" match "$(jb .error_message)" 'lease expired on attempt 3 of 3'
check "... and no Retry-After once terminal" eq "$(hdr Retry-After)" ""
check "the reaper recorded 2 retries and 1 failure" eq "$(reaper_events pending)/$(reaper_events failed)" "2/1"
out=$("$GENTRACKCTL" reap 2>&1)
check "the timer's reap then has nothing left to do" match "$out" '^reaped: 0 failed, 0 retried, 0 expired-pending$'

# ---- a worker killed mid-request: retried by the reaper, finished by another ----
require_programs setsid
WORKER_PIDS=()
# Stops the workers this test started, by pid, however it ends.
trap 'for p in "${WORKER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done;
      bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT
start_worker() { # start_worker NAME DELAY -> sets WPID
	GENTRACK_WORKER_KEY=$WORKER_KEY DEMO_DELAY=$2 setsid "$GT_BUILDDIR/src/gentrack-worker" \
		--url "$BASE_URL" --entity-type kill_kind --lease 2 --worker-id "$1" \
		-- "$GT_SRCDIR/examples/demo-generator" </dev/null >>"$GT_STACK_DIR/$1.log" 2>&1 &
	WPID=$!
	WORKER_PIDS+=("$WPID")
}
generated_in_store() {
	sql "SELECT generated_count FROM generation_requests WHERE id = UNHEX(REPLACE('$ID', '-', ''))"
}
some_generated() { (($(generated_in_store) >= 1)); }

create kill_kind 4
start_worker worker-a 0.7
check "worker A generates an entity" wait_for 100 some_generated
{ kill -KILL "$WPID"; wait "$WPID"; } 2>/dev/null
# No client reads now: the timer's reap must be what finds the dead lease.
reaped_one() { [[ $("$GENTRACKCTL" reap 2>&1) == "reaped: 0 failed, 1 retried, 0 expired-pending" ]]; }
check "after the lease lapses, reap retries the request" wait_for 60 reaped_one
get
check "it is pending again, its entities kept" eq "$(jb .status)/$(( $(jb .generated_count) >= 1 ))" "pending/1"
start_worker worker-b 0.1
finished() { get; [[ $(jb .status) == completed ]]; }
check "worker B completes it" wait_for 150 finished
check "on attempt 2" eq "$(jb .attempt)" 2
check "with all 4 entities" eq "$(jb '.entities | length')/$(jb .generated_count)" "4/4"
check "none stored twice" eq "$(sql "SELECT COUNT(*) FROM generation_entities WHERE request_id = UNHEX(REPLACE('$ID', '-', ''))")" 4
check "the audit trail shows both workers and the reaper" \
	eq "$(sql "SELECT GROUP_CONCAT(actor ORDER BY id SEPARATOR ' ') FROM generation_events WHERE request_id = UNHEX(REPLACE('$ID', '-', ''))")" \
	"client:acme worker:worker-a reaper worker:worker-b worker:worker-b"

# ---- gentrackctl: options anywhere; get --json carries what the human output shows ----
out=$("$GENTRACKCTL" get "$ID" --json 2>&1)
check "get ID --json (the option after the command) answers JSON" eval 'jq -e .request_id <<<"$out" >/dev/null'
check "... with the owner and the worker" eq "$(jq -r '"\(.owner) \(.worker_id)"' <<<"$out")" "acme worker-b"
check "... and the audit trail, oldest first" \
	eq "$(jq -r '[.events[].actor] | join(" ")' <<<"$out")" \
	"client:acme worker:worker-a reaper worker:worker-b worker:worker-b"
check "... each event with its statuses and time" \
	eq "$(jq -r '[.events[] | "\(.from_status)>\(.to_status)"] | join(" ")' <<<"$out")" \
	"null>pending pending>processing processing>pending pending>processing processing>completed"
check "... stamped" jtrue_in "$out" '[.events[].at | test("^20[0-9-]+T[0-9:.]+Z$")] | all'
check "... and the entities" eq "$(jq -r '.entities | length' <<<"$out")" 4
check "--json before the command still works" eq "$("$GENTRACKCTL" --json get "$ID" | jq -r .owner)" acme
out=$("$GENTRACKCTL" list --json --limit 500 --config "$GENTRACK_CONFIG" 2>&1)
check "list --json --limit N --config FILE: an array holding it" \
	eq "$(jq -r --arg id "$ID" '[.[] | select(.request_id == $id)] | length' <<<"$out")" 1
out=$("$GENTRACKCTL" list --status completed --json 2>&1)
check "list --status S --json: only that status" jtrue_in "$out" 'length >= 1 and all(.status == "completed")'
create ctl_kind 1
out=$("$GENTRACKCTL" cancel "$ID" --reason --json 2>&1)
check "cancel ID --reason --json: the value stays the reason" eq "$out" "cancelled $ID"
check "... and lands in the audit trail" \
	eq "$("$GENTRACKCTL" get --json "$ID" | jq -r '.events[-1] | "\(.actor|split(":")[0]) \(.to_status) \(.message)"')" \
	"cli cancelled --json"
# A long non-ASCII user name is cut between characters in the actor (issue 20):
# "x" and 31 "ü" are 63 bytes, the 64th begins the next "ü".
create ctl_kind 1
out=$(SUDO_USER="x$(printf 'ü%.0s' {1..40})" "$GENTRACKCTL" cancel "$ID" 2>&1)
check "cancel by a user with a long German name: cancelled" eq "$out" "cancelled $ID"
check "... the audit trail names them in whole characters" \
	eq "$("$GENTRACKCTL" get --json "$ID" | jq -r '.events[-1].actor')" "cli:x$(printf 'ü%.0s' {1..31})"
check "an option without its value is a usage error" eval '! "$GENTRACKCTL" list --config 2>/dev/null'

finish
