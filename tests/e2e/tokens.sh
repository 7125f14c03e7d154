#!/usr/bin/env bash
# Status tokens (SPEC "Status tokens"), through nginx: the 202 of a create
# shows a token once; it reads that one request (header or ?token=, 304 on
# its ETag, the live stream), without the client's metadata, and cancels it;
# it cannot read another request, list, create, or call the worker API; an
# unknown, a missing or an expired token gets 401; the store keeps only its
# hash; an Idempotency-Key replay does not show it again; nginx's access log
# never holds it.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq
start_stack tokens_e2e --workers 2

R=/api/v1/generation-requests
create() { # create [extra curl args] -> ID, TOKEN
	AUTH_KEY=$CLIENT_KEY api POST $R '{"entity_type":"tok","count":1,"metadata":{"cart":"c-9"}}' "$@"
	ID=$(jb .request_id)
	TOKEN=$(jb .status_token)
}
with_token() { # with_token METHOD PATH [curl args]
	local m=$1 p=$2
	shift 2
	req "$m" "$p" -H "Authorization: Bearer $TOKEN" "$@"
}
row_of() { sql "SELECT $1 FROM generation_requests WHERE id = UNHEX(REPLACE('$2', '-', ''))"; }

create
check "a create answers 202" status_is 202
check "with a status token, gtt_ and 43 base64url characters" match "$TOKEN" '^gtt_[A-Za-z0-9_-]{43}$'
check "the store keeps a 32-byte hash of it" eq "$(row_of 'LENGTH(status_token_hash)' "$ID")" 32
check "and the token itself nowhere" eq "$(mariadb-dump --no-defaults --socket="$MYSQL_SOCKET" -uroot \
	--skip-extended-insert gentrack 2>/dev/null | grep -c -- "${TOKEN#gtt_}")" 0
check "it expires 24 h after the create (the default ttl)" \
	eq "$(row_of 'TIMESTAMPDIFF(SECOND, requested_at, status_token_expires_at)' "$ID")" 86400
first=$ID first_token=$TOKEN

with_token GET "$R/$ID"
check "the token reads its request" status_is 200
check "without the client's metadata" eq "$(jb 'has("metadata")')/$(jb .request_id)" "false/$ID"
check "with its entities" eq "$(jb '.entities | length')" 0
etag=$(hdr ETag)
with_token GET "$R/$ID" -H "If-None-Match: $etag"
check "its ETag gives 304" status_is 304
req GET "$R/$ID?token=$TOKEN"
check "?token= in the query works too (for EventSource)" status_is 200
req GET "$R/$ID?token=$CLIENT_KEY"
check "a key in the query does not (keys stay out of URLs): 401" is_problem 401

create
second=$ID
TOKEN=$first_token
with_token GET "$R/$second"
check "the token cannot read another request of the same owner: 404" is_problem 404
refused "the token cannot cancel another request" 404 with_token POST "$R/$second/cancel"
refused "the token cannot list" 403 with_token GET "$R"
refused "the token cannot create" 403 with_token POST "$R" -H 'Content-Type: application/json' \
	--data-binary '{"entity_type":"tok","count":1}'
refused "the token cannot claim work" 403 with_token POST /api/v1/worker/claim \
	-H 'Content-Type: application/json' --data-binary '{"worker_id":"w","entity_types":["tok"]}'
refused "the token cannot open the admin pages" 401 with_token GET /admin/api/stuck
req GET "$R/$first" -H "Authorization: Bearer gtt_$(printf 'A%.0s' {1..43})"
check "an unknown token: 401" is_problem 401
req GET "$R/$first"
check "no credential: 401, as ever" is_problem 401

TOKEN=$first_token
with_token POST "$R/$first/cancel"
check "the token cancels its request" eq "$ST/$(jb .status)/$(jb 'has("metadata")')" "200/cancelled/false"
check "and the audit trail names the token's bearer" \
	eq "$(sql "SELECT actor FROM generation_events WHERE request_id = UNHEX(REPLACE('$first', '-', '')) AND to_status = 'cancelled'")" "status-token:acme"

# An expired token (its expiry moved into the past), and a replay.
AUTH_KEY=$CLIENT_KEY api POST $R '{"entity_type":"tok","count":1}' -H 'Idempotency-Key: tok-replay-1'
replayed_token=$(jb .status_token)
sql "UPDATE generation_requests SET status_token_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND
     WHERE id = UNHEX(REPLACE('$(jb .request_id)', '-', ''))"
TOKEN=$replayed_token
replayed_id=$(jb .request_id)
refused "an expired token: 401" 401 with_token GET "$R/$replayed_id"
AUTH_KEY=$CLIENT_KEY api POST $R '{"entity_type":"tok","count":1}' -H 'Idempotency-Key: tok-replay-1'
check "an Idempotency-Key replay answers the first 202" eq "$ST/$(hdr Idempotent-Replayed)" "202/true"
check "without the token (only its hash is kept)" eq "$(jb 'has("status_token")')" false

# ---- [tokens] allow_cancel = off: reading only ----
create
printf '[tokens]\nallow_cancel = off\n' >"$GT_STACK_DIR/extra.conf"
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1
check "restart with allow_cancel off" bash "$GT_STACK" up "$GT_STACK_DIR" --workers 2
refused "allow_cancel off: the token's cancel is refused" 403 with_token POST "$R/$ID/cancel"
with_token GET "$R/$ID"
check "allow_cancel off: the token still reads" status_is 200
rm -f "$GT_STACK_DIR/extra.conf"

# ---- CORS: a page of a listed origin may call the token's routes ----
AUTH_KEY=$CLIENT_KEY api GET "$R/$ID" '' -H 'Origin: https://shop.example'
check "without [http] cors_origins no origin gets CORS headers" eq "$(hdr Access-Control-Allow-Origin)" ""
printf '[http]\ncors_origins = https://shop.example http://127.0.0.1:9\n' >"$GT_STACK_DIR/extra.conf"
bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1
check "restart with cors_origins" bash "$GT_STACK" up "$GT_STACK_DIR" --workers 2
preflight() { # preflight ORIGIN METHOD PATH
	req OPTIONS "$3" -H "Origin: $1" -H "Access-Control-Request-Method: $2" \
		-H 'Access-Control-Request-Headers: authorization, if-none-match'
}
preflight https://shop.example GET "$R/$ID"
check "a listed origin's preflight: 204" status_is 204
check "naming that origin" eq "$(hdr Access-Control-Allow-Origin)" https://shop.example
check "the path's methods only" eq "$(hdr Access-Control-Allow-Methods)" "GET, HEAD"
check "the headers a token's page sends" match "$(hdr Access-Control-Allow-Headers)" '^Authorization, Content-Type, If-None-Match, Last-Event-ID$'
preflight https://shop.example POST "$R/$ID/cancel"
check "the cancel's preflight: POST" eq "$ST/$(hdr Access-Control-Allow-Methods)" "204/POST"
preflight https://evil.example GET "$R/$ID"
check "an unlisted origin's preflight: 403 problem" is_problem 403
check "with no CORS header" eq "$(hdr Access-Control-Allow-Origin)" ""
preflight https://shop.example DELETE "$R/$ID"
check "a method the path does not take: 403" is_problem 403
preflight https://shop.example.evil GET "$R/$ID"
check "origins compare exactly (a longer one is another)" is_problem 403
req OPTIONS "$R" -H 'Origin: https://shop.example' -H 'Access-Control-Request-Method: POST'
check "no preflight for what a token cannot do (list, create): 405" is_problem 405
with_token GET "$R/$ID" -H 'Origin: https://shop.example'
check "a listed origin reads the answer" eq "$ST/$(hdr Access-Control-Allow-Origin)" "200/https://shop.example"
check "and its ETag and Retry-After" eq "$(hdr Access-Control-Expose-Headers)" "ETag, Retry-After, Location"
check "every answer varies by Origin" eq "$(hdr Vary)" Origin
with_token GET "$R/$ID" -H 'Origin: https://evil.example'
check "an unlisted origin gets the answer without CORS headers (its browser withholds it)" \
	eq "$ST/$(hdr Access-Control-Allow-Origin)" "200/"
req GET "$R/$ID" -H 'Origin: https://shop.example'
check "a refusal carries them too, so the page can read why" eq "$ST/$(hdr Access-Control-Allow-Origin)" "401/https://shop.example"
rm -f "$GT_STACK_DIR/extra.conf"

check "no token ever reached nginx's access log" \
	eq "$(grep -c 'gtt_' "$GT_STACK_DIR/nginx/access.log")" 0
check "the query's token is logged blanked" \
	match "$(cat "$GT_STACK_DIR/nginx/access.log")" 'token=REDACTED'
check "nor the service's log" eq "$(grep -c 'gtt_' "$GT_STACK_DIR/fcgi.log")" 0

finish
