#!/usr/bin/env bash
# The long poll (SPEC §3, issue 13): GET .../{id}?wait=N with If-None-Match
# answers at once when the client's version is stale, else when the request
# changes (200, the new resource and ETag) or after N s (304); nginx holds the
# waits (Nchan), not the FastCGI children; a status token waits on its own
# request only; a bad N is a 400 that changes nothing; without If-None-Match,
# or without Nchan, ?wait is a plain GET.
# shellcheck disable=SC2317,SC2030,SC2031 # functions run through check; later keeps its own HB, HH
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq
[[ -r /usr/lib/nginx/modules/ngx_nchan_module.so ]] ||
	{ [[ -n ${CI:-} ]] && { echo "FAIL: libnginx-mod-nchan missing (run ./dev deps)"; exit 1; }
	  skip_test "libnginx-mod-nchan is not installed (./dev deps)"; }
start_stack longpoll_e2e --workers 2
export GENTRACK_CONFIG
S=$GT_TMP
R=/api/v1/generation-requests

create() { # create COUNT -> ID, TOKEN
	AUTH_KEY=$CLIENT_KEY api POST $R \
		"{\"entity_type\":\"lp\",\"count\":$1,\"metadata\":{\"course\":\"algebra\"}}"
	ID=$(jb .request_id)
	TOKEN=$(jb .status_token)
}
client() { AUTH_KEY=$CLIENT_KEY api "$1" "$2" '' "${@:3}"; }
worker() { AUTH_KEY=$WORKER_KEY api POST "$1" "$2"; }
W=/api/v1/worker/generation-requests
claim() { worker /api/v1/worker/claim '{"worker_id":"w-lp","entity_types":["lp"],"lease_seconds":60}'; }
entity() { # entity INDEX
	worker "$W/$ID/entities" \
		"{\"worker_id\":\"w-lp\",\"attempt\":1,\"index\":$1,\"entity\":{\"n\":$1}}"
}
complete() { worker "$W/$ID/complete" '{"worker_id":"w-lp","attempt":1}'; }

# waitreq ETAG N [curl args]: a timed long poll with the client key; sets ST,
# $HB, $HH and MS (the milliseconds it took).
waitreq() {
	local etag=$1 n=$2 t0
	shift 2
	t0=$(date +%s%N)
	AUTH_KEY=$CLIENT_KEY api GET "$R/$ID?wait=$n" '' -H "If-None-Match: $etag" --max-time 70 "$@"
	MS=$((($(date +%s%N) - t0) / 1000000))
}
# bgwait FILE ETAG N [curl args]: the same in the background ("STATUS ETAG"
# into FILE, the body into FILE.body); sets BPID.
bgwait() {
	local file=$1 etag=$2 n=$3
	shift 3
	curl -sS --max-time 70 -o "$file.body" -D "$file.h" -w '%{http_code}\n' \
		-H "Authorization: Bearer $CLIENT_KEY" -H "If-None-Match: $etag" "$@" \
		"$BASE_URL$R/$ID?wait=$n" >"$file" 2>/dev/null &
	BPID=$!
}
# later SECONDS COMMAND...: COMMAND in the background after SECONDS, its
# answer in files of its own (the test's own request goes on meanwhile);
# sets CPID.
later() {
	local after=$1
	shift
	( HB=$S/later.body HH=$S/later.h; sleep "$after"; "$@" ) &
	CPID=$!
}
between() { # between VALUE LOW HIGH
	((${1} >= ${2} && ${1} <= ${3})) && return 0
	GT_DETAIL="$1 is not within $2..$3"
	return 1
}

create 3
AUTH_KEY=$CLIENT_KEY api GET "$R/$ID" ''
check "a new request is at \"v1\"" eq "$(hdr ETag)" '"v1"'
claim

# ---- a stale ETag: at once ----
waitreq '"v1"' 30
check "a stale If-None-Match gets 200 at once" status_is 200
check "  with the current ETag" eq "$(hdr ETag)" '"v2"'
check "  within a second (took ${MS} ms)" between "$MS" 0 1000
check "  the whole resource: status, entities, the key's metadata" \
	jtrue '.status == "processing" and (.entities | type) == "array" and .metadata.course == "algebra"'

# ---- the current ETag, and a change 1.5 s later ----
later 1.5 entity 0
waitreq '"v2"' 30
wait "$CPID"
check "a change made while waiting ends the wait: 200" status_is 200
check "  with the new ETag" eq "$(hdr ETag)" '"v3"'
check "  soon after the change, long before N (took ${MS} ms)" between "$MS" 1400 4000
check "  the new resource, entities included" \
	jtrue '.generated_count == 1 and (.entities | length) == 1 and .metadata.course == "algebra"'
check "  application/json, not Nchan's message" match "$(hdr Content-Type)" '^application/json'
check "  one ETag header, ours" eq "$(grep -ci '^etag:' "$HH")" 1
echo "# a change 1.5 s into the wait was answered after ${MS} ms"

# ---- nothing changes: 304 after N s ----
waitreq '"v3"' 2
check "no change in N = 2 s: 304" status_is 304
check "  after about 2 s (took ${MS} ms)" between "$MS" 1900 3500
check "  with the ETag the client has" eq "$(hdr ETag)" '"v3"'
check "  and no body" eq "$(wc -c <"$HB")" 0
check "  and no Nchan header (Last-Modified, Vary)" lacks "$(cat "$HH")" "Last-Modified"
echo "# an unchanged request's ?wait=2 answered 304 after ${MS} ms"

t0=$(date +%s%N)
req_head "$R/$ID?wait=1" -H "Authorization: Bearer $CLIENT_KEY" -H 'If-None-Match: "v3"' --max-time 30
MS=$((($(date +%s%N) - t0) / 1000000))
check "HEAD waits as GET does: 304 after 1 s (${MS} ms)" eq "$ST $(hdr ETag) $((MS >= 900))" '304 "v3" 1'
req_head "$R/$ID?wait=1" -H "Authorization: Bearer $CLIENT_KEY" -H 'If-None-Match: "v2"'
check "  and a stale one answers at once: 200 with the ETag" eq "$ST $(hdr ETag)" '200 "v3"'

# ---- the same version published again (the repair does so): 304 early ----
NCHAN_SOCK=$(sed -n 's/^nchan_socket = //p' "$GENTRACK_CONFIG")
# The application's messages carry no Content-Type (nginx would carry it
# over to the answer that ends a wait), as this one, published as the
# repair would publish the state again.
curl -s -D "$S/msg.h" -o /dev/null --unix-socket "$NCHAN_SOCK" "http://nchan/_gentrack/longpoll/$ID/1/0:0"
check "the application's messages have no Content-Type" \
	eq "$(grep -ci '^content-type:' "$S/msg.h") $(head -1 "$S/msg.h" | cut -d' ' -f2)" "0 200"
later 1 curl -s -o /dev/null --unix-socket "$NCHAN_SOCK" -H 'Content-Type:' \
	-d '{"version":3}' "http://nchan/_gentrack/pub/$ID"
waitreq '"v3"' 20
wait "$CPID"
check "a message of the version the client has ends the wait with 304, not 200" status_is 304
check "  early: the client simply asks again (${MS} ms)" between "$MS" 900 4000
check "  with our headers only (none of Nchan's message, one Cache-Control)" \
	eq "$(grep -ciE '^(content-type|last-modified|etag|cache-control):|^vary:.*if-none-match' "$HH")" 2

# ---- without If-None-Match, or with a list of tags: a plain GET ----
waitreq '' 30
check "without If-None-Match ?wait is a plain GET: 200 at once" eq "$ST ${MS:0:0}$((MS < 1000))" "200 1"
AUTH_KEY=$CLIENT_KEY api GET "$R/$ID?wait=30" '' -H 'If-None-Match: "v1", "v3"'
check "a list of tags is a plain GET's 304, at once" status_is 304

# ---- a bad N: 400, nothing changes ----
for bad in 0 61 abc '' -1 2.5 '2&wait=3' 1e1; do
	refused "?wait=$bad" 400 client GET "$R/$ID?wait=$bad" -H 'If-None-Match: "v3"'
done
check "  the problem names the range" match "$(jb .detail)" '1 to 60'

# ---- 20 waits held by nginx, none by the 2 FastCGI children ----
for i in $(seq 1 20); do
	bgwait "$S/w$i" '"v3"' 20
	pids[i]=$BPID
done
sleep 1
t0=$(date +%s%N)
AUTH_KEY=$CLIENT_KEY api GET "$R/$ID" ''
ms=$((($(date +%s%N) - t0) / 1000000))
check "with 20 waits on a pool of 2 children, a plain GET answers at once (${ms} ms)" \
	eq "$ST $((ms < 1000))" "200 1"
AUTH_KEY=$CLIENT_KEY api GET "$R/$ID?wait=20" '' -H 'If-None-Match: "v1"'
check "and so does a stale ?wait" eq "$ST $(hdr ETag)" '200 "v3"'
entity 1
check "  and the worker's call" status_is 200
t0=$(date +%s%N)
wait "${pids[@]}"
ms=$((($(date +%s%N) - t0) / 1000000))
got=$(for i in $(seq 1 20); do echo "$(cat "$S/w$i") $(awk 'tolower($1)=="etag:"{print $2}' "$S/w$i.h" | tr -d '\r')"; done | sort | uniq -c | sed 's/^ *//')
check "the change ends all 20 waits with 200 and \"v4\"" eq "$got" '20 200 "v4"'
check "  within 3 s of the change (${ms} ms)" between "$ms" 0 3000

# ---- a status token: its own request, without metadata ----
OWN=$ID
OWN_TOKEN=$TOKEN
later 1 entity 2
t0=$(date +%s%N)
req GET "$R/$OWN?wait=20&token=$OWN_TOKEN" -H 'If-None-Match: "v4"' --max-time 30
MS=$((($(date +%s%N) - t0) / 1000000))
wait "$CPID"
check "a status token's ?wait on its request ends with the change: 200 \"v5\"" \
	eq "$ST $(hdr ETag)" '200 "v5"'
check "  after the change (${MS} ms)" between "$MS" 900 4000
check "  its view without the metadata" jtrue '(has("metadata") | not) and .generated_count == 3'
t0=$(date +%s%N)
req GET "$R/$OWN?wait=2" -H "Authorization: Bearer $OWN_TOKEN" -H 'If-None-Match: "v5"' --max-time 30
MS=$((($(date +%s%N) - t0) / 1000000))
check "as a header too; unchanged: 304 after 2 s (${MS} ms)" eq "$ST $((MS >= 1900))" "304 1"
create 1
OTHER=$ID
t0=$(date +%s%N)
req GET "$R/$OTHER?wait=5&token=$OWN_TOKEN" -H 'If-None-Match: "v1"' --max-time 30
MS=$((($(date +%s%N) - t0) / 1000000))
check "another request's ?wait with that token: 404 at once (${MS} ms)" \
	eq "$ST $((MS < 1000))" "404 1"
ID=$OWN

# ---- a finished request waits too (it changes no more by itself) ----
complete
check "completed" status_is 200
AUTH_KEY=$CLIENT_KEY api GET "$R/$ID" ''
final=$(hdr ETag)
waitreq "$final" 2
check "a finished request's ?wait with its ETag: 304 after N s, not at once (${MS} ms)" \
	eq "$ST $((MS >= 1900))" "304 1"

# ---- a change in the middle of the hand-over: answered at once ----
# A relay in front of the publisher socket holds one step 400 ms while a
# worker's change commits and is published (its POST passes at once):
#  - the application's look-up of the channel: the mark then lies past the
#    change's message, and only the read after the mark sees the change;
#  - nginx taking the wait: the change's message is already past the mark
#    when Nchan hears of the wait.
AUTH_KEY=$CLIENT_KEY api POST $R '{"entity_type":"lpslow","count":2}'
ID=$(jb .request_id)
worker /api/v1/worker/claim '{"worker_id":"w-lp","entity_types":["lpslow"],"lease_seconds":60}'
mv "$NCHAN_SOCK" "$NCHAN_SOCK.real"
node "$GT_SRCDIR/tests/e2e/slow_relay.mjs" "$NCHAN_SOCK" "$NCHAN_SOCK.real" "$S/slow" 400 &
RELAY=$!
wait_for 50 test -S "$NCHAN_SOCK"
i=0
for step in "/_gentrack/pub/:the mark is taken" "/_gentrack/longpoll/:nginx takes the wait"; do
	AUTH_KEY=$CLIENT_KEY api GET "$R/$ID" ''
	v=$(hdr ETag)
	echo "${step%%:*}" >"$S/slow"
	later 0.15 entity "$i"
	waitreq "$v" 5
	wait "$CPID"
	rm -f "$S/slow"
	check "a change committed while ${step#*:}: 200 with it at once, not after N (${MS} ms)" \
		eq "$ST $(hdr ETag) $((MS < 2000))" "200 \"v$((${v//[^0-9]/} + 1))\" 1"
	i=$((i + 1))
done
kill "$RELAY"
wait "$RELAY" 2>/dev/null
rm -f "$NCHAN_SOCK"
mv "$NCHAN_SOCK.real" "$NCHAN_SOCK"

# ---- twenty waits, each with a change a few milliseconds after it starts ----
# A missed change would be answered only after its N = 5 s.
AUTH_KEY=$CLIENT_KEY api POST $R '{"entity_type":"lprace","count":10}'
RACE1=$(jb .request_id)
AUTH_KEY=$CLIENT_KEY api POST $R '{"entity_type":"lprace","count":10}'
RACE2=$(jb .request_id)
slow=""
for ID in $RACE1 $RACE2; do
	worker /api/v1/worker/claim '{"worker_id":"w-lp","entity_types":["lprace"],"lease_seconds":60}'
	for i in $(seq 0 9); do
		v=$((i + 2))
		later "0.00$((RANDOM % 10))" entity "$i"
		waitreq "\"v$v\"" 5
		wait "$CPID"
		[[ $ST == 200 && $(hdr ETag) == "\"v$((v + 1))\"" && $MS -lt 2000 ]] ||
			slow+=" v$v:$ST/$(hdr ETag)/${MS}ms"
	done
done
check "20 changes made as their waits began: each answered at once with it" \
	eq "$slow" ""

# ---- nginx restarted (its channels gone): the wait still sees a change ----
ID=$OTHER
bash "$GT_STACK" stop "$GT_STACK_DIR" nginx >/dev/null 2>&1
bash "$GT_STACK" up "$GT_STACK_DIR" >/dev/null 2>&1
. "$GT_STACK_DIR/credentials.env"
later 1 claim
waitreq '"v1"' 20
wait "$CPID"
check "after an nginx restart a wait still ends with the change: 200 \"v2\" (${MS} ms)" \
	eq "$ST $(hdr ETag) $((MS < 4000))" '200 "v2" 1'

# ---- without Nchan: a plain GET ----
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1
bash "$GT_STACK" stop "$GT_STACK_DIR" nginx >/dev/null 2>&1
GENTRACK_NO_LIVE=1 bash "$GT_STACK" up "$GT_STACK_DIR" >/dev/null 2>&1
. "$GT_STACK_DIR/credentials.env"
waitreq '"v2"' 5
check "without Nchan ?wait answers as a plain GET: 304 at once (${MS} ms)" eq "$ST $((MS < 1000))" "304 1"
refused "without Nchan a bad N is still refused" 400 client GET "$R/$ID?wait=0" -H 'If-None-Match: "v2"'

finish
