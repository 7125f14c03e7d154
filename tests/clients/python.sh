#!/usr/bin/env bash
# The Python client (clients/python) against the real stack: installed with
# pip into a fresh venv under the build tree (offline, --no-build-isolation),
# the README's two examples run as the README shows them, then the unittest
# modules of tests/clients/python/ with the installed package: every Client
# method and error class (a create retried after a killed FastCGI child),
# the Worker, and wait through the stream (nginx with Nchan). Then a stack
# without live updates (GENTRACK_NO_LIVE=1: /events is 501) for wait's
# polling. This branch's server has no ?wait long poll: a ?wait is a plain
# GET there, which the client detects and polls; the held long poll is
# tested against test_fake_server.py's in-process server.
# Helper functions are called through `check`.
# shellcheck disable=SC2317
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

# Debian 12's python3 (its setuptools and venv), rather than another one first in PATH.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3 || true)
require_programs mariadbd mariadb mariadb-install-db nginx curl pgrep "${PY:-python3}"
"$PY" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' 2>/dev/null ||
	{ [[ -n ${CI:-} ]] && { echo "FAIL: $PY: Python 3.11+ with venv/ensurepip needed (./dev deps)"; exit 1; }
	  skip_test "$PY: Python 3.11+ with venv needed (./dev deps)"; }

TESTS_PY=$GT_SRCDIR/tests/clients/python
WORK=$GT_BUILDDIR/tests/clients/.venv
VENV=$WORK/venv
COUNTS=$GT_TMP/counts

# ---- install into a fresh venv ----
rm -rf "$WORK"
mkdir -p "$WORK"
# pip builds in the folder it is given: a copy, since the source tree may be
# read-only (make distcheck).
cp -R "$GT_SRCDIR/clients/python" "$WORK/src"
install_ok() {
	"$PY" -m venv --system-site-packages "$VENV" >"$WORK/venv.log" 2>&1 &&
		"$VENV/bin/pip" install --no-build-isolation --no-index --no-deps --disable-pip-version-check \
			"$WORK/src" >"$WORK/pip.log" 2>&1 && return 0
	GT_DETAIL="$(tail -5 "$WORK/venv.log" "$WORK/pip.log" 2>/dev/null)"
	return 1
}
check "pip install --no-build-isolation ./clients/python into a fresh venv" install_ok
installed_in_venv() {
	local where
	where=$(cd / && "$VENV/bin/python" -c 'import gentrack; print(gentrack.__file__)' 2>&1)
	match "$where" "^$VENV/lib/python3[.0-9]*/site-packages/gentrack/__init__.py\$"
}
check "the venv imports gentrack from its own site-packages" installed_in_venv
check "the source tree got no build output" eq \
	"$(find "$GT_SRCDIR/clients/python" \( -name build -o -name '*.egg-info' -o -name __pycache__ \) -prune -print)" ""

start_stack pyclient --workers 2
export GT_STACK BASE_URL CLIENT_KEY CLIENT_KEY_2 WORKER_KEY GENTRACK_STACK_DIR MYSQL_SOCKET

# ---- the README's examples, exactly as shown ----
# The python block that follows the marker line "<!-- example: NAME".
readme_example() {
	awk -v name="$1" '
		index($0, "<!-- example: " name " ") == 1 || $0 == "<!-- example: " name " -->" { armed = 1; next }
		armed && /^```python$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }' "$GT_SRCDIR/README.md"
}
readme_example python-client >"$WORK/client_example.py"
readme_example python-worker >"$WORK/worker_example.py"
check "README has the client example (about 10 lines)" match "$(wc -l <"$WORK/client_example.py")" '^(9|1[0-3])$'
check "README has the worker example (about 10 lines)" match "$(wc -l <"$WORK/worker_example.py")" '^(8|9|1[0-2])$'

export GENTRACK_URL=$BASE_URL GENTRACK_KEY=$CLIENT_KEY GENTRACK_WORKER_KEY=$WORKER_KEY
(cd "$WORK" && exec "$VENV/bin/python" worker_example.py) >"$WORK/worker_example.out" 2>&1 &
worker_pid=$!
example_out=$(cd "$WORK" && timeout 60 "$VENV/bin/python" client_example.py 2>&1)
example_rc=$?
check "the client example exits 0" eq "$example_rc" 0
check "the client example prints the final state" match "$(head -1 <<<"$example_out")" '^completed 3/3$'
check "the client example prints the entities" eq "$(sed -n 2p <<<"$example_out")" "What is 2 × 14? = 28"
check "the client example prints every entity" eq "$(wc -l <<<"$example_out")" 4
# Run again: the same subject is done, so a new request for it.
check "the client example again: completed" match "$(cd "$WORK" && timeout 60 "$VENV/bin/python" client_example.py 2>&1 | head -1)" '^completed 3/3$'
kill -TERM "$worker_pid"
worker_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(awk '{print $3}' "/proc/$worker_pid/stat" 2>/dev/null) =~ ^(Z|)$ ]] && return 0
		sleep 0.1
	done
	GT_DETAIL="still running 10 s after SIGTERM"
	return 1
}
check "the worker example stops on SIGTERM" worker_gone
wait "$worker_pid"
check "the worker example exits 0 on SIGTERM" eq "$?" 0

# ---- the unittest modules, with the installed package ----
run_py() { # LABEL MODULE...: runs them, adds their counts to ours
	local label=$1 passed failed
	shift
	rm -f "$COUNTS"
	(cd "$TESTS_PY" && GT_EXPECT_PATH=${GT_EXPECT_PATH:-stream} PYTHONPATH=$TESTS_PY PYTHONDONTWRITEBYTECODE=1 timeout 600 \
		"$VENV/bin/python" run.py --counts "$COUNTS" "$@") | sed "s/^\(ok   - \|FAIL - \|skip - \)/\1$label: /"
	if [[ -r $COUNTS ]] && read -r passed failed <"$COUNTS"; then
		GT_PASSED=$((GT_PASSED + passed))
		GT_FAILED=$((GT_FAILED + failed))
	else
		check "$label: the Python tests ran to the end" false
	fi
}
GT_EXPECT_PATH=stream run_py nchan test_client test_worker test_wait test_fake_server

# ---- live updates off: wait polls ----
bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1
GENTRACK_NO_LIVE=1 start_stack pyclient-nolive --workers 2
export GT_STACK BASE_URL CLIENT_KEY CLIENT_KEY_2 WORKER_KEY GENTRACK_STACK_DIR MYSQL_SOCKET
check "without live updates /events answers 501" eq \
	"$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CLIENT_KEY" \
		"$BASE_URL/api/v1/generation-requests/0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f/events")" 501
GT_EXPECT_PATH=poll run_py no-live test_wait

finish
