#!/usr/bin/env bash
# jq programs name their $variables inside single quotes on purpose; helper
# functions are called through `check` and `wait_for`.
# shellcheck disable=SC2016,SC2317
# Completion webhooks (issue 16): `gentrackctl webhook add` refuses bad and
# private URLs and changes nothing; a request that ends writes its delivery
# (the outbox) only to the endpoint it reports to (the one its create named,
# else its owner's default), when subscribed to that event; `gentrackctl
# deliver` POSTs it signed, and a Node receiver checks every signature with
# the official standardwebhooks verifier. A 500 is tried again on the
# schedule (shrunk by [webhooks] retry_schedule_divisor, a test-only knob)
# with the same webhook-id; a 410 disables the endpoint. A create naming an
# endpoint its owner has not is refused; `webhook rotate` signs with both
# secrets for its overlap, then with the new one only; the payload's link is
# absolute with [server] base_url.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq node npm
start_stack webhooks
# shellcheck source-path=SCRIPTDIR source=webhook_lib.sh
. "$GT_SRCDIR/tests/e2e/webhook_lib.sh"
webhook_receiver_start
FOLLOW=""
EXAMPLE=""
# Only what this test started, by pid.
trap 'kill "$RECEIVER" ${FOLLOW:+"$FOLLOW"} ${EXAMPLE:+"$EXAMPLE"} 2>/dev/null; bash "$GT_STACK" down "$GT_STACK_DIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT
PORT=$(cat "$HOOKS/port")
COLL=/api/v1/generation-requests

# The stack's configuration (private addresses refused, the default), and
# the deliverer's: the receiver is on loopback, and the schedule 1000 times
# shorter (5 s -> 5 ms, 5 min -> 0.3 s).
CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")
webhook_config 'retry_schedule_divisor = 1000'
endpoints() { sql "SELECT COUNT(*) FROM webhook_endpoints"; }
# wh_metrics: the webhook samples of a scrape of /metrics, one "name value" a line.
wh_metrics() {
	req GET /metrics
	[[ $ST == 200 ]] || return 1
	grep -E '^gentrack_webhook_' "$HB"
}
check "/metrics before any delivery: every result at 0, no attempt, nothing due" \
	eq "$(wh_metrics | tr '\n' ';')" 'gentrack_webhook_deliveries_total{result="delivered"} 0;gentrack_webhook_deliveries_total{result="retried"} 0;gentrack_webhook_deliveries_total{result="dead"} 0;gentrack_webhook_deliveries_total{result="disabled"} 0;gentrack_webhook_attempts_total 0;gentrack_webhook_oldest_due_age_seconds 0;'

# ---- webhook add: bad input refused, nothing written ----
refused_add() {
	local want=$1 out rc
	shift
	out=$("${CTL[@]}" webhook add "$@" 2>&1)
	rc=$?
	eq "$rc/$(endpoints)" "1/0" || return 1
	match "$out" "$want"
}
check "a loopback URL is refused without allow_private" refused_add 'loopback, private' \
	--owner acme --url "$HOOK/ok"
check "... a private one too (10.0.0.1)" refused_add 'private' --owner acme --url http://10.0.0.1/x
check "... and link-local (169.254.169.254)" refused_add 'private' --owner acme \
	--url http://169.254.169.254/latest/meta-data
check "an ftp:// URL is refused" refused_add 'http:// or https://' --owner acme --url ftp://example.com/
check "a URL with credentials is refused" refused_add 'credentials' --owner acme \
	--url "http://user:pw@127.0.0.1:$PORT/ok"
check "an unknown event is refused" refused_add 'events' --owner acme --url "$HOOK/ok" --events finished
check "no --owner is a usage error" refused_add 'owner' --url "$HOOK/ok"
check "a URL over 2048 bytes is refused" refused_add 'longer' --owner acme \
	--url "https://example.com/$(head -c 2100 /dev/zero | tr '\0' a)"

# ---- the endpoints ----
add() {
	local name=$1 owner=$2 secret
	shift 2
	secret=$("${WCTL[@]}" webhook add --owner "$owner" --name "$name" --url "$HOOK/$name" "$@" 2>>"$HOOKS/ctl.log") ||
		return 1
	[[ $secret == whsec_* ]] || return 1
	jq --arg n "$name" --arg s "$secret" '.[$n] = $s' "$HOOKS/secrets.json" >"$HOOKS/secrets.tmp" &&
		mv "$HOOKS/secrets.tmp" "$HOOKS/secrets.json"
}
check "webhook add prints a whsec_ secret (acme, 'ok')" add ok acme
check "... globex's 'flaky', for completed only" add flaky globex --events completed
"${CTL[@]}" key create --role client --owner initech >"$HOOKS/initech.key" 2>/dev/null
INITECH_KEY=$(tail -n 1 "$HOOKS/initech.key")
check "... initech's 'gone'" add gone initech
out=$("${WCTL[@]}" webhook add --owner acme --name ok --url "$HOOK/ok" 2>&1)
check "a second endpoint of the same name is refused" eq "$?/$(endpoints)" "1/3"
check "... saying so" match "$out" 'already has a webhook named'
out=$("${CTL[@]}" --json webhook list)
check "webhook list --json: three endpoints, no secret" \
	eq "$(jq -c '[.[] | [.owner, .name, .events, (.secret // "none")]]' <<<"$out")" \
	'[["acme","ok","completed,partial,failed,cancelled","none"],["globex","flaky","completed","none"],["initech","gone","completed,partial,failed,cancelled","none"]]'
check "... each owner's first endpoint is its default" \
	eq "$(jq -c '[.[] | .default]' <<<"$out")" '[true,true,true]'
check "acme's second endpoint, 'audit'" add audit acme
check "... is not its default" \
	eq "$("${CTL[@]}" --json webhook list --owner acme | jq -c '[.[] | [.name, .default]]')" '[["audit",false],["ok",true]]'

# run TYPE KEY: a request of KEY's owner, claimed, one entity, completed; prints its id.
run() {
	local type=$1 id
	AUTH_KEY=$2
	api POST "$COLL" "{\"entity_type\":\"$type\",\"count\":1}"
	id=$(jb .request_id)
	AUTH_KEY=$WORKER_KEY
	api POST /api/v1/worker/claim "{\"worker_id\":\"e2e-hooks\",\"entity_types\":[\"$type\"]}"
	api POST "/api/v1/worker/generation-requests/$id/entities" \
		'{"worker_id":"e2e-hooks","attempt":1,"index":0,"entity":{"text":"hello"}}'
	api POST "/api/v1/worker/generation-requests/$id/complete" '{"worker_id":"e2e-hooks","attempt":1}'
	[[ $ST == 200 ]] && printf '%s' "$id"
}
deliveries() { sql "SELECT COUNT(*) FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$1', '-', ''))"; }
received() { jq -c "select(.name == \"$1\")" "$HOOKS/received.jsonl" 2>/dev/null; }
# deliver_until NAME N: one-pass deliver runs until the receiver saw N deliveries to NAME.
deliver_until() {
	local i
	for ((i = 0; i < 40; i++)); do
		"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1 || return 1
		(($(received "$1" | wc -l) >= $2)) && return 0
		sleep 0.1
	done
	return 1
}

# ---- a completed request: one signed delivery ----
ID_OK=$(run hook_ok "$CLIENT_KEY")
check "acme's request completes" match "$ID_OK" '^[0-9a-f-]{36}$'
check "... and its delivery is in the outbox" eq "$(deliveries "$ID_OK")" 1
check "deliver sends it" deliver_until ok 1
R=$(received ok)
check "... once" eq "$(wc -l <<<"$R")" 1
check "... signed: the standardwebhooks verifier accepts it" eq "$(jq -r '.verified, .error' <<<"$R" | tr '\n' ' ')" "true null "
check "... a POST of JSON" eq "$(jq -r '.method + " " + .content_type' <<<"$R")" "POST application/json"
check "... type generation_request.completed" eq "$(jq -r .body.type <<<"$R")" generation_request.completed
check "... the request, completed, reporting to ok, with its link: absolute ([server] base_url)" \
	eq "$(jq -r '[.body.data.request_id, .body.data.status, .body.data.generated_count, .body.data.webhook, .body.data.link] | join(" ")' <<<"$R")" \
	"$ID_OK completed 1 ok $BASE_URL/api/v1/generation-requests/$ID_OK"
ST=$(curl -sS --max-time 10 -o "$HB" -w '%{http_code}' -H "Authorization: Bearer $CLIENT_KEY" "$(jq -r .body.data.link <<<"$R")")
check "... the link, as it is, gives the request with its entities" \
	eq "$ST $(jb '.entities | length')" "200 1"
check "... without its entities" eq "$(jq -r '.body.data | has("entities")' <<<"$R")" false
check "... a timestamp" match "$(jq -r .body.timestamp <<<"$R")" '^20[0-9-]+T[0-9:.]+Z$'
check "... its webhook-id is the delivery's" \
	eq "$(jq -r .id <<<"$R")" "$(sql "SELECT id FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$ID_OK', '-', ''))")"
check "... recorded delivered after one attempt with its status" \
	eq "$(sql "SELECT state, attempts, last_status FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$ID_OK', '-', ''))" | tr '\t' ' ')" \
	"delivered 1 200"
"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1
check "a second pass sends nothing again" eq "$(received ok | wc -l)" 1

# ---- the outbox only for a subscribed event ----
AUTH_KEY=$CLIENT_KEY_2
api POST "$COLL" '{"entity_type":"hook_cancel","count":1}'
ID_CANCEL=$(jb .request_id)
api POST "$COLL/$ID_CANCEL/cancel" '{"reason":"no longer needed"}'
check "globex cancels a request" status_is 200
check "... no delivery: its endpoint is for completed only" eq "$(deliveries "$ID_CANCEL")" 0
AUTH_KEY=$CLIENT_KEY
api POST "$COLL" '{"entity_type":"hook_cancel","count":1}'
ID_CANCEL_A=$(jb .request_id)
api POST "$COLL/$ID_CANCEL_A/cancel" ''
check "acme's cancel writes a generation_request.cancelled delivery" \
	eq "$(sql "SELECT event_type FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$ID_CANCEL_A', '-', ''))")" \
	generation_request.cancelled
check "... sent and verified" deliver_until ok 2

# ---- 500, 500, then 200: three attempts, one webhook-id ----
ID_FLAKY=$(run hook_flaky "$CLIENT_KEY_2")
check "globex's request completes" match "$ID_FLAKY" '^[0-9a-f-]{36}$'
check "deliver tries until the receiver takes it" deliver_until flaky 3
R=$(received flaky)
check "... three attempts" eq "$(wc -l <<<"$R")" 3
check "... answered 500, 500, 200" eq "$(jq -r .status <<<"$R" | tr '\n' ' ')" "500 500 200 "
check "... every one verified" eq "$(jq -r .verified <<<"$R" | sort -u)" true
check "... with one webhook-id" eq "$(jq -r .id <<<"$R" | sort -u | wc -l)" 1
check "... recorded delivered after 3 attempts" \
	eq "$(sql "SELECT state, attempts, last_status FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$ID_FLAKY', '-', ''))" | tr '\t' ' ')" \
	"delivered 3 200"

# ---- 410 Gone: the endpoint is disabled ----
ID_GONE=$(run hook_gone "$INITECH_KEY")
check "initech's request completes" match "$ID_GONE" '^[0-9a-f-]{36}$'
check "deliver sends it" deliver_until gone 1
check "... the 410 makes the delivery dead after one attempt" \
	eq "$(sql "SELECT state, attempts, last_status FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$ID_GONE', '-', ''))" | tr '\t' ' ')" \
	"dead 1 410"
check "... and disables the endpoint" \
	eq "$(sql "SELECT disabled_at IS NOT NULL FROM webhook_endpoints WHERE owner = 'initech'")" 1
check "webhook list says so" match "$("${CTL[@]}" webhook list --owner initech)" 'gone +yes +disabled'
ID_GONE2=$(run hook_gone "$INITECH_KEY")
check "a later request of initech writes no delivery" eq "$(deliveries "$ID_GONE2")" 0

# ---- which endpoint: the one the create names, else the owner's default ----
# One pass, then what each endpoint of acme received of request $1.
got() { jq -r --arg id "$1" 'select(.body.data.request_id == $id) | .name' "$HOOKS/received.jsonl" 2>/dev/null | sort | tr '\n' ' '; }
AUTH_KEY=$CLIENT_KEY
api POST "$COLL" '{"entity_type":"hook_route","webhook":"audit"}'
check "a create naming its owner's 'audit': 202, the resource says so" eq "$ST $(jb .webhook)" "202 audit"
ID_AUDIT=$(jb .request_id)
api GET "$COLL/$ID_AUDIT" ''
check "... and so does its GET" eq "$(jb .webhook)" audit
check "... and gentrackctl get" match "$("${CTL[@]}" get "$ID_AUDIT")" $'\nwebhook +audit\n'
api POST "$COLL/$ID_AUDIT/cancel" ''
"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1
check "... its end goes to audit alone, verified" \
	eq "$(got "$ID_AUDIT")/$(received audit | jq -r .verified)" "audit /true"
api POST "$COLL" '{"entity_type":"hook_route"}'
check "a create naming none reports to the owner's default" eq "$ST $(jb .webhook)" "202 ok"
ID_DEF=$(jb .request_id)
api POST "$COLL/$ID_DEF/cancel" ''
"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1
check "... its end goes to ok alone" eq "$(got "$ID_DEF")" "ok "
refused "naming another owner's endpoint (globex's flaky)" 422 \
	api POST "$COLL" '{"entity_type":"hook_route","webhook":"flaky"}'
check "... saying there is no such endpoint, never whose it is" \
	eq "$(jb .type) $(jb .detail)" "urn:gentrack:problem:unknown-webhook you have no webhook endpoint of that name (your operator registers them)"
refused "naming an unknown endpoint" 422 api POST "$COLL" '{"entity_type":"hook_route","webhook":"nope"}'
refused "a URL instead of a name" 400 \
	api POST "$COLL" '{"entity_type":"hook_route","webhook":"http://127.0.0.1:9/steal"}'
check "... naming the field" match "$(jb .detail)" "'webhook' must be the name"
refused "a webhook that is not a string" 400 \
	api POST "$COLL" '{"entity_type":"hook_route","webhook":{"url":"http://127.0.0.1:9/"}}'
AUTH_KEY=$INITECH_KEY
api POST "$COLL" '{"entity_type":"hook_route","webhook":"gone"}'
check "an owner may name its disabled endpoint (it receives nothing)" eq "$ST $(jb .webhook)" "202 gone"

# The name is part of the body an Idempotency-Key replay compares.
AUTH_KEY=$CLIENT_KEY
api POST "$COLL" '{"entity_type":"hook_idem","webhook":"audit"}' -H 'Idempotency-Key: hooks-1'
check "a create with an Idempotency-Key and webhook audit: 202" eq "$ST $(jb .webhook)" "202 audit"
ID_IDEM=$(jb .request_id)
api POST "$COLL" '{"entity_type":"hook_idem","webhook":"audit"}' -H 'Idempotency-Key: hooks-1'
check "... the same body again: the replay, the same request" \
	eq "$ST $(hdr Idempotent-Replayed) $(jb .request_id) $(jb .webhook)" "202 true $ID_IDEM audit"
refused "... the same key naming another endpoint" 422 \
	api POST "$COLL" '{"entity_type":"hook_idem","webhook":"ok"}' -H 'Idempotency-Key: hooks-1'
check "... as a reused key" eq "$(jb .type)" "urn:gentrack:problem:idempotency-key-reused"
api POST "$COLL/$ID_IDEM/cancel" ''

out=$("${CTL[@]}" webhook default --owner acme --name nope 2>&1)
check "webhook default of an unknown endpoint: usage error, saying so" eq "$?/$out" "1/gentrackctl: acme has no webhook named 'nope'"
check "webhook default makes audit acme's default" \
	match "$("${CTL[@]}" webhook default --owner acme --name audit)" 'now report to audit'
check "... list says so" \
	eq "$("${CTL[@]}" --json webhook list --owner acme | jq -c '[.[] | [.name, .default]]')" '[["audit",true],["ok",false]]'
api POST "$COLL" '{"entity_type":"hook_route"}'
check "... a create naming none now reports to audit" eq "$ST $(jb .webhook)" "202 audit"
api POST "$COLL/$(jb .request_id)/cancel" ''
check "... the one created before keeps ok" eq "$(api GET "$COLL/$ID_DEF" ''; jb .webhook)" ok
check "webhook add --default takes the default from audit" add ok2 acme --default
check "... list says so" \
	eq "$("${CTL[@]}" --json webhook list --owner acme | jq -c '[.[] | select(.default) | .name]')" '["ok2"]'
"${CTL[@]}" webhook default --owner acme --name ok >/dev/null

# ---- rotate: both secrets sign for the overlap, then the new one only ----
old=$(jq -r .audit "$HOOKS/secrets.json")
out=$("${CTL[@]}" webhook rotate --owner acme --name nope 2>&1)
check "rotating an unknown endpoint: usage error" eq "$?" 1
check "... a bad --overlap too" eq "$("${CTL[@]}" webhook rotate --owner acme --name audit --overlap 8d >/dev/null 2>&1; echo $?)" 1
new=$("${WCTL[@]}" webhook rotate --owner acme --name audit --overlap 4s 2>"$HOOKS/rotate.err")
check "webhook rotate prints a new whsec_ secret" eq "$?/${new:0:6}/$((${#new} == 50))" "0/whsec_/1"
check "... and says how long the old one signs" match "$(cat "$HOOKS/rotate.err")" 'both secrets for 4 s'
check "... different from the old one" test "$new" != "$old"
# The receiver verifies audit's deliveries under [new, old].
jq --arg n "$new" --arg o "$old" '.audit = [$n, $o]' "$HOOKS/secrets.json" >"$HOOKS/secrets.tmp" && mv "$HOOKS/secrets.tmp" "$HOOKS/secrets.json"
rotated() {
	AUTH_KEY=$CLIENT_KEY
	api POST "$COLL" '{"entity_type":"hook_rotate","webhook":"audit"}'
	local id
	id=$(jb .request_id)
	api POST "$COLL/$id/cancel" ''
	"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1
	jq -c --arg id "$id" 'select(.body.data.request_id == $id) | [.verified_by, (.signature | split(" ") | length)]' "$HOOKS/received.jsonl"
}
check "during the overlap: two signatures, the new secret and the old both verify" eq "$(rotated)" '[[0,1],2]'
sleep 4.2
check "after it: one signature, only the new secret verifies" eq "$(rotated)" '[[0],1]'
new2=$("${WCTL[@]}" webhook rotate --owner acme --name audit --overlap 0 2>/dev/null)
jq --arg n "$new2" --arg o "$new" '.audit = [$n, $o]' "$HOOKS/secrets.json" >"$HOOKS/secrets.tmp" && mv "$HOOKS/secrets.tmp" "$HOOKS/secrets.json"
check "rotate --overlap 0: the old secret stops at once" eq "$(rotated)" '[[0],1]'
check "rotate --json: the new secret and the overlap" \
	eq "$("${CTL[@]}" --json webhook rotate --owner acme --name ok2 --overlap 1h | jq -r '[.owner, .name, .overlap_seconds, (.secret | startswith("whsec_"))] | join(" ")')" \
	"acme ok2 3600 true"

# ---- the link: absolute with [server] base_url, the path without ----
NOBASE=$GT_STACK_DIR/nobase.conf
grep -v '^base_url' "$GENTRACK_CONFIG" >"$NOBASE"
api POST "$COLL" '{"entity_type":"hook_link"}'
ID_LINK=$(jb .request_id)
"$GENTRACKCTL" --config "$NOBASE" cancel "$ID_LINK" >/dev/null
check "a transition made without base_url writes the link as a path" \
	eq "$(sql "SELECT JSON_VALUE(payload, '\$.data.link') FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$ID_LINK', '-', ''))")" \
	"/api/v1/generation-requests/$ID_LINK"
# Its delivery is due and no deliverer runs: the gauge grows.
sleep 1.1
due_age() { wh_metrics | awk '$1 == "gentrack_webhook_oldest_due_age_seconds" { print $2 }'; }
check "/metrics: the oldest due delivery waits for a deliverer (over 1 s)" \
	awk -v a="$(due_age)" 'BEGIN { exit !(a >= 1 && a < 60) }'

# ---- no default, no name: no webhook ----
"${CTL[@]}" webhook remove --owner acme --name ok >/dev/null
api POST "$COLL" '{"entity_type":"hook_route"}'
check "acme without a default: a create naming none has webhook null" eq "$ST $(jb .webhook)" "202 null"
ID_NONE=$(jb .request_id)
api POST "$COLL/$ID_NONE/cancel" ''
check "... and its end writes no delivery (audit and ok2 subscribe to all)" eq "$(deliveries "$ID_NONE")" 0
"${CTL[@]}" webhook default --owner acme --name audit >/dev/null

# ---- deliver --follow: the long-running deliverer ----
"${WCTL[@]}" deliver --follow --interval 0.1 >"$HOOKS/follow.out" 2>"$HOOKS/follow.err" &
FOLLOW=$!
before=$(received audit | wc -l)
ID_FOLLOW=$(run hook_ok "$CLIENT_KEY")
more_than() { (($(received "$1" | wc -l) > $2)); }
check "deliver --follow sends what becomes due while it runs" wait_for 100 more_than audit "$before"
check "... verified" eq "$(received audit | tail -n 1 | jq -r '.verified, .body.data.request_id' | tr '\n' ' ')" "true $ID_FOLLOW "
kill -TERM "$FOLLOW"
wait "$FOLLOW"
check "... and stops on SIGTERM, exit 0" eq "$?" 0
check "... saying what it did" match "$(cat "$HOOKS/follow.out")" '^delivered: 1 delivered, 0 to retry, 0 dead$'

# ---- /metrics: what the deliverers did ----
M=$(wh_metrics)
mv_() { awk -v n="$1" '$1 == n { print $2 }' <<<"$M"; }
check "/metrics: every delivered delivery counted once" \
	eq "$(mv_ 'gentrack_webhook_deliveries_total{result="delivered"}')" "$(sql "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'delivered'")"
check "... flaky's two 500s as retried" eq "$(mv_ 'gentrack_webhook_deliveries_total{result="retried"}')" 2
check "... gone's 410 as disabled" eq "$(mv_ 'gentrack_webhook_deliveries_total{result="disabled"}')" 1
check "... none dead" eq "$(mv_ 'gentrack_webhook_deliveries_total{result="dead"}')" 0
check "... every POST an attempt" \
	eq "$(mv_ gentrack_webhook_attempts_total)" "$(sql "SELECT SUM(attempts) FROM webhook_deliveries WHERE last_status IS NOT NULL")"
check "... nothing due now" eq "$(mv_ gentrack_webhook_oldest_due_age_seconds)" 0

# ---- examples/webhook-receiver (./dev demo's): real deliveries pass, forged ones not ----
EX=$GT_STACK_DIR/example-receiver
mkdir -p "$EX"
node "$GT_SRCDIR/examples/webhook-receiver/receiver.mjs" "$EX" >"$EX/log" 2>&1 &
EXAMPLE=$!
wait_for 100 test -s "$EX/port" || { echo "FAIL: the example receiver did not start"; cat "$EX/log"; exit 1; }
EXURL=http://127.0.0.1:$(cat "$EX/port")
"${WCTL[@]}" webhook add --owner globex --name example --url "$EXURL/hooks" >"$EX/secret" 2>>"$HOOKS/ctl.log"
AUTH_KEY=$CLIENT_KEY_2
api POST "$COLL" '{"entity_type":"hook_example","webhook":"example"}'
api POST "$COLL/$(jb .request_id)/cancel" ''
"${WCTL[@]}" deliver >>"$HOOKS/deliver.log" 2>&1
check "the example receiver takes a real delivery as signed (204: delivered)" \
	eq "$(curl -s "$EXURL/deliveries.json" | jq -c '[.[0].genuine, .[0].type]')/$(sql "SELECT state, last_status FROM webhook_deliveries WHERE endpoint_id = (SELECT id FROM webhook_endpoints WHERE name = 'example')" | tr '\t' ' ')" \
	'[true,"generation_request.cancelled"]/delivered 204'
forged() {
	curl -s -o /dev/null -w '%{http_code}' -X POST "$EXURL/hooks" -H 'Content-Type: application/json' \
		-H 'webhook-id: msg_forged' -H "webhook-timestamp: $1" -H "webhook-signature: $2" -d '{"type":"generation_request.completed"}'
}
check "... refuses a wrong signature: 401" eq "$(forged "$(date +%s)" 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')" 401
check "... and an old timestamp: 401" eq "$(forged $(($(date +%s) - 600)) 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')" 401
check "... saying why" eq "$(curl -s "$EXURL/deliveries.json" | jq -r '.[0].error, .[1].error')" \
	"timestamp outside the 5-minute tolerance (a replay, or a clock off)
no signature matches the secret"

# ---- remove ----
out=$("${CTL[@]}" webhook remove --owner initech --name nope 2>&1)
check "removing an unknown endpoint is a usage error" eq "$?" 1
check "... saying so" match "$out" "no webhook named 'nope'"
check "webhook remove deletes it" eq "$("${CTL[@]}" webhook remove --owner initech --name gone >/dev/null; echo "$?/$(endpoints)")" "0/4"

finish
