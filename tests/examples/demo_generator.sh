#!/usr/bin/env bash
# Helper functions are called through `check`.
# shellcheck disable=SC2317
# examples/demo-generator run directly, no stack: its provider outage switch
# (DEMO_OUTAGE_FILE, what `./dev outage on|off` makes and removes). While the
# file exists every entity fails (exit 1, the outage said last on stderr, as
# the worker records it), or only those of the types it names; once it is
# gone the same entity is made again.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs jq awk
GEN=$GT_SRCDIR/examples/demo-generator
FLAG=$GT_TMP/demo-outage
trap 'rm -rf "$GT_TMP"' EXIT

# run TYPE: one entity of TYPE; sets RC, OUT and ERR.
run() {
	OUT=$(printf '{"request_id":"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f","entity_type":"%s","index":0}' "$1" |
		DEMO_DELAY=0 DEMO_OUTAGE_DELAY=0 DEMO_OUTAGE_FILE=$FLAG "$GEN" 2>"$GT_TMP/err")
	RC=$?
	ERR=$(tail -n 1 "$GT_TMP/err")
}
made() { # made TYPE: exit 0, an object on stdout, nothing on stderr
	run "$1"
	[[ $RC == 0 && -z $ERR ]] && jq -e 'type == "object"' <<<"$OUT" >/dev/null && return 0
	GT_DETAIL="exit $RC, stdout '$OUT', stderr '$ERR'"
	return 1
}
outage() { # outage TYPE: exit 1, nothing on stdout, the outage said last
	run "$1"
	[[ $RC == 1 && -z $OUT && $ERR == *"provider outage"*"$FLAG exists"* ]] && return 0
	GT_DETAIL="exit $RC, stdout '$OUT', stderr '$ERR'"
	return 1
}

check "no flag file: a problem is made" made problem
: >"$FLAG"
check "an empty flag file: a problem fails as an outage" outage problem
check "... and a quiz too" outage quiz
echo quiz >"$FLAG"
check "a flag file naming quiz: a quiz fails" outage quiz
check "... a problem is made" made problem
printf 'essay  problem\n' >"$FLAG"
check "a flag file naming essay and problem: a problem fails" outage problem
check "... a quiz is made" made quiz
rm -f "$FLAG"
check "the flag file removed: the problem is made again" made problem
check "the same entity as before the outage" eq "$OUT" "$(DEMO_DELAY=0 "$GEN" <<<'{"request_id":"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f","entity_type":"problem","index":0}')"
: >"$FLAG"
DEMO_OUTAGE_DELAY=soon DEMO_OUTAGE_FILE=$FLAG "$GEN" <<<'{"entity_type":"problem","index":0}' >/dev/null 2>"$GT_TMP/err"
check "a bad DEMO_OUTAGE_DELAY: exit 2, named" eq "$?:$(grep -c DEMO_OUTAGE_DELAY "$GT_TMP/err")" "2:1"
finish
