# Helpers for the shell tests (integration and end-to-end); source it.
#
# Each test is a list of small `check` calls. Results go to stdout, one line
# each; `finish` prints the closing "N passed, N failed" line and exits with
# automake's codes (0 pass, 1 fail). `skip_test` exits 77.
# shellcheck shell=bash

GT_HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GT_SRCDIR=${abs_top_srcdir:-$(cd "$GT_HARNESS/../.." && pwd)}
GT_BUILDDIR=${abs_top_builddir:-$GT_SRCDIR}
export abs_top_srcdir=$GT_SRCDIR abs_top_builddir=$GT_BUILDDIR
GT_STACK=$GT_HARNESS/stack.sh

GT_PASSED=0
GT_FAILED=0

skip_test() {
	echo "SKIP: $*"
	exit 77
}

# Outside CI a machine without the stack's programs skips; in CI it fails,
# so a missing install step cannot hide behind a green run.
require_programs() {
	local p missing=()
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	[[ -n ${CI:-} ]] && { echo "FAIL: missing programs: ${missing[*]} (run ./dev deps)"; exit 1; }
	skip_test "missing programs: ${missing[*]} (run ./dev deps)"
}

# An npm package of tests/browser/package-lock.json (playwright-core for the
# browser tests, standardwebhooks for tests/e2e/webhooks.sh, ajv for the
# answers' check against the OpenAPI document), installed once into the build
# tree with everything the lock file names (the source tree may be read-only,
# as under make distcheck); sets NPM_DIR, where it is (GT_NPM_DIR for the .mjs
# scripts). Suites run in parallel: one installs, under a lock, the others wait
# for it. npm_package_ready answers 0 or 1; need_npm_package fails the test.
# After a failed install the others give up at once for 10 minutes (no
# registry here: one wait of npm's, not one per suite).
npm_package_ready() {
	NPM_DIR=$GT_BUILDDIR/tests/browser
	[[ -d $NPM_DIR/node_modules/$1 ]] && return 0
	mkdir -p "$NPM_DIR"
	(
		flock 9
		[[ -d $NPM_DIR/node_modules/$1 ]] && exit 0
		[[ -z $(find "$NPM_DIR/.npm-ci.failed" -mmin -10 2>/dev/null) ]] || exit 1
		[[ $NPM_DIR -ef $GT_SRCDIR/tests/browser ]] ||
			cp "$GT_SRCDIR/tests/browser/package.json" "$GT_SRCDIR/tests/browser/package-lock.json" "$NPM_DIR/"
		cd "$NPM_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2 &&
			rm -f "$NPM_DIR/.npm-ci.failed" && exit 0
		touch "$NPM_DIR/.npm-ci.failed"
		exit 1
	) 9>"$NPM_DIR/.npm-ci.lock"
}
need_npm_package() {
	npm_package_ready "$1" ||
		{ echo "FAIL: npm ci in $NPM_DIR"; echo "0 passed, 1 failed"; exit 1; }
}
need_playwright() { need_npm_package playwright-core; }

# Starts a fresh stack in tests/.stack/NAME of the build tree, stops it when
# the test exits however it exits, and loads its credentials.env. With
# GENTRACK_FRONT=apache (stack.sh) the folder is NAME-apache: the same test
# through nginx may run at the same time.
start_stack() {
	local name=$1
	shift
	[[ ${GENTRACK_FRONT:-nginx} == nginx ]] || name+=-$GENTRACK_FRONT
	GT_STACK_DIR=$GT_BUILDDIR/tests/.stack/$name
	GT_STACK_OUTSIDE=""
	# Apache's children run as www-data when root starts them, and must
	# reach the socket's folder: a build tree they cannot enter (a clone
	# under /root) puts that stack in a fresh folder under /tmp instead.
	if [[ ${GENTRACK_FRONT:-nginx} == apache && $EUID == 0 ]] && command -v runuser >/dev/null 2>&1 &&
		id -u www-data >/dev/null 2>&1 && mkdir -p "$GT_BUILDDIR/tests/.stack" &&
		! runuser -u www-data -- test -x "$GT_BUILDDIR/tests/.stack"; then
		GT_STACK_OUTSIDE=$(mktemp -d /tmp/gentrack-stack.XXXXXX) && chmod 0755 "$GT_STACK_OUTSIDE" ||
			{ echo "FAIL: no folder under /tmp for the stack"; echo "0 passed, 1 failed"; exit 1; }
		GT_STACK_DIR=$GT_STACK_OUTSIDE/$name
		echo "# $GT_BUILDDIR is closed to www-data: the stack runs in $GT_STACK_DIR"
	fi
	trap 'bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"; [[ -z $GT_STACK_OUTSIDE ]] || rm -rf "$GT_STACK_OUTSIDE"' EXIT
	# Every run starts from an empty store: stop what a killed earlier run
	# may have left, and drop its data.
	bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true
	rm -rf "$GT_STACK_DIR"
	if ! bash "$GT_STACK" up "$GT_STACK_DIR" "$@"; then
		echo "FAIL: the test stack did not start"
		echo "0 passed, 1 failed"
		exit 1
	fi
	# shellcheck source=/dev/null
	. "$GT_STACK_DIR/credentials.env"
}

# check NAME COMMAND...: runs COMMAND; passes when it exits 0.
check() {
	local name=$1
	shift
	if "$@"; then
		GT_PASSED=$((GT_PASSED + 1))
		echo "ok   - $name"
	else
		GT_FAILED=$((GT_FAILED + 1))
		echo "FAIL - $name"
		[[ -z ${GT_DETAIL:-} ]] || echo "       $GT_DETAIL"
	fi
	GT_DETAIL=""
}

# Comparisons that leave a detail line for check's failure message.
eq() {
	[[ $1 == "$2" ]] && return 0
	GT_DETAIL="expected '$2', got '$1'"
	return 1
}
match() {
	[[ $1 =~ $2 ]] && return 0
	GT_DETAIL="'$1' does not match /$2/"
	return 1
}

lacks() {
	[[ $1 != *"$2"* ]] && return 0
	GT_DETAIL="'$2' found in: $(head -c 300 <<<"$1")"
	return 1
}

# Sanitizer reports land in the service logs, not in any HTTP answer: a child
# that leaked or tripped UBSan may well have answered correctly.
no_sanitizer_reports() {
	local reports
	reports=$(grep -h -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		"$GT_STACK_DIR"/fcgi*.log 2>/dev/null | head -3)
	[[ -z $reports ]] && return 0
	GT_DETAIL="$reports"
	return 1
}

finish() {
	[[ -z ${GT_STACK_DIR:-} ]] || check "no sanitizer reports in the service logs" no_sanitizer_reports
	[[ ! -s ${GT_RECORD_ANSWERS:-} ]] || check_recorded_answers
	echo "$GT_PASSED passed, $GT_FAILED failed"
	((GT_FAILED == 0))
	exit $?
}

# SQL as root on the stack's own MariaDB, tab-separated, no headers.
sql() {
	mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B gentrack -e "$1"
}

# "YYYY-MM-DD HH:MM:SS" of the store's clock minus an interval, cut to the minute.
store_minute_ago() { sql "SELECT DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL $1, '%Y-%m-%d %H:%i:00')"; }
# seed_finished TYPE STATUS N REQUESTED_AT COMPLETED_AT [DURATION_SECONDS...]:
# N finished requests written straight into the store (a history at known
# minutes, for the charts' tests); the i-th started DURATION_i seconds before
# it completed (none: never started).
seed_finished() {
	local type=$1 status=$2 n=$3 requested=$4 completed=$5 i started
	shift 5
	for ((i = 0; i < n; i++)); do
		started=NULL
		[[ -z ${1:-} ]] || { started="TIMESTAMP('$completed') - INTERVAL $1 SECOND"; shift; }
		sql "INSERT INTO generation_requests (id, owner, entity_type, status, requested_count,
		       generated_count, requested_at, started_at, completed_at, updated_at,
		       constraints_json, metadata_json)
		     VALUES (UNHEX(REPLACE(UUID(), '-', '')), 'seed', '$type', '$status', 1, 1,
		       '$requested', $started, '$completed', '$completed', '{}', '{}')"
	done
}

# ---- processes a test started, found by a mark in their environment ----
# For tests that start workers (and so generators): the caller sets MARK,
# passes GT_E2E_MARK=$MARK in each one's environment, and keeps their pids
# in the associative array WPID.

# Pids of live (not zombie) processes with our mark in their environment.
marked_pids() {
	local f pid state
	for f in /proc/[0-9]*/environ; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		tr '\0' '\n' 2>/dev/null <"$f" | grep -qx "GT_E2E_MARK=$MARK" || continue
		state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null) || continue
		[[ $state == Z || $state == X ]] || echo "$pid"
	done
}

# TERM to every pid in WPID, then KILL to whatever of ours outlives 3 s.
stop_everything() {
	local pid
	for pid in "${WPID[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for _ in $(seq 30); do
		[[ -z $(marked_pids) ]] && break
		sleep 0.1
	done
	for pid in $(marked_pids); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# ---- every answer against the OpenAPI document (api/openapi.json) ----
# req() appends each answer it gets to GT_RECORD_ANSWERS (a file; empty: no
# record): by default one file per suite under the build tree, started
# afresh, so a failing check can be read again. finish() has
# tests/openapi/validate.mjs match each to its operation and check its
# status, headers, media type and body; a suite whose answers do not conform
# fails.
GT_OPENAPI=$GT_SRCDIR/api/openapi.json
if [[ -z ${GT_RECORD_ANSWERS+x} ]]; then
	GT_RECORD_ANSWERS=$GT_BUILDDIR/tests/output/answers/$(basename "$(dirname "$0")")-$(basename "$0" .sh).tsv
	mkdir -p "${GT_RECORD_ANSWERS%/*}" && : >"$GT_RECORD_ANSWERS" || GT_RECORD_ANSWERS=""
fi

# record_answer METHOD PATH: the last answer (ST, $HH, $HB) as one line:
# METHOD, PATH, STATUS, Content-Type, the body and the header block, the last
# two in base64, tab-separated.
record_answer() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$ST" "$(hdr Content-Type)" "$(base64 -w0 "$HB")" \
		"$(base64 -w0 "$HH")" >>"$GT_RECORD_ANSWERS"
}

answers_match_openapi() {
	local out
	out=$(GT_NPM_DIR=$NPM_DIR node "$GT_SRCDIR/tests/openapi/validate.mjs" "$GT_OPENAPI" \
		"$GT_RECORD_ANSWERS" 2>&1) && return 0
	GT_DETAIL="$GT_RECORD_ANSWERS: $(head -c 4000 <<<"$out")"
	return 1
}

# Without node or ajv (no npm registry here) the check is skipped, outside CI.
check_recorded_answers() {
	if ! command -v node >/dev/null 2>&1 || ! npm_package_ready ajv-formats 2>/dev/null; then
		[[ -z ${CI:-} ]] || { check "answers checked against api/openapi.json (node, ajv)" false; return; }
		echo "skip - answers against api/openapi.json: no node, or ajv could not be installed"
		return 0
	fi
	check "every answer conforms to api/openapi.json" answers_match_openapi
}

# ---- HTTP (curl) ----
# req METHOD PATH [curl args...]: sets ST (status), and the files $HB (body)
# and $HH (headers) of the response; bounded by --max-time.
GT_TMP=$(mktemp -d)
HB=$GT_TMP/body
HH=$GT_TMP/headers
ST=000
req() {
	local method=$1 path=$2
	shift 2
	# curl writes no -o file for an empty body (304): clear the last one.
	: >"$HB"
	: >"$HH"
	ST=$(curl -sS --max-time 10 -o "$HB" -D "$HH" -w '%{http_code}' -X "$method" "$@" "$BASE_URL$path" 2>"$GT_TMP/curl.err") || true
	[[ -n $ST ]] || ST=000
	[[ -z $GT_RECORD_ANSWERS ]] || record_answer "$method" "$path"
}
# req_head PATH [curl args]: a HEAD as `curl -I` sends it (-X HEAD would wait
# for the body its Content-Length announces); $HB stays empty.
req_head() {
	local path=$1
	shift
	: >"$HB"
	: >"$HH"
	ST=$(curl -sS --max-time 10 -I -o /dev/null -D "$HH" -w '%{http_code}' "$@" "$BASE_URL$path" 2>"$GT_TMP/curl.err") || true
	[[ -n $ST ]] || ST=000
}
# The same with a client's bearer key and a JSON body (use '' for none).
AUTH_KEY=""
api() {
	local method=$1 path=$2 body=${3-}
	shift 3 || shift $#
	local args=(-H "Authorization: Bearer $AUTH_KEY")
	[[ -z $body ]] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
	req "$method" "$path" "${args[@]}" "$@"
}
# A response header's value (case-insensitive name, CR dropped).
hdr() {
	awk -v n="$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')" 'BEGIN{FS=": *"} { k=tolower($1); sub(/\r$/, ""); if (k == n) { sub(/^[^:]*: */, ""); v=$0 } } END { print v }' "$HH"
}
# jq on the last response body; prints "PARSE_ERROR" on a non-JSON body.
jb() { jq -r "$1" "$HB" 2>/dev/null || echo PARSE_ERROR; }

status_is() { eq "$ST" "$1"; }

# jq -e FILTER on the last body.
jtrue() {
	jq -e "$@" "$HB" >/dev/null 2>&1 && return 0
	GT_DETAIL="jq $* is false on: $(head -c 400 "$HB")"
	return 1
}

# wait_for TENTHS COMMAND...: retries COMMAND every 0.1 s, at most TENTHS times.
wait_for() {
	local tenths=$1 i
	shift
	for ((i = 0; i < tenths; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Everything a request could write: row counts, and the sum of request
# versions (bumped by every update of a request).
writes() {
	sql "SELECT (SELECT COUNT(*) FROM generation_requests), (SELECT COUNT(*) FROM generation_entities),
	            (SELECT COUNT(*) FROM generation_events), (SELECT COUNT(*) FROM idempotency_keys),
	            (SELECT COALESCE(SUM(version), 0) FROM generation_requests),
	            (SELECT COUNT(*) FROM admin_actions)" | tr '\t' ' '
}

# refused NAME STATUS COMMAND...: COMMAND (api or req) gets a STATUS problem
# and leaves the store untouched.
refused() {
	local name=$1 want=$2 before
	shift 2
	before=$(writes)
	"$@"
	check "$name: $want problem+json" is_problem "$want"
	check "$name: nothing written" eq "$(writes)" "$before"
}

# The last response is an RFC 9457 problem of STATUS.
is_problem() {
	local want=$1 ct
	eq "$ST" "$want" || { GT_DETAIL="status: $GT_DETAIL; body: $(head -c 300 "$HB")"; return 1; }
	ct=$(hdr Content-Type)
	match "$ct" '^application/problem\+json' || { GT_DETAIL="Content-Type: $GT_DETAIL"; return 1; }
	jq -e --argjson s "$want" \
		'(.type|type)=="string" and (.title|type)=="string" and .status==$s and (.detail|type)=="string"' \
		"$HB" >/dev/null 2>&1 || { GT_DETAIL="not a problem+json body of $want: $(head -c 300 "$HB")"; return 1; }
}
