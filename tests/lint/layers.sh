#!/usr/bin/env bash
# make check: src/ keeps its layers (tests/lint/check-layers.sh), and the
# checker itself still catches each kind of wrong include in a planted tree.
# shellcheck source=../harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"
CHECKER=$GT_SRCDIR/tests/lint/check-layers.sh

out=$(bash "$CHECKER" "$GT_SRCDIR/src" 2>&1)
rc=$?
[[ -n $out ]] && printf '%s\n' "$out"
check "src/ has no include against its layers" test "$rc" -eq 0

# A tree with one wrong include of each kind: every one must be named.
plant=$(mktemp -d)
trap 'rm -rf "$plant"' EXIT
mkdir -p "$plant"/{base,model,store,web,api,admin,worker}
printf '#include "web/http.h"\n' >"$plant/base/strbuf.c"
printf '#include <unistd.h>\n' >"$plant/model/lifecycle.c"
printf '#include <stdio.h>\nvoid f(void) { printf("x"); }\n' >"$plant/model/resource.c"
printf '#include <mysql.h>\n' >"$plant/web/pool.c"
printf '#include <fcgiapp.h>\n#include "web/http.h"\n' >"$plant/api/api_client.c"
printf '#include "api/validate.h"\n' >"$plant/worker/worker.c"
printf '#include "strbuf.h"\n' >"$plant/store/store.c"
printf '#include "admin/b.h"\n' >"$plant/admin/a.h"
printf '#include "admin/a.h"\n' >"$plant/admin/b.h"
: >"$plant/web/http.h" >"$plant/api/validate.h"
printf '#include "base/strbuf.h"\n' >"$plant/stray.c"
planted=$(bash "$CHECKER" "$plant" 2>&1)
prc=$?
check "a planted tree fails the check" test "$prc" -ne 0
expect() {
	if grep -qF -- "$2" <<<"$planted"; then
		check "$1" true
	else
		printf '  wanted a line with: %s\n  got:\n%s\n' "$2" "$planted"
		check "$1" false
	fi
}
expect "base/ including web/ is named" 'base/strbuf.c:1: #include "web/http.h": base/ may include only base'
expect "an I/O header in model/ is named" 'model/lifecycle.c:1: #include <unistd.h>: model/ is pure'
expect "an I/O call in model/ is named" 'model/resource.c:2: void f(void) { printf("x"); }: model/ is pure'
expect "mysql.h outside store/ is named" 'web/pool.c:1: #include <mysql.h>: only store/ talks to MariaDB'
expect "fcgiapp.h outside web/http.c is named" 'api/api_client.c:1: #include <fcgiapp.h>: only web/http.c speaks FastCGI'
expect "worker/ including api/ is named" 'worker/worker.c:1: #include "api/validate.h": worker/ may include only base/model/worker'
expect "an include without its folder is named" 'store/store.c:1: #include "strbuf.h": name the header with its folder'
expect "a circle inside a folder is named" 'include circle among: admin/a admin/b'
expect "a file outside the layer folders is named" 'stray.c: not in a layer folder'
finish
