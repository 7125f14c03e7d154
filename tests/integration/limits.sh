#!/usr/bin/env bash
# Runs the per-owner limit tests (tests/integration/test_limits) against a
# private MariaDB started by the harness; GENTRACK_CONFIG points them to it.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db
prog=$GT_BUILDDIR/tests/integration/test_limits
[[ -x $prog ]] || { echo "FAIL: $prog is not built (make check builds it)"; echo "0 passed, 1 failed"; exit 1; }

start_stack limits --no-fcgi
export GENTRACK_CONFIG
"$prog"
exit $?
