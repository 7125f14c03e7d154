#!/usr/bin/env bash
# Runs the route table x credential test (tests/integration/test_routes): the
# dispatcher with requests made in C, against a private MariaDB started by the
# harness; GENTRACK_CONFIG points it there.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db
prog=$GT_BUILDDIR/tests/integration/test_routes
[[ -x $prog ]] || { echo "FAIL: $prog is not built (make check builds it)"; echo "0 passed, 1 failed"; exit 1; }

start_stack routes --no-fcgi
export GENTRACK_CONFIG
"$prog"
exit $?
