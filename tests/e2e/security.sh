#!/usr/bin/env bash
# jq programs and SQL name their $variables inside single quotes on purpose;
# helper functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# Hostile clients against the real nginx site (issue 7): oversized headers and
# bodies, slow-loris connections, request smuggling with conflicting or
# obfuscated framing, forged list cursors, and the timing of the admin
# sign-in. Each input is sent as an attacker would send it: with curl, or as
# raw bytes over bash's /dev/tcp where curl would tidy the request up. Each
# must be refused (problem+json) or cut off, and must write nothing; what
# nginx 1.22 does with each is summed up in SECURITY.md.
#
# Owner isolation of get/list/cancel, roles and revoked keys are covered by
# client_api.sh; this file adds what a hostile client can try beyond them.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db mariadb-dump nginx curl jq timeout b2sum basenc
# Two FastCGI workers, fewer than the slow clients below: a slow client that
# held a worker would starve everybody else.
start_stack security --workers 2

COLL=/api/v1/generation-requests
PORT=${BASE_URL##*:}
AUTH_KEY=$CLIENT_KEY

# ==== helpers ====

# A problem that nginx answered itself (its error pages say about:blank; the
# application's problems have urn:gentrack: types): the request never
# reached the application.
nginx_problem() {
	is_problem "$1" && jtrue '.type == "about:blank"'
}

rows_with_subject() { sql "SELECT COUNT(*) FROM generation_requests WHERE subject_key = '$1'"; }

repeat() { head -c "$2" /dev/zero | tr '\0' "$1"; }

# Microseconds since the epoch, without a fork (the locale may use a comma).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# Seconds, one decimal, from microseconds START to now.
secs_since() {
	local d=$(($(now_us) - $1))
	printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000))
}

# between LOW HIGH VALUE: LOW <= VALUE <= HIGH (decimals allowed).
between() {
	awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 >= lo && v + 0 <= hi) }' && return 0
	GT_DETAIL="$3 is not within [$1, $2]"
	return 1
}

# ---- raw HTTP over /dev/tcp ----

# crlf LINE...: each argument as one CRLF-terminated line; "" ends a header.
crlf() { printf '%s\r\n' "$@"; }

# smuggled_create NAME [HEADER...]: a complete create, as the hidden second
# request of a smuggling attempt. Whoever took it for a request of its own
# would store a request with subject_key smuggled-NAME.
smuggled_create() {
	local name=$1 body
	shift
	body="{\"entity_type\":\"problem\",\"subject_key\":\"smuggled-$name\"}"
	crlf "POST $COLL HTTP/1.1" "Host: 127.0.0.1" "Authorization: Bearer $CLIENT_KEY" \
		"Content-Type: application/json" "Content-Length: ${#body}" "$@" ""
	printf '%s' "$body"
}

# The start of a create, up to its framing headers.
create_head() {
	crlf "POST $COLL HTTP/1.1" "Host: 127.0.0.1" "Authorization: Bearer $CLIENT_KEY" \
		"Content-Type: application/json"
}

# settled NAME FD T0 WAIT: waits up to WAIT s for a line from nginx on FD;
# when it answered or closed the connection, writes NAME.result ("answered
# SECONDS LINE" or "closed SECONDS", timed from T0) and succeeds.
settled() {
	local name=$1 fd=$2 t0=$3 line rc
	IFS= read -r -t "$4" -u "$fd" line
	rc=$?
	if ((rc == 0)) || [[ -n $line ]]; then
		echo "answered $(secs_since "$t0") $line" >"$GT_TMP/$name.result"
	elif ((rc <= 128)); then
		echo "closed $(secs_since "$t0")" >"$GT_TMP/$name.result"
	else
		return 1
	fi
}

# exchange NAME [MAX]: sends $GT_TMP/NAME.req on a new connection in one
# write, then reads until nginx closes it, at most MAX seconds (8: after
# refusing a request nginx may read on for lingering_timeout, 5 s, before it
# closes). Writes NAME.out (the bytes received), NAME.first (seconds until
# the first line of the answer) and NAME.closed (seconds until nginx closed
# the connection, or "open"). A subshell that ignores SIGPIPE: nginx may
# close before the write ends.
exchange() (
	trap '' PIPE
	local name=$1 max=${2:-8} fd t0 line
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || exit 1
	t0=$(now_us)
	cat "$GT_TMP/$name.req" 1>&"$fd" 2>/dev/null
	# Bash reads a socket byte by byte: nothing after the first line is lost.
	if IFS= read -r -t "$max" -u "$fd" line; then
		secs_since "$t0" >"$GT_TMP/$name.first"
		printf '%s\n' "$line" >"$GT_TMP/$name.out"
	else
		echo none >"$GT_TMP/$name.first"
	fi
	if timeout "$max" cat <&"$fd" >>"$GT_TMP/$name.out"; then
		secs_since "$t0" >"$GT_TMP/$name.closed"
	else
		echo open >"$GT_TMP/$name.closed"
	fi
	exec {fd}>&-
)

# answer NAME: the first answer of exchange NAME becomes lib.sh's "last
# response" (ST, $HH, $HB), for is_problem and hdr.
answer() {
	local out=$GT_TMP/$1.out
	tr -d '\r' <"$out" | sed '/^$/q' >"$HH"
	tr -d '\r' <"$out" | sed '1,/^$/d' >"$HB"
	ST=$(awk 'NR == 1 { print $2 }' "$HH")
	[[ -n $ST ]] || ST=000
}

# How many HTTP answers came back on the connection of exchange NAME (a
# status line may follow a body that does not end in a newline).
answers() { grep -o 'HTTP/1\.[01] [0-9][0-9][0-9] ' "$GT_TMP/$1.out" | wc -l | tr -d ' '; }

# Exchange NAME got exactly one answer, then nginx closed the connection.
one_answer_then_closed() {
	eq "$(answers "$1")" 1 || return 1
	match "$(cat "$GT_TMP/$1.closed")" '^[0-9.]+$' || { GT_DETAIL="still open after 8 s"; return 1; }
}

# ==== 1. oversized headers: 431 (414 for the request line), nothing stored ====

# Control: a big header under the limit (one 8k buffer a line) is fine.
api POST "$COLL" '{"entity_type":"problem","subject_key":"big-header-ok"}' -H "X-Pad: $(repeat p 7000)"
check "a 7000-byte header line (under the limit): 202" status_is 202

refused "a 9000-byte header line" 431 \
	api POST "$COLL" '{"entity_type":"problem","subject_key":"huge-header"}' -H "X-Pad: $(repeat p 9000)"
check "the 431 comes from nginx, not the application" jtrue '.type == "about:blank"'
many=()
for i in $(seq 8); do many+=(-H "X-Pad-$i: $(repeat p 5000)"); done
refused "40 KB of headers, each line under 8k" 431 \
	api POST "$COLL" '{"entity_type":"problem","subject_key":"many-headers"}' "${many[@]}"
refused "a 9000-byte Cookie" 431 \
	api POST "$COLL" '{"entity_type":"problem","subject_key":"huge-cookie"}' -H "Cookie: c=$(repeat c 9000)"
refused "a 9000-byte request target" 414 \
	api POST "$COLL?pad=$(repeat p 9000)" '{"entity_type":"problem","subject_key":"huge-target"}'
check "none of the oversized creates was stored" \
	eq "$(sql "SELECT COUNT(*) FROM generation_requests WHERE subject_key IN ('huge-header','many-headers','huge-cookie','huge-target')")" 0

# ==== 2. oversized bodies: 413, nothing stored ====

# client_api.sh sends 70 KB and 2 MB with a Content-Length; here the same
# limits hold for chunked bodies (no length known in advance).
printf '{"entity_type":"problem","subject_key":"chunked-70k","metadata":{"pad":"%s"}}' "$(repeat x 70000)" >"$GT_TMP/70k.json"
refused "a 70 KB chunked body (over max_body)" 413 \
	api POST "$COLL" '' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "@$GT_TMP/70k.json"
check "the 70 KB body is refused by the application" jtrue '.type | endswith(":body-too-large")'
printf '{"entity_type":"problem","subject_key":"chunked-1m","metadata":{"pad":"%s"}}' "$(repeat x 1100000)" >"$GT_TMP/1m.json"
refused "a 1.1 MB chunked body (over client_max_body_size)" 413 \
	api POST "$COLL" '' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "@$GT_TMP/1m.json"
check "the 1.1 MB body is refused by nginx" jtrue '.type == "about:blank"'

# A 2 MB Content-Length announced and no body sent: refused from the header
# alone, without waiting for the body.
{ create_head; crlf "Content-Length: 2000000" ""; } >"$GT_TMP/announced.req"
before=$(writes)
# (2 s: the answer is all we need, not nginx's lingering close)
exchange announced 2
answer announced
check "2 MB announced, no body sent: 413 problem+json from nginx" nginx_problem 413
check "2 MB announced: answered at once (within 2 s)" between 0 2 "$(cat "$GT_TMP/announced.first")"
check "2 MB announced: nothing written" eq "$(writes)" "$before"

# ==== 3. request smuggling ====

# nginx is the only HTTP parser: it hands the application one FastCGI
# connection per request, framed by record lengths and CONTENT_LENGTH, so a
# desync could only come from nginx reading a request's end differently
# from the client. Each attempt below hides a second create in what a lax
# parser would take for the end of the first.

# Controls, so that the checks below can fail: a chunked create followed by
# a pipelined create on one connection gets two answers and stores both.
{
	create_head
	crlf "Transfer-Encoding: chunked" ""
	body='{"entity_type":"problem","subject_key":"chunked-ok"}'
	printf '%x\r\n%s\r\n0\r\n\r\n' "${#body}" "$body"
	smuggled_create pipelined "Connection: close"
} >"$GT_TMP/pipelined.req"
exchange pipelined
check "control: a chunked create and a pipelined one: two answers" eq "$(answers pipelined)" 2
check "control: the chunked create is stored" eq "$(rows_with_subject chunked-ok)" 1
check "control: the pipelined create is stored" eq "$(rows_with_subject smuggled-pipelined)" 1

# attempt NAME FRAMING-LINES...: a create whose header ends with FRAMING and
# whose body is $GT_TMP/NAME.body, written to NAME.req.
attempt() {
	local name=$1
	shift
	{ create_head; crlf "$@" ""; cat "$GT_TMP/$name.body"; } >"$GT_TMP/$name.req"
}
# Body "0 CRLF CRLF" (an empty chunked body), then the hidden create.
zero_then_smuggled() { { printf '0\r\n\r\n'; smuggled_create "$1"; } >"$GT_TMP/$1.body"; }
body_len() { wc -c <"$GT_TMP/$1.body" | tr -d ' '; }

# CL.TE: a front end going by Content-Length passes everything; a back end
# going by chunked ends at the 0 chunk and runs the rest as a request.
zero_then_smuggled cl-te
attempt cl-te "Content-Length: $(body_len cl-te)" "Transfer-Encoding: chunked"
# TE.CL: one chunk holding the hidden create; Content-Length ends the body
# right after the chunk size line.
smuggled_create te-cl >"$GT_TMP/te-cl.inner"
inner_len=$(wc -c <"$GT_TMP/te-cl.inner" | tr -d ' ')
{ printf '%x\r\n' "$inner_len"; cat "$GT_TMP/te-cl.inner"; printf '\r\n0\r\n\r\n'; } >"$GT_TMP/te-cl.body"
attempt te-cl "Transfer-Encoding: chunked" "Content-Length: $(printf '%x\r\n' "$inner_len" | wc -c | tr -d ' ')"
# Obfuscated Transfer-Encodings that some parsers read as chunked and others
# ignore (then going by Content-Length).
zero_then_smuggled xchunked
attempt xchunked "Transfer-Encoding: xchunked" "Content-Length: $(body_len xchunked)"
zero_then_smuggled te-tab
attempt te-tab $'Transfer-Encoding:\tchunked' "Content-Length: $(body_len te-tab)"
zero_then_smuggled te-twice
attempt te-twice "Transfer-Encoding: chunked" "Transfer-Encoding:  chunked"
zero_then_smuggled te-space
attempt te-space "Transfer-Encoding : chunked" "Content-Length: $(body_len te-space)"
zero_then_smuggled te-folded
attempt te-folded "Transfer-Encoding: identity" " chunked" "Content-Length: $(body_len te-folded)"
# Two Content-Lengths: one parser takes the first, another the last.
zero_then_smuggled cl-twice
attempt cl-twice "Content-Length: 5" "Content-Length: $(body_len cl-twice)"
# Chunked is not HTTP/1.0: a 1.0 request must not be read as chunked.
zero_then_smuggled te-http10
{ crlf "POST $COLL HTTP/1.0" "Host: 127.0.0.1" "Authorization: Bearer $CLIENT_KEY" \
	"Content-Type: application/json" "Transfer-Encoding: chunked" ""
	cat "$GT_TMP/te-http10.body"; } >"$GT_TMP/te-http10.req"
# A version nginx cannot frame, with a create pipelined behind it.
{ crlf "GET /healthz HTTP/2.0" "Host: 127.0.0.1" ""; smuggled_create h2-version; } >"$GT_TMP/h2-version.req"

# name:status nginx answers with.
ATTEMPTS="cl-te:400 te-cl:400 xchunked:501 te-tab:501 te-twice:400 te-space:400 te-folded:400 cl-twice:400 te-http10:400 h2-version:505"
before=$(writes)
pids=()
for a in $ATTEMPTS; do
	exchange "${a%%:*}" &
	pids+=($!)
done
wait "${pids[@]}"
for a in $ATTEMPTS; do
	name=${a%%:*}
	answer "$name"
	check "smuggling $name: ${a##*:} problem+json from nginx" nginx_problem "${a##*:}"
	check "smuggling $name: one answer, then nginx closed the connection" one_answer_then_closed "$name"
	check "smuggling $name: the hidden create was not stored" eq "$(rows_with_subject "smuggled-$name")" 0
done
check "smuggling: nothing written at all" eq "$(writes)" "$before"

# ==== 4. slow-loris: cut off by nginx, while others are served ====

# drip_header NAME: sends a create's header a byte every 0.2 s and never
# finishes it (at most 15 s). NAME.result: "closed SECS" from connect to the
# moment nginx closed the connection, "answered SECS LINE", or "open SECS".
drip_header() (
	trap '' PIPE
	local name=$1 fd t0 i hdr
	hdr="POST $COLL HTTP/1.1"$'\r\n'"Host: 127.0.0.1"$'\r\n'"Authorization: Bearer $CLIENT_KEY"$'\r\n'"X-Pad: $(repeat p 200)"
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || { echo noconnect >"$GT_TMP/$name.result"; exit; }
	t0=$(now_us)
	for ((i = 0; i < ${#hdr}; i++)); do
		(($(now_us) - t0 < 15000000)) || break
		printf '%s' "${hdr:i:1}" 1>&"$fd" 2>/dev/null
		settled "$name" "$fd" "$t0" 0.2 && exit
	done
	echo "open $(secs_since "$t0")" >"$GT_TMP/$name.result"
)

# stall_body NAME: sends a create's whole header (Content-Length: 100) and 15
# bytes of its body, then nothing. NAME.result as above, timed from the last
# byte sent.
stall_body() (
	trap '' PIPE
	local name=$1 fd t0
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || { echo noconnect >"$GT_TMP/$name.result"; exit; }
	{ create_head; crlf "Content-Length: 100" ""; printf '{"entity_type":'; } >&"$fd"
	t0=$(now_us)
	while (($(now_us) - t0 < 15000000)); do
		settled "$name" "$fd" "$t0" 0.5 && exit
	done
	echo "open $(secs_since "$t0")" >"$GT_TMP/$name.result"
)

# cut_off NAME: nginx closed slow client NAME's connection without an
# answer, 9 to 13 s into it (its timeout is 10 s).
cut_off() {
	local how secs rest
	read -r how secs rest <"$GT_TMP/$1.result"
	[[ $how == closed ]] || { GT_DETAIL="$how after ${secs:-?} s ${rest:-}"; return 1; }
	between 9 13 "$secs"
}

SLOW="drip-1 drip-2 stall-1 stall-2 stall-3 stall-4"
before=$(writes)
timeouts_before=$(grep -c '" 408 ' "$GT_STACK_DIR/nginx/access.log")
pids=()
for s in $SLOW; do
	case $s in
	drip-*) drip_header "$s" & ;;
	*) stall_body "$s" & ;;
	esac
	pids+=($!)
done
sleep 1
# Meanwhile: ten lists, each to be answered within 3 s.
served=0
for i in $(seq 10); do
	code=$(curl -sS -o /dev/null --max-time 3 -w '%{http_code}' -H "Authorization: Bearer $CLIENT_KEY" \
		"$BASE_URL$COLL?limit=5" 2>/dev/null)
	[[ $code == 200 ]] && served=$((served + 1))
	sleep 0.3
done
check "while 6 slow clients hang (2 FastCGI workers): 10 of 10 lists served within 3 s" eq "$served" 10
hanging=0
for s in $SLOW; do [[ -e $GT_TMP/$s.result ]] || hanging=$((hanging + 1)); done
check "the slow clients were all still connected meanwhile" eq "$hanging" 6
wait "${pids[@]}"
for s in $SLOW; do
	case $s in
	drip-*) what="a header dripped a byte per 0.2 s: closed, unanswered, at client_header_timeout (10 s after connect)" ;;
	*) what="a body stalled after 15 of 100 bytes: closed, unanswered, at client_body_timeout (10 s after the last byte)" ;;
	esac
	check "$s: $what" cut_off "$s"
done
check "the 6 cut-off connections are logged as 408" \
	eq "$(($(grep -c '" 408 ' "$GT_STACK_DIR/nginx/access.log") - timeouts_before))" 6
check "slow clients: nothing written" eq "$(writes)" "$before"

# ==== 5. list cursors: a position in the caller's own list, nothing more ====

# Interleaved requests of two owners, so that a cursor that crossed owners
# would show the other owner's requests next to the caller's.
for i in 1 2 3; do
	AUTH_KEY=$CLIENT_KEY api POST "$COLL" "{\"entity_type\":\"problem\",\"subject_key\":\"cur-acme-$i\"}"
	AUTH_KEY=$CLIENT_KEY_2 api POST "$COLL" "{\"entity_type\":\"problem\",\"subject_key\":\"cur-globex-$i\"}"
done
invalid_cursor() { is_problem 400 && jtrue '.type | endswith(":invalid-cursor")'; }
hex_id() { sql "SELECT LOWER(HEX(id)) FROM generation_requests WHERE subject_key = '$1'"; }
# The ids of acme's requests listed before (older than) the request HEX.
acme_before() {
	sql "SELECT LOWER(CONCAT_WS('-', HEX(SUBSTR(id,1,4)), HEX(SUBSTR(id,5,2)), HEX(SUBSTR(id,7,2)),
	            HEX(SUBSTR(id,9,2)), HEX(SUBSTR(id,11,6)))) FROM generation_requests
	     WHERE owner = 'acme' AND id < UNHEX('$1') ORDER BY id DESC"
}
# The page holds acme's requests before the cursor, all of them, and
# nothing else: none of globex's.
shows_acme_before() {
	local want
	want=$(acme_before "$1")
	[[ -n $want ]] || { GT_DETAIL="no acme request before the cursor: the check would prove nothing"; return 1; }
	eq "$(jb '.items[].request_id')" "$want"
}

AUTH_KEY=$CLIENT_KEY_2 api GET "$COLL?limit=1"
GLOBEX_CURSOR=$(jb '.next_cursor // empty')
check "globex's first page of one has a next_cursor" match "$GLOBEX_CURSOR" '^[A-Za-z0-9_-]+$'
api GET "$COLL?limit=100&cursor=$GLOBEX_CURSOR"
check "globex's cursor used by acme: 200" status_is 200
check "globex's cursor used by acme: only acme's requests, those before it" shows_acme_before "$(hex_id cur-globex-3)"

# A cursor forged from the id of globex's second request (globex's first one
# lies beyond it).
G2=$(hex_id cur-globex-2)
# (hex to bytes: every two digits become a \xHH escape for printf %b)
FORGED=$(printf '%b' "$(printf '%s' "$G2" | sed 's/../\\x&/g')" | basenc --base64url | tr -d '=')
api GET "$COLL?limit=100&cursor=$FORGED"
check "a cursor forged from globex's request id: 200" status_is 200
check "a forged cursor: only acme's requests, those before it" shows_acme_before "$G2"

# Not base64url; 15 and 17 bytes; padded; 300 bytes.
for garbage in 'not-a-cursor!' "$(repeat A 20)" "$(repeat A 23)" "$(repeat A 22)%3D%3D" "$(repeat A 400)"; do
	api GET "$COLL?cursor=$garbage"
	check "cursor '${garbage:0:30}': 400 invalid-cursor" invalid_cursor
done

# ==== 6. secrets: stored hashed, checked without a timing tell ====

mariadb-dump --no-defaults --socket="$MYSQL_SOCKET" -uroot --hex-blob --skip-extended-insert gentrack >"$GT_TMP/dump.sql" 2>/dev/null
check "a dump of the store holds the client key's BLAKE2b-256 hash" \
	grep -qi "0x$(printf '%s' "$CLIENT_KEY" | b2sum -l 256 | cut -d' ' -f1)" "$GT_TMP/dump.sql"
leaked=0
for secret in "${CLIENT_KEY:12}" "${CLIENT_KEY_2:12}" "${WORKER_KEY:12}" "$ADMIN_PASSWORD"; do
	grep -qF -- "$secret" "$GT_TMP/dump.sql" && leaked=$((leaked + 1))
done
check "a dump of the store holds no key and no admin password" eq "$leaked" 0
check "the admin password is stored as Argon2id" \
	match "$(sql "SELECT password_hash FROM admin_users WHERE name = 'admin'")" '^\$argon2id\$'

# Admin sign-in: an unknown user is checked against a dummy Argon2id hash,
# so it takes as long as a known user with a wrong password and gets the
# same answer. Interleaved, medians of 7: robust on a busy 2-core machine,
# while a missing dummy check (no Argon2 at all) is about 50 times faster.

# sign_in USER ADDR: one admin API call with a wrong password, from the
# loopback address ADDR; sets ST, $HB, and SECS (curl's total time). Each
# round comes from an address of its own: 14 failures from one address
# would reach the failed sign-in limit (429) this check is not about.
sign_in() {
	local out
	out=$(curl -sS --max-time 10 --interface "$2" -o "$HB" -w '%{http_code} %{time_total}' \
		-u "$1:not-the-password" "$BASE_URL/admin/api/stuck" 2>/dev/null) || true
	ST=${out%% *} SECS=${out##* }
}
times_known=() times_unknown=() codes=""
for i in $(seq 7); do
	sign_in admin "127.0.3.$i"
	codes+="$ST "
	times_known+=("$SECS")
	cp "$HB" "$GT_TMP/known.body"
	sign_in nobody-here "127.0.3.$i"
	codes+="$ST "
	times_unknown+=("$SECS")
	cp "$HB" "$GT_TMP/unknown.body"
done
check "sign-in: unknown user and wrong password are all 401" eq "$codes" "$(printf '401 %.0s' {1..14})"
check "sign-in: unknown user and wrong password get the same body" \
	eq "$(cat "$GT_TMP/unknown.body")" "$(cat "$GT_TMP/known.body")"
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
M_KNOWN=$(median "${times_known[@]}")
M_UNKNOWN=$(median "${times_unknown[@]}")
check "sign-in: unknown user takes 0.5-2x the time of a wrong password (medians ${M_UNKNOWN}s, ${M_KNOWN}s)" \
	between 0.5 2 "$(awk -v u="$M_UNKNOWN" -v k="$M_KNOWN" 'BEGIN { if (k > 0) printf "%.3f", u / k; else print "nan" }')"

finish
