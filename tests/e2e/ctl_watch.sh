#!/usr/bin/env bash
# gentrackctl watch ID: follows a request to its end, a line per change when
# stdout is not a terminal (a progress bar on one: seen through tmux), a JSON
# line per change with --json; its exit status says how the request ended
# (0 completed, 3 partial, 4 failed, 5 cancelled, 6 timed out).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq tmux
start_stack ctl_watch --workers 2
export GENTRACK_CONFIG
S=$GT_TMP

create() { # create COUNT -> ID
	AUTH_KEY=$CLIENT_KEY api POST /api/v1/generation-requests "{\"entity_type\":\"watch\",\"count\":$1}"
	ID=$(jb .request_id)
}
worker() { AUTH_KEY=$WORKER_KEY api POST "$1" "$2"; }
claim() { worker /api/v1/worker/claim '{"worker_id":"w-watch","entity_types":["watch"],"lease_seconds":60}'; }
entity() { worker "/api/v1/worker/generation-requests/$ID/entities" "{\"worker_id\":\"w-watch\",\"attempt\":1,\"index\":$1,\"entity\":{\"n\":$1}}"; }
failed_entity() { worker "/api/v1/worker/generation-requests/$ID/entities" "{\"worker_id\":\"w-watch\",\"attempt\":1,\"index\":$1,\"error\":\"no\"}"; }
complete() { worker "/api/v1/worker/generation-requests/$ID/complete" '{"worker_id":"w-watch","attempt":1}'; }
watch_bg() { # watch_bg FILE [args]: sets WPID
	local f=$1
	shift
	"$GENTRACKCTL" watch "$ID" --interval 1 "$@" >"$f" 2>"$f.err" &
	WPID=$!
}
lines() { wc -l <"$1"; }
ended_with() { # ended_with CODE: the watch's exit status
	wait "$WPID"
	local got=$?
	eq "$got" "$1"
}

# ---- completed: a line per change, exit 0 ----
create 2
watch_bg "$S/a"
check "watch prints the request as it is" wait_for 30 eval '(($(lines "$S/a") >= 1))'
claim
sleep 1.2
entity 0
sleep 1.2
entity 1
complete
check "watch exits 0 when it completes" ended_with 0
# The watch polls every second: on a loaded machine it may also see the
# moment between the last entity and the complete (2/2 processing).
check "a line per change, the last one completed" \
	match "$(sed -E 's/^[^ ]+ //; s/, [0-9]+ s$//' "$S/a" | paste -sd'|')" \
	'^0/2 pending, attempt 0\|0/2 processing, attempt 1\|1/2 processing, attempt 1\|(2/2 processing, attempt 1\|)?2/2 completed, attempt 1$'
check "each line starts with the store's time" match "$(head -n 1 "$S/a")" '^20[0-9-]+T[0-9:.]+Z '

# ---- partial, cancelled, failed, timed out: their exit statuses ----
create 2
watch_bg "$S/b"
claim
entity 0
failed_entity 1
complete
check "a partial request ends the watch with 3" ended_with 3
check "its last line says partial and the failure" match "$(tail -n 1 "$S/b")" '2/2 partial, attempt 1, [0-9]+ s, 1 failed'

create 1
watch_bg "$S/c"
"$GENTRACKCTL" cancel "$ID" --reason "watch test" >/dev/null
check "a cancelled request ends the watch with 5" ended_with 5

create 1
watch_bg "$S/d"
claim
req POST "/admin/api/generations/$ID/fail" -u "$ADMIN_USER:$ADMIN_PASSWORD" \
	-H 'Content-Type: application/json' --data-binary '{"reason":"watch test"}'
check "an operator's fail ends the watch with 4" ended_with 4
check "naming the reason" match "$(tail -n 1 "$S/d")" 'failed, attempt 1, [0-9]+ s: operator_failed$'

create 1
watch_bg "$S/e" --timeout 2
check "a watch that times out exits 6" ended_with 6
check "and says why" match "$(cat "$S/e.err")" 'still pending after 2 s'

# ---- --json: a JSON line per change ----
watch_bg "$S/f" --json --timeout 2
# The cancel after the watch's first line: a slow start (ASan) would see it done.
wait_for 30 eval '(($(lines "$S/f") >= 1))'
"$GENTRACKCTL" cancel "$ID" >/dev/null
wait "$WPID"
check "--json: one JSON document per line, pending then cancelled" \
	eq "$(jq -r '"\(.status)@\(.request_id == "'"$ID"'")"' "$S/f" | paste -sd' ')" "pending@true cancelled@true"

# ---- usage ----
"$GENTRACKCTL" watch not-an-id >/dev/null 2>"$S/u.err"
check "a bad id is a usage error (1)" eq "$?" 1
"$GENTRACKCTL" watch 0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f >/dev/null 2>&1
check "an unknown id is a usage error (1)" eq "$?" 1

# ---- on a terminal: the bar, redrawn in place ----
create 4
sock=$GT_STACK_DIR/tmux.sock
tmux -S "$sock" new-session -d -x 120 -y 10 \
	"GENTRACK_CONFIG=$GENTRACK_CONFIG $GENTRACKCTL watch $ID; echo exit=\$?; sleep 30"
claim
entity 0
entity 1
sleep 2.5
screen=$(tmux -S "$sock" capture-pane -p)
check "on a terminal: one line with a bar" match "$screen" '^\[#####-----\] 2/4 processing, attempt 1, [0-9]+ s'
check "redrawn, not repeated" eq "$(grep -c 'attempt' <<<"$screen")" 1
entity 2
entity 3
complete
sleep 2
screen=$(tmux -S "$sock" capture-pane -p)
check "the bar ends full, completed, exit 0" match "$(printf '%s' "$screen" | tr '\n' '|')" \
	'\[##########\] 4/4 completed, attempt 1, [0-9]+ s\|exit=0'
tmux -S "$sock" kill-server 2>/dev/null

finish
