#!/usr/bin/env bash
# shellcheck disable=SC2317 # helper functions are called through `check`
# Issue 7: gentrack-fcgi under valgrind (memcheck) serves 1,000 mixed requests
# through nginx with no memory error and no leak that grows with requests.
#
# The pool runs under valgrind through the harness' GT_FCGI_WRAPPER, with one
# child, so that every request of a run is served by the same process. The
# children are forked without exec: valgrind follows them and, thanks to %p
# in --log-file, writes one report per process. Two runs on one stack, each
# ended by SIGTERM so that the child leaves its accept loop, releases what it
# owns and exits (valgrind then checks for leaks):
#   run 100:  one round of the request mix below (100 requests),
#   run 1000: ten rounds of the same mix (1,000 requests).
# Every report must say ERROR SUMMARY: 0 (invalid reads and writes, use of
# uninitialised values, bad frees; and definite or indirect leaks, which
# --errors-for-leak-kinds turns into errors), "definitely lost" and
# "indirectly lost" must be 0 bytes, and the child's heap in use at exit after
# 1,000 requests must equal the one after 100 within a small constant: what a
# child keeps does not grow with what it served.
#
# The requests go through few processes: one `curl --config` per phase of a
# round (tens of requests each), the status of each compared with the one the
# mix expects. Admin requests are few on purpose: each checks an Argon2id
# password hash (64 MiB), about a second under valgrind.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

FCGI_BIN=$GT_BUILDDIR/src/gentrack-fcgi
# AddressSanitizer and valgrind do not mix: both replace malloc, and an ASan
# binary refuses to start under valgrind ("ASan runtime does not come first
# in initial library list"). make check passes configure's SANITIZER_CFLAGS;
# run by hand, the binary itself tells.
if [[ -n ${GT_SANITIZER_CFLAGS:-} ]]; then
	skip_test "built with sanitizers ($GT_SANITIZER_CFLAGS): valgrind cannot run it"
fi
if [[ -r $FCGI_BIN ]] && grep -qaF -e __asan_init -e __ubsan_handle "$FCGI_BIN"; then
	skip_test "$FCGI_BIN is built with sanitizers: valgrind cannot run it"
fi
require_programs mariadbd mariadb mariadb-install-db nginx curl jq valgrind timeout
[[ -x $FCGI_BIN ]] || { echo "FAIL: $FCGI_BIN not built"; echo "0 passed, 1 failed"; exit 1; }

# The stack folder is known before it starts: the reports go into it.
VG_DIR=$GT_BUILDDIR/tests/.stack/valgrind
# wrapper RUN: the valgrind command line of one run; reports vg-RUN.PID.log
# (the harness splits it on blanks: no path here may contain one).
# No suppression file: the only blocks left at exit are one-off and still
# reachable (libmariadb's library init in mysql_init, libfcgi's FCGX_Init),
# which are neither errors nor lost. The supervisor's exit status is not ours
# to wait for (the harness starts it under setsid), so --error-exitcode is
# belt and braces: the reports are what this test reads. --vgdb=no: no FIFOs
# in /tmp, nothing left behind by a killed run.
wrapper() {
	printf '%s ' valgrind --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--num-callers=30 --vgdb=no --log-file="$VG_DIR/vg-$1.%p.log"
}
# The bytes the child may hold at exit beyond what it held after 100
# requests. Measured: none (992 B in 5 blocks both times). Anything kept per
# request holds at least a pointer, 8 B x 900 more requests, far above this.
HEAP_SLACK=1024

export GT_FCGI_WRAPPER
GT_FCGI_WRAPPER=$(wrapper 100)
start_stack valgrind --workers 1
note() { echo "#   $*"; }

COLL=/api/v1/generation-requests
NO_SUCH_ID=01890000-0000-7000-8000-000000000000
OUT=$GT_TMP/out
mkdir -p "$OUT"
: >"$GT_TMP/want"
: >"$GT_TMP/got"

# ---- a phase: many requests in one curl --config file, one curl process ----

# cfg_str S: S as a double-quoted string of a curl config file.
cfg_str() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

CFG=$GT_TMP/phase.cfg
phase_begin() { : >"$CFG"; PHASE_OPS=0; }

# op TAG STATUS METHOD PATH AUTH [BODY [HEADER...]]: one request of the phase,
# expected to answer STATUS. AUTH: client, client2, worker, admin, none, or
# the value of an Authorization header. A BODY is sent as JSON (as
# $OP_CT when set). Its body and headers land in $OUT/TAG.body, .head.
op() {
	local tag=$1 want=$2 method=$3 path=$4 auth=$5 body=${6-} h
	shift 6 || shift $#
	{
		((PHASE_OPS == 0)) || echo next
		echo "url = $(cfg_str "$BASE_URL$path")"
		echo "request = $method"
		echo "silent"
		echo "show-error"
		echo "connect-timeout = 5"
		echo "max-time = 30"
		echo "output = $(cfg_str "$OUT/$tag.body")"
		echo "dump-header = $(cfg_str "$OUT/$tag.head")"
		printf 'write-out = "%s %%{http_code}\\n"\n' "$tag"
		case $auth in
		client) echo "header = $(cfg_str "Authorization: Bearer $CLIENT_KEY")" ;;
		client2) echo "header = $(cfg_str "Authorization: Bearer $CLIENT_KEY_2")" ;;
		worker) echo "header = $(cfg_str "Authorization: Bearer $WORKER_KEY")" ;;
		admin) echo "user = $(cfg_str "$ADMIN_USER:$ADMIN_PASSWORD")" ;;
		none) ;;
		*) echo "header = $(cfg_str "Authorization: $auth")" ;;
		esac
		if [[ -n $body ]]; then
			echo "header = $(cfg_str "Content-Type: ${OP_CT:-application/json}")"
			echo "data-binary = $(cfg_str "$body")"
		fi
		for h; do
			echo "header = $(cfg_str "$h")"
		done
	} >>"$CFG"
	PHASE_OPS=$((PHASE_OPS + 1))
	echo "$tag $want" >>"$GT_TMP/want"
}

# Sends the phase: one curl, bounded (each request has its own max-time too).
phase_run() {
	timeout 300 curl --config "$CFG" >>"$GT_TMP/got" 2>>"$GT_TMP/curl.err" || true
}

# A field of a response body ("" when absent or not JSON).
field() { jq -r "$2 // empty" "$OUT/$1.body" 2>/dev/null; }
# A response header's value.
header() {
	awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$2")" 'BEGIN { FS = ": *" }
		{ sub(/\r$/, "") } tolower($1) == n { sub(/^[^:]*: */, ""); v = $0 } END { print v }' \
		"$OUT/$1.head" 2>/dev/null
}
urlenc() { jq -rn --arg s "$1" '$s|@uri'; }

# ---- the mix: one round is 100 requests in three phases ----
# A: creates (with and without Idempotency-Key; refused ones), refusals that
#    need no id, health, metrics, lists. B: reads of what A created, claims,
#    the list's next page, cancels, an admin page. C: 304s, the third page,
#    the worker's heartbeat / entities / complete, admin API, polls.
round() {
	local t=$1.$2 i k x b
	local -A id=() etag=()
	local w1=() w2=()

	phase_begin
	for i in 1 2 3 4 5 6 7 8; do
		op "$t.a.p$i" 202 POST "$COLL" client \
			"{\"entity_type\":\"problem\",\"count\":$((i % 3 + 1)),\"constraints\":{\"level\":$i,\"tags\":[\"vg\",\"$t\"]},\"metadata\":{\"round\":\"$t\",\"note\":\"caf\u00e9 $i\"}}"
	done
	for i in 1 2 3; do
		op "$t.a.i$i" 202 POST "$COLL" client "{\"entity_type\":\"quiz\",\"count\":2,\"metadata\":{\"n\":$i}}" \
			"Idempotency-Key: vg-$t-$i"
	done
	op "$t.a.replay1" 202 POST "$COLL" client '{"entity_type":"quiz","count":2,"metadata":{"n":1}}' \
		"Idempotency-Key: vg-$t-1"
	op "$t.a.replay2" 202 POST "$COLL" client '{"entity_type":"quiz","count":2,"metadata":{"n":2}}' \
		"Idempotency-Key: vg-$t-2"
	op "$t.a.keyreuse" 422 POST "$COLL" client '{"entity_type":"quiz","count":3}' "Idempotency-Key: vg-$t-3"
	op "$t.a.s" 202 POST "$COLL" client "{\"entity_type\":\"problem\",\"subject_key\":\"subj-$t\"}"
	op "$t.a.sdup" 409 POST "$COLL" client "{\"entity_type\":\"problem\",\"subject_key\":\"subj-$t\",\"count\":2}"
	op "$t.a.w1" 202 POST "$COLL" client '{"entity_type":"vgwork","count":2}'
	op "$t.a.w2" 202 POST "$COLL" client '{"entity_type":"vgwork","count":2,"constraints":{"x":[1,2,3]}}'
	op "$t.a.badjson" 400 POST "$COLL" client '{"entity_type": "problem",'
	op "$t.a.array" 400 POST "$COLL" client '[{"entity_type":"problem"}]'
	op "$t.a.unknownfield" 400 POST "$COLL" client '{"entity_type":"problem","colour":"red"}'
	op "$t.a.count11" 400 POST "$COLL" client '{"entity_type":"problem","count":11}'
	OP_CT=text/plain op "$t.a.textplain" 415 POST "$COLL" client '{"entity_type":"problem"}'
	op "$t.a.noauth" 401 GET "$COLL/$NO_SUCH_ID" none
	op "$t.a.unknownkey" 401 GET "$COLL" "Bearer gtk_$(printf 'A%.0s' {1..43})"
	op "$t.a.basiconapi" 401 GET "$COLL" "Basic YWRtaW46eA=="
	op "$t.a.workeronclient" 403 GET "$COLL" worker
	op "$t.a.clientonworker" 403 POST /api/v1/worker/claim client '{"worker_id":"vg","entity_types":["vgwork"]}'
	op "$t.a.unknownid" 404 GET "$COLL/$NO_SUCH_ID" client
	op "$t.a.noroute" 404 GET /api/v1/nothing-here client
	op "$t.a.badid" 400 GET "$COLL/not-a-uuid" client
	op "$t.a.delete" 405 DELETE "$COLL" client
	op "$t.a.healthz" 200 GET /healthz none
	op "$t.a.metrics" 200 GET /metrics none
	op "$t.a.list" 200 GET "$COLL?limit=3" client
	op "$t.a.listpending" 200 GET "$COLL?status=pending&entity_type=problem&limit=5" client
	op "$t.a.listsubject" 200 GET "$COLL?subject_key=subj-$t" client
	op "$t.a.listbad" 400 GET "$COLL?status=bogus" client
	op "$t.a.listunknown" 400 GET "$COLL?colour=red" client
	op "$t.a.listmax" 400 GET "$COLL?limit=101" client
	op "$t.a.css" 200 GET /admin/static/admin.css none
	op "$t.a.logout" 401 GET /admin/logout none
	phase_run
	for x in p1 p2 p3 p4 p5 p6 p7 p8 i1 i2 i3 s w1 w2; do
		id[$x]=$(field "$t.a.$x" .request_id)
		[[ -n ${id[$x]} ]] || id[$x]=$NO_SUCH_ID
	done

	phase_begin
	for x in p1 p2 p3 p4 p5 p6 p7 p8 i1 i2 i3 s; do
		op "$t.b.get.$x" 200 GET "$COLL/${id[$x]}" client
	done
	op "$t.b.otherowner" 404 GET "$COLL/${id[p1]}" client2
	for i in 1 2; do
		op "$t.b.claim$i" 200 POST /api/v1/worker/claim worker \
			"{\"worker_id\":\"vg-$t\",\"entity_types\":[\"vgwork\"],\"lease_seconds\":60}"
	done
	op "$t.b.claim3" 204 POST /api/v1/worker/claim worker "{\"worker_id\":\"vg-$t\",\"entity_types\":[\"vgwork\"]}"
	op "$t.b.page2" 200 GET "$COLL?limit=3&cursor=$(urlenc "$(field "$t.a.list" .next_cursor)")" client
	op "$t.b.cancel6" 200 POST "$COLL/${id[p6]}/cancel" client "{\"reason\":\"valgrind round $t\"}"
	op "$t.b.cancel7" 200 POST "$COLL/${id[p7]}/cancel" client
	op "$t.b.cancel8" 200 POST "$COLL/${id[p8]}/cancel" client '{}'
	op "$t.b.cancelunknown" 404 POST "$COLL/$NO_SUCH_ID/cancel" client
	op "$t.b.admindetail" 200 GET "/admin/generations/${id[p1]}" admin
	phase_run
	for x in p1 p2 p3 i1 s p6; do
		etag[$x]=$(header "$t.b.get.$x" ETag)
	done
	w1=("$(field "$t.b.claim1" .request_id)" "$(field "$t.b.claim1" .attempt)")
	w2=("$(field "$t.b.claim2" .request_id)" "$(field "$t.b.claim2" .attempt)")
	[[ -n ${w1[0]} ]] || w1=("$NO_SUCH_ID" 1)
	[[ -n ${w2[0]} ]] || w2=("$NO_SUCH_ID" 1)

	phase_begin
	for x in p1 p2 p3 i1 s; do
		op "$t.c.304.$x" 304 GET "$COLL/${id[$x]}" client "" "If-None-Match: ${etag[$x]}"
	done
	op "$t.c.cancelled" 200 GET "$COLL/${id[p6]}" client "" "If-None-Match: ${etag[p6]}"
	op "$t.c.othertag" 200 GET "$COLL/${id[p2]}" client "" 'If-None-Match: "v999", W/"x"'
	op "$t.c.cancelagain" 409 POST "$COLL/${id[p6]}/cancel" client '{"reason":"again"}'
	op "$t.c.page3" 200 GET "$COLL?limit=3&cursor=$(urlenc "$(field "$t.b.page2" .next_cursor)")" client
	op "$t.c.badcursor" 400 GET "$COLL?cursor=not-a-cursor" client
	for k in 1 2; do
		local -n w=w$k
		b="\"worker_id\":\"vg-$t\",\"attempt\":${w[1]}"
		op "$t.c.hb$k" 200 POST "/api/v1/worker/generation-requests/${w[0]}/heartbeat" worker "{$b}"
		op "$t.c.entity$k" 200 POST "/api/v1/worker/generation-requests/${w[0]}/entities" worker \
			"{$b,\"index\":0,\"entity\":{\"question\":\"What is 7 \u00d7 $k?\",\"answer\":$((7 * k)),\"tags\":[\"a\",{\"b\":null}]}}"
		op "$t.c.error$k" 200 POST "/api/v1/worker/generation-requests/${w[0]}/entities" worker \
			"{$b,\"index\":1,\"error\":\"exit status 3: upstream said \\\"no\\\"\"}"
		unset -n w
	done
	b="\"worker_id\":\"vg-$t\",\"attempt\":${w1[1]}"
	op "$t.c.entityreplay" 200 POST "/api/v1/worker/generation-requests/${w1[0]}/entities" worker \
		"{$b,\"index\":0,\"entity\":{\"answer\":1}}"
	op "$t.c.pastcount" 400 POST "/api/v1/worker/generation-requests/${w1[0]}/entities" worker \
		"{$b,\"index\":5,\"entity\":{\"answer\":1}}"
	op "$t.c.complete1" 200 POST "/api/v1/worker/generation-requests/${w1[0]}/complete" worker "{$b}"
	op "$t.c.complete2" 200 POST "/api/v1/worker/generation-requests/${w2[0]}/complete" worker \
		"{\"worker_id\":\"vg-$t\",\"attempt\":${w2[1]}}"
	op "$t.c.hbafter" 409 POST "/api/v1/worker/generation-requests/${w1[0]}/heartbeat" worker "{$b}"
	op "$t.c.wrongattempt" 409 POST "/api/v1/worker/generation-requests/${w2[0]}/entities" worker \
		"{\"worker_id\":\"vg-$t\",\"attempt\":$((w2[1] + 1)),\"index\":0,\"entity\":{}}"
	op "$t.c.adminstuck" 200 GET /admin/api/stuck admin
	op "$t.c.adminfail" 200 POST "/admin/api/generations/${id[i2]}/fail" admin '{"reason":"valgrind: admin fail"}'
	# Refused before any password is hashed; a wrong password would cost
	# one more Argon2id check a round.
	op "$t.c.adminbearer" 401 GET /admin/api/stuck client
	op "$t.c.adminmalformed" 401 GET /admin/ "Basic !!!not-base64"
	for x in p1 p2 p3 p4 i1 i2 i3 s w1 w2; do
		op "$t.c.poll.$x" 200 GET "$COLL/${id[$x]}" client
	done
	phase_run
}

# ---- stopping the pool: SIGTERM, children exit, valgrind writes reports ----

# True while a live (not zombie) process is in process group PGID.
group_alive() {
	local f stat state pgrp
	for f in /proc/[0-9]*/stat; do
		stat=$(cat "$f" 2>/dev/null) || continue
		read -r state _ pgrp _ <<<"${stat##*) }"
		[[ $pgrp == "$1" && $state != Z && $state != X ]] && return 0
	done
	return 1
}

# Stops the pool of this run and waits (60 s at most) until its supervisor
# and children are gone, their reports written.
stop_pool() {
	local pid i
	pid=$(cat "$GT_STACK_DIR/fcgi.pid")
	kill -TERM "$pid"
	for ((i = 0; i < 600; i++)); do
		group_alive "$pid" || break
		sleep 0.1
	done
	! group_alive "$pid" || { GT_DETAIL="pool $pid still running 60 s after SIGTERM"; return 1; }
	# The pid file is the supervisor's to remove; the harness tidies the rest.
	bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1
}

# ---- reading the reports ----

# vg_num LOG LABEL: the first number after "LABEL:" in a report, commas
# dropped; 0 when the line is absent (a report with no leak summary, because
# every block was freed, has no "definitely lost" line).
vg_num() {
	local n
	n=$(sed -n "s/^==[0-9]*== *$2: \\([0-9,]*\\).*/\\1/p" "$1" | head -n 1 | tr -d ,)
	echo "${n:-0}"
}
# The blocks of "LABEL: X bytes in N blocks".
vg_blocks() {
	local n
	n=$(sed -n "s/^==[0-9]*== *$2: [0-9,]* bytes in \\([0-9,]*\\) blocks.*/\\1/p" "$1" | head -n 1 | tr -d ,)
	echo "${n:-0}"
}

# The statuses of the run that just ended, compared with the mix's.
statuses_as_expected() {
	local bad
	bad=$(awk 'NR == FNR { want[$1] = $2; next } { got[$1] = $2 }
		END { for (t in want) if (got[t] != want[t]) printf "%s: %s (expected %s)\n", t, (t in got ? got[t] : "none"), want[t] }' \
		"$GT_TMP/want" "$GT_TMP/got" | sort | head -n 8)
	[[ -z $bad ]] && return 0
	GT_DETAIL="$(tr '\n' ';' <<<"$bad") curl: $(head -c 300 "$GT_TMP/curl.err")"
	return 1
}

report_complete() { grep -q 'ERROR SUMMARY:' "$1" || { GT_DETAIL="$1 has no ERROR SUMMARY (killed?)"; return 1; }; }
no_errors() {
	local n
	n=$(vg_num "$1" 'ERROR SUMMARY')
	[[ $n == 0 ]] && return 0
	GT_DETAIL="$n errors in $1: $(grep -m 3 -E '== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|[0-9,]+ bytes in .* (definitely|indirectly) lost)' "$1" | tr '\n' ' ')"
	return 1
}

# RUN_SUP[run], RUN_CHILD[run]: the run's reports (supervisor, its one child).
declare -A RUN_SUP=() RUN_CHILD=() RUN_SERVED=()
SERVED_BEFORE=0

# finish_run RUN ROUNDS: stops the pool, then checks the run's reports.
finish_run() {
	local run=$1 rounds=$2 sup children log served
	sup=$(cat "$GT_STACK_DIR/fcgi.pid" 2>/dev/null)
	check "run $run: $((rounds * 100)) requests answered with the statuses of the mix" statuses_as_expected
	check "run $run: SIGTERM stops the pool under valgrind within 60 s" stop_pool
	# Every request to /api/, /admin/, /healthz and /metrics goes to the pool,
	# and its one child serves them all: the access log counts them.
	served=$(wc -l <"$GT_STACK_DIR/nginx/access.log")
	RUN_SERVED[$run]=$((served - SERVED_BEFORE))
	SERVED_BEFORE=$served
	RUN_SUP[$run]=$VG_DIR/vg-$run.$sup.log
	children=$(grep -l "^==[0-9]*== Parent PID: $sup\$" "$VG_DIR"/vg-"$run".*.log 2>/dev/null)
	check "run $run: a report of the supervisor" test -s "${RUN_SUP[$run]}"
	check "run $run: one child, one report" eq "$(wc -w <<<"$children" | tr -d ' ')" 1
	RUN_CHILD[$run]=${children%%$'\n'*}
	for log in "$VG_DIR"/vg-"$run".*.log; do
		check "run $run: $(basename "$log"): report complete" report_complete "$log"
		check "run $run: $(basename "$log"): ERROR SUMMARY: 0" no_errors "$log"
		check "run $run: $(basename "$log"): definitely lost 0 bytes" eq "$(vg_num "$log" 'definitely lost')" 0
		check "run $run: $(basename "$log"): indirectly lost 0 bytes" eq "$(vg_num "$log" 'indirectly lost')" 0
	done
	: >"$GT_TMP/want"
	: >"$GT_TMP/got"
	: >"$GT_TMP/curl.err"
}

# figures RUN: one line per report of the run, for the log.
figures() {
	local run=$1 log role
	for log in "${RUN_SUP[$run]}" "${RUN_CHILD[$run]}"; do
		[[ -r $log ]] || continue
		role=child
		[[ $log == "${RUN_SUP[$run]}" ]] && role=supervisor
		note "run $run, $role $(sed -n 's/.*\.\([0-9]*\)\.log$/\1/p' <<<"$log")$([[ $role == child ]] && echo ", ${RUN_SERVED[$run]} requests served"):" \
			"errors $(vg_num "$log" 'ERROR SUMMARY'), definitely lost $(vg_num "$log" 'definitely lost') B," \
			"indirectly lost $(vg_num "$log" 'indirectly lost') B, possibly lost $(vg_num "$log" 'possibly lost') B," \
			"still reachable $(vg_num "$log" 'still reachable') B in $(vg_blocks "$log" 'still reachable') blocks," \
			"in use at exit $(vg_num "$log" 'in use at exit') B in $(vg_blocks "$log" 'in use at exit') blocks," \
			"$(vg_num "$log" 'total heap usage') allocs"
	done
}

# ==== run 100: one round ====
started=$SECONDS
round 100 1
finish_run 100 1

# ==== run 1000: the same pool restarted, ten rounds ====
GT_FCGI_WRAPPER=$(wrapper 1000)
if ! bash "$GT_STACK" up "$GT_STACK_DIR" >"$GT_TMP/up.log" 2>&1; then
	cat "$GT_TMP/up.log"
	check "the pool starts again under valgrind" false
	finish
fi
for r in 1 2 3 4 5 6 7 8 9 10; do
	round 1000 "$r"
done
finish_run 1000 10
note "requests and shutdown took $((SECONDS - started)) s"

# ==== nothing grows with requests ====
figures 100
figures 1000
C100=${RUN_CHILD[100]} C1000=${RUN_CHILD[1000]}
check "the child served 100 requests (plus the harness' probe) in run 100" \
	match "${RUN_SERVED[100]}" '^10[0-9]$'
check "the child served 1,000 requests in run 1000" eq "${RUN_SERVED[1000]}" 1000
# The comparison means something only if the second child really did ten
# times the work: its allocations say so.
more_work() {
	local a100 a1000
	a100=$(vg_num "$C100" 'total heap usage') a1000=$(vg_num "$C1000" 'total heap usage')
	((a1000 >= 5 * a100 && a100 > 0)) && return 0
	GT_DETAIL="allocations: $a100 after 100 requests, $a1000 after 1,000"
	return 1
}
check "the 1,000-request child allocated over five times what the 100-request one did" more_work
no_growth() {
	local label=$1 a b
	a=$(vg_num "$C100" "$label") b=$(vg_num "$C1000" "$label")
	((b - a <= HEAP_SLACK)) && return 0
	GT_DETAIL="$label: $a bytes after 100 requests, $b after 1,000 (more than $HEAP_SLACK bytes apart)"
	return 1
}
check "child heap in use at exit: 1,000 requests within $HEAP_SLACK B of 100" no_growth 'in use at exit'
check "child still reachable: 1,000 requests within $HEAP_SLACK B of 100" no_growth 'still reachable'
check "the pool logged no crash or restart" lacks "$(cat "$GT_STACK_DIR/fcgi.log")" restarting

finish
