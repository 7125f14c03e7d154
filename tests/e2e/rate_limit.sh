#!/usr/bin/env bash
# nginx's create rate limit (issue 18): per credential, so two keys behind
# one address each get their own rate, and per address for creates without
# a key. A flood of creates with key A is answered 429 problem+json past
# its burst, while key B, from the same address at the same moment, is let
# through; a flood without a key is limited by address and leaves key B's
# rate alone. The floods send an empty object, which the application
# refuses (400) after nginx counted it: nothing is stored.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq
start_stack rate_limit --workers 2

R=/api/v1/generation-requests
# flood N [curl args]: N creates at once (32 in flight), one status per line.
flood() {
	local n=$1 urls=() i
	shift
	for ((i = 0; i < n; i++)); do urls+=(-o /dev/null "$BASE_URL$R"); done
	curl -s --no-progress-meter --max-time 60 --parallel --parallel-max 32 -w '%{http_code}\n' \
		-X POST -H 'Content-Type: application/json' --data-binary '{}' "$@" "${urls[@]}"
}
count() { grep -cx "$1" "$2" || true; }

statuses() { sort "$1" | uniq -c | awk '{ printf "%s %s, ", $1, $2 }'; }

# The burst is 200 at 20 a second: 500 at once overrun it.
flood 500 -H "Authorization: Bearer $CLIENT_KEY" >"$GT_TMP/a"
check "key A's flood: some 429 past its burst ($(statuses "$GT_TMP/a"))" \
	eval '(($(count 429 "$GT_TMP/a") > 0))'
check "... the others reached the application (400: nothing stored)" \
	eq "$(($(count 400 "$GT_TMP/a") + $(count 429 "$GT_TMP/a")))" 500
# 80 fit in a burst of its own (twice), none in what A left of a shared one.
flood 80 -H "Authorization: Bearer $CLIENT_KEY_2" >"$GT_TMP/b"
check "key B, same address, right after: all 80 pass, its own rate ($(statuses "$GT_TMP/b"))" \
	eq "$(count 400 "$GT_TMP/b")" 80
AUTH_KEY=$CLIENT_KEY api POST $R '{}'
check "nginx's 429 is problem+json (or A's rate is back: 400)" eval 'is_problem 429 || [[ $ST == 400 ]]'

# Without a key (or with anything that is not one): limited by address.
flood 500 >"$GT_TMP/anon"
check "a flood without a key: some 429 past the address's burst ($(statuses "$GT_TMP/anon"))" \
	eval '(($(count 429 "$GT_TMP/anon") > 0))'
check "... the others refused by the application (401)" \
	eq "$(($(count 401 "$GT_TMP/anon") + $(count 429 "$GT_TMP/anon")))" 500
flood 80 -H "Authorization: Bearer $CLIENT_KEY_2" >"$GT_TMP/b2"
check "key B is not limited by the address's flood ($(statuses "$GT_TMP/b2"))" \
	eq "$(count 400 "$GT_TMP/b2")" 80
check "nothing stored" eq "$(sql "SELECT COUNT(*) FROM generation_requests")" 0

finish
