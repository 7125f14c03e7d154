#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check` and `wait_for`.
# shellcheck disable=SC2016,SC2317
# gentrackctl's human output on a real terminal (issue 20 item 2): a client
# stores escape sequences (a window title, erase-line + carriage return,
# cursor up) and a forged "admin:..." audit line in a subject key, metadata,
# a cancel reason and, through the worker API, an entity error that becomes
# the error message. `gentrackctl get` and `list` run in a detached tmux
# (a private server on a socket under the build tree): the screen must show
# the escaped forms, the real audit lines intact, and the pane's title
# unchanged; `--json` must give back the exact stored bytes.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq tmux od
start_stack ctl_terminal
TMUX_SOCK=$GT_STACK_DIR/tmux.sock
tm() { tmux -S "$TMUX_SOCK" -f /dev/null "$@"; }
# Only our own tmux server, by its socket.
trap 'tm kill-server >/dev/null 2>&1 || true; bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT
COLL=/api/v1/generation-requests
CTL="$GENTRACKCTL --config $GENTRACK_CONFIG"

# The hostile texts, as JSON string contents (so \u001b travels as JSON does).
TITLE='\u001b]0;pwned\u0007'
ERASE='\u001b[2K\r'
UP='\u001b[1A'
FORGED='  2026-01-01T00:00:00.000000Z  admin:root               processing -> completed  checked by hand'

# ---- what the client and a worker store ----
AUTH_KEY=$CLIENT_KEY
BODY_A="{\"entity_type\":\"problem\",\"subject_key\":\"topic-$TITLE$ERASE$FORGED\",
  \"metadata\":{\"note\":\"$UP$ERASE$FORGED\",\"csi\":\"\u009b2J\",\"name\":\"Gr\u00fc\u00df \u65e5\u672c\"}}"
api POST "$COLL" "$BODY_A"
check "the client stores a subject key and metadata with escape sequences" status_is 202
ID_A=$(jb .request_id)
REASON="$UP$UP$ERASE$FORGED"
api POST "$COLL/$ID_A/cancel" "{\"reason\":\"$REASON\"}"
check "... and cancels it with a forged audit line as the reason" status_is 200

api POST "$COLL" '{"entity_type":"quiz","count":1,"subject_key":"worker-error"}'
ID_B=$(jb .request_id)
AUTH_KEY=$WORKER_KEY
api POST /api/v1/worker/claim '{"worker_id":"e2e-term","entity_types":["quiz"]}'
check "a worker claims the second request" eq "$ST/$(jb .request_id)" "200/$ID_B"
ERROR="$TITLE$UP$ERASE$FORGED"
api POST "/api/v1/worker/generation-requests/$ID_B/entities" \
	"{\"worker_id\":\"e2e-term\",\"attempt\":1,\"index\":0,\"error\":\"$ERROR\"}"
check "... records an entity error with escape sequences" status_is 200
api POST "/api/v1/worker/generation-requests/$ID_B/complete" '{"worker_id":"e2e-term","attempt":1}'
check "... and completes it: failed, the error in error_message" eq "$ST/$(jb .status)" 200/failed
# The API keeps worker ids to visible ASCII; a store written by anything
# else (an older version, a hand edit) may still hold one like this.
sql "UPDATE generation_requests SET worker_id = CONCAT('w', CHAR(27), ']0;pwned', CHAR(7))
     WHERE id = UNHEX(REPLACE('$ID_B', '-', ''))"

# ---- on a terminal ----
# show NAME COMMAND: runs COMMAND in a 200x50 pane of its own; SCREEN is what
# the pane shows once it is done, TITLE_NOW the pane's title then.
show() {
	local name=$1 cmd=$2
	tm new-session -d -s "$name" -x 200 -y 50 "$cmd; echo __END__; exec sleep 600"
	done_yet() { tm capture-pane -p -t "$name" | grep -q __END__; }
	wait_for 100 done_yet || echo "# $name did not finish" >&2
	SCREEN=$(tm capture-pane -p -J -t "$name")
	TITLE_NOW=$(tm display -p -t "$name" '#{pane_title}')
	printf '# --- %s ---\n%s\n' "$name" "$SCREEN" >&2
}
show control "echo nothing to see"
TITLE_BEFORE=$TITLE_NOW

# has TEXT: the screen shows TEXT (fixed string).
has() {
	grep -qF -- "$1" <<<"$SCREEN" && return 0
	GT_DETAIL="not on the screen: $1"
	return 1
}
# has_i TEXT: the same, whatever the case (jansson writes \u001B).
has_i() {
	grep -qiF -- "$1" <<<"$SCREEN" && return 0
	GT_DETAIL="not on the screen: $1"
	return 1
}
# no_forged_line: no line of the screen starts as the forged audit line does.
no_forged_line() {
	! grep -q '^  2026-01-01T00:00:00.000000Z  admin:root' <<<"$SCREEN" && return 0
	GT_DETAIL="a forged audit line: $(grep -m1 'admin:root' <<<"$SCREEN")"
	return 1
}
# real_events ID: every event of the trail (from --json) starts a line of
# the screen as get prints it, with its time, actor and statuses.
real_events() {
	local line
	while IFS=$'\t' read -r at actor from to; do
		line=$(printf '  %s  %-24s %10s -> %-10s' "$at" "$actor" "$from" "$to")
		grep -qF -- "$line" <<<"$SCREEN" || { GT_DETAIL="missing audit line: $line"; return 1; }
	done < <($CTL --json get "$1" | jq -r '.events[] | [.at, .actor, (.from_status // "(new)"), .to_status] | @tsv')
	[[ -n ${line:-} ]] || { GT_DETAIL="no events"; return 1; }
}
title_kept() { eq "$TITLE_NOW" "$TITLE_BEFORE"; }
# clean_run: gentrackctl's own stderr lands on the screen too (a sanitized build's reports).
clean_run() { lacks "$SCREEN" "Sanitizer" && lacks "$SCREEN" "runtime error:"; }

show get_a "$CTL get $ID_A"
check "get: the title sequence is shown, not obeyed" has 'topic-\u001b]0;pwned\u0007\u001b[2K\r  2026-01-01T00:00:00.000000Z  admin:root'
check "get: the cursor-up and erase in the metadata are shown" has_i '"note":"\u001b[1A\u001b[2K\r  2026'
check "get: a C1 CSI is shown as \\u009b" has '"csi":"\u009b2J"'
check "get: printable UTF-8 prints as it is" has "Grüß 日本"
check "get: the cancel reason is shown escaped in its audit line" has 'cancelled  \u001b[1A\u001b[1A\u001b[2K\r  2026'
check "get: every real audit line is intact" real_events "$ID_A"
check "get: no forged audit line on the screen" no_forged_line
check "get: the pane's title is unchanged" title_kept
check "get: no sanitizer report" clean_run

show get_b "$CTL get $ID_B"
check "get: the worker's error is shown escaped in error_message" \
	has 'last error: \u001b]0;pwned\u0007\u001b[1A\u001b[2K\r  2026-01-01'
check "get: the stored worker id is shown escaped" has 'w\u001b]0;pwned\u0007'
check "get (worker error): every real audit line is intact" real_events "$ID_B"
check "get (worker error): no forged audit line" no_forged_line
check "get (worker error): the pane's title is unchanged" title_kept
check "get (worker error): no sanitizer report" clean_run

show list "$CTL list"
check "list: both requests are listed" eval 'has "$ID_A" && has "$ID_B"'
check "list: the worker id is shown escaped" has 'w\u001b]0;pwned\u0007'
check "list: the pane's title is unchanged" title_kept
check "list: no sanitizer report" clean_run

# ---- --json stays exact ----
hex() { od -An -tx1 | tr -d ' \n'; }
want_json() { jq -j "$2" <<<"$1" | hex; }
got_a=$($CTL --json get "$ID_A")
check "get --json: the subject key's exact bytes" \
	eq "$(jq -j .subject_key <<<"$got_a" | hex)" "$(want_json "$BODY_A" .subject_key)"
check "get --json: the metadata's exact values" \
	eq "$(jq -S -c .metadata <<<"$got_a" | hex)" "$(jq -S -c .metadata <<<"$BODY_A" | hex)"
check "get --json: the cancel reason's exact bytes" \
	eq "$(jq -j '.events[-1].message' <<<"$got_a" | hex)" "$(want_json "\"$REASON\"" .)"
got_b=$($CTL --json get "$ID_B")
check "get --json: the error message holds the worker's exact error" \
	eq "$(jq -j '.error_message | sub("^1 of 1 entities not generated; last error: "; "")' <<<"$got_b" | hex)" \
	"$(want_json "\"$ERROR\"" .)"
check "get --json: the stored worker id's exact bytes" \
	eq "$(jq -j .worker_id <<<"$got_b" | hex)" "$(printf 'w\033]0;pwned\007' | hex)"

finish
