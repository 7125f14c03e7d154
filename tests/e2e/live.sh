#!/usr/bin/env bash
# Live updates through nginx's Nchan (SPEC "events"): a client's stream gets
# the current state, then every change in order, the final state last, and
# ends; no FastCGI child holds it; a reconnect resumes; after an nginx
# restart (Nchan's messages are in memory) a new stream starts from the
# store's truth; changes made by gentrackctl and the reaper are published
# too; a stopped nginx does not hold up a change; without the module the
# endpoint answers 501.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq
[[ -r /usr/lib/nginx/modules/ngx_nchan_module.so ]] ||
	{ [[ -n ${CI:-} ]] && { echo "FAIL: libnginx-mod-nchan missing (run ./dev deps)"; exit 1; }
	  skip_test "libnginx-mod-nchan is not installed (./dev deps)"; }
start_stack live_e2e --workers 2
export GENTRACK_CONFIG

create() { # create COUNT -> ID
	AUTH_KEY=$CLIENT_KEY api POST /api/v1/generation-requests "{\"entity_type\":\"live\",\"count\":$1}"
	ID=$(jb .request_id)
}
worker() { AUTH_KEY=$WORKER_KEY api POST "$1" "$2"; }
claim() { worker /api/v1/worker/claim '{"worker_id":"w-live","entity_types":["live"],"lease_seconds":'"${1:-60}"'}'; }
entity() { # entity INDEX
	worker "/api/v1/worker/generation-requests/$ID/entities" \
		"{\"worker_id\":\"w-live\",\"attempt\":1,\"index\":$1,\"entity\":{\"n\":$1}}"
}
complete() { worker "/api/v1/worker/generation-requests/$ID/complete" '{"worker_id":"w-live","attempt":1}'; }

# stream FILE [curl args]: an EventSource-like subscriber in the background,
# for at most 45 s (nginx ends a stream 20 to 22 s after its final state);
# sets SPID.
stream() {
	local file=$1
	shift
	curl -sN --max-time 45 -H "Authorization: Bearer $CLIENT_KEY" -H 'Accept: text/event-stream' \
		"$@" "$BASE_URL/api/v1/generation-requests/$ID/events" >"$file" 2>/dev/null &
	SPID=$!
}
# The "status@version" of each event's data, one a line.
states() { sed -n 's/^data: //p' "$1" | jq -r '"\(.status)@\(.version)"' 2>/dev/null | paste -sd' '; }
ids() { sed -n 's/^id: //p' "$1"; }
has_events() { [[ $(sed -n 's/^data: //p' "$1" | wc -l) -ge $2 ]]; }
S=$GT_TMP

# ---- a whole generation, streamed ----
create 2
# Three streams on a pool of two children: were a child holding each, the
# worker's calls below could not be answered.
stream "$S/a2"
p2=$SPID
stream "$S/a3"
p3=$SPID
stream "$S/a"
check "the stream opens with the current state" wait_for 50 has_events "$S/a" 1
claim
check "with three streams open, the two children still answer (claim)" status_is 200
entity 0
entity 1
t0=$(date +%s%N)
complete
final_seen() { [[ $(states "$S/a") == *completed@5 ]]; }
check "the final state reaches the stream" wait_for 50 final_seen
t1=$(date +%s%N)
wait "$SPID"
check "the stream ended by itself after the final state" eq "$?" 0
t2=$(date +%s%N)
# nginx ends it from the supervisor's round, 20 s later (Nchan must not see
# the channel deleted while other workers still follow it: live/publish.h).
echo "# the final state reached the stream $(((t1 - t0) / 1000000)) ms after the complete; nginx ended it $(((t2 - t0) / 1000000)) ms after"
check "within half a minute of the final state" test $(((t2 - t0) / 1000000)) -lt 30000
check "every change, in order, the final one last" eq "$(states "$S/a")" \
	"pending@1 processing@2 processing@3 processing@4 completed@5"
check "events carry progress" eq "$(sed -n 's/^data: //p' "$S/a" | jq -r .progress | paste -sd' ')" "0 0 0.5 1 1"
check "events leave out the client's metadata and constraints" \
	eq "$(sed -n 's/^data: //p' "$S/a" | jq -r 'has("metadata") or has("constraints")' | sort -u)" false
wait "$p2" "$p3"
check "the other streams saw the same" eq "$(states "$S/a2") | $(states "$S/a3")" \
	"$(states "$S/a") | $(states "$S/a")"

# ---- a finished request: its final state, then the end ----
stream "$S/b"
wait "$SPID"
check "a finished request's stream is its final state" eq "$(states "$S/b")" "completed@5"
check "with the id that says so" eq "$(ids "$S/b")" "final-5"
AUTH_KEY=$CLIENT_KEY api GET "/api/v1/generation-requests/$ID/events" '' -H 'Last-Event-ID: final-5'
check "reconnecting after the final event gets 204 (EventSource stops)" status_is 204

# ---- resuming with Last-Event-ID ----
create 2
stream "$S/c"
check "a second stream opens" wait_for 50 has_events "$S/c" 1
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null
first=$(ids "$S/c" | tail -n 1)
claim
entity 0
stream "$S/d" -H "Last-Event-ID: $first"
check "the resumed stream gets what it missed" wait_for 50 has_events "$S/d" 2
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null
check "and only that, in order" eq "$(states "$S/d")" "processing@2 processing@3"

# ---- nginx restarts: Nchan's memory is gone, the store is not ----
bash "$GT_STACK" stop "$GT_STACK_DIR" nginx >/dev/null 2>&1
t0=$(date +%s%N)
"$GENTRACKCTL" cancel "$ID" --reason "live test" >"$S/ctl.out" 2>&1 || true
ms=$((($(date +%s%N) - t0) / 1000000))
check "a change while nginx is down is made anyway (gentrackctl cancel)" \
	eq "$(sql "SELECT status FROM generation_requests WHERE id = UNHEX(REPLACE('$ID', '-', ''))")" cancelled
check "and not held up by the failed publish (${ms} ms for the cancel)" test "$ms" -lt 3000
check "the lost publish is logged, once" eq "$(grep -c 'live updates: POST failed' "$S/ctl.out")" 1
lost() { sql "SELECT COALESCE(SUM(n), 0) FROM gentrack_counters WHERE metric = 'live_publish_failed'"; }
check "and counted where /metrics reads it" eq "$(lost)" 1
bash "$GT_STACK" up "$GT_STACK_DIR" >/dev/null 2>&1
# shellcheck source=/dev/null
. "$GT_STACK_DIR/credentials.env"
stream "$S/e"
wait "$SPID"
check "after the restart a stream starts from the store's state" eq "$(states "$S/e")" "cancelled@4"
req GET /metrics
check "/metrics counts the lost publish" match "$(cat "$HB")" $'(^|\n)gentrack_live_publish_failures_total 1(\n|$)'


# ---- a lost publish is repaired: a waiting stream gets the truth anyway ----
# The publisher socket renamed away loses one publish while nginx, and the
# stream it holds, stay up (nginx keeps listening on the renamed file).
create 1
stream "$S/r"
check "a stream for the repaired request opens" wait_for 50 has_events "$S/r" 1
none_queued() { [[ $(sql "SELECT COUNT(*) FROM live_republish") == 0 ]]; }
check "the publish lost while nginx was down was repaired once it came back" wait_for 50 none_queued
lost_before=$(lost)
NCHAN_SOCK=$(sed -n 's/^nchan_socket = //p' "$GENTRACK_CONFIG")
mv "$NCHAN_SOCK" "$NCHAN_SOCK.away"
"$GENTRACKCTL" cancel "$ID" --reason "repair test" >"$S/ctl-r.out" 2>&1 || true
hexid=${ID//-/}
queued() { sql "SELECT COUNT(*) FROM live_republish WHERE request_id = UNHEX('$hexid')"; }
check "its publish is lost (logged)" grep -q 'live updates: POST failed' "$S/ctl-r.out"
check "and the request is queued for the repair" eq "$(queued)" 1
# Two rounds of the repair (every 2 s) fail too, nginx being unreachable.
sleep 4.5
check "while nginx cannot be reached, the stream has only the first state" eq "$(states "$S/r")" "pending@1"
check "the request stays queued" eq "$(queued)" 1
check "the repair's retries are not counted as more lost publishes" eq "$(lost)" $((lost_before + 1))
req GET /metrics
check "/metrics shows the request waiting for the repair" \
	match "$(cat "$HB")" $'(^|\n)gentrack_live_republish_pending 1(\n|$)'
mv "$NCHAN_SOCK.away" "$NCHAN_SOCK"
t0=$(date +%s%N)
check "with nginx reachable again, the waiting stream gets the final state, no change needed" \
	wait_for 100 has_events "$S/r" 2
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# the repair reached the stream ${ms} ms after the publisher socket came back"
wait "$SPID"
check "and the stream ends, as after any final state" eq "$?" 0
check "with the store's final state" eq "$(states "$S/r")" "pending@1 cancelled@2"
unqueued() { [[ $(queued) == 0 ]]; }
check "the repaired request is no longer queued" wait_for 30 unqueued
req GET /metrics
check "and /metrics shows none waiting" match "$(cat "$HB")" $'(^|\n)gentrack_live_republish_pending 0(\n|$)'


# ---- gentrackctl and the reaper publish too ----
create 1
stream "$S/f"
check "a stream for the reaper's request opens" wait_for 50 has_events "$S/f" 1
claim 1
sleep 1.3
"$GENTRACKCTL" reap >/dev/null 2>&1
check "the reaper's retry reaches the stream" wait_for 50 has_events "$S/f" 3
kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null
check "as pending again, attempt 1 over" eq "$(states "$S/f")" "pending@1 processing@2 pending@3"

# ---- without the module ----
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1
bash "$GT_STACK" stop "$GT_STACK_DIR" nginx >/dev/null 2>&1
GENTRACK_NO_LIVE=1 bash "$GT_STACK" up "$GT_STACK_DIR" >/dev/null 2>&1
. "$GT_STACK_DIR/credentials.env"
AUTH_KEY=$CLIENT_KEY api GET "/api/v1/generation-requests/$ID/events" ''
check "without Nchan /events answers 501 problem+json" is_problem 501
check "naming the package" match "$(jb .detail)" 'libnginx-mod-nchan'
AUTH_KEY=$CLIENT_KEY api GET "/api/v1/generation-requests/$ID" ''
check "and the status poll works as ever" status_is 200

finish
