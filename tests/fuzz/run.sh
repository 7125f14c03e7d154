#!/usr/bin/env bash
# libFuzzer targets for every parser that touches input (tests/fuzz/*.c):
# builds them with clang (-fsanitize=fuzzer,address,undefined) straight from
# the needed src/*.c files into $abs_top_builddir/tests/fuzz/bin/, then runs
# each for FUZZ_SECONDS (default 20: the smoke of make check; `make fuzz`
# runs 600). Each run first replays the committed seeds of
# tests/fuzz/corpus/<target>/ (crash reproducers once fixed land there: they
# are the regression tests), then mutates; what it learns is kept in
# tests/fuzz/work/<target>/ of the build tree for the next run.
#
#   FUZZ_SECONDS=60 bash tests/fuzz/run.sh [target...]
#
# A crash, leak, timeout or broken invariant fails its target; the input is
# kept as tests/fuzz/crashes/<target>-<kind>-<sha1> in the build tree.
# Without clang or libFuzzer the test is skipped (77), except in CI.
# The last line is "N passed, N failed", as the other shell tests print.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=${abs_top_srcdir:-$(cd "$HERE/../.." && pwd)}
BUILDDIR=${abs_top_builddir:-$SRCDIR}
# The fuzzers carry their own sanitizers in every build: the ASan build of
# ./dev test --sanitizers and make distcheck (whose source tree is read-only)
# only replay the seeds and fuzz briefly; the plain build's smoke is the run.
if [[ -z ${FUZZ_SECONDS:-} ]]; then
	FUZZ_SECONDS=20
	if grep -q -e "--enable-sanitizers" "$BUILDDIR/config.status" 2>/dev/null ||
		[[ ! -w $SRCDIR || $BUILDDIR == */_build/sub ]]; then
		FUZZ_SECONDS=3
	fi
fi
CC_FUZZ=${CC_FUZZ:-clang}
OUT=$BUILDDIR/tests/fuzz
BIN=$OUT/bin

ALL_TARGETS=(create_body worker_body router query config headers generator_output claim_answer
	json_indent)

# The src/ files each target compiles, beyond the common ones.
COMMON_SRC=(base/strbuf base/number base/jsonw base/utf8 base/json_type web/problem)
declare -A TARGET_SRC=(
	[create_body]="api/validate model/webhook model/auth model/resource model/lifecycle base/timeutil base/uuid"
	[worker_body]="api/validate model/webhook model/auth model/resource model/lifecycle base/timeutil base/uuid"
	[router]="web/router base/uuid bin/routes model/resource model/lifecycle base/timeutil"
	[query]="base/query"
	[config]="base/config base/timeutil"
	[headers]="base/cookie model/auth model/webhook web/basic_auth api/validate web/etag model/resource model/lifecycle base/timeutil base/uuid"
	[generator_output]="worker/generator base/timeutil"
	[claim_answer]="worker/claim model/resource model/lifecycle base/timeutil base/uuid"
	[json_indent]="base/json_indent"
)

passed=0
failed=0

missing_tools() {
	if [[ -n ${CI:-} ]]; then
		echo "FAIL: $* (CI needs clang and libclang-rt-14-dev: run ./dev deps)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP: $* (run ./dev deps)"
	exit 77
}

result() {
	if (($1 == 0)); then
		passed=$((passed + 1))
		echo "ok   - $2"
	else
		failed=$((failed + 1))
		echo "FAIL - $2"
	fi
}

# ---- tools ----
command -v "$CC_FUZZ" >/dev/null 2>&1 || missing_tools "no $CC_FUZZ"
command -v pkg-config >/dev/null 2>&1 || missing_tools "no pkg-config"
mkdir -p "$BIN" "$OUT/work" "$OUT/crashes" || exit 1
probe=$BIN/.probe.$$
if ! printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' |
	"$CC_FUZZ" -x c -fsanitize=fuzzer,address,undefined -o "$probe" - >/dev/null 2>&1; then
	missing_tools "$CC_FUZZ cannot link -fsanitize=fuzzer,address,undefined (libclang-rt-14-dev)"
fi
rm -f "$probe"
# shellcheck disable=SC2207 # pkg-config prints a word list
DEP_CFLAGS=($(pkg-config --cflags jansson libsodium)) || missing_tools "jansson or libsodium .pc missing"
# shellcheck disable=SC2207
DEP_LIBS=($(pkg-config --libs jansson libsodium))
[[ -f $BUILDDIR/build_config.h ]] || { echo "FAIL: run configure first (no build_config.h)"; echo "0 passed, 1 failed"; exit 1; }

# shellcheck disable=SC2054 # the commas belong to -fsanitize=
CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra -Wno-unused-parameter
	-I"$BUILDDIR" -I"$SRCDIR/src" -I"$SRCDIR/tests/fuzz" "${DEP_CFLAGS[@]}")

# Rebuilds bin/fuzz_T when a source or header it may use is newer.
build() {
	local t=$1 exe=$BIN/fuzz_$1 srcs=() f
	for f in "${COMMON_SRC[@]}" ${TARGET_SRC[$t]}; do
		srcs+=("$SRCDIR/src/$f.c")
	done
	if [[ -x $exe ]] && [[ -z $(find "$SRCDIR/src" "$SRCDIR/tests/fuzz" "$BUILDDIR/build_config.h" \
		\( -name '*.c' -o -name '*.h' \) -newer "$exe" -print -quit 2>/dev/null) ]]; then
		return 0
	fi
	"$CC_FUZZ" "${CFLAGS[@]}" -o "$exe" "$SRCDIR/tests/fuzz/fuzz_$t.c" "${srcs[@]}" "${DEP_LIBS[@]}"
}

# Runs one target; 0 when it ran its time without finding anything.
run() {
	local t=$1 exe=$BIN/fuzz_$1 log=$OUT/work/$1.log rc
	local seeds=$SRCDIR/tests/fuzz/corpus/$t work=$OUT/work/$t
	mkdir -p "$work"
	# Child processes (the generator target) must not inherit a terminal.
	"$exe" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-error_exitcode=1 -print_final_stats=1 -artifact_prefix="$OUT/crashes/$t-" \
		"$work" "$seeds" </dev/null >"$log" 2>&1
	rc=$?
	local runs eps
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	echo "     $t: ${runs:-?} runs, ${eps:-?} exec/s, $(find "$work" -type f | wc -l) inputs learned"
	if ((rc != 0)); then
		echo "     $t: exit $rc; the input: $(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)"
		grep -E 'ERROR: |invariant failed|runtime error:|SUMMARY:' "$log" | head -n 8 | sed 's/^/     /'
		tail -n 30 "$log" | sed 's/^/     | /'
	fi
	return $rc
}

if (($# > 0)); then
	TARGETS=("$@")
else
	TARGETS=("${ALL_TARGETS[@]}")
fi

echo "# fuzzing ${#TARGETS[@]} targets for ${FUZZ_SECONDS}s each (FUZZ_SECONDS)"
for t in "${TARGETS[@]}"; do
	if [[ -z ${TARGET_SRC[$t]+set} ]]; then
		result 1 "unknown target '$t' (one of: ${ALL_TARGETS[*]})"
		continue
	fi
	if ! build "$t"; then
		result 1 "fuzz_$t builds with clang"
		continue
	fi
	run "$t"
	result $? "fuzz_$t: no crash, leak, timeout or broken invariant in ${FUZZ_SECONDS}s"
done

# The corpus is listed in tests/fuzz/corpus.am for make dist: a seed that is
# not listed would be missing from the tarball, a listed one that is gone
# would break it.
if (($# == 0)) && [[ -e $SRCDIR/.git ]]; then
	drift=$(cd "$SRCDIR" && diff <(find tests/fuzz/corpus -type f | LC_ALL=C sort) \
		<(sed -n 's/^\t\(tests[^ ]*\).*/\1/p' tests/fuzz/corpus.am | LC_ALL=C sort))
	[[ -z $drift ]] || printf '     corpus.am is stale (run tests/fuzz/corpus-list.sh):\n%s\n' "$drift"
	result "$([[ -z $drift ]] && echo 0 || echo 1)" "tests/fuzz/corpus.am lists exactly the seeds"
fi

echo "$passed passed, $failed failed"
((failed == 0))
