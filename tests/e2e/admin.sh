#!/usr/bin/env bash
# jq programs and `eval` checks name their $variables inside single quotes on
# purpose; helper functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# End to end through nginx: the admin pages, their JSON twins, /metrics and
# /healthz (SPEC §3 "Admin"). Basic auth (and what it refuses), HEAD, CSRF on
# every form post (a refused post writes nothing) with tokens bound to the
# page session a sign-in opens and a logout ends, and to their form; escaping
# of stored values, the
# security headers, the transitions with actor admin:NAME, bulk cancel with its
# preview and action id, and the Prometheus text format with counters that
# move after a create, a claim and a reap.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq awk basenc b2sum
start_stack admin --workers 2

COLL=/api/v1/generation-requests
ADMIN=(-u "admin:$ADMIN_PASSWORD")
AUTH_KEY=$CLIENT_KEY

# ---- helpers of this test ----

body_has() { grep -qF -- "$1" "$HB" && return 0; GT_DETAIL="'$1' not in the body: $(head -c 300 "$HB")"; return 1; }
body_lacks() { ! grep -qF -- "$1" "$HB" && return 0; GT_DETAIL="'$1' found in the body"; return 1; }
hex_id() { printf '%s' "$1" | tr -d '-'; }
db_status() { sql "SELECT status FROM generation_requests WHERE id = UNHEX('$(hex_id "$1")')"; }
last_event() {
	sql "SELECT actor, COALESCE(from_status, '-'), to_status, COALESCE(message, '') FROM generation_events
	     WHERE request_id = UNHEX('$(hex_id "$1")') ORDER BY id DESC LIMIT 1" | tr '\t' '|'
}
create() { api POST "$COLL" "$1"; ID=$(jb '.request_id // empty'); }
claim() { # claim TYPE: the oldest pending of TYPE, by the demo worker key
	AUTH_KEY=$WORKER_KEY api POST /api/v1/worker/claim \
		"{\"worker_id\":\"e2e-host:1\",\"entity_types\":[\"$1\"],\"lease_seconds\":60}"
}
# make_stuck ID: a processing request whose lease and runtime look long gone.
make_stuck() {
	sql "UPDATE generation_requests SET started_at = NOW(6) - INTERVAL 20 MINUTE,
	     lease_expires_at = NOW(6) - INTERVAL 15 MINUTE WHERE id = UNHEX('$(hex_id "$1")')"
}
csrf_of() { grep -o 'name="csrf_token" value="[^"]*"' "$HB" | head -1 | sed 's/.*value="//; s/"$//'; }
form_value() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$HB" | head -1 | sed 's/.*value="//; s/"$//'; }
# The pages as a browser sees them: Basic credentials, and the page session's
# cookie kept in a jar ($JAR; another browser is another jar).
JAR=$GT_TMP/cookies
admin_get() { req GET "$1" "${ADMIN[@]}" -b "$JAR" -c "$JAR"; }
admin_post() { # admin_post PATH FORM-DATA [curl args]
	local path=$1 data=$2
	shift 2
	req POST "$path" "${ADMIN[@]}" -b "$JAR" -c "$JAR" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "$data" "$@"
}
# The CSRF token of the form that posts to .../VERB on the last page.
form_token() {
	grep -o "action=\"/admin/generations/[^\"]*/$1\"[^>]*><input type=\"hidden\" name=\"csrf_token\" value=\"[^\"]*\"" "$HB" |
		head -1 | sed 's/.*value="//; s/"$//'
}
# The session cookie in a jar (curl writes HttpOnly ones as "#HttpOnly_host").
jar_session() { awk '$6 == "gentrack_session" { print $7 }' "$1" 2>/dev/null; }
live_sessions() { sql "SELECT COUNT(*) FROM admin_sessions WHERE admin_name = 'admin' AND expires_at > UTC_TIMESTAMP(6)"; }
security_headers() {
	match "$(hdr Content-Security-Policy)" "script-src 'self'" || return 1
	lacks "$(hdr Content-Security-Policy)" "unsafe-inline" || return 1
	match "$(hdr Content-Security-Policy)" "frame-ancestors 'none'" || return 1
	eq "$(hdr X-Frame-Options)" DENY || return 1
	match "$(hdr Referrer-Policy)" '^(no-referrer|same-origin)$' || return 1
	eq "$(hdr Cache-Control)" no-store
}
# No inline script or style anywhere: only <script src=...> and stylesheet links.
no_inline_script() {
	local bad
	bad=$(grep -oE '<script[^>]*>' "$HB" | grep -v 'src="/admin/static/admin.js"')
	[[ -z $bad ]] || { GT_DETAIL="inline script: $bad"; return 1; }
	! grep -qiE '<style|onclick=|onload=|onsubmit=|javascript:' "$HB" || { GT_DETAIL="inline handler or style"; return 1; }
}

# ==== authentication ====
req GET /admin/
check "no credentials: 401" status_is 401
check "no credentials: WWW-Authenticate: Basic" match "$(hdr WWW-Authenticate)" '^Basic realm="gentrack admin"'
check "401 page has the security headers" security_headers
req GET /admin/ -u "admin:wrong-password"
check "wrong password: 401" status_is 401
check "wrong password: WWW-Authenticate: Basic" match "$(hdr WWW-Authenticate)" '^Basic '
req GET /admin/ -u "nobody:$ADMIN_PASSWORD"
check "unknown user: 401" status_is 401
req GET /admin/ -H "Authorization: Bearer $CLIENT_KEY"
check "client bearer key: 401" status_is 401
req GET /admin/ -H "Authorization: Bearer $WORKER_KEY"
check "worker bearer key: 401" status_is 401
req GET /admin/api/stuck -H "Authorization: Bearer $WORKER_KEY"
check "worker key on the JSON twin: 401 problem+json" is_problem 401
req GET /admin/ -H "Authorization: Basic !!!notbase64"
check "malformed Basic header: 401" status_is 401
admin_get /admin/
check "admin: 200" status_is 200
check "admin page is HTML" match "$(hdr Content-Type)" '^text/html; charset=utf-8'
check "admin page has the security headers" security_headers
check "admin page has no inline script" no_inline_script
check "admin page names the user and a way out" body_has 'href="/admin/logout"'
req GET /admin/logout "${ADMIN[@]}"
check "logout: 401 with another realm (browsers forget the credentials)" \
	match "$ST $(hdr WWW-Authenticate)" '^401 Basic realm="gentrack admin \(signed out\)"'
check "logout page links back" body_has 'href="/admin/"'
req GET /admin/static/admin.js
check "script served as a file" match "$ST $(hdr Content-Type)" '^200 text/javascript'
JS_LEN=$(wc -c <"$HB" | tr -d ' ')
req GET /admin/static/admin.css
check "style served as a file" match "$ST $(hdr Content-Type)" '^200 text/css'

# ==== HEAD: the GET's status and headers, no body (RFC 9110 9.3.2) ====
req_head /admin/ "${ADMIN[@]}"
check "HEAD of the admin home: 200 HTML" match "$ST $(hdr Content-Type)" '^200 text/html; charset=utf-8$'
check "HEAD of the admin home: the page's Content-Length" match "$(hdr Content-Length)" '^[1-9][0-9]{3,}$'
check "HEAD of the admin home has the security headers" security_headers
req_head /admin/
check "HEAD of the admin home without credentials: 401, Basic challenge" \
	match "$ST $(hdr WWW-Authenticate)" '^401 Basic realm="gentrack admin"'
req_head /admin/static/admin.js
check "HEAD of the script: its length" eq "$ST $(hdr Content-Length)" "200 $JS_LEN"
req GET /healthz
HZ_LEN=$(wc -c <"$HB" | tr -d ' ')
req_head /healthz
check "HEAD /healthz: 200 with the GET's Content-Length" eq "$ST $(hdr Content-Length)" "200 $HZ_LEN"
req POST /healthz
check "POST /healthz: 405, Allow: GET, HEAD" eq "$ST $(hdr Allow)" "405 GET, HEAD"
req_head /admin/generations/00000000-0000-7000-8000-000000000000/fail "${ADMIN[@]}"
check "HEAD of a form's action: 405, Allow: POST" eq "$ST $(hdr Allow)" "405 POST"

# ==== accounts (gentrackctl admin-user) ====
CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")
check "admin-user set bob" eval 'printf "bob-password-1\n" | "${CTL[@]}" admin-user set bob >/dev/null'
check "admin-user list shows admin and bob" eq "$("${CTL[@]}" --json admin-user list | jq -r '[.[].name]|join(",")')" "admin,bob"
req GET /admin/ -u "bob:bob-password-1"
check "bob signs in" status_is 200
check "admin-user delete bob" eval '"${CTL[@]}" admin-user delete bob >/dev/null'
req GET /admin/ -u "bob:bob-password-1"
check "deleted account: 401" status_is 401
check "admin-user delete of an unknown name fails" eval '! "${CTL[@]}" admin-user delete bob 2>/dev/null'

# ==== a stuck request with hostile values ====
XSS='<script>alert(1)</script>'
create "{\"entity_type\":\"xss\",\"count\":2,\"subject_key\":\"$XSS\",\"metadata\":{\"note\":\"$XSS\",\"q\":\"\\\"'&\"}}"
check "create the hostile request: 202" status_is 202
XID=$ID
claim xss
check "claim it: 200" status_is 200
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$XID/entities" \
	"{\"worker_id\":\"e2e-host:1\",\"attempt\":1,\"index\":0,\"entity\":{\"text\":\"$XSS\"}}"
check "one entity recorded" status_is 200
AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$XID/entities" \
	"{\"worker_id\":\"e2e-host:1\",\"attempt\":1,\"index\":1,\"error\":\"generator said $XSS\"}"
check "one failure recorded" status_is 200
make_stuck "$XID"
admin_get /admin/
check "dashboard lists the stuck request" body_has "/admin/generations/$XID"
check "dashboard escapes the subject" body_has '&lt;script&gt;alert(1)&lt;/script&gt;'
check "dashboard has no raw <script>alert" body_lacks '<script>alert'
admin_get "/admin/?partial=1"
check "the refresh fragment lists it too" body_has "/admin/generations/$XID"
check "the refresh fragment escapes too" body_lacks '<script>alert'
admin_get "/admin/?status=processing&entity_type=xss"
check "filtered dashboard: 200 with the request" eval '[[ $ST == 200 ]] && grep -qF "/admin/generations/$XID" "$HB"'
admin_get "/admin/?entity_type=xss"
check "filtered by type alone: the request" body_has "/admin/generations/$XID"
admin_get "/admin/?entity_type=nosuchtype"
check "filtered by a type nobody uses: none" body_has '<td colspan="9" class="empty">None.</td>'
# The counts: today's from the rows, all time's from the counters
# (sql/005); both say what the rows say (every request here is today's).
counts_of() {
	sed -n "s#.*<span class=\"st st-$1\">$1</span></td><td class=\"num\">\([0-9]*\)</td><td class=\"num\">\([0-9]*\)</td>.*#\1 \2#p" "$HB" | head -1
}
admin_get /admin/
for st in pending processing completed partial failed cancelled; do
	n=$(sql "SELECT COUNT(*) FROM generation_requests WHERE status = '$st'")
	check "dashboard counts $st: today and all time $n" eq "$(counts_of "$st")" "$n $n"
done
# The newest event first: the claim of the request above.
check "recent activity starts with the newest event" \
	eq "$(grep -o '<h2>Recent activity</h2>.*' "$HB" | grep -o 'href="/admin/generations/[0-9a-f-]*"' | head -1)" \
	"href=\"/admin/generations/$XID\""
admin_get "/admin/?id=$XID"
check "search by id: 303 to its page" match "$ST $(hdr Location)" "^303 /admin/generations/$XID\$"
admin_get "/admin/?id=00000000-0000-7000-8000-000000000000"
check "search for an unknown id: back with a message" match "$ST $(hdr Location)" '^303 /admin/\?done=notfound$'
admin_get "/admin/generations/$XID"
check "detail: 200" status_is 200
check "detail has the security headers" security_headers
check "detail has no inline script" no_inline_script
check "detail escapes subject, metadata and entity" eval '! grep -qF "<script>alert" "$HB" && [[ $(grep -oF "&lt;script&gt;alert(1)&lt;/script&gt;" "$HB" | wc -l) -ge 3 ]]'
check "detail shows the entity collapsible" body_has '<details'
check "detail shows the audit trail actor" body_has 'worker:e2e-host:1'
TOKEN=$(csrf_of)
check "detail forms carry a CSRF token" match "$TOKEN" '^[0-9]+\.[A-Za-z0-9_-]{43}$'

# ==== CSRF: refused posts change nothing ====
before=$(writes)
admin_post "/admin/generations/$XID/fail" "reason=no+token"
check "fail without a CSRF token: 403" status_is 403
# One MAC character changed, in the middle: the last one carries only 2 bits,
# so replacing it can give back the same token.
forged=${TOKEN:0:20}$([[ ${TOKEN:20:1} == A ]] && echo B || echo A)${TOKEN:21}
check "the forged token differs from the real one" test "$forged" != "$TOKEN"
admin_post "/admin/generations/$XID/fail" "reason=bad+token&csrf_token=$forged"
check "fail with a wrong CSRF token: 403" status_is 403
admin_post "/admin/generations/$XID/fail" "reason=expired&csrf_token=1000.${TOKEN#*.}"
check "fail with an expired token: 403" status_is 403
req POST "/admin/generations/$XID/fail" -u "bob:x" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "reason=x&csrf_token=$TOKEN"
check "a post without valid credentials: 401" status_is 401
admin_post "/admin/generations/$XID/fail" "csrf_token=$TOKEN&reason="
check "fail without a reason: 400" status_is 400
check "nothing written by the refused posts" eq "$(writes)" "$before"
check "still processing" eq "$(db_status "$XID")" processing

# ==== mark failed ====
admin_post "/admin/generations/$XID/fail" "csrf_token=$TOKEN&expect_status=processing&reason=worker+host+died+%3Cb%3E"
check "mark failed: 303 back to the request" match "$ST $(hdr Location)" "^303 /admin/generations/$XID\\?done=failed\$"
check "now failed" eq "$(db_status "$XID")" failed
check "failure_reason operator_failed, reason kept" eq "$(sql "SELECT failure_reason, error_message FROM generation_requests WHERE id = UNHEX('$(hex_id "$XID")')" | tr '\t' '|')" 'operator_failed|worker host died <b>'
check "event by admin:admin" eq "$(last_event "$XID")" 'admin:admin|processing|failed|worker host died <b>'
admin_get "/admin/generations/$XID?done=failed"
check "the page says it was done" body_has 'Marked failed'
check "the reason is escaped on the page" body_has 'worker host died &lt;b&gt;'

# A second try from the page the operator still had open: 409, nothing written.
before=$(writes)
admin_post "/admin/generations/$XID/fail" "csrf_token=$TOKEN&expect_status=processing&reason=again"
check "fail again (changed meanwhile): 409" status_is 409
check "the 409 page says what it is now" body_has 'the request is failed now'
check "the 409 wrote nothing" eq "$(writes)" "$before"

# ==== retry keeps generated entities and drops the failed ones ====
admin_get "/admin/generations/$XID"
TOKEN=$(csrf_of)
admin_post "/admin/generations/$XID/retry" "csrf_token=$TOKEN&expect_status=failed&reason=try+again"
check "retry: 303" match "$ST $(hdr Location)" "done=retried\$"
check "retry: pending again" eq "$(db_status "$XID")" pending
check "retry: generated entity kept, failed one dropped" eq "$(sql "SELECT GROUP_CONCAT(CONCAT(idx, status)) FROM generation_entities WHERE request_id = UNHEX('$(hex_id "$XID")')")" "0generated"
check "retry: event says what remains" match "$(last_event "$XID")" '^admin:admin\|failed\|pending\|try again; keeps 1 generated, 1 remain$'
claim xss
check "retry: the next claim is told 1 remains" jtrue --arg id "$XID" '.request_id==$id and .remaining==1'

# ==== the poll's entities across attempts: the row's array is the record ====
# Attempt 2 records index 1, then index 0 again (generated by attempt 1: a
# no-op); the poll sends attempt 1's index 0 and attempt 2's index 1, in
# index order, each once, from the array kept on the row (sql/010).
went() { AUTH_KEY=$WORKER_KEY api POST "/api/v1/worker/generation-requests/$XID/entities" \
	"{\"worker_id\":\"e2e-host:1\",\"attempt\":2,\"index\":$1,\"entity\":$2}"; }
went 1 '{"n":1}'
check "attempt 2: index 1 recorded" jtrue '.recorded==true'
went 0 '{"n":"again"}'
check "attempt 2: index 0 again is a no-op" jtrue '.recorded==false'
api GET "$COLL/$XID"
check "the poll: index 0 from attempt 1, index 1 from attempt 2" jtrue --arg x "$XSS" \
	'.entities==[{"text":$x},{"n":1}] and .generated_count==2'
check "the row's array is what generation_entities says" eq "$(sql "SELECT r.entities_json =
	(SELECT CONCAT('[', GROUP_CONCAT(e.entity_json ORDER BY e.idx SEPARATOR ','), ']')
	 FROM generation_entities e WHERE e.request_id = r.id AND e.status = 'generated')
	FROM generation_requests r WHERE r.id = UNHEX('$(hex_id "$XID")')")" 1

# ==== retry refused by the one-active-per-subject rule ====
create '{"entity_type":"dup","subject_key":"s-1"}'
DUP1=$ID
api POST "$COLL/$DUP1/cancel" '{"reason":"test"}'
create '{"entity_type":"dup","subject_key":"s-1"}'
DUP2=$ID
admin_get "/admin/generations/$DUP1"
TOKEN=$(csrf_of)
before=$(writes)
admin_post "/admin/generations/$DUP1/retry" "csrf_token=$TOKEN&reason=again"
check "retry while the subject has another active request: 409" status_is 409
check "the 409 page says why" body_has 'already has a pending or processing'
check "nothing written" eq "$(writes)" "$before"
check "the other request untouched" eq "$(db_status "$DUP2")" pending

# ==== the page session: a sign-in opens it, signing out ends it, and a
# form's token is good for that session and that form only ====
rm -f "$JAR"
sessions0=$(live_sessions)
admin_get /admin/
check "a sign-in opens a page session: its cookie" \
	match "$(hdr Set-Cookie)" '^gentrack_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=/admin; HttpOnly; SameSite=Strict$'
check "... and one row in the store" eq "$(live_sessions)" $((sessions0 + 1))
SID_HEX=$(printf '%s=' "$(jar_session "$JAR")" | basenc --base64url -d | od -An -tx1 | tr -d ' \n')
SID_HASH=$(printf '%s=' "$(jar_session "$JAR")" | basenc --base64url -d | b2sum -l 256 | cut -d' ' -f1)
check "... holding the BLAKE2b of the cookie's id, never the id" \
	eq "$(sql "SELECT COUNT(*) FROM admin_sessions WHERE id_hash = UNHEX('$SID_HASH')") $(sql "SELECT COUNT(*) FROM admin_sessions WHERE id_hash = UNHEX('$SID_HEX')")" "1 0"
admin_get /admin/
check "the next page keeps it: no new cookie, no new row" eq "$(hdr Set-Cookie)|$(live_sessions)" "|$((sessions0 + 1))"
req GET /admin/ "${ADMIN[@]}" -H "Cookie: gentrack_session=$(printf 'A%.0s' {1..43})"
check "an unknown session id: a new session" match "$(hdr Set-Cookie)" '^gentrack_session=[A-Za-z0-9_-]{43};'

create '{"entity_type":"sess"}'
SA=$ID
create '{"entity_type":"sess"}'
SB=$ID
create '{"entity_type":"sess"}'
SC=$ID
api POST "$COLL/$SC/cancel" '{"reason":"to be retried"}'
admin_get "/admin/generations/$SA"
FAIL_A=$(form_token fail)
check "the fail form has its token" match "$FAIL_A" '^[0-9]+\.[A-Za-z0-9_-]{43}$'
check "each form of a page has its own token" test "$(form_token cancel)" != "$FAIL_A"
admin_get "/admin/generations/$SC"
RETRY_C=$(form_token retry)
before=$(writes)
admin_post "/admin/generations/$SA/cancel" "csrf_token=$FAIL_A&reason=wrong+form"
check "a fail form's token on the cancel of the same request: 403" status_is 403
admin_post "/admin/generations/$SA/cancel" "csrf_token=$RETRY_C&reason=wrong+form"
check "a retry's token used for a cancel: 403" status_is 403
admin_post "/admin/generations/$SB/fail" "csrf_token=$FAIL_A&reason=wrong+target"
check "a fail token of one request on another: 403" status_is 403
check "the 403 page says the token is for another form" body_has 'for another form'
check "the refused posts wrote nothing" eq "$(writes)" "$before"
check "both still pending" eq "$(db_status "$SA") $(db_status "$SB")" "pending pending"

# Another browser (another sign-in) has another session.
create '{"entity_type":"sess"}'
SE=$ID
JAR1=$JAR
JAR=$GT_TMP/cookies-2
admin_get "/admin/generations/$SE"
CANCEL_E2=$(form_token cancel)
check "the other browser's page has a cancel form" match "$CANCEL_E2" '^[0-9]+\.[A-Za-z0-9_-]{43}$'
check "a second sign-in has another session" test "$(jar_session "$JAR")" != "$(jar_session "$JAR1")"
JAR=$JAR1
before=$(writes)
admin_post "/admin/generations/$SE/cancel" "csrf_token=$CANCEL_E2&reason=other+session"
check "a token of another session: 403" status_is 403
req POST "/admin/generations/$SE/cancel" "${ADMIN[@]}" -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-raw "csrf_token=$CANCEL_E2&reason=no+cookie"
check "a post with no session cookie (a cross-site form: SameSite keeps it home): 403" status_is 403
check "... whose page says the session ended" body_has 'Your admin session has ended'
check "nothing written" eq "$(writes)" "$before"
check "still pending" eq "$(db_status "$SE")" pending
admin_post "/admin/generations/$SA/fail" "csrf_token=$FAIL_A&expect_status=pending&reason=its+own+form"
check "the fail token in its own form and session: 303" match "$ST $(hdr Location)" "^303 /admin/generations/$SA\\?done=failed\$"

# Sign out: the session ends, and every token of it with it.
create '{"entity_type":"sess"}'
SD=$ID
admin_get "/admin/generations/$SD"
CANCEL_D=$(form_token cancel)
check "a pending request's page has a cancel form" match "$CANCEL_D" '^[0-9]+\.[A-Za-z0-9_-]{43}$'
OLD=$(jar_session "$JAR")
sessions1=$(live_sessions)
req GET /admin/logout "${ADMIN[@]}" -b "$JAR" -c "$JAR"
check "logout drops the cookie" match "$(hdr Set-Cookie)" '^gentrack_session=; Max-Age=0; Path=/admin; HttpOnly; SameSite=Strict$'
check "logout ends the session in the store" eq "$(live_sessions)" $((sessions1 - 1))
check "the jar has no session left" eq "$(jar_session "$JAR")" ""
before=$(writes)
req POST "/admin/generations/$SD/cancel" "${ADMIN[@]}" -H "Cookie: gentrack_session=$OLD" \
	-H 'Content-Type: application/x-www-form-urlencoded' --data-raw "csrf_token=$CANCEL_D&reason=after+logout"
check "a token from before the logout, with the old cookie: 403" status_is 403
admin_post "/admin/generations/$SD/cancel" "csrf_token=$CANCEL_D&reason=after+logout"
check "... and from the same browser, its cookie dropped: 403" status_is 403
check "nothing written after the logout" eq "$(writes)" "$before"
check "still pending" eq "$(db_status "$SD")" pending
admin_get "/admin/generations/$SD"
check "a fresh sign-in: a new session" eq "$(jar_session "$JAR" | grep -c .)|$([[ $(jar_session "$JAR") != "$OLD" ]] && echo new)" "1|new"
admin_post "/admin/generations/$SD/cancel" "csrf_token=$(form_token cancel)&expect_status=pending&reason=fresh+sign-in"
check "a fresh sign-in's form works: 303" match "$ST $(hdr Location)" "^303 /admin/generations/$SD\\?done=cancelled\$"
check "cancelled by admin:admin" eq "$(last_event "$SD")" 'admin:admin|pending|cancelled|fresh sign-in'

# A session past its 12 h: its tokens go with it, the next page opens another.
admin_get "/admin/generations/$SC"
RETRY_C=$(form_token retry)
sql "UPDATE admin_sessions SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE admin_name = 'admin'"
before=$(writes)
admin_post "/admin/generations/$SC/retry" "csrf_token=$RETRY_C&reason=expired+session"
check "a token of an expired session: 403" status_is 403
check "nothing written" eq "$(writes)" "$before"
admin_get "/admin/generations/$SC"
check "the next page opens a new session" match "$(hdr Set-Cookie)" '^gentrack_session=[A-Za-z0-9_-]{43};'
admin_post "/admin/generations/$SC/retry" "csrf_token=$(form_token retry)&reason=new+session"
check "... whose forms work" match "$ST $(hdr Location)" 'done=retried$'

# ==== JSON twins ====
req GET /admin/api/stuck "${ADMIN[@]}"
check "api stuck: 200 JSON" eval '[[ $ST == 200 ]] && [[ $(hdr Content-Type) == application/json* ]]'
check "api stuck: items with the stuck fields" jtrue '(.items|type)=="array" and (.as_of|type)=="string"'
req GET /admin/api/stuck
check "api stuck without credentials: 401 problem+json" is_problem 401
check "api 401 asks for Basic" match "$(hdr WWW-Authenticate)" '^Basic '
create '{"entity_type":"apitest"}'
AID=$ID
before=$(writes)
req POST "/admin/api/generations/$AID/cancel" "${ADMIN[@]}" -H 'Content-Type: text/plain' --data-raw '{"reason":"x"}'
check "api action with text/plain: 415" is_problem 415
req POST "/admin/api/generations/$AID/cancel" "${ADMIN[@]}" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw 'reason=x'
check "api action with a form type: 415" is_problem 415
req POST "/admin/api/generations/$AID/cancel" "${ADMIN[@]}" -F 'reason=x'
check "api action with multipart: 415" is_problem 415
req POST "/admin/api/generations/$AID/cancel" "${ADMIN[@]}" -H 'Content-Type: application/json' -H 'Cookie: s=1' --data-raw '{"reason":"x"}'
check "api action carrying a cookie: 403" is_problem 403
req POST "/admin/api/generations/$AID/cancel" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-raw '{}'
check "api action without a reason: 400" is_problem 400
check "refused api actions wrote nothing" eq "$(writes)" "$before"
req POST "/admin/api/generations/$AID/cancel" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-raw '{"reason":"script says so"}'
check "api cancel: 200 with the resource" jtrue --arg id "$AID" '.request_id==$id and .status=="cancelled"'
check "api cancel: event by admin:admin" eq "$(last_event "$AID")" 'admin:admin|pending|cancelled|script says so'
req POST "/admin/api/generations/$AID/fail" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-raw '{"reason":"x"}'
check "api fail of a cancelled request: 409" is_problem 409
req POST "/admin/api/generations/$AID/retry" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-raw '{"reason":"back"}'
check "api retry: 200 pending" jtrue '.status=="pending"'

# ==== bulk cancel: preview, confirm, once ====
for i in 1 2 3; do create '{"entity_type":"bulkt"}'; done
sql "UPDATE generation_requests SET requested_at = NOW(6) - INTERVAL 2 HOUR WHERE entity_type = 'bulkt'"
create '{"entity_type":"bulkt"}'   # fresh: not stuck, must stay
FRESH=$ID
admin_get "/admin/bulk-cancel?older_than=30&entity_type=bulkt"
check "bulk preview: 200" status_is 200
check "bulk preview counts 3" body_has '<strong id="bulk-count">3</strong>'
BTOKEN=$(csrf_of)
FORM="csrf_token=$BTOKEN&action_id=$(form_value action_id)&as_of=$(form_value as_of)&expected=$(form_value expected)&older_than=30&entity_type=bulkt&reason=bulk+test"
before=$(writes)
admin_post /admin/bulk-cancel "${FORM/csrf_token=$BTOKEN/csrf_token=}"
check "bulk without a CSRF token: 403" status_is 403
check "bulk refused: nothing written" eq "$(writes)" "$before"
admin_post /admin/bulk-cancel "$FORM"
check "bulk confirm: 303 with the count" match "$ST $(hdr Location)" '^303 /admin/\?done=bulk&n=3$'
check "bulk: 3 cancelled by admin:admin" eq "$(sql "SELECT COUNT(*) FROM generation_events e JOIN generation_requests r ON r.id = e.request_id WHERE r.entity_type = 'bulkt' AND e.actor = 'admin:admin' AND e.to_status = 'cancelled'")" 3
check "bulk: the fresh one untouched" eq "$(db_status "$FRESH")" pending
before=$(writes)
admin_post /admin/bulk-cancel "$FORM"
check "bulk submitted twice: applied once" match "$ST $(hdr Location)" '^303 /admin/\?done=bulk_repeat&n=3$'
check "bulk repeat wrote nothing" eq "$(writes)" "$before"
admin_get "/admin/?done=bulk&n=3"
check "the dashboard says what bulk did" body_has 'Bulk cancel done: 3 requests cancelled.'

# ==== a bulk cancel the store breaks off is finished, not left "running" ====
# The store refuses every change to these three (a trigger), as a store
# that fails at the run's first write would: nothing cancelled, and the old
# code left such an action "still running" for good.
for i in 1 2 3; do create '{"entity_type":"bulkf"}'; done
sql "UPDATE generation_requests SET requested_at = NOW(6) - INTERVAL 2 HOUR WHERE entity_type = 'bulkf'"
sql "CREATE TRIGGER e2e_bulk_fault BEFORE UPDATE ON generation_requests FOR EACH ROW
     SET NEW.status = IF(OLD.entity_type = 'bulkf', NULL, NEW.status)"
admin_get "/admin/bulk-cancel?older_than=30&entity_type=bulkf"
check "broken bulk: the preview counts 3" body_has '<strong id="bulk-count">3</strong>'
FORM="csrf_token=$(csrf_of)&action_id=$(form_value action_id)&as_of=$(form_value as_of)&expected=$(form_value expected)&older_than=30&entity_type=bulkf&reason=bulk+fault"
admin_post /admin/bulk-cancel "$FORM"
check "broken bulk: the store's error page, not a success" match "$ST" '^50[03]$'
sql "DROP TRIGGER e2e_bulk_fault"
done_n=$(sql "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'bulkf' AND status = 'cancelled'")
check "broken bulk: nothing cancelled" eq "$done_n" 0
admin_post /admin/bulk-cancel "$FORM"
check "the same form then says what the run did, not \"still running\"" \
	match "$ST $(hdr Location)" "^303 /admin/\\?done=bulk_repeat&n=$done_n\$"
# Young again, so that the reaper counts below do not meet it.
sql "UPDATE generation_requests SET requested_at = NOW(6) WHERE entity_type = 'bulkf' AND status = 'pending'"

# The store refuses to record the end of the run: the admin is not told "done".
for i in 1 2; do create '{"entity_type":"bulkg"}'; done
sql "UPDATE generation_requests SET requested_at = NOW(6) - INTERVAL 2 HOUR WHERE entity_type = 'bulkg'"
sql "CREATE TRIGGER e2e_action_fault BEFORE UPDATE ON admin_actions FOR EACH ROW SET NEW.actor = NULL"
admin_get "/admin/bulk-cancel?older_than=30&entity_type=bulkg"
FORM="csrf_token=$(csrf_of)&action_id=$(form_value action_id)&as_of=$(form_value as_of)&expected=$(form_value expected)&older_than=30&entity_type=bulkg&reason=finish+fault"
admin_post /admin/bulk-cancel "$FORM"
check "unrecorded end: the store's error page, not a success" match "$ST" '^50[03]$'
sql "DROP TRIGGER e2e_action_fault"
admin_post /admin/bulk-cancel "$FORM"
check "... the same form: running, or interrupted" match "$ST $(hdr Location)" '^303 /admin/\?done=bulk_running&n=0$'
admin_get "/admin/?done=bulk_running&n=0"
check "... which the dashboard says" body_has 'or a store failure interrupted it'

# ==== reading costs no more than writing (issue 20, item 3) ====
# 56 KB of arrays nested 2,000 deep, within the API's body limit: re-indented
# (two blanks a level on every line) that was a 112 MB page and 240 MB in the
# child. Now the page shows the stored text as it is, escaped.
open=$(printf '%2000s' '' | tr ' ' '[')
close=${open//[/]}
deep='{"entity_type":"deep","constraints":{'
for k in $(seq 0 13); do
	((k == 0)) || deep+=,
	deep+="\"k$k\":$open$close"
done
deep+='}}'
api POST "$COLL" "$deep"
check "the deeply nested create: 202" status_is 202
DEEP=$(hdr Location)
DEEP=${DEEP##*/}
stored_len=$(sql "SELECT LENGTH(constraints_json) FROM generation_requests WHERE id = UNHEX('$(hex_id "$DEEP")')")
check "it is stored (over 50 KB)" match "$stored_len" '^[5-9][0-9]{4}$'
admin_get "/admin/generations/$DEEP"
check "its detail page: 200" status_is 200
page_len=$(wc -c <"$HB")
check "its page is under twice the stored text plus 32 KiB" \
	eval '((page_len < 2 * stored_len + 32768)) || { GT_DETAIL="$page_len bytes for $stored_len stored"; false; }'
sql "SELECT constraints_json FROM generation_requests WHERE id = UNHEX('$(hex_id "$DEEP")')" |
	sed 's/&/\&amp;/g; s/"/\&quot;/g; s/</\&lt;/g; s/>/\&gt;/g' >"$GT_TMP/deep.escaped"
check "its page shows the stored text as it is, escaped" grep -qFf "$GT_TMP/deep.escaped" "$HB"
# An ordinary object is still laid out for people.
create '{"entity_type":"shallow","constraints":{"level":{"min":1,"tags":["a"]}}}'
admin_get "/admin/generations/$ID"
check "an ordinary object is still indented" \
	eval 'grep -qxF "    &quot;min&quot;: 1," "$HB" && grep -qxF "      &quot;a&quot;" "$HB"'

# ==== /healthz and /metrics ====
req GET /healthz
check "healthz from loopback: 200" status_is 200
req GET /metrics
check "metrics from loopback: 200" status_is 200
check "metrics content type is Prometheus text 0.0.4" match "$(hdr Content-Type)" '^text/plain; version=0\.0\.4'

# The exposition format's checker, shared with tests/e2e/metrics.sh.
# shellcheck source-path=SCRIPTDIR source=../harness/prom.sh
. "$GT_SRCDIR/tests/harness/prom.sh"
check "metrics parse as Prometheus text" prom_valid
metric() { grep -F "$1 " "$HB" | head -1 | awk '{print $NF}'; }
metrics_now() { req GET /metrics; }
check "metrics have requests by status" match "$(metric 'gentrack_requests{status="cancelled"}')" '^[0-9]+$'
check "metrics have the two histograms" eval 'grep -q "^gentrack_claim_latency_seconds_bucket{le=\"+Inf\"}" "$HB" && grep -q "^gentrack_generation_duration_seconds_count" "$HB"'

created0=$(metric 'gentrack_transitions_total{actor="client",to="pending"}')
claims0=$(metric 'gentrack_claim_latency_seconds_count')
worker0=$(metric 'gentrack_transitions_total{actor="worker",to="processing"}')
reaped0=$(( $(metric 'gentrack_reaped_total{outcome="failed"}') + $(metric 'gentrack_reaped_total{outcome="retried"}') ))
pending0=$(metric 'gentrack_requests{status="pending"}')
create '{"entity_type":"metrict"}'
MID=$ID
metrics_now
check "after a create: client transitions +1" eq "$(metric 'gentrack_transitions_total{actor="client",to="pending"}')" $((created0 + 1))
check "after a create: pending gauge +1" eq "$(metric 'gentrack_requests{status="pending"}')" $((pending0 + 1))
claim metrict
check "claim the metrics request" jtrue --arg id "$MID" '.request_id==$id'
metrics_now
check "after a claim: worker transitions +1" eq "$(metric 'gentrack_transitions_total{actor="worker",to="processing"}')" $((worker0 + 1))
check "after a claim: claim latency count +1" eq "$(metric 'gentrack_claim_latency_seconds_count')" $((claims0 + 1))
sql "UPDATE generation_requests SET lease_expires_at = NOW(6) - INTERVAL 1 MINUTE WHERE id = UNHEX('$(hex_id "$MID")')"
check "reap" eval '"${CTL[@]}" reap >/dev/null'
metrics_now
check "after a reap: reaped total +1" eq "$(( $(metric 'gentrack_reaped_total{outcome="failed"}') + $(metric 'gentrack_reaped_total{outcome="retried"}') ))" $((reaped0 + 1))
check "metrics still parse" prom_valid
req GET /metrics "${ADMIN[@]}"
check "metrics with admin credentials too: 200" status_is 200

finish
