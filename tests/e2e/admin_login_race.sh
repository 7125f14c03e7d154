#!/usr/bin/env bash
# `eval` checks name their $variables inside single quotes on purpose;
# helper functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx: an admin's own page loads that race on cold
# caches are never refused. The dashboard refreshes itself while the
# operator clicks; the two requests land on two children, neither of which
# has the password in its 60 s cache, and only one Argon2id runs at a time
# in the pool. The second must wait for the first's check, not get 429
# "Another sign-in is being checked".
#
# Four FastCGI children; each round restarts the pool (empty caches, a new
# pool key) and fires 6 page loads at once with the right password: all are
# 200, and Argon2id ran once for the 6. Then the guard against guessers
# still holds: the same wrong password at once is refused (401/429) and
# every 401 counts toward the address's limit; different wrong credentials
# at once still get the 429 "sign-in-busy" without waiting.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq awk
start_stack admin_login_race --workers 4

CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")
FCGI_LOG=$GT_STACK_DIR/fcgi.log
LOADS=6

# Argon2id checks that passed so far (the child that ran one logs it once).
verified() { grep -c 'signed in: password verified' "$FCGI_LOG" || true; }

# burst ADDR PATH USER:PASSWORD...: one request per credential, all at once
# from ADDR; prints their status codes sorted, space-separated, and leaves
# the bodies in $GT_TMP/burst.N.
burst() {
	local addr=$1 path=$2 args=() i=0 userpass
	shift 2
	for userpass in "$@"; do
		i=$((i + 1))
		args+=(--next --interface "$addr" -u "$userpass" -o "$GT_TMP/burst.$i" \
			-w '%{http_code}\n' "$BASE_URL$path")
	done
	curl -s --parallel --parallel-immediate --parallel-max 32 "${args[@]:1}" 2>/dev/null |
		sort | tr '\n' ' ' | sed 's/ $//'
}
# repeat N WORD: WORD N times, space-separated.
repeat() {
	local n=$1 word=$2 out=() i
	for ((i = 0; i < n; i++)); do out+=("$word"); done
	echo "${out[*]}"
}

# The pool after a restart: every child started and connected, so the
# loads truly meet on different children.
restart_pool() {
	bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1 &&
		bash "$GT_STACK" up "$GT_STACK_DIR" >/dev/null 2>&1 &&
		sleep 1
}

# ==== the same admin's page loads at once, cold caches ====
ALL_OK=$(repeat $LOADS 200)
creds=()
for ((i = 0; i < LOADS; i++)); do creds+=("admin:$ADMIN_PASSWORD"); done
for round in 1 2 3; do
	check "round $round: the pool restarted (empty caches)" restart_pool
	v0=$(verified)
	codes=$(burst "127.0.6.$round" /admin/ "${creds[@]}")
	check "round $round: $LOADS page loads at once are all 200" eq "$codes" "$ALL_OK"
	check "round $round: Argon2id ran once for the $LOADS" eq "$(($(verified) - v0))" 1
done
v0=$(verified)
codes=$(burst 127.0.6.9 /admin/api/stuck "${creds[@]}")
check "then: the JSON twin at once is all 200" eq "$codes" "$ALL_OK"
check "then: on the pool's result, without Argon2id" eq "$(($(verified) - v0))" 0

# ==== guessers are still held back ====
add_ops() { printf 'ops-password-1\n' | "${CTL[@]}" admin-user set ops >/dev/null; }
check "admin-user set ops (the guessers' target)" add_ops
check "the pool restarted (empty counts and results)" restart_pool

# The same wrong password at once: refused, and each 401 is a failure of
# the address (5 allowed), whether its own Argon2id or the shared one said so.
wrong=()
for ((i = 0; i < LOADS; i++)); do wrong+=("ops:wrong-password"); done
codes=$(burst 127.0.6.20 /admin/api/stuck "${wrong[@]}")
check "same wrong password at once: all 401 or 429 ($codes)" match "$codes" '^((401|429) ?)+$'
n401=$(grep -o 401 <<<"$codes" | wc -l)
more=0
for ((i = 0; i < 6; i++)); do
	req GET /admin/api/stuck --interface 127.0.6.20 -u "ops:wrong-$i"
	[[ $ST == 401 ]] || break
	more=$((more + 1))
done
check "same wrong password at once: then 429" is_problem 429
check "same wrong password at once: the address's type is too-many-sign-ins" \
	eq "$(jb .type)" "urn:gentrack:problem:too-many-sign-ins"
check "same wrong password at once: its $n401 401s counted ($more more before 429)" \
	eq "$more" "$((n401 >= 5 ? 0 : 5 - n401))"

# Different credentials at once (unknown users, so no user name's limit is
# near): one Argon2id at a time, the others 429 sign-in-busy at once.
guesses=()
for ((i = 0; i < LOADS; i++)); do guesses+=("guess-$i:guess-$i"); done
codes=$(burst 127.0.6.21 /admin/api/stuck "${guesses[@]}")
check "different credentials at once: all 401 or 429 ($codes)" match "$codes" '^((401|429) ?)+$'
check "different credentials at once: some are 429 sign-in-busy" \
	eval 'cat "$GT_TMP"/burst.* | grep -q "urn:gentrack:problem:sign-in-busy"'

# The admin is not held back by any of it.
req GET /admin/api/stuck --interface 127.0.6.22 -u "admin:$ADMIN_PASSWORD"
check "the admin still signs in" status_is 200

finish
