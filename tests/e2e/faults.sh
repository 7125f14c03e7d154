#!/usr/bin/env bash
# Faults, through nginx, each bounded in time (issue 7). After each, what a
# client and an operator would check: what was answered, what was stored,
# whether the service healed by itself.
#
#   1. kill -9 of a FastCGI child with a request in hand, under a load of creates
#   2. a MariaDB restart under a load of creates
#   3. the store's connection limit exhausted
#   4. SIGTERM to the supervisor while a request is in flight
#
# A request is made to stay in flight, deterministically, by a MariaDB
# session of this test holding the row it needs (the service's
# innodb_lock_wait_timeout is 5 s). Every wait is a bounded loop;
# background processes are ended by pid.
# shellcheck disable=SC2317 # functions run through check and wait_for
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq
WORKERS=3
start_stack faults --workers "$WORKERS"
AUTH_KEY=$CLIENT_KEY
FCGI_LOG=$GT_STACK_DIR/fcgi.log

# Processes this test starts in the background (load loops, MariaDB
# sessions, its own supervisor) are ended by pid on exit; then the harness's
# own exit trap stops the stack.
BG_PIDS=()
eval "set -- $(trap -p EXIT)"
HARNESS_EXIT=${3:-}
end_background() {
	local p stat ppid
	for p in "${BG_PIDS[@]}"; do
		# Only while still ours: a pid reused meanwhile has another parent.
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		read -r _ ppid _ <<<"${stat##*) }"
		[[ $ppid == "$$" ]] && kill "$p" 2>/dev/null
	done
}
trap 'end_background; eval "$HARNESS_EXIT"' EXIT

# ---------------------------------------------------------------- helpers

# True once PID has exited (a zombie counts: it no longer serves anything).
gone() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z $state || $state == Z || $state == X ]]
}
all_gone() {
	local p
	for p in "$@"; do
		gone "$p" || return 1
	done
}

supervisor() { cat "$GT_STACK_DIR/fcgi.pid" 2>/dev/null; }
children() { pgrep -P "$(supervisor)" | sort; }
child_count() { children | wc -l; }
# Children with a request in hand: an idle child has two sockets (the
# listening one and its MariaDB connection), a busy one also nginx's.
busy_children() {
	local p
	for p in $(children); do
		(($(find "/proc/$p/fd" -lname 'socket:*' 2>/dev/null | wc -l) > 2)) && echo "$p"
	done
}

hex_id() { printf '%s' "${1//-/}"; }
create() { # create SUBJECT: a request of the test's own client; sets ID
	api POST /api/v1/generation-requests "{\"entity_type\":\"problem\",\"subject_key\":\"$1\"}"
	ID=$(jb .request_id)
}
stored_with_prefix() { sql "SELECT COUNT(*) FROM generation_requests WHERE subject_key LIKE '$1%'"; }
# "STATUS EVENTS" of request ID in the store.
stored_state() {
	sql "SELECT CONCAT(status, ' ', (SELECT COUNT(*) FROM generation_events e WHERE e.request_id = r.id))
	     FROM generation_requests r WHERE id = UNHEX('$(hex_id "$1")')"
}

# ---- holding a request in flight ----
# hold_row ID: a MariaDB session of this test locks request ID's row until
# release_row; the session reads its statements from a FIFO.
LOCK_FD=""
LOCKER=""
hold_row() {
	local fifo=$GT_TMP/lock.sql
	rm -f "$fifo" "$GT_TMP/lock.out"
	mkfifo "$fifo"
	mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B --unbuffered gentrack \
		<"$fifo" >"$GT_TMP/lock.out" 2>&1 &
	LOCKER=$!
	BG_PIDS+=("$LOCKER")
	exec {LOCK_FD}>"$fifo"
	printf "START TRANSACTION;\nSELECT 'locked' FROM generation_requests WHERE id = UNHEX('%s') FOR UPDATE;\n" \
		"$(hex_id "$1")" >&"$LOCK_FD"
	wait_for 50 grep -q '^locked$' "$GT_TMP/lock.out"
}
# Commits and ends the session ("quit": processes started meanwhile share
# the FIFO's write end, so closing ours is no end of file).
release_row() {
	printf 'COMMIT;\nquit\n' >&"$LOCK_FD"
	exec {LOCK_FD}>&-
	wait_for 50 gone "$LOCKER"
}
# The service's session waits for the row (the request is in the store).
lock_waits() {
	[[ $(sql "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'") == 1 ]]
}
# start_cancel ID NAME: POST .../ID/cancel in the background; its answer
# "status|content type|Retry-After" in $GT_TMP/NAME, its body in NAME.body.
CANCELLER=""
start_cancel() {
	curl -sS --max-time 20 -o "$GT_TMP/$2.body" -X POST \
		-w '%{http_code}|%{content_type}|%header{retry-after}' \
		-H "Authorization: Bearer $CLIENT_KEY" -H 'Content-Type: application/json' \
		--data-binary '{"reason":"fault test"}' \
		"$BASE_URL/api/v1/generation-requests/$1/cancel" >"$GT_TMP/$2" 2>/dev/null &
	CANCELLER=$!
	BG_PIDS+=("$CANCELLER")
}

# ---- a load of creates ----
# Each loop is a client of its own (its own key, and source address
# 127.0.0.N), so nginx's create limit (per key, 20 r/s, burst 200) answers
# no 429 to the load.
LOAD_KEYS=()
for _ in 1 2 3 4; do
	LOAD_KEYS+=("$("$GENTRACKCTL" --config "$GENTRACK_CONFIG" key create --role client --owner acme 2>/dev/null | tail -n 1)")
done
# One line per answer: status|seconds|content type|Retry-After|Location|subject
LOAD_PIDS=()
STOP_LOAD=$GT_TMP/stop-load
create_loop() {
	local out=$1 src=$2 n=$3 pace=$4 key=$5 i subject
	for ((i = 0; i < n; i++)); do
		[[ -e $STOP_LOAD ]] && break
		subject=$(basename "$out")-$i
		curl -sS --max-time 10 --interface "$src" -o /dev/null \
			-w "%{http_code}|%{time_total}|%{content_type}|%header{retry-after}|%header{location}|$subject\n" \
			-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
			--data-binary "{\"entity_type\":\"problem\",\"subject_key\":\"$subject\"}" \
			"$BASE_URL/api/v1/generation-requests" >>"$out" 2>/dev/null
		sleep "$pace"
	done
}
# start_load NAME FIRST_ADDR N PACE: four loops, answers in $GT_TMP/NAME-*.
start_load() {
	local name=$1 addr=$2 n=$3 pace=$4 k
	rm -f "$STOP_LOAD"
	LOAD_PIDS=()
	for k in 1 2 3 4; do
		: >"$GT_TMP/$name-$k"
		create_loop "$GT_TMP/$name-$k" "127.0.0.$((addr + k))" "$n" "$pace" "${LOAD_KEYS[k - 1]}" &
		LOAD_PIDS+=($!)
		BG_PIDS+=($!)
	done
}
# Lets the loops end (now, or when their count is done), at most 60 s.
end_load() {
	[[ ${1:-} == now ]] && touch "$STOP_LOAD"
	wait_for 600 all_gone "${LOAD_PIDS[@]}" && return 0
	echo "# the load did not end within 60 s: stopping it"
	kill "${LOAD_PIDS[@]}" 2>/dev/null
	return 1
}
answers() { cat "$GT_TMP/$1"-[1-4]; }
# count_answers NAME STATUS: how many answers of the load had that status.
count_answers() { answers "$1" | awk -F'|' -v s="$2" '$1 == s' | wc -l; }
# at_least LABEL MIN COMMAND...: COMMAND prints a number of at least MIN.
at_least() { (($("${@:3}") >= $2)) || { GT_DETAIL="$1: only $("${@:3}")"; return 1; }; }
# For the log: how load NAME was answered.
summary() {
	answers "$1" | awk -F'|' -v name="$1" '{ n[$1]++; if ($2 > m) m = $2 }
		END { printf "# load %s:", name; for (s in n) printf " %d x %s", n[s], s; printf ", slowest %.3f s\n", m }'
}

# Every answer of load NAME has one of the statuses given.
only_statuses() {
	local name=$1 bad
	shift
	bad=$(answers "$name" | awk -F'|' -v ok=" $* " 'index(ok, " " $1 " ") == 0' | head -3)
	[[ -z $bad ]] || { GT_DETAIL="unexpected answers: $bad"; return 1; }
}
# Every non-202 answer of load NAME is a problem+json with a Retry-After.
refusals_are_problems() {
	local bad
	bad=$(answers "$1" | awk -F'|' '$1 != 202 && ($3 !~ /^application\/problem\+json/ || $4 !~ /^[0-9]+$/)' | head -3)
	[[ -z $bad ]] || { GT_DETAIL="not problem+json with Retry-After: $bad"; return 1; }
}
# No answer of load NAME took SECONDS or more.
answers_within() {
	local slowest
	slowest=$(answers "$1" | awk -F'|' '$2 > m { m = $2 } END { print m + 0 }')
	awk -v m="$slowest" -v b="$2" 'BEGIN { exit !(m < b) }' || { GT_DETAIL="slowest answer took $slowest s"; return 1; }
}
# Every 202 of load NAME names (Location) a request that is in the store.
accepted_are_stored() {
	local ids n stored
	ids=$(answers "$1" | awk -F'|' '$1 == 202 { sub(".*/", "", $5); gsub("-", "", $5); print $5 }')
	n=$(grep -c . <<<"$ids")
	((n > 0)) || { GT_DETAIL="no 202 at all"; return 1; }
	stored=$(sql "SELECT COUNT(*) FROM generation_requests WHERE id IN
		($(awk '{ printf "%sUNHEX(\x27%s\x27)", (NR > 1 ? "," : ""), $0 }' <<<"$ids"))")
	[[ $stored == "$n" ]] || { GT_DETAIL="202 answers: $n, of them in the store: $stored"; return 1; }
}
# No request, entity or event is half-written: every entity and event has its
# request, every request has its creation event.
store_consistent() {
	local orphans
	orphans=$(sql "SELECT
		(SELECT COUNT(*) FROM generation_entities e LEFT JOIN generation_requests r ON r.id = e.request_id WHERE r.id IS NULL),
		(SELECT COUNT(*) FROM generation_events e LEFT JOIN generation_requests r ON r.id = e.request_id WHERE r.id IS NULL),
		(SELECT COUNT(*) FROM generation_requests r WHERE NOT EXISTS (SELECT 1 FROM generation_events e
			WHERE e.request_id = r.id AND e.from_status IS NULL AND e.to_status = 'pending'))")
	[[ $orphans == $'0\t0\t0' ]] && return 0
	GT_DETAIL="entities without request, events without request, requests without creation event: $orphans"
	return 1
}

# ---------------------------------------------------------------- 1. kill -9 of a child

sup=$(supervisor)
check "the pool runs $WORKERS children" eq "$(child_count)" "$WORKERS"
create held-kill
check "a request is created" status_is 202
HELD=$ID
check "a session of the test holds its row" hold_row "$HELD"
start_cancel "$HELD" cancel-killed
check "a cancel of it waits in the store" wait_for 30 lock_waits
victim=$(busy_children)
check "one child has the cancel in hand" match "$victim" '^[0-9]+$'

start_load kill 10 100 0
check "a load of creates is under way" wait_for 100 at_least "202 answers" 60 count_answers kill 202
answered_before_kill=$(answers kill | wc -l)
kill -9 "$victim"
replaced() { [[ $(child_count) == "$WORKERS" ]] && ! children | grep -qx "$victim"; }
check "the killed child is replaced within 3 s" wait_for 30 replaced
check "... by the same supervisor" eq "$(supervisor)" "$sup"
check "the supervisor logged the restart" grep -q "worker $victim killed by signal 9; restarting" "$FCGI_LOG"
check "the test's session ends" release_row

check "the cancel in hand of the killed child is answered" wait_for 100 gone "$CANCELLER"
IFS='|' read -r st ct ra <"$GT_TMP/cancel-killed"
check "... 502 or 503" match "$st" '^50[23]$'
check "... problem+json with Retry-After" match "$ct $ra" '^application/problem\+json [0-9]+$'
check "... and changed nothing: still pending, creation event only" eq "$(stored_state "$HELD")" "pending 1"

check "the load runs to its end" end_load
summary kill
check "400 answers" eq "$(answers kill | wc -l)" 400
check "at least 100 of them after the kill" test "$answered_before_kill" -le 300
# None was in the killed child's hands: that one had the cancel.
check "every create is 202" only_statuses kill 202
check "every 202 is in the store" accepted_are_stored kill
check "nothing else is stored" eq "$(stored_with_prefix kill-)" 400
check "no half-written request" store_consistent

# ---------------------------------------------------------------- 2. MariaDB restart

kids=$(children)
start_load restart 20 600 0.05
check "a load of creates is under way" wait_for 100 at_least "202 answers" 20 count_answers restart 202
bash "$GT_STACK" stop "$GT_STACK_DIR" mariadb >>"$GT_TMP/stack.log" 2>&1
check "with MariaDB down, creates are refused" wait_for 50 at_least "503 answers" 12 count_answers restart 503
bash "$GT_STACK" up "$GT_STACK_DIR" >>"$GT_TMP/stack.log" 2>&1 || cat "$GT_TMP/stack.log"
before=$(count_answers restart 202)
check "with MariaDB back, creates are accepted again" \
	wait_for 150 at_least "202 answers" $((before + 12)) count_answers restart 202
end_load now
summary restart
# A create in flight when MariaDB stopped may be stored and still answered
# 503 (the client retries; one active request per subject_key): fine. A 202
# for something not stored would not be.
check "every answer is 202 or 503" only_statuses restart 202 503
check "every 503 is problem+json with Retry-After" refusals_are_problems restart
# nginx gives up after fastcgi_read_timeout (30 s): an outage must be told
# at once, not found out by timing out.
check "no answer took 3 s or more" answers_within restart 3
check "every 202 is in the store" accepted_are_stored restart
check "no half-written request" store_consistent
create after-restart
check "a create after the restart is 202" status_is 202
check "gentrack-fcgi was not restarted" eq "$(supervisor)" "$sup"
check "... nor any of its children" eq "$(children)" "$kids"

# ---------------------------------------------------------------- 3. connection limit

# The limit binds only users without SUPER (MariaDB keeps one more connection
# for those): the service's user must be an ordinary one.
grants=$(sql "SHOW GRANTS FOR 'gentrack'@'localhost'")
plain_user() { lacks "$grants" SUPER && lacks "$grants" 'ALL PRIVILEGES ON *.*'; }
check "the service's MariaDB user has no SUPER" plain_user

max_before=$(sql "SELECT @@max_connections")
log_mark=$(wc -c <"$FCGI_LOG")
new_log() { tail -c +$((log_mark + 1)) "$FCGI_LOG"; }
# 10 is MariaDB's smallest limit. The pool's connections are cut (as after
# wait_timeout), so its children must connect anew, into a full server.
sql "SET GLOBAL max_connections = 10"
for id in $(sql "SELECT id FROM information_schema.processlist WHERE user = 'gentrack'"); do
	sql "KILL CONNECTION $id"
done
# With live updates on, the supervisor's repair of lost publishes holds a
# connection of its own and makes it again at its next round (2 s, or 10 s
# after a round that failed, as during the MariaDB restart above): let it,
# so it is counted below and never races the other sessions for the last slot.
repair_conns=0
grep -q '^nchan_socket = ' "$GT_STACK_DIR/gentrack.conf" && repair_conns=1
pool_conns() { sql "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'gentrack'"; }
pool_disconnected() { [[ $(pool_conns) -le $repair_conns ]]; }
check "the pool's connections are cut" wait_for 50 pool_disconnected
repair_back() { [[ $(pool_conns) == "$repair_conns" ]]; }
check "... but for the supervisor's, made again ($repair_conns)" wait_for 150 repair_back
# Other sessions take every ordinary slot (root's spare one stays free for
# this test's sql calls).
free=$(sql "SELECT @@max_connections - VARIABLE_VALUE + 1 FROM information_schema.global_status
	WHERE VARIABLE_NAME = 'THREADS_CONNECTED'")
FILLERS=()
for ((k = 0; k < free; k++)); do
	mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B -e "SELECT SLEEP(40)" >/dev/null 2>&1 &
	FILLERS+=($!)
	BG_PIDS+=($!)
done
fillers() { sql "SELECT COUNT(*) FROM information_schema.processlist WHERE info = 'SELECT SLEEP(40)'"; }
fillers_in() { [[ $(fillers) == "$free" ]]; }
check "$free other sessions fill the server" wait_for 50 fillers_in
db_password=$(sed -n 's/^password = //p' "$GT_STACK_DIR/gentrack.conf")
refused=$(MYSQL_PWD=$db_password mariadb --no-defaults --socket="$MYSQL_SOCKET" -ugentrack -e 'SELECT 1' 2>&1)
check "the service's user is now refused by MariaDB (1040)" match "$refused" 'ERROR 1040'

# The last answer is a 503 problem+json with a Retry-After; else says what it was.
refused_503() {
	is_problem 503 && match "$(hdr Retry-After)" '^[0-9]+$' && return 0
	echo "# $1: $ST $(hdr Retry-After) $(head -c 200 "$HB")"
	return 1
}
kids=$(children)
all_503=1
for k in 1 2 3 4 5 6; do
	create "limit-$k"
	refused_503 "create $k" || all_503=0
	api GET /api/v1/generation-requests ''
	refused_503 "list $k" || all_503=0
done
GT_DETAIL=""
check "without a connection, creates and reads are 503 problem+json with Retry-After" eq "$all_503" 1
check "... and nothing was written" eq "$(stored_with_prefix limit-)" 0
too_many=$(new_log | grep -c 'Too many connections')
check "gentrack logs why: MariaDB's 'Too many connections'" match "$too_many" '^[1-9]'
# 12 refused requests, but one line per child (and the repair) and burst, not one per request.
check "... once per child, not once per request" test "$too_many" -le $((WORKERS + repair_conns))

sql "SET GLOBAL max_connections = $max_before"
create limit-raised
check "once the limit is raised, a create is 202" status_is 202
ok=0
for k in 1 2 3 4 5 6; do
	api GET /api/v1/generation-requests ''
	[[ $ST == 200 ]] && ok=$((ok + 1))
done
check "... and every read is 200" eq "$ok" 6
check "without a restart of the supervisor" eq "$(supervisor)" "$sup"
check "... or of its children" eq "$(children)" "$kids"
check "gentrack logs that the store is reachable again" grep -q "store reachable again" <(new_log)
for id in $(sql "SELECT id FROM information_schema.processlist WHERE info = 'SELECT SLEEP(40)'"); do
	sql "KILL CONNECTION $id"
done
check "the other sessions end" wait_for 50 all_gone "${FILLERS[@]}"

# ---------------------------------------------------------------- 4. SIGTERM mid-request

# A pool started by the test itself, to learn its exit status.
create held-term
check "a request is created" status_is 202
HELD=$ID
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >>"$GT_TMP/stack.log" 2>&1
TERM_LOG=$GT_STACK_DIR/fcgi-sigterm.log
"$GT_BUILDDIR/src/gentrack-fcgi" --config "$GT_STACK_DIR/gentrack.conf" \
	--pid-file "$GT_STACK_DIR/fcgi.pid" >>"$TERM_LOG" 2>&1 &
sup=$!
BG_PIDS+=("$sup")
serving() { api GET "/api/v1/generation-requests/$HELD" ''; [[ $ST == 200 ]]; }
check "a pool started by the test serves" wait_for 100 serving

check "a session of the test holds the request's row" hold_row "$HELD"
start_cancel "$HELD" cancel-term
check "a cancel of it waits in the store" wait_for 30 lock_waits
kill -TERM "$sup"
check "the supervisor starts stopping" wait_for 20 grep -q "stopping" "$TERM_LOG"
sleep 1
check "... and waits for the request in flight" test ! -s "$GT_TMP/cancel-term"
check "the test's session ends" release_row
check "the cancel is answered" wait_for 100 gone "$CANCELLER"
check "... 200" eq "$(cut -d'|' -f1 "$GT_TMP/cancel-term")" 200
check "... with the cancelled request" \
	eq "$(jq -r '.request_id + " " + .status' "$GT_TMP/cancel-term.body" 2>&1)" "$HELD cancelled"
check "the request is cancelled in the store, with its event" eq "$(stored_state "$HELD")" "cancelled 2"
check "the supervisor exits within 10 s" wait_for 100 gone "$sup"
status=timeout
! gone "$sup" || { wait "$sup"; status=$?; }
check "... with status 0" eq "$status" 0

finish
