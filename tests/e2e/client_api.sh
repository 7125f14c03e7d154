#!/usr/bin/env bash
# jq programs and `eval` checks name their $variables inside single quotes on
# purpose; helper functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# End to end through a real nginx, the FastCGI pool and MariaDB: every client
# endpoint and status code of SPEC §3 "Client", with curl and jq. Every refused
# request must be problem+json and must write nothing (row counts and row
# versions of the store compared before and after).
# GENTRACK_FRONT=apache: the same through Apache httpd instead of nginx
# (tests/e2e/client_api_apache.sh, whose own checks GT_FRONT_CHECKS names).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

FRONT_PROGRAM=nginx
[[ ${GENTRACK_FRONT:-nginx} != apache ]] || FRONT_PROGRAM=apache2
require_programs mariadbd mariadb mariadb-install-db "$FRONT_PROGRAM" curl jq
start_stack client_api --workers 4

COLL=/api/v1/generation-requests
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'
AUTH_KEY=$CLIENT_KEY

# ---- helpers of this test ----

# Request ids of an owner as the store has them, newest first.
db_ids() {
	sql "SELECT LOWER(CONCAT_WS('-', HEX(SUBSTR(id,1,4)), HEX(SUBSTR(id,5,2)), HEX(SUBSTR(id,7,2)),
	            HEX(SUBSTR(id,9,2)), HEX(SUBSTR(id,11,6)))) FROM generation_requests
	     WHERE owner = '$1' ${2:-} ORDER BY id DESC"
}

create() { # create BODY [curl args]: POST to the collection; sets ID on 202
	api POST "$COLL" "$@"
	ID=$(jb '.request_id // empty')
}

urlenc() { jq -rn --arg s "$1" '$s|@uri'; }

# ==== create ====
create '{"entity_type":"problem","count":3,"subject_key":"topic-1","constraints":{"difficulty":"hard","tags":["a","b"]},"metadata":{"run":1}}'
check "create: 202" status_is 202
ID1=$ID
check "create: request_id is a UUIDv7" match "$ID1" "$UUID_RE"
check "create: Location names the resource" match "$(hdr Location)" "$COLL/$ID1\$"
check "create: Operation-Location is absolute" eq "$(hdr Operation-Location)" "$BASE_URL$COLL/$ID1"
check "create: Retry-After in seconds" match "$(hdr Retry-After)" '^[1-9][0-9]*$'
check "create: Content-Type is JSON" match "$(hdr Content-Type)" '^application/json'
check "create: body is the pending resource" jtrue '.entity_type=="problem" and .subject_key=="topic-1"
	and .status=="pending" and .requested_count==3 and .generated_count==0 and .failed_count==0
	and .progress==0 and (.attempt|type)=="number" and .started_at==null and .completed_at==null
	and .cancelled_at==null and .failure_reason==null and .error_message==null'
check "create: constraints and metadata as sent" jtrue '.constraints=={"difficulty":"hard","tags":["a","b"]} and .metadata=={"run":1}'
check "create: requested_at is RFC 3339 UTC with microseconds" match "$(jb .requested_at)" "$TIME_RE"
check "create: one row in the store" eq "$(db_ids acme)" "$ID1"

create '{"entity_type":"sentence"}'
check "create with defaults: 202" status_is 202
check "create with defaults: count 1, no subject" jtrue '.requested_count==1 and .subject_key==null
	and (.constraints=={} or .constraints==null) and (.metadata=={} or .metadata==null)'

# Boundaries that are still valid.
create '{"entity_type":"problem","count":10}'
check "count 10 (max_count): 202" status_is 202
create "{\"entity_type\":\"a$(printf 'b%.0s' {1..63})\"}"
check "entity_type of 64 chars: 202" status_is 202
create "{\"entity_type\":\"problem\",\"subject_key\":\"$(printf 's%.0s' {1..255})\"}"
check "subject_key of 255 bytes: 202" status_is 202
# One Content-Type header (create's own plus -H would send two, which nginx
# reads as the first and Apache joins into one with a comma).
api POST "$COLL" '' -H 'Content-Type: application/json; charset=utf-8' --data-binary '{"entity_type":"problem"}'
check "Content-Type with charset: 202" status_is 202
create "{\"entity_type\":\"problem\",\"metadata\":{\"note\":\"$(head -c 60000 /dev/zero | tr '\0' x)\"}}"
check "a 60 KB body (under max_body): 202" status_is 202
create '{"entity_type":"problem","subject_key":"tëst-日本-😀","metadata":{"emoji":"😀"}}'
check "UTF-8 incl. 4-byte characters: 202" status_is 202
check "UTF-8 returned verbatim" jtrue '.subject_key=="tëst-日本-😀" and .metadata.emoji=="😀"'

# ==== get ====
api GET "$COLL/$ID1"
check "get: 200" status_is 200
check "get: the resource with an entities array" jtrue --arg id "$ID1" '.request_id==$id and .status=="pending"
	and .requested_count==3 and (.entities|type)=="array" and (.entities|length)==0
	and .constraints=={"difficulty":"hard","tags":["a","b"]}'
ETAG=$(hdr ETag)
check "get: ETag" match "$ETAG" '.'
check "get: Retry-After 1..30 while pending" match "$(hdr Retry-After)" '^([1-9]|[12][0-9]|30)$'
api GET "$COLL/$ID1" '' -H "If-None-Match: $ETAG"
check "get with If-None-Match of the ETag: 304" status_is 304
check "304 has no body" eq "$(wc -c <"$HB" | tr -d ' ')" 0
api GET "$COLL/$ID1" '' -H 'If-None-Match: "something-else"'
check "get with another If-None-Match: 200" status_is 200
api GET "$COLL/$ID1" '' -H "If-None-Match: W/$ETAG"
check "get with the weak form of the ETag: 304" status_is 304

# ==== HEAD: the GET's status and headers, no body (RFC 9110 9.3.2) ====
api GET "$COLL/$ID1"
GET_LEN=$(wc -c <"$HB" | tr -d ' ')
req_head "$COLL/$ID1" -H "Authorization: Bearer $AUTH_KEY"
check "HEAD of a poll: 200" status_is 200
check "HEAD: the GET's ETag" eq "$(hdr ETag)" "$ETAG"
check "HEAD: the GET's Content-Length" eq "$(hdr Content-Length)" "$GET_LEN"
check "HEAD: the GET's Content-Type and Cache-Control" \
	eq "$(hdr Content-Type)|$(hdr Cache-Control)" "application/json|private, no-cache"
check "HEAD: Retry-After while pending" match "$(hdr Retry-After)" '^([1-9]|[12][0-9]|30)$'
req_head "$COLL/$ID1" -H "Authorization: Bearer $AUTH_KEY" -H "If-None-Match: $ETAG"
check "HEAD with If-None-Match of the ETag: 304 with the ETag" eq "$ST $(hdr ETag)" "304 $ETAG"
req_head "$COLL/$ID1"
check "HEAD without a key: 401 as for GET" eq "$ST $(hdr WWW-Authenticate)" '401 Bearer realm="gentrack"'
req_head "$COLL/$ID1/cancel" -H "Authorization: Bearer $AUTH_KEY"
check "HEAD of a POST-only path: 405, Allow: POST" eq "$ST $(hdr Allow)" "405 POST"
api DELETE "$COLL/$ID1" ''
check "405 on a GET path lists HEAD in Allow" eq "$ST $(hdr Allow)" "405 GET, HEAD"

# Retry-After paces a queue: each request ahead is a second more (SPEC §3).
QTYPE=queue_$RANDOM$RANDOM
QIDS=()
for _ in 1 2 3 4 5 6; do
	api POST "$COLL" "{\"entity_type\":\"$QTYPE\"}"
	QIDS+=("$(jb .request_id)")
done
sleep 1.1 # each child trusts the queue's head it last read for a second
api GET "$COLL/${QIDS[0]}"
check "the first in its queue: Retry-After 2" eq "$(hdr Retry-After)" 2
api GET "$COLL/${QIDS[5]}"
check "five ahead in its queue: Retry-After 7" eq "$(hdr Retry-After)" 7
api GET "$COLL/${QIDS[5]}" '' -H "If-None-Match: $(hdr ETag)"
check "... the same on a 304" eq "$(hdr Retry-After)" 7

# ==== cancel ====
api POST "$COLL/$ID1/cancel" '{"reason":"no longer needed"}'
check "cancel: 200" status_is 200
check "cancel: status cancelled, cancelled_at set" jtrue --arg id "$ID1" '.request_id==$id and .status=="cancelled"'
check "cancel: cancelled_at is RFC 3339" match "$(jb .cancelled_at)" "$TIME_RE"
api GET "$COLL/$ID1" '' -H "If-None-Match: $ETAG"
check "after cancel the old ETag no longer matches: 200" status_is 200
check "get after cancel: cancelled" jtrue '.status=="cancelled"'
check "no Retry-After once terminal" eq "$(hdr Retry-After)" ""
refused "cancel again (terminal)" 409 api POST "$COLL/$ID1/cancel" '{"reason":"again"}'
create '{"entity_type":"problem"}'
api POST "$COLL/$ID/cancel" ''
check "cancel without a body: 200" status_is 200

# ==== one active generation per subject ====
create '{"entity_type":"problem","subject_key":"topic-9"}'
check "subject: first create 202" status_is 202
SUBJ_ID=$ID
refused "subject: second active create" 409 create '{"entity_type":"problem","subject_key":"topic-9","count":2}'
check "subject: 409 names existing_request_id" eq "$(jb .existing_request_id)" "$SUBJ_ID"
create '{"entity_type":"sentence","subject_key":"topic-9"}'
check "subject: same subject, other entity_type: 202" status_is 202
AUTH_KEY=$CLIENT_KEY_2 create '{"entity_type":"problem","subject_key":"topic-9"}'
check "subject: same subject, other owner: 202" status_is 202
api POST "$COLL/$SUBJ_ID/cancel" ''
check "subject: cancel the active one" status_is 200
create '{"entity_type":"problem","subject_key":"topic-9"}'
check "subject: after cancel a new one is allowed" status_is 202
check "subject: new id differs" eval '[[ $ID != "$SUBJ_ID" ]]'
# Subjects are compared byte for byte (sql/006): blanks around one make another.
create '{"entity_type":"problem","subject_key":"pad-1"}'
PAD_ID=$ID
for k in 'pad-1 ' ' pad-1' 'pad-1  '; do
	create "{\"entity_type\":\"problem\",\"subject_key\":\"$k\"}"
	check "subject: '$k' beside an active 'pad-1': 202, kept as sent" \
		eval '[[ $ST == 202 ]] && jq -e --arg k "$k" ".subject_key==\$k" "$HB" >/dev/null'
done
refused "subject: 'pad-1' again" 409 create '{"entity_type":"problem","subject_key":"pad-1"}'
check "subject: its 409 names the first 'pad-1'" eq "$(jb .existing_request_id)" "$PAD_ID"
api GET "$COLL?subject_key=pad-1"
check "list subject_key=pad-1: only that one" jtrue --arg id "$PAD_ID" '[.items[].request_id]==[$id]'
api GET "$COLL?subject_key=pad-1%20"
check "list subject_key='pad-1 ': only that one" jtrue '[.items[].subject_key]==["pad-1 "]'

# Ten concurrent creates for one subject: exactly one wins.
for i in $(seq 10); do
	curl -sS --max-time 10 -o "$GT_TMP/race.$i" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $CLIENT_KEY" -H 'Content-Type: application/json' \
		--data-binary '{"entity_type":"problem","subject_key":"race-1"}' \
		"$BASE_URL$COLL" >"$GT_TMP/race.$i.code" 2>/dev/null &
done
wait
codes=$(for i in $(seq 10); do cat "$GT_TMP/race.$i.code"; echo; done | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
check "10 concurrent creates, one subject: one 202 and nine 409" eq "$codes" "202x1 409x9 "
check "10 concurrent creates: one row in the store" \
	eq "$(sql "SELECT COUNT(*) FROM generation_requests WHERE owner='acme' AND subject_key='race-1'")" 1
winner=$(for i in $(seq 10); do [[ $(cat "$GT_TMP/race.$i.code") == 202 ]] && jq -r .request_id "$GT_TMP/race.$i"; done)
losers=$(for i in $(seq 10); do [[ $(cat "$GT_TMP/race.$i.code") == 409 ]] && jq -r .existing_request_id "$GT_TMP/race.$i"; done | sort -u)
check "the nine 409s name the winner" eq "$losers" "$winner"

# ==== Idempotency-Key ====
IB='{"entity_type":"problem","count":2,"subject_key":"idem-1"}'
create "$IB" -H 'Idempotency-Key: key-1'
check "idempotency: first 202" status_is 202
IDEM_ID=$ID
# The first answer's status token is shown once: a replay has the rest.
first_body=$(jq -S 'del(.status_token)' "$HB")
first_loc=$(hdr Location)
before=$(writes)
create "$IB" -H 'Idempotency-Key: key-1'
check "idempotency: replay answers 202 again" status_is 202
check "idempotency: replay returns the same body, but the status token" eq "$(jq -S . "$HB")" "$first_body"
check "idempotency: replay returns the same Location" eq "$(hdr Location)" "$first_loc"
check "idempotency: replay creates nothing" eq "$(writes)" "$before"
check "idempotency: one request for the key" \
	eq "$(sql "SELECT COUNT(*) FROM generation_requests WHERE owner='acme' AND subject_key='idem-1'")" 1
refused "idempotency: same key, other body" 422 create '{"entity_type":"problem","count":3,"subject_key":"idem-1"}' -H 'Idempotency-Key: key-1'
AUTH_KEY=$CLIENT_KEY_2 create "$IB" -H 'Idempotency-Key: key-1'
check "idempotency: keys are per owner (other owner, same key: 202)" status_is 202
check "idempotency: and a request of its own" eval '[[ -n $ID && $ID != "$IDEM_ID" ]]'
refused "Idempotency-Key over 255 bytes" 400 create '{"entity_type":"problem"}' -H "Idempotency-Key: $(printf 'k%.0s' {1..256})"

# ==== bad input: each refused, nothing written ====
refused "malformed JSON" 400 create '{"entity_type": "problem",'
refused "a JSON array body" 400 create '[{"entity_type":"problem"}]'
refused "a JSON string body" 400 create '"problem"'
refused "an empty body" 400 api POST "$COLL" '' -H 'Content-Type: application/json'
refused "count 0" 400 create '{"entity_type":"problem","count":0}'
refused "count 11" 400 create '{"entity_type":"problem","count":11}'
refused "count \"5\"" 400 create '{"entity_type":"problem","count":"5"}'
refused "count 1e9" 400 create '{"entity_type":"problem","count":1e9}'
refused "count -1" 400 create '{"entity_type":"problem","count":-1}'
refused "count 2.5" 400 create '{"entity_type":"problem","count":2.5}'
refused "entity_type missing" 400 create '{"count":1}'
refused "entity_type with capitals" 400 create '{"entity_type":"Problem"}'
refused "entity_type of 65 chars" 400 create "{\"entity_type\":\"a$(printf 'b%.0s' {1..64})\"}"
refused "entity_type empty" 400 create '{"entity_type":""}'
refused "entity_type starting with a digit" 400 create '{"entity_type":"1problem"}'
refused "entity_type a number" 400 create '{"entity_type":42}'
refused "subject_key of 256 bytes" 400 create "{\"entity_type\":\"problem\",\"subject_key\":\"$(printf 's%.0s' {1..256})\"}"
refused "subject_key a number" 400 create '{"entity_type":"problem","subject_key":5}'
refused "constraints a string" 400 create '{"entity_type":"problem","constraints":"hard"}'
refused "constraints an array" 400 create '{"entity_type":"problem","constraints":[1]}'
refused "metadata not an object" 400 create '{"entity_type":"problem","metadata":5}'
refused "a body over 64 KiB" 413 create "{\"entity_type\":\"problem\",\"metadata\":{\"note\":\"$(head -c 70000 /dev/zero | tr '\0' x)\"}}"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$GT_TMP/huge"
refused "a 2 MB body (the web server's limit)" 413 api POST "$COLL" '' -H 'Content-Type: application/json' --data-binary "@$GT_TMP/huge"
refused "Content-Type text/plain" 415 api POST "$COLL" '' -H 'Content-Type: text/plain' --data-binary '{"entity_type":"problem"}'
refused "form-encoded body" 415 api POST "$COLL" '' --data-binary '{"entity_type":"problem"}'
printf '{"entity_type":"problem","subject_key":"bad-\xff\xfe"}' >"$GT_TMP/bad-utf8"
refused "invalid UTF-8 in subject_key" 400 api POST "$COLL" '' -H 'Content-Type: application/json' --data-binary "@$GT_TMP/bad-utf8"
printf '{"entity_type":"problem","metadata":{"k":"\xc0\xaf overlong"}}' >"$GT_TMP/bad-utf8-2"
refused "overlong UTF-8 in metadata" 400 api POST "$COLL" '' -H 'Content-Type: application/json' --data-binary "@$GT_TMP/bad-utf8-2"

# ==== ids in the path ====
refused "get with a bad UUID" 400 api GET "$COLL/not-a-uuid"
refused "get with a truncated UUID" 400 api GET "$COLL/${SUBJ_ID:0:35}"
refused "cancel with a bad UUID" 400 api POST "$COLL/not-a-uuid/cancel" ''
UNKNOWN=01890000-0000-7000-8000-000000000000
refused "get an unknown id" 404 api GET "$COLL/$UNKNOWN"
refused "cancel an unknown id" 404 api POST "$COLL/$UNKNOWN/cancel" ''
AUTH_KEY=$CLIENT_KEY_2 create '{"entity_type":"problem","subject_key":"globex-own"}'
GLOBEX_ID=$ID
refused "get another owner's request" 404 api GET "$COLL/$GLOBEX_ID"
refused "cancel another owner's request" 404 api POST "$COLL/$GLOBEX_ID/cancel" ''
AUTH_KEY=$CLIENT_KEY_2 api GET "$COLL/$GLOBEX_ID"
check "the other owner's request is still pending" jtrue '.status=="pending"'

# ==== SQL injection: stored and returned verbatim ====
INJ="x'); DROP TABLE generation_requests; -- \" \\ %_ \`"
body=$(jq -nc --arg s "$INJ" '{entity_type:"problem", subject_key:$s, constraints:{q:$s, ($s):1}, metadata:{note:$s, deep:{v:[$s]}}}')
# (an Idempotency-Key is an sf-string: visible ASCII, no spaces, no \ or ")
create "$body" -H "Idempotency-Key: k';DROP/**/TABLE/**/idempotency_keys;--"
check "injection strings: 202" status_is 202
INJ_ID=$ID
verbatim='.subject_key==$s and .constraints.q==$s and .constraints[$s]==1 and .metadata.note==$s and .metadata.deep.v[0]==$s'
check "injection strings returned verbatim by create" jtrue --arg s "$INJ" "$verbatim"
api GET "$COLL/$INJ_ID"
check "injection strings returned verbatim by get" jtrue --arg s "$INJ" "$verbatim"
api GET "$COLL?subject_key=$(urlenc "$INJ")"
check "list filtered by the injection subject finds exactly it" jtrue --arg id "$INJ_ID" '[.items[].request_id]==[$id]'
api GET "$COLL?subject_key=$(urlenc "' OR '1'='1")"
check "list with an injection filter finds nothing" jtrue '.items==[]'
api GET "$COLL?subject_key=%25"
check "list subject_key=% is not a LIKE pattern" jtrue '.items==[]'
refused "entity_type with SQL" 400 create '{"entity_type":"problem'\''; DROP TABLE api_keys; --"}'
check "every table is still there" eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='gentrack'
	AND TABLE_NAME IN ('generation_requests','generation_entities','generation_events','api_keys','admin_users','idempotency_keys','schema_migrations')")" 7

# ==== list ====
AUTH_KEY=$CLIENT_KEY_2 create '{"entity_type":"sentence"}'
for i in $(seq 12); do create "{\"entity_type\":\"problem\",\"subject_key\":\"page-$i\"}"; done
ACME_IDS=$(db_ids acme)
ACME_N=$(wc -l <<<"$ACME_IDS")
api GET "$COLL"
check "list: 200" status_is 200
check "list: items and next_cursor" jtrue '(.items|type)=="array" and has("next_cursor")'
check "list: default limit 20" jtrue '(.items|length)==20 and (.next_cursor|type)=="string"'
check "list: newest first" eq "$(jb '.items[].request_id')" "$(head -n 20 <<<"$ACME_IDS")"
check "list: items without entities" jtrue 'all(.items[]; has("entities")|not)'
api GET "$COLL?limit=100"
check "list limit=100: all of the owner's requests" eq "$(jb '.items[].request_id')" "$ACME_IDS"
check "list limit=100: next_cursor null at the end" jtrue '.next_cursor==null'
check "list: the other owner's requests are not there" eval '! grep -qxF "$GLOBEX_ID" <<<"$(jb ".items[].request_id")"'
AUTH_KEY=$CLIENT_KEY_2 api GET "$COLL?limit=100"
check "list as the other owner: only its own" eq "$(jb '.items[].request_id')" "$(db_ids globex)"

# Keyset pagination: pages of 3 cover every item exactly once, in order.
seen=""
cursor=""
pages=0
while ((pages < 100)); do
	api GET "$COLL?limit=3${cursor:+&cursor=$(urlenc "$cursor")}"
	[[ $ST == 200 ]] || break
	pages=$((pages + 1))
	seen+=$(jb '.items[].request_id')$'\n'
	cursor=$(jb '.next_cursor // empty')
	[[ -n $cursor ]] || break
done
check "pagination: every page 200" status_is 200
# A last empty page is allowed when the count is a multiple of the limit.
check "pagination: $ACME_N items in $(((ACME_N + 2) / 3)) pages" match "$pages" "^($(((ACME_N + 2) / 3))|$(((ACME_N + 5) / 3)))\$"
check "pagination: each item exactly once, newest first" eq "$(sed '/^$/d' <<<"$seen")" "$ACME_IDS"

api GET "$COLL?entity_type=sentence&limit=100"
check "list entity_type=sentence" eq "$(jb '.items[].request_id')" "$(db_ids acme "AND entity_type='sentence'")"
api GET "$COLL?status=cancelled&limit=100"
check "list status=cancelled" eq "$(jb '.items[].request_id')" "$(db_ids acme "AND status='cancelled'")"
check "list status=cancelled: all cancelled" jtrue '(.items|length)>0 and all(.items[]; .status=="cancelled")'
api GET "$COLL?subject_key=topic-9&entity_type=problem&limit=100"
check "list subject_key + entity_type" eq "$(jb '.items[].request_id')" "$(db_ids acme "AND subject_key='topic-9' AND entity_type='problem'")"
api GET "$COLL?status=pending&limit=2"
check "list status=pending limit=2: two items and a cursor" jtrue '(.items|length)==2 and all(.items[]; .status=="pending") and (.next_cursor|type)=="string"'
refused "list status=bogus" 400 api GET "$COLL?status=bogus"
refused "list limit=0" 400 api GET "$COLL?limit=0"
refused "list limit=101" 400 api GET "$COLL?limit=101"
refused "list limit=abc" 400 api GET "$COLL?limit=abc"
refused "list with a forged cursor" 400 api GET "$COLL?cursor=not-a-cursor"
# An unknown parameter's name is quoted up to 64 bytes, cut between
# characters (issue 20): 1 + 63 bytes end inside an "ü", 63 inside a "日".
UNKNOWN_U=x$(printf 'ü%.0s' {1..40})
refused "list with a long German parameter name" 400 api GET "$COLL?$(urlenc "$UNKNOWN_U")=1"
check "... quoted with its whole characters only" \
	jtrue --arg n "x$(printf 'ü%.0s' {1..31})" '.detail == "unknown query parameter '\''\($n)'\''"'
UNKNOWN_J=$(printf '日%.0s' {1..30})
refused "list with a long Japanese parameter name" 400 api GET "$COLL?$(urlenc "$UNKNOWN_J")=1"
check "... quoted with its whole characters only" \
	jtrue --arg n "$(printf '日%.0s' {1..21})" '.detail == "unknown query parameter '\''\($n)'\''"'

# ==== credentials ====
refused "no key" 401 req POST "$COLL" -H 'Content-Type: application/json' --data-binary '{"entity_type":"problem"}'
refused "no key (list)" 401 req GET "$COLL"
refused "Basic instead of Bearer" 401 req GET "$COLL" -H 'Authorization: Basic Zm9vOmJhcg=='
refused "Bearer without a key" 401 req GET "$COLL" -H 'Authorization: Bearer'
refused "Bearer with an unknown key" 401 req GET "$COLL" -H 'Authorization: Bearer gtk_notarealkeynotarealkey'
refused "Bearer with trailing garbage" 401 req GET "$COLL" -H "Authorization: Bearer $CLIENT_KEY extra"

json=$("$GENTRACKCTL" --config "$GENTRACK_CONFIG" --json key create --role client --owner revokee)
check "key create --json: id, key, prefix, role, owner" eval 'jq -e ".id>0 and (.key|startswith(\"gtk_\")) and (.prefix as \$p | .key|startswith(\$p)) and .role==\"client\" and .owner==\"revokee\"" <<<"$json" >/dev/null'
RKEY=$(jq -r .key <<<"$json")
RID=$(jq -r .id <<<"$json")
AUTH_KEY=$RKEY api GET "$COLL"
check "a new key works" status_is 200
AUTH_KEY=$RKEY create '{"entity_type":"problem"}'
RREQ=$ID
AUTH_KEY=$RKEY api GET "$COLL/$RREQ"
check "a new key polls its request" status_is 200
RETAG=$(hdr ETag)
AUTH_KEY=$RKEY api GET "$COLL/$RREQ" '' -H "If-None-Match: $RETAG"
check "... and gets its 304" status_is 304
"$GENTRACKCTL" --config "$GENTRACK_CONFIG" key revoke "$RID" >/dev/null
check "key revoke: exit 0" eq "$?" 0
AUTH_KEY=$RKEY refused "a revoked key (list)" 401 api GET "$COLL"
AUTH_KEY=$RKEY refused "a revoked key (create)" 401 create '{"entity_type":"problem"}'
# The poll checks its key in the statement that reads the request: at once too.
AUTH_KEY=$RKEY refused "a revoked key (poll)" 401 api GET "$COLL/$RREQ"
AUTH_KEY=$RKEY refused "a revoked key (poll, If-None-Match)" 401 api GET "$COLL/$RREQ" '' -H "If-None-Match: $RETAG"

AUTH_KEY=$WORKER_KEY refused "worker key: create" 403 create '{"entity_type":"problem"}'
AUTH_KEY=$WORKER_KEY refused "worker key: get" 403 api GET "$COLL/$SUBJ_ID"
AUTH_KEY=$WORKER_KEY refused "worker key: list" 403 api GET "$COLL"
AUTH_KEY=$WORKER_KEY refused "worker key: cancel" 403 api POST "$COLL/$IDEM_ID/cancel" ''

# ==== methods and paths ====
refused "DELETE on the collection" 405 api DELETE "$COLL"
check "405 Allow lists GET and POST" match "$(hdr Allow)" '(GET.*POST|POST.*GET)'
refused "PUT on a request" 405 api PUT "$COLL/$IDEM_ID" '{"entity_type":"problem"}'
check "405 Allow lists GET" match "$(hdr Allow)" 'GET'
refused "DELETE on a request" 405 api DELETE "$COLL/$IDEM_ID"
refused "GET on cancel" 405 api GET "$COLL/$IDEM_ID/cancel"
check "405 Allow lists POST" match "$(hdr Allow)" 'POST'
refused "an unknown API path" 404 api GET /api/v1/nothing-here
refused "an unknown path outside the API" 404 req GET /nothing-here

# ==== one request through the worker API, as a worker sees it ====
# (the answers are checked against api/openapi.json with all the others)
create '{"entity_type":"openapi_probe","count":2}'
PROBE_ID=$ID
W='{"worker_id":"probe-1"'
AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim "$W"',"entity_types":["openapi_probe"]}'
check "worker: claim 200" status_is 200
PROBE_ATTEMPT=$(jb .attempt)
check "worker: claim hands out the probe" eq "$(jb .request_id)" "$PROBE_ID"
WA="$W"',"attempt":'"$PROBE_ATTEMPT"
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$PROBE_ID/heartbeat" "$WA}"
check "worker: heartbeat 200" status_is 200
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$PROBE_ID/entities" "$WA"',"index":0,"entity":{"q":1}}'
check "worker: entity 200" status_is 200
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$PROBE_ID/entities" "$WA"',"index":1,"error":"no"}'
check "worker: an entity's error 200" status_is 200
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$PROBE_ID/complete" "$WA}"
check "worker: complete 200, partial" eq "$ST $(jb .status)" "200 partial"
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$PROBE_ID/heartbeat" "$WA}"
check "worker: heartbeat after complete 409 lease-lost" jtrue '.type == "urn:gentrack:problem:lease-lost"'
AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim "$W"',"entity_types":["openapi_probe"]}'
check "worker: nothing left, 204" status_is 204
api GET "$COLL/$PROBE_ID/events" '' -H 'Accept: text/event-stream'
check "events of a finished request: its final state, or 501 without live updates" match "$ST" '^(200|501)$'

# ==== the OpenAPI document: public, the source's bytes, cached by ETag ====
req GET /api/v1/openapi.json
check "openapi.json: 200 without credentials" status_is 200
check "openapi.json: application/json" match "$(hdr Content-Type)" '^application/json'
check "openapi.json: the bytes of api/openapi.json" cmp -s "$HB" "$GT_SRCDIR/api/openapi.json"
check "openapi.json: Cache-Control" match "$(hdr Cache-Control)" 'max-age=[0-9]+'
OPENAPI_TAG=$(hdr ETag)
check "openapi.json: a strong ETag" match "$OPENAPI_TAG" '^"[0-9a-f]{32}"$'
req GET /api/v1/openapi.json -H "If-None-Match: $OPENAPI_TAG"
check "openapi.json: 304 on If-None-Match" status_is 304
check "openapi.json: no body on 304" eq "$(wc -c <"$HB")" 0
req GET /api/v1/openapi.json -H 'If-None-Match: "v1"'
check "openapi.json: 200 on another tag" status_is 200

# ==== entities: a GET shows exactly what the workers recorded ====
# Out of index order, a failure, a lapsed lease (a new attempt), an index
# recorded twice, a partial end: the poll's entities (kept on the request's
# row) stay the record's generated ones, in index order, as sent.
ent_worker() { # ent_worker PATH BODY: a worker call
	AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker$1" "$2"
}
ent_record() { # ent_record ATTEMPT INDEX MEMBER: "entity":{...} or "error":"..."
	ent_worker "/generation-requests/$ENT_ID/entities" \
		"{\"worker_id\":\"w-ent\",\"attempt\":$1,\"index\":$2,$3}"
}
# The record's generated entities, in index order, as one JSON array.
ent_record_array() { # raw (-r): the texts' backslashes as stored
	mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B -r gentrack -e "SELECT entity_json FROM generation_entities WHERE status = 'generated'
		AND request_id = UNHEX(REPLACE('$ENT_ID', '-', '')) ORDER BY idx" | jq -cs .
}
ent_get() { api GET "$COLL/$ENT_ID"; }
E0='{"k":"zero","text":"caf\u00e9 \"quoted\" \\ back","n":[1,2.5,null,true]}'
E1='{"k":"one","nested":{"a":{"b":[]}},"empty":""}'
E2='{"k":"two","big":12345678901234567,"neg":-0.001}'
create '{"entity_type":"ent_record","count":4}'
ENT_ID=$ID
ent_worker /claim '{"worker_id":"w-ent","entity_types":["ent_record"],"lease_seconds":60}'
check "entities: claimed, attempt 1" eq "$(jb .request_id) $(jb .attempt)" "$ENT_ID 1"
ent_record 1 2 "\"entity\":$E2"
check "entities: index 2 recorded first" status_is 200
ent_record 1 0 "\"entity\":$E0"
ent_record 1 1 '"error":"boom"'
ent_get
check "entities: the poll has the generated ones in index order, as sent" \
	jtrue --argjson e0 "$E0" --argjson e2 "$E2" '.entities == [$e0, $e2]
	and .generated_count == 2 and .failed_count == 1'
check "entities: the same as the record" eq "$(jq -c .entities "$HB")" "$(ent_record_array)"
ETAG=$(hdr ETag)
api GET "$COLL/$ENT_ID" '' -H "If-None-Match: $ETAG"
check "entities: unchanged, a 304" status_is 304
# The lease lapses (moved into the past: no test waits a minute); the next
# GET makes the request pending again, for a new attempt.
sql "UPDATE generation_requests SET lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND
     WHERE id = UNHEX(REPLACE('$ENT_ID', '-', ''))"
ent_get
check "entities: after the lease lapsed, pending again" eq "$(jb .status)" pending
check "entities: the generated ones kept" \
	jtrue --argjson e0 "$E0" --argjson e2 "$E2" '.entities == [$e0, $e2] and .generated_count == 2'
check "entities: still the record's" eq "$(jq -c .entities "$HB")" "$(ent_record_array)"
ent_worker /claim '{"worker_id":"w-ent","entity_types":["ent_record"],"lease_seconds":60}'
check "entities: claimed again, attempt 2" eq "$(jb .request_id) $(jb .attempt)" "$ENT_ID 2"
ent_get
check "entities: the new attempt keeps the generated ones, drops the failed one" \
	jtrue --argjson e0 "$E0" --argjson e2 "$E2" '.status == "processing"
	and .entities == [$e0, $e2] and .generated_count == 2 and .failed_count == 0'
check "entities: from the record too" eq "$(sql "SELECT COUNT(*) FROM generation_entities
	WHERE request_id = UNHEX(REPLACE('$ENT_ID', '-', '')) AND status <> 'generated'")" 0
ent_record 2 0 '"entity":{"k":"zero, again"}'
ent_record 2 1 "\"entity\":$E1"
ent_record 2 3 '"error":"boom again"'
ent_worker "/generation-requests/$ENT_ID/complete" '{"worker_id":"w-ent","attempt":2}'
check "entities: completed with one missing" eq "$(jb .status)" partial
ent_get
check "entities: partial, the three generated in index order, the first index's first entity" \
	jtrue --argjson e0 "$E0" --argjson e1 "$E1" --argjson e2 "$E2" '.status == "partial"
	and .entities == [$e0, $e1, $e2] and .generated_count == 3 and .failed_count == 1'
check "entities: still the record's" eq "$(jq -c .entities "$HB")" "$(ent_record_array)"
api GET "$COLL/$ENT_ID" '' -H "If-None-Match: $ETAG"
check "entities: the old ETag gets the whole resource" jtrue '.entities | length == 3'
api GET "$COLL/$ENT_ID" '' -H "If-None-Match: $(hdr ETag)"
check "entities: the new one a 304" status_is 304

# ==== the store or the pool going away, and coming back ====
req GET /healthz
check "healthz from loopback: 200" status_is 200
bash "$GT_STACK" stop "$GT_STACK_DIR" mariadb 2>/dev/null
api GET "$COLL"
check "store down: 503 problem+json" is_problem 503
check "store down: Retry-After" match "$(hdr Retry-After)" '^[0-9]+$'
req GET /healthz
check "store down: healthz 503" status_is 503
bash "$GT_STACK" up "$GT_STACK_DIR" 2>/dev/null
for _ in $(seq 40); do api GET "$COLL"; [[ $ST == 200 ]] && break; sleep 0.25; done
check "store back: the pool recovers by itself" status_is 200
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi 2>/dev/null
api GET "$COLL"
check "pool down: $FRONT_PROGRAM answers 503 problem+json" is_problem 503
check "pool down: Retry-After 5" eq "$(hdr Retry-After)" 5
bash "$GT_STACK" up "$GT_STACK_DIR" 2>/dev/null
api GET "$COLL"
check "pool back: 200" status_is 200

# The checks of the web server in front, on this stack (client_api_apache.sh).
if [[ -n ${GT_FRONT_CHECKS:-} ]]; then
	# shellcheck source=/dev/null
	. "$GT_FRONT_CHECKS"
fi

finish
