# shellcheck shell=bash disable=SC2034 # AUTH_KEY is read by lib.sh's api()
# What the webhook suites share (sourced after tests/harness/lib.sh and
# start_stack): a receiver on loopback that checks every signature with the
# official verifier (webhook_receiver.mjs), the deliverer's configuration,
# endpoints whose secrets the receiver is given, requests run to their end
# through the worker API, and their deliveries.

# webhook_receiver_start: the receiver in $GT_STACK_DIR/hooks; sets HOOKS,
# RECEIVER (its pid: the suite's EXIT trap kills it) and HOOK (its URL).
webhook_receiver_start() {
	need_npm_package standardwebhooks
	HOOKS=$GT_STACK_DIR/hooks
	mkdir -p "$HOOKS"
	echo '{}' >"$HOOKS/secrets.json"
	GT_NPM_DIR=$NPM_DIR node "$GT_SRCDIR/tests/e2e/webhook_receiver.mjs" "$HOOKS" >"$HOOKS/receiver.log" 2>&1 &
	RECEIVER=$!
	if ! wait_for 100 test -s "$HOOKS/port"; then
		echo "FAIL: the receiver did not start"
		cat "$HOOKS/receiver.log"
		kill "$RECEIVER" 2>/dev/null
		exit 1
	fi
	HOOK=http://127.0.0.1:$(cat "$HOOKS/port")
}

# webhook_config [INI LINES...]: the deliverer's configuration, the stack's
# with private addresses allowed (the receiver is on loopback) and the lines
# given appended to [webhooks]; sets WH_CONF and WCTL (gentrackctl with it).
webhook_config() {
	WH_CONF=$GT_STACK_DIR/webhooks.conf
	{
		cat "$GENTRACK_CONFIG"
		printf '[webhooks]\nallow_private = true\n'
		printf '%s\n' "$@"
	} >"$WH_CONF"
	WCTL=("$GENTRACKCTL" --config "$WH_CONF")
}

# webhook_add NAME OWNER: endpoint HOOK/NAME of OWNER, its secret given to
# the receiver.
webhook_add() {
	local secret
	secret=$("${WCTL[@]}" webhook add --owner "$2" --name "$1" --url "$HOOK/$1" 2>>"$HOOKS/ctl.log") || return 1
	jq --arg n "$1" --arg s "$secret" '.[$n] = $s' "$HOOKS/secrets.json" >"$HOOKS/secrets.tmp" &&
		mv "$HOOKS/secrets.tmp" "$HOOKS/secrets.json"
}

# webhook_run KEY TYPE: a request of KEY's owner, claimed, one entity,
# completed; prints its id (nothing when the complete was not a 200).
webhook_run() {
	local id
	AUTH_KEY=$1
	api POST /api/v1/generation-requests "{\"entity_type\":\"$2\",\"count\":1}"
	id=$(jb .request_id)
	AUTH_KEY=$WORKER_KEY
	api POST /api/v1/worker/claim "{\"worker_id\":\"e2e-hooks\",\"entity_types\":[\"$2\"]}"
	api POST "/api/v1/worker/generation-requests/$id/entities" \
		'{"worker_id":"e2e-hooks","attempt":1,"index":0,"entity":{"text":"hello"}}'
	api POST "/api/v1/worker/generation-requests/$id/complete" '{"worker_id":"e2e-hooks","attempt":1}'
	[[ $ST == 200 ]] && printf '%s' "$id"
}

# The delivery of request ID, a delivery's state, what the receiver got of a
# webhook-id (a JSON line per POST).
delivery_of() { sql "SELECT id FROM webhook_deliveries WHERE request_id = UNHEX(REPLACE('$1', '-', ''))"; }
state_of() { sql "SELECT state FROM webhook_deliveries WHERE id = '$1'"; }
received_id() { jq -c --arg id "$1" 'select(.id == $id)' "$HOOKS/received.jsonl" 2>/dev/null; }
