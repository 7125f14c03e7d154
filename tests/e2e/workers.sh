#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check` and `wait_for`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx with the real gentrack-worker and the demo
# generator: the workers page (issue 14). A live worker on a slow generator
# is shown with the request it holds; an idle one with nothing; a worker
# SIGKILLed by its pid is shown as lost, with what it held, once its lease
# (--lease 2) has passed, and not before. The JSON twin says the same; a
# complete clears what a worker holds and counts in "done".
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq
WORKER_BIN=$GT_BUILDDIR/src/gentrack-worker
DEMO=$GT_SRCDIR/examples/demo-generator
[[ -x $WORKER_BIN ]] || { echo "FAIL: $WORKER_BIN not built"; echo "0 passed, 1 failed"; exit 1; }
start_stack workers --workers 2
AUTH_KEY=$CLIENT_KEY
COLL=/api/v1/generation-requests
ADMIN=(-u "admin:$ADMIN_PASSWORD")

# Every worker (and so every generator) carries this mark in its environment,
# so that whatever this test started can be found by pid and stopped.
MARK=gentrack-e2e-workers-$$-$RANDOM
declare -A WPID=()

trap 'stop_everything; bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT

# start_worker NAME [VAR=VALUE...] -- [worker options...]
start_worker() {
	local name=$1 envs=()
	shift
	while (($#)) && [[ $1 != -- ]]; do
		envs+=("$1")
		shift
	done
	shift
	env "GT_E2E_MARK=$MARK" "GENTRACK_WORKER_KEY=$WORKER_KEY" "${envs[@]}" \
		"$WORKER_BIN" --url "$BASE_URL" --poll 0.2 --worker-id "e2e-$name" "$@" -- "$DEMO" \
		>>"$GT_STACK_DIR/worker-$name.log" 2>&1 &
	WPID[$name]=$!
}
create() {
	api POST "$COLL" "$1"
	[[ $ST == 202 ]] || { echo "could not create $1: $ST $(head -c 300 "$HB")" >&2; return 1; }
	jb .request_id
}
generator_of() { pgrep -P "$1" | head -1; }
has_generator() { [[ -n $(generator_of "$1") ]]; }
# The JSON twin's item of worker ID, compact, or "" when it is not listed.
workers_json() { req GET /admin/api/workers "${ADMIN[@]}" -H 'Accept: application/json'; }
item() { workers_json >/dev/null; jq -c --arg id "$1" '.items[] | select(.worker_id == $id)' "$HB"; }
item_is() { # item_is ID JQ-PROGRAM EXPECTED
	local got
	got=$(item "$1" | jq -r "$2" 2>/dev/null)
	[[ $got == "$3" ]] && return 0
	GT_DETAIL="$1: $2 is '$got', not '$3' ($(item "$1"))"
	return 1
}
# The workers page's row of worker ID (one line of HTML), or "".
page_row() {
	local body rest
	req GET /admin/workers "${ADMIN[@]}" >/dev/null
	body=$(tr -d '\n' <"$HB")
	[[ $body == *"<code>$1</code>"* ]] || return 0
	rest=${body#*"<code>$1</code>"}
	printf '%s\n' "${rest%%</tr>*}"
}
row_has() { local r; r=$(page_row "$1"); [[ $r == *"$2"* ]] && return 0; GT_DETAIL="'$2' not in the row of $1: $r"; return 1; }
row_lacks() { local r; r=$(page_row "$1"); [[ -n $r && $r != *"$2"* ]] && return 0; GT_DETAIL="'$2' in the row of $1 (or no row): $r"; return 1; }

start_worker live DEMO_DELAY=60 -- --entity-type wslow --lease 30
start_worker victim DEMO_DELAY=60 -- --entity-type wvictim --lease 2
start_worker fast DEMO_DELAY=0.05 -- --entity-type wfast
LIVE=$(create '{"entity_type":"wslow","count":1}')
VICTIM=$(create '{"entity_type":"wvictim","count":1}')
FAST=$(create '{"entity_type":"wfast","count":2}')

# ---- a live worker with what it holds ----
wait_for 100 has_generator "${WPID[live]}"
check "the live worker is listed holding its request" wait_for 30 item_is e2e-live .holds.request_id "$LIVE"
check "... not lost, with its entity types and the owner of its key" \
	item_is e2e-live '"\(.lost) \(.entity_types | join(",")) \(.lease_seconds) \(.owner | length > 0)"' "false wslow 30 true"
check "... attempt 1, held since a time, its status processing" \
	item_is e2e-live '"\(.holds.attempt) \(.holds.since != null) \(.holds.status)"' "1 true processing"
check "the page shows it working on that request" row_has e2e-live "$LIVE"
check "... not as lost" row_lacks e2e-live "st-lost"
check "the page header links to the workers page" eval 'grep -q "href=\"/admin/workers\"" "$HB"'

# ---- a fast worker: completes clear what it holds and count as done ----
fast_done() { item_is e2e-fast '"\(.holds) \(.done_last_hour)"' "null 1"; }
check "a worker done with its request holds nothing and counts it done" wait_for 100 fast_done
check "the page shows it idle" row_has e2e-fast "idle"

# ---- a worker SIGKILLed mid-request: lost after its lease ----
wait_for 100 has_generator "${WPID[victim]}"
check "the victim worker is generating" has_generator "${WPID[victim]}"
victim_gen=$(generator_of "${WPID[victim]}")
check "before the kill the victim holds its request, not lost" \
	item_is e2e-victim '"\(.holds.request_id) \(.lost)"' "$VICTIM false"
kill -KILL "${WPID[victim]}"
wait "${WPID[victim]}" 2>/dev/null
unset 'WPID[victim]'
killed_at=$SECONDS
check "right after the SIGKILL it is not lost yet (its lease runs)" \
	item_is e2e-victim .lost false
victim_lost() { item_is e2e-victim '"\(.lost) \(.holds.request_id)"' "true $VICTIM"; }
check "after its lease it is shown lost, with what it held" wait_for 100 victim_lost
check "... not before its 2 s lease passed" eval '((SECONDS - killed_at >= 2))'
check "the page shows it lost, with the request it held" row_has e2e-victim "st-lost"
check "... and the request" row_has e2e-victim "$VICTIM"
check "the live worker, heartbeating, is still not lost" item_is e2e-live .lost false
if { tr "\\0" " " <"/proc/$victim_gen/cmdline"; } 2>/dev/null | grep -q demo-generator; then
	kill -KILL -- "-$victim_gen" 2>/dev/null || true
fi

# ---- prune forgets the workers silent for longer than the age asked ----
sql "INSERT INTO workers_seen (owner, worker_id, first_seen, last_seen)
	VALUES ('acme', 'e2e-long-gone', UTC_TIMESTAMP(6) - INTERVAL 9 DAY, UTC_TIMESTAMP(6) - INTERVAL 8 DAY)"
seen_rows() { sql "SELECT COUNT(*) FROM workers_seen WHERE worker_id = '$1'"; }
check "prune --older-than 7d runs" eval '"$GENTRACKCTL" --config "$GENTRACK_CONFIG" prune --older-than 7d >"$GT_TMP/prune.out"'
check "... and says how many workers it forgot" grep -q ", 1 workers not seen since" "$GT_TMP/prune.out"
check "the worker silent for 8 days is forgotten" eq "$(seen_rows e2e-long-gone)" 0
check "the live worker is kept" eq "$(seen_rows e2e-live)" 1

# ---- what the page refuses ----
req GET /admin/api/workers
check "the JSON twin needs the admin's credentials" status_is 401
AUTH_KEY=$WORKER_KEY api GET /admin/api/workers
check "... a worker key is not enough" eval '[[ $ST == 401 || $ST == 403 ]]'

stop_everything
check "every process this test started is gone" eval '[[ -z $(marked_pids) ]]'
finish
