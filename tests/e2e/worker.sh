#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check` and `wait_for`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx with the real gentrack-worker and the demo
# generator: requests complete, partially fail and fail; a hanging generator
# is killed by --timeout; a cancel stops the worker within one heartbeat; a
# SIGKILLed worker leaves a lease that expires; SIGTERM finishes the running
# entity and exits 0; transient HTTP failures are retried.
#
# Each scenario has its own entity type and its own worker, so they all run
# at once and the whole test stays well under a minute.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq
WORKER_BIN=$GT_BUILDDIR/src/gentrack-worker
DEMO=$GT_SRCDIR/examples/demo-generator
[[ -x $WORKER_BIN ]] || { echo "FAIL: $WORKER_BIN not built"; echo "0 passed, 1 failed"; exit 1; }
start_stack worker --workers 2
AUTH_KEY=$CLIENT_KEY
COLL=/api/v1/generation-requests

# Every worker (and so every generator) carries this mark in its environment,
# so that whatever this test started can be found by pid and stopped.
MARK=gentrack-e2e-worker-$$-$RANDOM
declare -A WPID=()

trap 'stop_everything; bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT

# start_worker NAME [VAR=VALUE...] -- [worker options...]: one worker running
# $GENERATOR (the demo generator unless set), its log in the stack folder,
# its pid in WPID[NAME].
start_worker() {
	local name=$1 envs=()
	shift
	while (($#)) && [[ $1 != -- ]]; do
		envs+=("$1")
		shift
	done
	shift
	env "GT_E2E_MARK=$MARK" "GENTRACK_WORKER_KEY=$WORKER_KEY" "${envs[@]}" \
		"$WORKER_BIN" --url "$BASE_URL" --poll 0.2 "$@" -- "${GENERATOR:-$DEMO}" \
		>>"$GT_STACK_DIR/worker-$name.log" 2>&1 &
	WPID[$name]=$!
}

wlog() { cat "$GT_STACK_DIR/worker-$1.log"; }

create() {
	api POST "$COLL" "$1"
	[[ $ST == 202 ]] || { echo "could not create $1: $ST $(head -c 300 "$HB")" >&2; return 1; }
	jb .request_id
}

# The resource of ID into $HB (a client read).
fetch() { api GET "$COLL/$1" ''; }
status_is_now() { fetch "$1"; [[ $(jb .status) == "$2" ]]; }
field_is() { eq "$(jb "$1")" "$2"; }

# The generator process the worker runs right now (its child), if any.
generator_of() { pgrep -P "$1" | head -1; }
has_generator() { [[ -n $(generator_of "$1") ]]; }
gone() {
	local state
	state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ $state == Z || $state == X ]]
}
log_has() { grep -q -- "$2" "$GT_STACK_DIR/worker-$1.log"; }

hex_id() { tr -d '-' <<<"$1"; }

# A generator that fails with a long German error on stderr (issue 20): the
# worker sends its first 1,024 bytes, of which the completion message quotes
# the first 511, a cut that falls inside an "ü".
GERMAN_GEN=$GT_TMP/german-generator
cat >"$GERMAN_GEN" <<'EOF'
#!/bin/sh
cat >/dev/null
printf '%s' 'Zeitüberschreitung: ' >&2
i=0
while [ $i -lt 600 ]; do printf '%s' 'ü' >&2; i=$((i + 1)); done
exit 1
EOF
chmod +x "$GERMAN_GEN"

# ---- the workers, one per scenario ----
start_worker ok DEMO_DELAY=0.1 -- --entity-type problem --entity-type quiz
start_worker flaky DEMO_DELAY=0.05 DEMO_FAIL_EVERY=2 -- --entity-type flaky
start_worker broken DEMO_DELAY=0.05 DEMO_FAIL_RATE=1 -- --entity-type broken
start_worker hang DEMO_HANG=1 -- --entity-type hang --timeout 1
start_worker slow DEMO_DELAY=60 -- --entity-type slow --lease 3
start_worker victim DEMO_DELAY=60 -- --entity-type victim --lease 2
start_worker graceful DEMO_DELAY=3 -- --entity-type graceful --grace 10
start_worker multi DEMO_DELAY=0.5 -- --entity-type multi --concurrency 2
GENERATOR=$GERMAN_GEN start_worker german -- --entity-type german

P_OK=$(create '{"entity_type":"problem","count":5,"constraints":{"level":2}}')
Q_OK=$(create '{"entity_type":"quiz","count":2}')
FLAKY=$(create '{"entity_type":"flaky","count":5}')
BROKEN=$(create '{"entity_type":"broken","count":3}')
HANG=$(create '{"entity_type":"hang","count":1}')
SLOW=$(create '{"entity_type":"slow","count":2}')
VICTIM=$(create '{"entity_type":"victim","count":2}')
MULTI1=$(create '{"entity_type":"multi","count":2}')
MULTI2=$(create '{"entity_type":"multi","count":2}')
OTHER=$(create '{"entity_type":"nobody_serves_this","count":1}')
GERMAN=$(create '{"entity_type":"german","count":1}')
check "the requests are created" match "$P_OK$FLAKY$BROKEN$HANG$SLOW$VICTIM$MULTI2$OTHER$GERMAN" '^[0-9a-f-]{324}$'

# ---- a worker SIGKILLed mid-request: its lease expires ----
wait_for 100 has_generator "${WPID[victim]}"
check "the victim worker is generating" has_generator "${WPID[victim]}"
victim_gen=$(generator_of "${WPID[victim]}")
kill -KILL "${WPID[victim]}"
wait "${WPID[victim]}" 2>/dev/null
unset 'WPID[victim]'
killed_at=$SECONDS
lease_row() {
	sql "SELECT status, lease_expires_at < UTC_TIMESTAMP(6) FROM generation_requests
	     WHERE id = UNHEX('$(hex_id "$VICTIM")')" | tr '\t' ' '
}
check "right after the SIGKILL the request is processing with a live lease" eq "$(lease_row)" "processing 0"

# ---- a cancel while generating stops the worker within one heartbeat ----
wait_for 100 has_generator "${WPID[slow]}"
check "the slow worker is generating" has_generator "${WPID[slow]}"
slow_gen=$(generator_of "${WPID[slow]}")
api POST "$COLL/$SLOW/cancel" '{"reason":"changed my mind"}'
check "the request is cancelled while the generator runs" status_is 200
cancelled_at=$SECONDS
# --lease 3: a heartbeat every second; then SIGTERM to the generator's group.
check "the worker learns it at its next heartbeat (within 2.5 s)" \
	wait_for 25 log_has slow "heartbeat lost $SLOW"
check "... and the generator is gone" wait_for 25 gone "$slow_gen"
check "... within one heartbeat plus the kill" eq "$(((SECONDS - cancelled_at) <= 4))" 1
check "the worker logged that it killed the generator" log_has slow "killed the generator of entity 0 of $SLOW"
check "... and keeps running" eval '! gone "${WPID[slow]}"'
fetch "$SLOW"
check "the request stays cancelled" field_is .status cancelled
check "... with no entity recorded" field_is '.generated_count + .failed_count' 0

# ---- SIGTERM: the running entity finishes, the request is abandoned, exit 0 ----
# Created only now, so that the SIGTERM lands while its first entity (3 s)
# is being made, however long the sections above took.
GRACEFUL=$(create '{"entity_type":"graceful","count":3}')
check "the graceful request is created" match "$GRACEFUL" '^[0-9a-f-]{36}$'
wait_for 100 has_generator "${WPID[graceful]}"
check "the graceful worker is generating" has_generator "${WPID[graceful]}"
kill -TERM "${WPID[graceful]}"
graceful_exited() { gone "${WPID[graceful]}"; }
check "SIGTERM: the worker exits within 5 s" wait_for 50 graceful_exited
wait "${WPID[graceful]}"
check "... with status 0" eq "$?" 0
unset 'WPID[graceful]'
fetch "$GRACEFUL"
check "... after recording the entity it was making" field_is .generated_count 1
check "... without completing the request (its lease will expire)" field_is .status processing
check "... and says so" log_has graceful "stopping: abandoned $GRACEFUL with 2 entities left"

# ---- a 5-entity request completes with 5 entities ----
check "the problem request completes" wait_for 150 status_is_now "$P_OK" completed
check "... with 5 generated, 0 failed" field_is '"\(.generated_count) \(.failed_count) \(.requested_count)"' "5 0 5"
check "... and 5 entities" field_is '.entities | length' 5
check "... each an arithmetic problem of level 2" \
	field_is '[.entities[] | select((.question | test("^What is [0-9]+ × [0-9]+\\?$")) and (.answer | type) == "number" and .level == 2)] | length' 5
check "... whose answers are right" \
	field_is '[.entities[] | (.question | capture("(?<a>[0-9]+) × (?<b>[0-9]+)")) as $m | select(($m.a | tonumber) * ($m.b | tonumber) == .answer)] | length' 5
check "the quiz request completes" wait_for 50 status_is_now "$Q_OK" completed
check "... with multiple-choice items" \
	field_is '[.entities[] | select((.choices | length) == 4 and .choices[.answer] != null)] | length' 2
check "the worker logged the claim" log_has ok "claimed $P_OK (problem, attempt 1, 5 of 5 pending"
check "... each entity" eq "$(grep -c "entity [0-4] of $P_OK ok" "$GT_STACK_DIR/worker-ok.log")" 5
check "... and the completion" log_has ok "completed $P_OK: completed (5 generated, 0 failed of 5)"

# ---- every other entity fails: partial ----
check "the flaky request ends partial" wait_for 100 status_is_now "$FLAKY" partial
check "... with 3 generated and 2 failed of 5" \
	field_is '"\(.generated_count) \(.failed_count) \(.requested_count)"' "3 2 5"
check "... 3 entities" field_is '.entities | length' 3
check "the failures are logged with the generator's stderr" \
	log_has flaky "entity 1 of $FLAKY failed (.* s): exit status 1: demo-generator: index 1 fails on purpose"

# ---- every entity fails: failed, generator_failed ----
check "the broken request ends failed" wait_for 100 status_is_now "$BROKEN" failed
check "... with failure_reason generator_failed" field_is .failure_reason generator_failed
check "... 0 generated, 3 failed" field_is '"\(.generated_count) \(.failed_count)"' "0 3"
check "... and the generator's message in error_message" match "$(jb .error_message)" "model is overloaded"

# ---- a long German error: the complete answers, the request ends failed ----
check "the German request ends failed (not stuck processing)" wait_for 100 status_is_now "$GERMAN" failed
check "... with failure_reason generator_failed" field_is .failure_reason generator_failed
check "... its answer is valid UTF-8" iconv -f UTF-8 -t UTF-8 -o /dev/null "$HB"
check "... error_message quotes the start of the error" \
	match "$(jb .error_message)" '^1 of 1 entities not generated; last error: exit status 1: Zeitüberschreitung: (ü){200,}$'
check "the worker's complete was answered" log_has german "completed $GERMAN: failed (0 generated, 1 failed of 1)"
check "... at its first try" eval '! grep -q "HTTP 5" "$GT_STACK_DIR/worker-german.log"'

# ---- a generator that hangs is killed at --timeout ----
check "the hanging request ends failed" wait_for 100 status_is_now "$HANG" failed
check "... its entity recorded as failed" field_is '"\(.generated_count) \(.failed_count)"' "0 1"
check "... timed out" match "$(jb .error_message)" "timed out after 1 s"
check "the worker logged the timeout" log_has hang "entity 0 of $HANG failed (.* s): timed out after 1 s"
no_hang_generator() { [[ -z $(generator_of "${WPID[hang]}") ]]; }
check "no generator of the hang worker is left" wait_for 30 no_hang_generator

# ---- --concurrency 2: two loops, each with its own claim ----
check "both multi requests complete" wait_for 100 status_is_now "$MULTI1" completed
check "... the second too" wait_for 50 status_is_now "$MULTI2" completed
multi_pids=$(grep -oE "gentrack-worker\[[0-9]+\] info: claimed" "$GT_STACK_DIR/worker-multi.log" | sort -u | wc -l)
check "... claimed by two different loops" eq "$multi_pids" 2
loops=$(pgrep -P "${WPID[multi]}" | tr '\n' ' ')
kill -TERM "${WPID[multi]}"
multi_exited() { gone "${WPID[multi]}"; }
check "SIGTERM to the supervisor stops it within 5 s" wait_for 50 multi_exited
wait "${WPID[multi]}"
check "... with status 0" eq "$?" 0
unset 'WPID[multi]'
loops_gone() { local p; for p in $loops; do gone "$p" || return 1; done; }
check "... and its loops ($loops) are gone" wait_for 20 loops_gone

# ---- the SIGKILLed worker's lease has expired ----
sleep_left=$((killed_at + 3 - SECONDS))
((sleep_left <= 0)) || sleep "$sleep_left"
check "lease+1 s after the SIGKILL the lease has expired" eq "$(lease_row)" "processing 1"
# Its generator was told (SIGTERM on the worker's death); stop what is left,
# but only if that pid is still the generator: pids are reused quickly here,
# and a reused one may lead another test's process group.
if tr '\0' ' ' <"/proc/$victim_gen/cmdline" 2>/dev/null | grep -q demo-generator; then
	kill -KILL -- "-$victim_gen" 2>/dev/null || true
fi
fetch "$VICTIM"
check "a status read then hands it back for a retry" field_is '"\(.status) \(.attempt)"' "pending 1"

# ---- a request of a type no worker serves stays pending ----
fetch "$OTHER"
check "a request of an unserved type stays pending" field_is .status pending

# ---- transient failures: nginx goes away and comes back ----
bash "$GT_STACK" stop "$GT_STACK_DIR" nginx >/dev/null 2>&1
check "with nginx down the worker backs off" wait_for 50 log_has ok "claim: Couldn't connect to server; backoff"
bash "$GT_STACK" up "$GT_STACK_DIR" >"$GT_TMP/up.log" 2>&1 || cat "$GT_TMP/up.log"
AFTER=$(create '{"entity_type":"problem","count":1}')
check "once it is back the worker picks up new work" wait_for 200 status_is_now "$AFTER" completed

no_worker_reports() {
	local reports
	reports=$(grep -h -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		"$GT_STACK_DIR"/worker-*.log 2>/dev/null | head -3)
	[[ -z $reports ]] && return 0
	GT_DETAIL="$reports"
	return 1
}
stop_everything
check "no sanitizer reports in the worker logs" no_worker_reports
check "every process this test started is gone" eval '[[ -z $(marked_pids) ]]'

finish
