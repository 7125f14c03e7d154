#!/usr/bin/env bash
# clients/js/gentrack.d.ts describes clients/js/gentrack.mjs: tsc --noEmit
# (npm typescript, pinned in tests/browser/package.json) on
# tests/clients/typescript/example.ts, which uses every export of the module
# and expects the errors a TypeScript user must get (@ts-expect-error).
# Helper functions are called through `check`.
# shellcheck disable=SC2317
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs node npm jq
need_npm_package typescript

JS=$GT_SRCDIR/clients/js/gentrack.mjs
EXAMPLE=$GT_SRCDIR/tests/clients/typescript/example.ts

exports_of_module=$(node --input-type=module -e \
	"const m = await import(process.argv[1]); console.log(Object.keys(m).sort().join(' '))" "$JS" 2>&1)
check "gentrack.mjs exports what gentrack.d.ts declares" eq "$exports_of_module" \
	"$(grep -oE '^export (declare )?(class|function) [A-Za-z]+' "$GT_SRCDIR/clients/js/gentrack.d.ts" |
		awk '{print $NF}' | sort | tr '\n' ' ' | sed 's/ $//')"
uses_every_export() {
	local name
	for name in $exports_of_module; do
		grep -q "import {[^}]*\b$name\b[^}]*} from '../../../clients/js/gentrack.mjs'" "$EXAMPLE" ||
			{ GT_DETAIL="example.ts does not import $name"; return 1; }
	done
}
check "example.ts imports every export of gentrack.mjs" uses_every_export
tsc_ok() {
	local out
	out=$("$NPM_DIR/node_modules/.bin/tsc" -p "$GT_SRCDIR/tests/clients/typescript/tsconfig.json" 2>&1) && return 0
	GT_DETAIL=$(head -20 <<<"$out")
	return 1
}
check "tsc --noEmit: example.ts type-checks against gentrack.d.ts (strict)" tsc_ok
check "tsc is the pinned version" eq "$("$NPM_DIR/node_modules/.bin/tsc" --version)" \
	"Version $(jq -r '.dependencies.typescript' "$GT_SRCDIR/tests/browser/package.json")"

finish
