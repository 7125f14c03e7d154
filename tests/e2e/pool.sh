#!/usr/bin/env bash
# The FastCGI pool as an operator meets it: a crashed child is replaced, a
# store outage answers 503 + Retry-After and heals by itself, the pool runs on
# a socket handed over on fd 0 (spawn-fcgi, systemd), and SIGTERM ends it
# cleanly with status 0.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq spawn-fcgi
start_stack pool --workers 2
AUTH_KEY=$CLIENT_KEY

# The pids of the supervisor's children (its workers).
children() { pgrep -P "$(cat "$GT_STACK_DIR/fcgi.pid")" | sort; }
two_children() { [[ $(children | wc -l) -eq 2 ]]; }

api POST /api/v1/generation-requests '{"entity_type":"problem","count":2}'
check "a request is created" status_is 202
ID=$(jb .request_id)

# ---- SIGHUP (a reload habit) neither stops nor orphans anything ----
hup_pid=$(cat "$GT_STACK_DIR/fcgi.pid")
before_hup=$(children)
kill -HUP "$hup_pid"
hup_logged() { grep -q "SIGHUP ignored" "$GT_STACK_DIR/fcgi.log"; }
check "SIGHUP is logged as ignored" wait_for 30 hup_logged
check "... the supervisor and its two workers are the same processes" \
	eq "$(kill -0 "$hup_pid" 2>/dev/null && echo alive) $(children | tr '\n' ' ')" "alive $(tr '\n' ' ' <<<"$before_hup")"
api GET "/api/v1/generation-requests/$ID" ''
check "... and still answer" status_is 200

# ---- a child that dies is replaced ----
before=$(children)
check "the pool has two workers" two_children
victim=$(head -1 <<<"$before")
kill -9 "$victim"
replaced() { two_children && ! children | grep -qx "$victim"; }
check "a SIGKILLed worker is replaced within 3 s" wait_for 30 replaced
ok_gets=0
for _ in 1 2 3 4 5 6; do
	api GET "/api/v1/generation-requests/$ID" ''
	[[ $ST == 200 ]] && ok_gets=$((ok_gets + 1))
done
check "every request after the crash is served" eq "$ok_gets" 6
check "the supervisor logged the restart" grep -q "killed by signal 9; restarting" "$GT_STACK_DIR/fcgi.log"

# ---- the store goes away and comes back ----
fcgi_pid=$(cat "$GT_STACK_DIR/fcgi.pid")
bash "$GT_STACK" stop "$GT_STACK_DIR" mariadb >/dev/null 2>&1
api GET "/api/v1/generation-requests/$ID" ''
check "with the store down a read is 503 problem+json" is_problem 503
check "... with Retry-After" match "$(hdr Retry-After)" '^[0-9]+$'
api POST /api/v1/generation-requests '{"entity_type":"problem"}'
check "with the store down a create is 503 problem+json" is_problem 503
check "the outage is logged" grep -q "store" "$GT_STACK_DIR/fcgi.log"
bash "$GT_STACK" up "$GT_STACK_DIR" >"$GT_TMP/up.log" 2>&1 || cat "$GT_TMP/up.log"
healed() { api GET "/api/v1/generation-requests/$ID" ''; [[ $ST == 200 ]]; }
check "once the store is back, reads succeed again" wait_for 150 healed
api POST /api/v1/generation-requests '{"entity_type":"problem"}'
check "... and creates" status_is 202
check "without a restart of gentrack-fcgi" eq "$(cat "$GT_STACK_DIR/fcgi.pid")" "$fcgi_pid"
req GET /healthz
check "healthz is 200 again" status_is 200

# ---- SIGTERM: the supervisor stops its children and exits 0 ----
kill -TERM "$fcgi_pid"
exited() { ! kill -0 "$fcgi_pid" 2>/dev/null || grep -q '^Z' <(awk '{print $3}' "/proc/$fcgi_pid/stat" 2>/dev/null); }
check "SIGTERM stops the pool within 5 s" wait_for 50 exited
check "... and says so" grep -q "stopped" "$GT_STACK_DIR/fcgi.log"

# ---- socket on fd 0, as spawn-fcgi and systemd (StandardInput=socket) pass it ----
rm -f "$GT_STACK_DIR/fcgi.sock"
spawn-fcgi -s "$GT_STACK_DIR/fcgi.sock" -M 0666 -n -- \
	"$GT_BUILDDIR/src/gentrack-fcgi" --config "$GT_STACK_DIR/gentrack.conf" --workers 2 \
	--listen '' >>"$GT_STACK_DIR/fcgi-fd0.log" 2>&1 &
fd0_pid=$!
serving() { api GET "/api/v1/generation-requests/$ID" ''; [[ $ST == 200 ]]; }
check "a pool accepting on fd 0 serves through nginx" wait_for 50 serving
kill -TERM "$fd0_pid"
wait "$fd0_pid"
check "... and exits 0 on SIGTERM" eq "$?" 0

finish
