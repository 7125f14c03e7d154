#!/usr/bin/env bash
# The long poll (GET .../{id}?wait=N) under many waiters: N waits held by
# nginx on one request of a pool of 2 FastCGI children, a plain GET's
# latency meanwhile, and how long one change takes to answer all of them
# (each wait's end is one more short FastCGI request).
#
#   bench/longpoll.sh [N]      (default 300; each wait takes 3 of nginx's
#                               connections: the client's, and both ends of
#                               the one to its own Nchan; the harness allows
#                               2 workers x 1024)
#
# Its own stack (tests/.stack/bench_longpoll of the build tree), stopped at
# the end; needs Nchan and node.
set -uo pipefail
. "${abs_top_srcdir:-$(dirname "$0")/..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq node
[[ -r /usr/lib/nginx/modules/ngx_nchan_module.so ]] || skip_test "libnginx-mod-nchan is not installed"
N=${1:-300}
start_stack bench_longpoll --workers 2 >/dev/null
R=/api/v1/generation-requests
AUTH_KEY=$CLIENT_KEY api POST $R '{"entity_type":"bench_lp","count":2}'
ID=$(jb .request_id)
AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim \
	'{"worker_id":"bench","entity_types":["bench_lp"],"lease_seconds":120}'
OUT=$GT_TMP/load.out
node "$GT_SRCDIR/bench/longpoll-load.mjs" "$BASE_URL" "$ID" "$CLIENT_KEY" "$N" '"v2"' >"$OUT" &
LOAD=$!
wait_for 300 grep -q CHANGE "$OUT"
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$ID/entities" \
	'{"worker_id":"bench","attempt":1,"index":0,"entity":{"n":0}}'
wait "$LOAD"
grep -v '^CHANGE$' "$OUT"
