#!/usr/bin/env bash
# the node program names its $ref inside single quotes on purpose; helper
# functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# make check: the OpenAPI document (api/openapi.json, issue 17) lints with
# Redocly's CLI under api/redocly.yaml (npm, pinned in
# tests/browser/package-lock.json), its operations are the routes of
# src/bin/routes.c and the reverse, and a document with a mistake planted in
# it fails the lint. That the answers conform to it is checked by every
# end-to-end suite on its own answers (tests/harness/lib.sh, finish).
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"

require_programs node npm
DOC=$GT_SRCDIR/api/openapi.json
CONFIG=$GT_SRCDIR/api/redocly.yaml
if ! npm_package_ready @redocly/cli; then
	[[ -n ${CI:-} ]] && { echo "FAIL: npm ci in $NPM_DIR"; echo "0 passed, 1 failed"; exit 1; }
	skip_test "@redocly/cli could not be installed (no npm registry?)"
fi
# Nothing from the network while linting: no telemetry, no update check.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

# lints FILE: redocly lint passes (recommended-strict: a warning is an error).
lints() {
	local out
	out=$("$NPM_DIR/node_modules/.bin/redocly" lint --config "$CONFIG" "$1" 2>&1) && return 0
	GT_DETAIL=$(grep -vE '^\s*$|[║╔╚]' <<<"$out" | head -40)
	return 1
}
fails_lint() {
	lints "$1" && { GT_DETAIL="$1 passed the lint"; return 1; }
	GT_DETAIL=""
	return 0
}
routes_match() {
	GT_DETAIL=$(node "$GT_SRCDIR/tests/openapi/routes.mjs" "$GT_SRCDIR/src/bin/routes.c" "$DOC" 2>&1)
}

check "api/openapi.json is JSON" node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$DOC"
check "redocly lint api/openapi.json (recommended-strict)" lints "$DOC"
check "every JSON route is documented, every operation a route" routes_match

# The lint can fail: an operation whose 200 has lost its description, and a
# $ref to no schema. The copies sit beside the configuration's ignore file's
# names, in a folder of their own (the source tree may be read-only).
GT_TMP=$(mktemp -d)
trap 'rm -rf "$GT_TMP"' EXIT
node -e '
	const fs = require("fs");
	const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
	delete d.paths["/api/v1/worker/claim"].post.responses["200"].description;
	fs.writeFileSync(process.argv[2], JSON.stringify(d));
	const e = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
	e.components.schemas.Queue.properties.entity_type = { $ref: "#/components/schemas/NoSuchSchema" };
	fs.writeFileSync(process.argv[3], JSON.stringify(e));
' "$DOC" "$GT_TMP/no-description.json" "$GT_TMP/bad-ref.json"
check "a response without a description fails the lint" fails_lint "$GT_TMP/no-description.json"
check "a \$ref to no schema fails the lint" fails_lint "$GT_TMP/bad-ref.json"

finish
