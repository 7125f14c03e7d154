#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check` and `wait_for`.
# shellcheck disable=SC2016,SC2317
# The Webhooks page of the admin console (issue 16), through nginx: an
# endpoint with its last result, failures in a row and its dead delivery;
# the deliveries dead first and filtered; a delivery's page with every
# attempt and a link to its request; redeliver refused without the CSRF
# token (403) or a reason (400), and with both the receiver gets the same
# webhook-id again, the action in the audit trail; an endpoint a 410
# disabled is enabled again by its form; the JSON twins.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq node npm
start_stack admin_webhooks
# shellcheck source-path=SCRIPTDIR source=webhook_lib.sh
. "$GT_SRCDIR/tests/e2e/webhook_lib.sh"
webhook_receiver_start
# Only what this test started, by pid.
trap 'kill "$RECEIVER" 2>/dev/null; bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT
ADMIN=(-u "admin:$ADMIN_PASSWORD")

# The deliverer's configuration: the retry schedule a million times
# shorter (10 h -> 36 ms): out of attempts at once.
webhook_config 'retry_schedule_divisor = 1000000'
add() { webhook_add "$@"; }
run() { webhook_run "$1" hook_admin; }
# deliver_until ID STATE: one-pass deliver runs until delivery ID is in STATE.
deliver_until() {
	local i
	for ((i = 0; i < 60; i++)); do
		"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1 || return 1
		[[ $(state_of "$1") == "$2" ]] && return 0
		sleep 0.05
	done
	GT_DETAIL="$1 is $(state_of "$1"), not $2"
	return 1
}

body_has() { grep -qF -- "$1" "$HB" && return 0; GT_DETAIL="'$1' not in the body: $(head -c 300 "$HB")"; return 1; }
JAR=$GT_TMP/cookies
admin_get() { req GET "$1" "${ADMIN[@]}" -b "$JAR" -c "$JAR"; }
admin_post() { # admin_post PATH FORM-DATA
	req POST "$1" "${ADMIN[@]}" -b "$JAR" -c "$JAR" -H 'Content-Type: application/x-www-form-urlencoded' --data-raw "$2"
}
# The CSRF token of the form that posts to ACTION on the last page.
form_token() {
	grep -o "action=\"$1\"[^>]*><input type=\"hidden\" name=\"csrf_token\" value=\"[^\"]*\"" "$HB" |
		head -1 | sed 's/.*value="//; s/"$//'
}
events() { sql "SELECT COUNT(*) FROM webhook_events"; }

# ---- a delivery that runs out of attempts ----
echo 500 >"$HOOKS/toggle"
check "acme's endpoint 'toggle' (answering 500 for now)" add toggle acme
ID=$(run "$CLIENT_KEY")
check "acme's request completes" match "$ID" '^[0-9a-f-]{36}$'
MSG=$(delivery_of "$ID")
check "... its delivery is written" match "$MSG" '^msg_[A-Za-z0-9_-]{24}$'
check "deliver tries it until it is dead" deliver_until "$MSG" dead
ATTEMPTS=$(sql "SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id = '$MSG'")
check "... every attempt kept (8: at once and the 7 retries)" eq "$ATTEMPTS" 8
check "... the endpoint's last result and failures in a row" \
	eq "$(sql "SELECT last_status, failures FROM webhook_endpoints WHERE name = 'toggle'" | tr '\t' ' ')" "500 8"

# ---- the page ----
admin_get /admin/
check "the console's navigation links the Webhooks page" body_has 'href="/admin/webhooks"'
admin_get /admin/webhooks
check "GET /admin/webhooks: 200 HTML" match "$ST $(hdr Content-Type)" '^200 text/html'
check "... lists the endpoint, its owner and URL" \
	eq "$(grep -oF "acme / <b>toggle</b>" "$HB" | wc -l)/$(grep -oF "$HOOK/toggle" "$HB" | wc -l)" "2/1"
check "... enabled" body_has 'wh-enabled'
check "... its last result, HTTP 500" body_has '<b>HTTP 500</b>'
check "... 8 failures in a row" body_has 'data-label="failures in a row">8<'
check "... one dead delivery, linked to the list of them" body_has 'state=dead#deliveries">1</a>'
check "... and the dead delivery in the list, linked to its page" body_has "href=\"/admin/webhooks/delivery?id=$MSG\""
check "... shown dead" body_has '<span class="st st-failed wh-failed">dead</span>'
EP=$(sql "SELECT id FROM webhook_endpoints WHERE name = 'toggle'")
admin_get "/admin/webhooks?endpoint=$EP&state=delivered"
check "filtered to delivered: not there" eval '! grep -qF "$MSG" "$HB"'
admin_get "/admin/webhooks?endpoint=$EP&state=dead"
check "filtered to the endpoint's dead ones: there" body_has "$MSG"
admin_get "/admin/webhooks?state=lost"
check "an unknown state: 400" status_is 400

# ---- a delivery's page ----
admin_get "/admin/webhooks/delivery?id=$MSG"
check "the delivery's page: 200" status_is 200
check "... its 8 attempts" eq "$(grep -o '<tr class="attempt">' "$HB" | wc -l)" 8
check "... each with its status and duration" \
	eq "$(grep -oE '<tr class="attempt"><td>[0-9]+</td><td><time[^<]*</time> <span class="muted">[^<]*</span></td><td>500</td><td class="num">[0-9]+\.[0-9]{3} s</td>' "$HB" | wc -l)" 8
check "... and the error the receiver gave" body_has 'HTTP 500: answering 500 on purpose'
check "... the request it tells about, linked" body_has "href=\"/admin/generations/$ID\""
check "... the redeliver form" body_has 'action="/admin/webhooks/redeliver"'
admin_get "/admin/generations/$ID"
check "the request's page lists its delivery, linked, dead" \
	eq "$(grep -o '<h2>Webhooks</h2>' "$HB" | wc -l)/$(grep -oF "href=\"/admin/webhooks/delivery?id=$MSG\"" "$HB" | wc -l)/$(grep -o 'wh-failed">dead' "$HB" | wc -l)" "1/1/1"
admin_get "/admin/webhooks/delivery?id=msg_nope%3Cb%3E"
check "a malformed id: 400" status_is 400
admin_get "/admin/webhooks/delivery?id=msg_000000000000000000000000"
check "an unknown id: 404" status_is 404

# ---- redeliver ----
admin_get "/admin/webhooks/delivery?id=$MSG"
TOKEN=$(form_token /admin/webhooks/redeliver)
check "the form carries a CSRF token" match "$TOKEN" '^[0-9]+\.[A-Za-z0-9_-]{43}$'
before=$(events)
admin_post /admin/webhooks/redeliver "id=$MSG&reason=receiver+fixed"
check "redeliver without the CSRF token: 403" status_is 403
check "... nothing changed" eq "$(state_of "$MSG")/$(events)" "dead/$before"
admin_post /admin/webhooks/redeliver "id=$MSG&reason=receiver+fixed&csrf_token=${TOKEN%.*}.AAAA"
check "... with a wrong one: 403" status_is 403
admin_post /admin/webhooks/redeliver "id=msg_000000000000000000000001&reason=other&csrf_token=$TOKEN"
check "... with another delivery's token: 403" status_is 403
admin_post /admin/webhooks/redeliver "id=$MSG&csrf_token=$TOKEN&reason="
check "redeliver without a reason: 400" status_is 400
check "... nothing changed" eq "$(state_of "$MSG")/$(events)" "dead/$before"
admin_post /admin/webhooks/redeliver "id=$MSG&csrf_token=$TOKEN&reason=receiver+fixed+%3Cb%3E"
check "redeliver with both: 303 back to the delivery" \
	eq "$ST $(hdr Location)" "303 /admin/webhooks/delivery?id=$MSG&done=redelivered"
check "... pending, due now, attempts from 0" \
	eq "$(sql "SELECT state, attempts, next_attempt_at <= UTC_TIMESTAMP(6) FROM webhook_deliveries WHERE id = '$MSG'" | tr '\t' ' ')" \
	"pending 0 1"
check "... in the audit trail: who, what and why" \
	eq "$(sql "SELECT actor, action, reason FROM webhook_events WHERE delivery_id = '$MSG'" | tr '\t' '|')" \
	"admin:admin|redeliver|receiver fixed <b>"
admin_post /admin/webhooks/redeliver "id=$MSG&csrf_token=$TOKEN&reason=again"
check "a second redeliver while it waits: 409" status_is 409
echo 200 >"$HOOKS/toggle"
n_before=$(received_id "$MSG" | wc -l)
check "deliver sends it" deliver_until "$MSG" delivered
R=$(received_id "$MSG" | tail -n 1)
check "... the receiver gets the same webhook-id again" \
	eq "$(received_id "$MSG" | wc -l)/$(jq -r '.id, .status, .verified' <<<"$R" | tr '\n' ' ')" \
	"$((n_before + 1))/$MSG 200 true "
admin_get "/admin/webhooks/delivery?id=$MSG&done=redelivered"
check "the delivery's page: delivered, the flash, the reason escaped" \
	eq "$(grep -o 'wh-completed">delivered' "$HB" | wc -l)/$(grep -o 'Due again at once' "$HB" | wc -l)/$(grep -o 'receiver fixed &lt;b&gt;' "$HB" | wc -l)" "1/1/1"
check "... the ninth attempt, a 200" eq "$(grep -o '<tr class="attempt">' "$HB" | wc -l)/$(grep -o '<td>200</td>' "$HB" | wc -l)" "9/1"
TOKEN=$(form_token /admin/webhooks/redeliver)
admin_post /admin/webhooks/redeliver "id=$MSG&csrf_token=$TOKEN&reason=they+lost+it"
check "a delivered one can be redelivered too" eq "$ST $(state_of "$MSG")" "303 pending"
check "... and is sent again, same id" deliver_until "$MSG" delivered
check "... the receiver saw it $((n_before + 2)) times" eq "$(received_id "$MSG" | wc -l)" "$((n_before + 2))"

# ---- 410 disables; the page re-enables ----
echo 410 >"$HOOKS/toggle"
ID2=$(run "$CLIENT_KEY")
MSG2=$(delivery_of "$ID2")
check "a 410 makes the next one dead" deliver_until "$MSG2" dead
admin_get /admin/webhooks
check "the page shows the endpoint disabled, why, and the re-enable form" \
	eq "$(grep -o 'wh-disabled">disabled' "$HB" | wc -l)/$(grep -o 'answered 410 Gone' "$HB" | wc -l)/$(grep -o 'action="/admin/webhooks/enable"' "$HB" | wc -l)" "1/1/1"
admin_get "/admin/webhooks/delivery?id=$MSG2"
check "its dead delivery cannot be redelivered until then" eval \
	'grep -qF "re-enable it on the" "$HB" && ! grep -qF "action=\"/admin/webhooks/redeliver\"" "$HB"'
admin_get /admin/webhooks
ETOKEN=$(form_token /admin/webhooks/enable)
admin_post /admin/webhooks/enable "endpoint=$EP&reason=receiver+back"
check "re-enable without the CSRF token: 403" eq "$ST $(sql "SELECT disabled_at IS NOT NULL FROM webhook_endpoints WHERE id = $EP")" "403 1"
admin_post /admin/webhooks/enable "endpoint=$EP&csrf_token=$ETOKEN&reason="
check "... without a reason: 400" status_is 400
admin_post /admin/webhooks/enable "endpoint=$EP&csrf_token=$ETOKEN&reason=receiver+back"
check "... with both: 303, enabled, failures reset" \
	eq "$ST $(sql "SELECT disabled_at IS NULL, failures FROM webhook_endpoints WHERE id = $EP" | tr '\t' ' ')" "303 1 0"
check "... in the audit trail" \
	eq "$(sql "SELECT actor, action, reason FROM webhook_events WHERE endpoint_id = $EP AND action = 'enable'" | tr '\t' '|')" \
	"admin:admin|enable|receiver back"

# ---- the JSON twins ----
req GET /admin/api/webhooks "${ADMIN[@]}"
check "GET /admin/api/webhooks: the endpoint, enabled, its last result" \
	eq "$(jq -c '.items[] | [.owner, .name, .enabled, .last_status, .dead]' "$HB")" '["acme","toggle",true,410,1]'
req GET "/admin/api/webhooks/deliveries?state=dead" "${ADMIN[@]}"
check "GET /admin/api/webhooks/deliveries?state=dead: the 410 one" \
	eq "$(jq -c '[.items[] | [.id, .state, .request_id, .last_status]]' "$HB")" "[[\"$MSG2\",\"dead\",\"$ID2\",410]]"
echo 200 >"$HOOKS/toggle"
req POST "/admin/api/webhooks/redeliver?id=$MSG2" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-raw '{}'
check "POST /admin/api/webhooks/redeliver without a reason: 400" is_problem 400
req POST "/admin/api/webhooks/redeliver?id=$MSG2" "${ADMIN[@]}" -H 'Content-Type: application/json' \
	--data-raw '{"reason":"endpoint back"}'
check "... with one: 200, pending" eq "$ST $(jb '.id + " " + .state')" "200 $MSG2 pending"
check "... and delivered with the same id" deliver_until "$MSG2" delivered
check "... which the receiver got" eq "$(received_id "$MSG2" | jq -r .status | tail -n 1)" 200

finish
