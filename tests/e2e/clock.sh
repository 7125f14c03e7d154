#!/usr/bin/env bash
# One clock (issue 12, item 2), through nginx: a gentrack-fcgi and a
# `gentrackctl reap` whose clocks run 10 minutes ahead (Debian's faketime,
# the offset form, so time still runs and libmariadb's timeouts work) neither
# reap a live lease nor fail a fresh pending request, and store the store's
# time (MariaDB's UTC_TIMESTAMP), not theirs. The rows under test are set as a
# host with the right clock would have made them, with the default limits:
# pending_timeout 60 min, stale_after 10 min.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb nginx curl jq faketime
SKEW="faketime -f +10m"
# Under ASan, libfaketime is preloaded ahead of the sanitizer's runtime,
# which ASan refuses at start unless told that the order is wanted.
if [[ -n ${GT_SANITIZER_CFLAGS:-} ]]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
fi
# Wrapping works at all: a date 10 minutes ahead.
skewed=$($SKEW date -u +%s) real=$(date -u +%s)
((skewed - real >= 595 && skewed - real <= 605)) || {
	echo "FAIL: '$SKEW date' is $((skewed - real)) s ahead, not 600"; echo "0 passed, 1 failed"; exit 1; }
GT_FCGI_WRAPPER=$SKEW start_stack clock_e2e --workers 2
export GENTRACK_CONFIG
# The pool really runs under faketime (its supervisor wrote the pid file).
fcgi_pid=$(cat "$GT_STACK_DIR/fcgi.pid")
check "the pool runs 10 minutes ahead (libfaketime preloaded, FAKETIME=+10m)" \
	match "$(tr '\0' '\n' <"/proc/$fcgi_pid/environ" | grep -E '^(LD_PRELOAD|FAKETIME)=' | sort | tr '\n' ' ')" \
	'^FAKETIME=\+10m LD_PRELOAD=[^ ]*libfaketime'

hex() { printf '%s' "$1" | tr -d '-'; }
create() { # create TYPE -> sets ID
	AUTH_KEY=$CLIENT_KEY api POST /api/v1/generation-requests "{\"entity_type\":\"$1\"}"
	ID=$(jb .request_id)
}
get() { AUTH_KEY=$CLIENT_KEY api GET "/api/v1/generation-requests/$1" ''; }
worker_call() { AUTH_KEY=$WORKER_KEY api POST "$1" "$2"; }
# Seconds between a stored time and the store's clock now (positive: in the future).
ahead_of_store() {
	sql "SELECT ROUND(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), $1) / 1000000)
	     FROM generation_requests WHERE id = UNHEX('$(hex "$2")')"
}
within() { # within LO HI VALUE
	(($3 >= $1 && $3 <= $2)) || { GT_DETAIL="$3 not in $1..$2"; return 1; }
}
status_of() { sql "SELECT status FROM generation_requests WHERE id = UNHEX('$(hex "$1")')"; }

# ---- times stored by a skewed app host are the store's ----
create clock_new
NEW=$ID
check "create through the skewed pool: 202" status_is 202
check "requested_at is the store's time, not 10 minutes ahead" \
	within -5 1 "$(ahead_of_store requested_at "$NEW")"
check "... and so is the creation event" within -5 1 "$(sql "SELECT ROUND(TIMESTAMPDIFF(
	MICROSECOND, UTC_TIMESTAMP(6), MAX(at)) / 1000000) FROM generation_events
	WHERE request_id = UNHEX('$(hex "$NEW")')")"
worker_call /api/v1/worker/claim '{"worker_id":"clock-w","entity_types":["clock_new"],"lease_seconds":120}'
check "claim through the skewed pool: 200" status_is 200
check "the lease runs 120 s from the store's clock" within 110 121 "$(ahead_of_store lease_expires_at "$NEW")"
check "... and the answer says so" within 110 121 \
	"$(($(date -u -d "$(jb .lease_expires_at)" +%s) - $(sql "SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP())")))"
worker_call "/api/v1/worker/generation-requests/$NEW/heartbeat" '{"worker_id":"clock-w","attempt":1,"lease_seconds":90}'
check "heartbeat: 200" status_is 200
check "the heartbeat's lease runs 90 s from the store's clock" \
	within 80 91 "$(ahead_of_store lease_expires_at "$NEW")"
check "started_at is the store's time" within -10 1 "$(ahead_of_store started_at "$NEW")"

# ---- a live lease and a fresh pending request, made by a host with the right clock ----
create clock_live
LIVE=$ID
worker_call /api/v1/worker/claim '{"worker_id":"clock-w","entity_types":["clock_live"],"lease_seconds":60}'
# Started 4 minutes ago (of stale_after's 10: not yet stuck at half of it),
# its lease good for 2 more.
sql "UPDATE generation_requests SET started_at = UTC_TIMESTAMP(6) - INTERVAL 4 MINUTE,
     requested_at = UTC_TIMESTAMP(6) - INTERVAL 6 MINUTE,
     lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL 2 MINUTE WHERE id = UNHEX('$(hex "$LIVE")')"
create clock_fresh
FRESH=$ID
# Waiting 55 minutes (of pending_timeout's 60).
sql "UPDATE generation_requests SET requested_at = UTC_TIMESTAMP(6) - INTERVAL 55 MINUTE
     WHERE id = UNHEX('$(hex "$FRESH")')"
# And one whose lease did lapse, so that the reaper has something to find.
create clock_dead
DEAD=$ID
worker_call /api/v1/worker/claim '{"worker_id":"clock-w","entity_types":["clock_dead"],"lease_seconds":60}'
sql "UPDATE generation_requests SET lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 5 SECOND
     WHERE id = UNHEX('$(hex "$DEAD")')"

# ---- the skewed pool does not call them stuck: only the lapsed one is ----
req GET /admin/api/stuck -u "admin:$ADMIN_PASSWORD"
check "the admin's stuck list through the skewed pool: 200" status_is 200
check "... the lapsed lease is on it, the live lease and the fresh request are not" \
	jtrue --arg a "$LIVE" --arg b "$FRESH" --arg d "$DEAD" \
	'([.items[].request_id | select(. == $a or . == $b)] | length) == 0 and any(.items[]; .request_id == $d)'
check "... as of the store's clock" within -5 1 \
	"$(($(date -u -d "$(jb .as_of)" +%s) - $(sql "SELECT UNIX_TIMESTAMP(UTC_TIMESTAMP())")))"
req GET /metrics
check "/metrics counts that one stuck request" \
	match "$(grep '^gentrack_stuck_requests ' "$HB")" '^gentrack_stuck_requests 1$'

out=$($SKEW "$GENTRACKCTL" reap 2>&1)
rc=$?
check "the skewed reaper reaches the store (exit 0)" eq "$rc" 0
check "it reaps only the lapsed lease" match "$out" '^reaped: 0 failed, 1 retried, 0 expired-pending$'
check "the live lease is still processing" eq "$(status_of "$LIVE")" processing
check "the fresh pending request is still pending" eq "$(status_of "$FRESH")" pending
check "the lapsed one is pending again" eq "$(status_of "$DEAD")" pending
check "its reaper event carries the store's time" within -5 1 "$(sql "SELECT ROUND(TIMESTAMPDIFF(
	MICROSECOND, UTC_TIMESTAMP(6), MAX(at)) / 1000000) FROM generation_events
	WHERE request_id = UNHEX('$(hex "$DEAD")') AND actor = 'reaper'")"

# ---- the skewed pool's status reads (the lazy timeout) agree ----
get "$LIVE"
check "GET of the live lease through the skewed pool: processing" eq "$ST/$(jb .status)" 200/processing
get "$FRESH"
check "GET of the fresh pending request: pending" eq "$ST/$(jb .status)" 200/pending
check "nothing was reaped by those reads" eq "$(sql "SELECT COUNT(*) FROM generation_events
	WHERE actor = 'reaper' AND request_id IN (UNHEX('$(hex "$LIVE")'), UNHEX('$(hex "$FRESH")'))")" 0
worker_call "/api/v1/worker/generation-requests/$LIVE/heartbeat" '{"worker_id":"clock-w","attempt":1}'
check "the live lease's worker keeps it (heartbeat 200)" status_is 200

# ---- what a skewed gentrackctl stores is the store's time too ----
out=$($SKEW "$GENTRACKCTL" key create --role client --owner clock-owner --json 2>&1)
check "a skewed 'key create' reaches the store" match "$out" '"id":'
check "... its created_at is the store's time" within -5 1 "$(sql "SELECT ROUND(TIMESTAMPDIFF(
	MICROSECOND, UTC_TIMESTAMP(6), created_at) / 1000000) FROM api_keys WHERE owner = 'clock-owner'")"
key_id=$(jq -r .id <<<"$out")
$SKEW "$GENTRACKCTL" key revoke "$key_id" >/dev/null 2>&1
check "... and a skewed revoke's revoked_at" within -5 1 "$(sql "SELECT ROUND(TIMESTAMPDIFF(
	MICROSECOND, UTC_TIMESTAMP(6), revoked_at) / 1000000) FROM api_keys WHERE owner = 'clock-owner'")"
printf 'clock-password-1\n' | $SKEW "$GENTRACKCTL" admin-user set clock-admin >/dev/null 2>&1
check "a skewed 'admin-user set' stamps the store's time" within -5 1 "$(sql "SELECT ROUND(
	TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), updated_at) / 1000000) FROM admin_users
	WHERE name = 'clock-admin'")"

finish
