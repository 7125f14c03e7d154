#!/usr/bin/env bash
# gentrack on a three-node MariaDB Galera cluster (issue 15): a private
# cluster on loopback (tests/harness/galera.sh), two app hosts whose [store]
# hosts name the nodes in different orders, and 8 claimers over both hosts
# against 1,000 pending requests: each claimed exactly once, none lost, every
# claim answered OK holding its row, the certification conflicts retried and
# printed; two reapers at once, one per host, on those 1,000 once stale:
# exactly 1,000 transitions, one event each; 16 creates of one subject and
# 16 of one Idempotency-Key over both hosts at once: one each; 16 creates of
# an owner at 5 pending of its pending limit of 10: exactly 5; a GET and a
# heartbeat through one host right after the create and the claim through
# the other see them (wsrep_sync_wait); a node SIGKILLed under load: every
# acknowledged create survives, the clients keep answering without a
# restart, the node rejoins. With Nchan, each host its own nginx: a stream
# on host A hears a request created, claimed and completed through host B
# and ends, and a publish lost on the way to host A arrives by the repair.
# tests/e2e/faults.sh's store outage, on the cluster: every node refusing
# (1047) under a load through nginx: 503 problem+json with Retry-After at
# once, logged once per process, 202 again when it answers, every 202
# stored, nothing half-written, no pool child restarted.
# Skipped (77) where galera-4 or mariabackup is not installed.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

CLAIMERS=${GALERA_CLAIMERS:-8}
REQUESTS=${GALERA_REQUESTS:-1000}

require_programs mariadbd mariadb mariadb-install-db
[[ -r /usr/lib/galera/libgalera_smm.so ]] || skip_test "galera-4 is not installed (apt-get install galera-4)"
command -v mariabackup >/dev/null 2>&1 || skip_test "mariadb-backup is not installed (its SST)"
command -v socat >/dev/null 2>&1 || skip_test "socat is not installed (mariabackup's SST streams through it)"
prog=$GT_BUILDDIR/tests/integration/test_galera_claimers
causal=$GT_BUILDDIR/tests/integration/test_galera_causal
creates=$GT_BUILDDIR/tests/integration/test_galera_creates
once=$GT_BUILDDIR/tests/integration/test_galera_once
for p in "$prog" "$causal" "$creates" "$once"; do
	[[ -x $p ]] || { echo "FAIL: $p is not built (make check builds it)"; echo "0 passed, 1 failed"; exit 1; }
done

GDIR=$GT_BUILDDIR/tests/.stack/galera
GALERA=$GT_HARNESS/galera.sh
started=$(date +%s)
trap 'bash "$GALERA" down "$GDIR" >/dev/null 2>&1 || true; rm -rf "$GT_TMP"' EXIT
bash "$GALERA" down "$GDIR" >/dev/null 2>&1 || true
rm -rf "$GDIR"
if ! bash "$GALERA" up "$GDIR"; then
	echo "FAIL: the Galera cluster did not start"
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck source=/dev/null
. "$GDIR/galera.env"
echo "cluster up in $(($(date +%s) - started)) s (SQL ports $GALERA_PORT_1, $GALERA_PORT_2, $GALERA_PORT_3)"

# Root on node N; wsrep_sync_wait: a read there sees every write committed
# anywhere before it (causal reads), so the checks never race replication.
gsql() {
	local n=$1
	shift
	local sock_var=GALERA_SOCKET_$n
	mariadb --no-defaults --socket="${!sock_var}" -uroot -N -B gentrack \
		-e "SET SESSION wsrep_sync_wait = 1; $1"
}

check "the cluster has three nodes, all Synced" \
	eq "$(gsql 3 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'wsrep_cluster_size'")" 3
# Galera replicates row events by primary key: a table without one is not safe.
check "every table has a primary key" eq "$(gsql 2 "SELECT COUNT(*) FROM information_schema.TABLES t
	WHERE t.TABLE_SCHEMA = 'gentrack' AND t.TABLE_TYPE = 'BASE TABLE' AND NOT EXISTS (
	SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA
	AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')")" 0

# Two app hosts, each preferring another node; the third node is their spare.
sed -e "s/^hosts = .*/hosts = 127.0.0.1:$GALERA_PORT_1, 127.0.0.1:$GALERA_PORT_3/" "$GALERA_CONF" >"$GDIR/host-a.conf"
sed -e "s/^hosts = .*/hosts = 127.0.0.1:$GALERA_PORT_2, 127.0.0.1:$GALERA_PORT_3/" "$GALERA_CONF" >"$GDIR/host-b.conf"

# ---- 8 claimers over both hosts against 1,000 pending
out=$GDIR/claims
mkdir -p "$out"
t0=$(date +%s)
# wsrep_status N NAME: a status variable of node N.
wsrep_status() {
	gsql "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '$2'"
}
# What Galera did under the claimers, node by node: certification failures,
# brute-force aborts of local transactions, their replays, flow control.
wsrep_figures() {
	local n v line=""
	for v in wsrep_local_cert_failures wsrep_local_bf_aborts wsrep_local_replays wsrep_flow_control_paused_ns; do
		line+="$v:"
		for n in 1 2 3; do line+=" $(wsrep_status "$n" "$v")"; done
		line+="; "
	done
	echo "$line"
}
timeout 150 "$prog" "$GDIR/host-a.conf" "$GDIR/host-b.conf" "$CLAIMERS" "$REQUESTS" "$out" \
	>"$GDIR/claimers.out" 2>"$GDIR/claimers.err"
rc=$?
cat "$GDIR/claimers.out" "$GDIR/claimers.err"
echo "claim run: exit $rc in $(($(date +%s) - t0)) s"
echo "galera under the claimers (nodes 1 2 3): $(wsrep_figures)"
check "the claimers ran without store errors" eq "$rc" 0
# A claim queued on a hot counter row past innodb_lock_wait_timeout (1205)
# was the flake here: the counters now take a free shard instead.
check "no claim waited out a lock (1205)" eq "$(grep -c 'conflict 1205' "$GDIR/claimers.err")" 0

claimed=$(cat "$out"/claims-*.txt | wc -l)
distinct=$(cut -d' ' -f1 "$out"/claims-*.txt | sort -u | wc -l)
check "every request was claimed ($REQUESTS answers OK)" eq "$claimed" "$REQUESTS"
check "no request was answered to two claimers" eq "$distinct" "$claimed"
check "none is left pending" eq "$(gsql 1 "SELECT COUNT(*) FROM generation_requests WHERE status = 'pending'")" 0
check "each was claimed once: one pending→processing event each" \
	eq "$(gsql 2 "SELECT COUNT(*), COUNT(DISTINCT request_id) FROM generation_events WHERE to_status = 'processing'" | tr '\t' ' ')" \
	"$REQUESTS $REQUESTS"
# What each claimer was told it holds is what the row says: a claim that lost
# certification never answered OK with a row another claimer has.
same_claims() {
	local diff
	diff=$(diff <(awk '{ gsub(/-/, "", $1); print tolower($1), $2 }' "$out"/claims-*.txt | sort) \
		<(gsql 3 "SELECT LOWER(HEX(id)), worker_id FROM generation_requests WHERE status = 'processing'" |
			tr '\t' ' ' | sort))
	[[ -z $diff ]] && return 0
	GT_DETAIL="answers (<) and rows (>) differ: $(head -n 6 <<<"$diff" | tr '\n' ' ')"
	return 1
}
check "every claim answered OK holds its row (id and worker agree on node 3)" same_claims
echo "claims answered 'nothing to claim' while requests were pending: $(awk -F'nothing_while_pending=' 'NF > 1 { n += $2 } END { print n + 0 }' "$GDIR/claimers.out")"

conflicts=$(gsql 1 "SELECT actor_kind, SUM(n) FROM gentrack_counters WHERE metric = 'conflicts' GROUP BY actor_kind" | tr '\t' '=' | tr '\n' ' ')
echo "certification conflicts retried (gentrack_conflicts_total): ${conflicts:-none}"

# ---- two reapers at once, one on each host, on the same 1,000 stale requests
# Every lease lapsed (written through node 1, read causally everywhere).
gsql 1 "UPDATE generation_requests SET lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE
	WHERE status = 'processing'" >/dev/null
t0=$(date +%s)
GENTRACKCTL=$GT_BUILDDIR/src/gentrackctl
timeout 120 "$GENTRACKCTL" --config "$GDIR/host-a.conf" reap >"$GDIR/reap-a.out" 2>&1 &
reaper_a=$!
timeout 120 "$GENTRACKCTL" --config "$GDIR/host-b.conf" reap >"$GDIR/reap-b.out" 2>&1 &
reaper_b=$!
wait "$reaper_a"
rc_a=$?
wait "$reaper_b"
rc_b=$?
echo "reaper on host A (exit $rc_a): $(grep '^reaped' "$GDIR/reap-a.out")"
echo "reaper on host B (exit $rc_b): $(grep '^reaped' "$GDIR/reap-b.out")"
echo "two reapers: $(($(date +%s) - t0)) s"
check "both reapers ran to the end" eq "$rc_a $rc_b" "0 0"
retried=$(( $(sed -n 's/^reaped: [0-9]* failed, \([0-9]*\) retried.*/\1/p' "$GDIR/reap-a.out" "$GDIR/reap-b.out" | paste -sd+) ))
check "between them they report $REQUESTS retries" eq "$retried" "$REQUESTS"
check "exactly $REQUESTS reaper transitions, one event each" \
	eq "$(gsql 2 "SELECT COUNT(*), COUNT(DISTINCT request_id) FROM generation_events WHERE actor = 'reaper'" | tr '\t' ' ')" \
	"$REQUESTS $REQUESTS"
check "every request is pending again, none processing" \
	eq "$(gsql 3 "SELECT status, COUNT(*) FROM generation_requests GROUP BY status" | tr '\t' ' ')" "pending $REQUESTS"
echo "conflicts after the reapers: $(gsql 1 "SELECT actor_kind, SUM(n) FROM gentrack_counters WHERE metric = 'conflicts' GROUP BY actor_kind" | tr '\t' '=' | tr '\n' ' ')"

# ---- once, whichever hosts take it at the same time
# 16 creates of one subject_key, then 16 sends of one Idempotency-Key and
# body, then 16 creates of one owner at 5 pending of its limit of 10, each
# half through host A and half through host B, released at once.
tag=$$
t0=$(date +%s)
once_out=$(timeout 90 "$once" "$GDIR/host-a.conf" "$GDIR/host-b.conf" 16 "$tag" 2>&1)
rc=$?
printf '%s\n' "$once_out" | sed 's/^/  /'
echo "once: exit $rc in $(($(date +%s) - t0)) s"
check "16 creates of one subject_key over both hosts: exactly one 202, the others 409 or 503" eq "$rc" 0
check "... and one row" eq "$(gsql 1 "SELECT COUNT(*) FROM generation_requests WHERE owner = 'subject-$tag'")" 1
check "one Idempotency-Key sent 16 times over both hosts at once stores one request and one key" \
	eq "$(gsql 2 "SELECT (SELECT COUNT(*) FROM generation_requests WHERE owner = 'idem-$tag'),
		(SELECT COUNT(*) FROM idempotency_keys WHERE owner = 'idem-$tag')" | tr '\t' ' ')" "1 1"
check "16 creates over both hosts for an owner at 5 pending of its limit of 10: exactly 5 pass, 11 refused (429)" \
	match "$once_out" 'one owner at its pending limit: 202=5 409=0 429=11 503=0 replay=0 error=0'
check "... and 10 pending" eq "$(gsql 3 "SELECT COUNT(*) FROM generation_requests WHERE owner = 'limit-$tag' AND status = 'pending'")" 10

# ---- reads that must see the caller's own write through another node
# Node 2 (host B's first) held behind by FLUSH TABLES WITH READ LOCK while
# host A creates and claims; host B's GET and heartbeat must still see them.
t0=$(date +%s)
causal_out=$(timeout 60 "$causal" "$GDIR/host-a.conf" "$GDIR/host-b.conf" "$GALERA_SOCKET_2" 2>&1)
rc=$?
printf '%s\n' "$causal_out" | sed 's/^/  /'
echo "causal reads: exit $rc in $(($(date +%s) - t0)) s"
check "causal reads through another node (wsrep_sync_wait where needed)" eq "$rc" 0

# ---- two app hosts behind one nginx upstream, through HTTP
# Each a gentrack-fcgi pool (host A: node 1 first, host B: node 2 first),
# a worker and a reaper loop; nginx sends requests to both pools in turn.
t0=$(date +%s)
if ! bash "$GALERA" apps "$GDIR"; then
	echo "FAIL: the app hosts did not start"
	GT_FAILED=$((GT_FAILED + 1))
	finish
fi
# shellcheck source=/dev/null
. "$GDIR/apps.env"
echo "app hosts up in $(($(date +%s) - t0)) s behind $BASE_URL"
AUTH_KEY=$CLIENT_KEY

# A create, then its GET at once: the two go to different pools in turn.
create_then_get() {
	local i id bad=""
	for ((i = 0; i < 20; i++)); do
		api POST /api/v1/generation-requests '{"entity_type":"work","count":2}'
		[[ $ST == 202 ]] || { bad+=" create:$ST"; continue; }
		id=$(jb .request_id)
		api GET "/api/v1/generation-requests/$id" ''
		[[ $ST == 200 ]] || bad+=" get:$ST"
	done
	[[ -z $bad ]] && return 0
	GT_DETAIL="answers:$bad"
	return 1
}
check "20 creates, each read back at once through the other pool: 202 then 200" create_then_get
all_worked() {
	[[ $(gsql 2 "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'work' AND status <> 'completed'") == 0 ]]
}
check "the workers of both hosts complete them" wait_for 300 all_worked

# Many at once through both pools; prints each answer's status and id.
at_once() {
	local n=$1 body=$2 key=$3 i
	for ((i = 0; i < n; i++)); do
		curl -s --max-time 20 -o "$GT_TMP/once-$i.json" -w '%{http_code}\n' \
			-H "Authorization: Bearer $CLIENT_KEY" -H 'Content-Type: application/json' \
			${key:+-H "Idempotency-Key: $key"} --data-binary "$body" \
			"$BASE_URL/api/v1/generation-requests" >"$GT_TMP/once-$i.code" &
	done
	wait
	for ((i = 0; i < n; i++)); do
		printf '%s %s\n' "$(cat "$GT_TMP/once-$i.code")" "$(jq -r '.request_id // "-"' "$GT_TMP/once-$i.json" 2>/dev/null)"
	done
}
answers=$(at_once 16 '{"entity_type":"subj_http","subject_key":"topic-7"}' "")
echo "16 creates of one subject_key through nginx: $(cut -d' ' -f1 <<<"$answers" | sort | uniq -c | tr -s ' \n' ' ')"
check "16 creates of one subject_key through both pools at once: exactly one 202, fifteen 409" \
	eq "$(cut -d' ' -f1 <<<"$answers" | sort | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ')" "202x1 409x15 "
answers=$(at_once 8 '{"entity_type":"idem_http"}' "idem-http-$tag")
echo "8 sends of one Idempotency-Key through nginx: $(cut -d' ' -f1 <<<"$answers" | sort | uniq -c | tr -s ' \n' ' ')"
one_idempotent() {
	local ids
	ids=$(awk '$1 == 202 { print $2 }' <<<"$answers" | sort -u | wc -l)
	[[ $ids == 1 && -z $(awk '$1 != 202 && $1 != 409' <<<"$answers") ]] && return 0
	GT_DETAIL="answers: $(tr '\n' ' ' <<<"$answers")"
	return 1
}
check "8 sends of one Idempotency-Key through both pools at once: one request (202s replay it, the rest 409)" one_idempotent
check "... and one row" eq "$(gsql 3 "SELECT COUNT(*) FROM generation_requests WHERE entity_type = 'idem_http'")" 1

# ---- live updates across hosts: each host's nginx holds its own clients'
# streams, and each host publishes every change to the other's too
# ([live] peers). A stream on host A follows a request created, claimed and
# completed through host B, and ends after the final state.
if ((LIVE_HOSTS)); then
	# api through one host's own nginx (its pool only).
	via() { local BASE_URL=$1; shift; AUTH_KEY=$1 api "${@:2}"; }
	# stream URL FILE: an EventSource-like subscriber for at most 60 s (nginx
	# ends a stream 20 to 22 s after its final state); sets SPID.
	stream() {
		curl -sN --max-time 60 -H "Authorization: Bearer $CLIENT_KEY" -H 'Accept: text/event-stream' \
			"$1/api/v1/generation-requests/$ID/events" >"$2" 2>/dev/null &
		SPID=$!
	}
	states() { sed -n 's/^data: //p' "$1" | jq -r '"\(.status)@\(.version)"' 2>/dev/null | paste -sd' '; }
	has_events() { [[ $(sed -n 's/^data: //p' "$1" | wc -l) -ge $2 ]]; }
	wk() { via "$HOST_B_URL" "$WORKER_KEY" POST "$@"; }

	via "$HOST_B_URL" "$CLIENT_KEY" POST /api/v1/generation-requests '{"entity_type":"live_hosts","count":1}'
	check "live across hosts: a create through host B" status_is 202
	ID=$(jb .request_id)
	stream "$HOST_A_URL" "$GT_TMP/live-a"
	spid_a=$SPID
	stream "$HOST_B_URL" "$GT_TMP/live-b"
	spid_b=$SPID
	check "a stream on host A's nginx opens with the current state" wait_for 100 has_events "$GT_TMP/live-a" 1
	check "and one on host B's" wait_for 100 has_events "$GT_TMP/live-b" 1
	wk /api/v1/worker/claim '{"worker_id":"w-hosts","entity_types":["live_hosts"],"lease_seconds":60}'
	check "a claim through host B" status_is 200
	wk "/api/v1/worker/generation-requests/$ID/entities" '{"worker_id":"w-hosts","attempt":1,"index":0,"entity":{"n":0}}'
	wk "/api/v1/worker/generation-requests/$ID/complete" '{"worker_id":"w-hosts","attempt":1}'
	check "its completion through host B" status_is 200
	wait "$spid_a"
	check "host A's stream ended by itself after the final state (curl exit 0)" eq "$?" 0
	check "host A's stream heard every change made through host B, in order" \
		eq "$(states "$GT_TMP/live-a")" "pending@1 processing@2 processing@3 completed@4"
	wait "$spid_b"
	check "as did host B's own" eq "$(states "$GT_TMP/live-b")" "pending@1 processing@2 processing@3 completed@4"

	# A publish that does not reach host A (gentrackctl on host B, host A's
	# peer publisher unreachable from it) reaches its stream by the repair.
	pub_a=$(sed -n 's/^peers = 127.0.0.1://p' "$GDIR/app-b/gentrack.conf")
	check "host A's peer publisher refuses a read (POST and DELETE only)" \
		eq "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$pub_a/_gentrack/pub/$ID")" 403
	via "$HOST_B_URL" "$CLIENT_KEY" POST /api/v1/generation-requests '{"entity_type":"live_hosts","count":1}'
	ID=$(jb .request_id)
	stream "$HOST_A_URL" "$GT_TMP/live-r"
	check "a stream on host A for the repaired request opens" wait_for 100 has_events "$GT_TMP/live-r" 1
	sed -e "s/^peers = .*/peers = 127.0.0.1:1/" "$GDIR/app-b/gentrack.conf" >"$GT_TMP/b-cut.conf"
	t0=$(date +%s%N)
	"$GENTRACKCTL" --config "$GT_TMP/b-cut.conf" cancel "$ID" --reason "peer down" \
		>"$GT_TMP/ctl-cut.out" 2>&1
	check "a cancel on host B with host A unreachable is made" eq "$?" 0
	check "host A's publish is lost (logged)" grep -q 'live updates: POST failed' "$GT_TMP/ctl-cut.out"
	wait "$SPID"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# the repair reached host A's stream ${ms} ms after the cancel"
	check "host A's stream got the final state from the repair, and ended" \
		eq "$(states "$GT_TMP/live-r")" "pending@1 cancelled@2"
else
	echo "# live updates across hosts: skipped (libnginx-mod-nchan not installed)"
fi

# ---- tests/e2e/faults.sh's checks, on the cluster
# faults.sh stops its one MariaDB under a load of creates; here the cluster
# refuses as a whole, every node answering as one out of the primary
# component does (1047, what a cluster that lost its quorum answers:
# wsrep_reject_queries = ALL, connections kept) for 4 s, under a load
# through nginx and both pools; then it answers again. The node SIGKILLed
# below is the other fault of a cluster (answered by the nodes left).
# One line per answer: status|seconds|content type|Retry-After|request id.
STOP_LOAD=$GT_TMP/stop-load
create_loop() {
	local out=$1 src=$2 key=$3 i
	for ((i = 0; i < 2000; i++)); do
		[[ -e $STOP_LOAD ]] && break
		curl -s --max-time 10 --interface "$src" -o "$GT_TMP/loop-$src.json" \
			-w '%{http_code}|%{time_total}|%{content_type}|%header{retry-after}|' \
			-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
			--data-binary '{"entity_type":"fault_http"}' "$BASE_URL/api/v1/generation-requests" >>"$out"
		jq -r '.request_id // "-"' "$GT_TMP/loop-$src.json" >>"$out" 2>/dev/null || echo - >>"$out"
		sleep 0.05
	done
}
# reject_all MODE: every node's wsrep_reject_queries, at once (root is never
# refused a SET).
reject_all() {
	local n sock_var pids=() rc=0
	for n in 1 2 3; do
		sock_var=GALERA_SOCKET_$n
		mariadb --no-defaults --socket="${!sock_var}" -uroot -e "SET GLOBAL wsrep_reject_queries = $1" &
		pids+=($!)
	done
	for n in "${pids[@]}"; do wait "$n" || rc=1; done
	return "$rc"
}
count_status() { awk -F'|' -v s="$2" '$1 == s' "$1" | wc -l; }
at_least() { (($("${@:3}") >= $2)) || { GT_DETAIL="$1: only $("${@:3}")"; return 1; }; }
pool_children() { local h; for h in a b; do pgrep -P "$(cat "$GDIR/app-$h/fcgi.pid")"; done | sort | paste -sd' '; }
kids=$(pool_children)
log_mark_a=$(wc -c <"$GDIR/app-a/fcgi.log")
log_mark_b=$(wc -c <"$GDIR/app-b/fcgi.log")
new_logs() { tail -c +$((log_mark_a + 1)) "$GDIR/app-a/fcgi.log"; tail -c +$((log_mark_b + 1)) "$GDIR/app-b/fcgi.log"; }
rm -f "$STOP_LOAD"
: >"$GT_TMP/outage-1"
: >"$GT_TMP/outage-2"
# Each loop a client of its own key and address: nginx's create limit is
# per key (per address without one).
load_key() { "$GENTRACKCTL" --config "$GDIR/host-a.conf" key create --role client --owner acme 2>/dev/null | tail -n 1; }
create_loop "$GT_TMP/outage-1" 127.0.0.21 "$(load_key)" &
loop_1=$!
create_loop "$GT_TMP/outage-2" 127.0.0.22 "$(load_key)" &
loop_2=$!
outage() { cat "$GT_TMP/outage-1" "$GT_TMP/outage-2" >"$GT_TMP/outage"; count_status "$GT_TMP/outage" "$1"; }
check "cluster outage: a load of creates is under way" wait_for 100 at_least "202 answers" 10 outage 202
check "every node refuses gentrack's statements (1047)" reject_all ALL
check "with every node refusing, creates are refused at once (503)" wait_for 50 at_least "503 answers" 10 outage 503
sleep 3
check "the nodes answer again" reject_all NONE
before=$(outage 202)
check "with the cluster answering again, creates are accepted again" \
	wait_for 100 at_least "202 answers" $((before + 10)) outage 202
touch "$STOP_LOAD"
wait "$loop_1" "$loop_2"
outage 202 >/dev/null
echo "# cluster outage, through nginx: $(awk -F'|' '{ n[$1]++; if ($2 > m) m = $2 }
	END { for (s in n) printf "%d x %s, ", n[s], s; printf "slowest %.3f s", m }' "$GT_TMP/outage")"
check "every answer is 202 or 503" eq "$(awk -F'|' '$1 != 202 && $1 != 503' "$GT_TMP/outage" | head -3)" ""
check "every 503 is problem+json with Retry-After" \
	eq "$(awk -F'|' '$1 == 503 && ($3 !~ /^application\/problem\+json/ || $4 !~ /^[0-9]+$/)' "$GT_TMP/outage" | head -3)" ""
# As faults.sh: an outage is told at once, not found out by timing out.
# shellcheck disable=SC2016 # awk's own variables
check "no answer took 3 s or more" \
	awk -F'|' '$2 > m { m = $2 } END { exit !(m < 3) }' "$GT_TMP/outage"
outage_stored() {
	local ids n stored
	ids=$(awk -F'|' '$1 == 202 { gsub("-", "", $5); print $5 }' "$GT_TMP/outage")
	n=$(grep -c . <<<"$ids")
	stored=$(gsql 3 "SELECT COUNT(*) FROM generation_requests WHERE id IN
		($(awk '{ printf "%sUNHEX(\x27%s\x27)", (NR > 1 ? "," : ""), $0 }' <<<"$ids"))")
	[[ $stored == "$n" ]] && return 0
	GT_DETAIL="202 answers: $n, of them in the store: $stored"
	return 1
}
check "every 202 is in the store (read on node 3)" outage_stored
# No request, entity or event half-written, on any node.
consistent_on() {
	local orphans
	orphans=$(gsql "$1" "SELECT
		(SELECT COUNT(*) FROM generation_entities e LEFT JOIN generation_requests r ON r.id = e.request_id WHERE r.id IS NULL),
		(SELECT COUNT(*) FROM generation_events e LEFT JOIN generation_requests r ON r.id = e.request_id WHERE r.id IS NULL),
		(SELECT COUNT(*) FROM generation_requests r WHERE NOT EXISTS (SELECT 1 FROM generation_events e
			WHERE e.request_id = r.id AND e.from_status IS NULL AND e.to_status = 'pending'))" | tr '\t' ' ')
	[[ $orphans == '0 0 0' ]] && return 0
	GT_DETAIL="node $1: entities without request, events without request, requests without creation event: $orphans"
	return 1
}
all_consistent() { consistent_on 1 && consistent_on 2 && consistent_on 3; }
check "no half-written request on any node" all_consistent
check "no gentrack-fcgi pool restarted, nor any of its children" eq "$(pool_children)" "$kids"
refusals=$(new_logs | grep -c '(1047)')
echo "# refused statements logged: $refusals lines for $(count_status "$GT_TMP/outage" 503) 503 answers"
check "gentrack logs why: the nodes' 1047" test "$refusals" -ge 1
# Once per process and burst (4 children, 2 supervisors' repair loops; twice
# for one that failed over to a node that had not yet refused), not once per
# request.
check "... once per process, not once per request" test "$refusals" -le 12

# ---- a node SIGKILLed under load
# Each host's client creates for 10 s, one create after the other, in one
# process that is never restarted; node 1 (host A's first) is killed 3 s in.
# Host A fails over to its next node; node 1 then rejoins.
for h in a b; do
	"$creates" "$GDIR/host-$h.conf" 10 "$GDIR/acked-$h.txt" >"$GDIR/creates-$h.out" 2>"$GDIR/creates-$h.err" &
	eval "creates_$h=\$!"
done
# And a client of the service, through nginx and both pools.
http_creates() {
	local end=$((SECONDS + 10)) code took ct ra
	while ((SECONDS < end)); do
		code=$(curl -s --max-time 10 -o "$GT_TMP/http-create.json" \
			-w '%{http_code} %{time_total} %{content_type} %header{retry-after}' \
			-H "Authorization: Bearer $CLIENT_KEY" -H 'Content-Type: application/json' \
			--data-binary '{"entity_type":"survive_http"}' "$BASE_URL/api/v1/generation-requests")
		read -r code took ct ra <<<"$code"
		echo "$code $(date +%s.%N) $(jq -r '.request_id // "-"' "$GT_TMP/http-create.json" 2>/dev/null) $took ${ct:--} ${ra:--}"
	done >"$GDIR/http-creates.txt"
}
http_creates &
http_pid=$!
sleep 3
killed_at=$(date +%s.%N)
bash "$GALERA" kill "$GDIR" 1
# shellcheck disable=SC2154 # set by the eval above
wait "$creates_a"
rc_a=$?
# shellcheck disable=SC2154
wait "$creates_b"
rc_b=$?
echo "host A's client (node 1 first): $(cat "$GDIR/creates-a.out")"
echo "host B's client (node 2 first): $(cat "$GDIR/creates-b.out")"
check "both hosts' clients ran through the loss, never restarted" eq "$rc_a $rc_b" "0 0"
# A UUIDv7 starts with its creation time in ms: the creates acknowledged
# more than a second after the kill went through another node.
answering_again() {
	local id after=0 kill_ms=${killed_at%.*}${killed_at#*.}
	kill_ms=$((10#${kill_ms:0:13} + 1000))
	while read -r id; do
		id=${id//-/}
		((16#${id:0:12} > kill_ms)) && after=$((after + 1))
	done <"$GDIR/acked-a.txt"
	echo "host A's client: $after creates acknowledged more than 1 s after the kill"
	((after > 0)) && return 0
	GT_DETAIL="host A: $(cat "$GDIR/creates-a.out" "$GDIR/creates-a.err" | head -c 300)"
	return 1
}
check "host A answers creates again after losing node 1 (failed over)" answering_again
wait "$http_pid"
echo "through nginx: $(cut -d' ' -f1 "$GDIR/http-creates.txt" | sort | uniq -c | tr -s ' \n' ' ')"
http_answering() {
	local after
	after=$(awk -v k="$killed_at" '$1 == 202 && $2 > k + 1' "$GDIR/http-creates.txt" | wc -l)
	[[ $after -gt 0 && -z $(awk '$1 != 202 && $1 != 503' "$GDIR/http-creates.txt") ]] && return 0
	GT_DETAIL="$after 202s a second after the kill; answers: $(cut -d' ' -f1 "$GDIR/http-creates.txt" | sort | uniq -c | tr '\n' ' ')"
	return 1
}
check "the service keeps answering through nginx (202, or 503 in the moment), no restart" http_answering
echo "# through nginx, the slowest answer: $(awk '$4 > m { m = $4 } END { print m + 0 }' "$GDIR/http-creates.txt") s"
# As faults.sh's: a refusal says when to come back.
check "every 503 through nginx is problem+json with Retry-After" \
	eq "$(awk '$1 == 503 && ($5 !~ /^application\/problem\+json/ || $6 !~ /^[0-9]+$/)' "$GDIR/http-creates.txt" | head -3)" ""
check "no gentrack-fcgi pool restarted a child (none crashed)" \
	eq "$(cat "$GDIR"/app-?/fcgi.log | grep -cE 'killed by signal|exited with status' || true)" 0
t0=$(date +%s)
bash "$GALERA" start "$GDIR" 1
check "node 1 rejoined and is Synced among three" eq "$?" 0
echo "node 1 rejoined in $(($(date +%s) - t0)) s"
survived() {
	local lost
	lost=$(comm -23 <({ cat "$GDIR/acked-a.txt" "$GDIR/acked-b.txt"
			awk '$1 == 202 { print $3 }' "$GDIR/http-creates.txt"; } | tr -d '-' | sort) \
		<(gsql 1 "SELECT LOWER(HEX(id)) FROM generation_requests WHERE entity_type IN ('survive', 'survive_http')" | sort) | wc -l)
	[[ $lost == 0 ]] && return 0
	GT_DETAIL="$lost acknowledged creates missing on the rejoined node 1"
	return 1
}
check "every acknowledged create survives ($(cat "$GDIR"/acked-?.txt | wc -l) + $(grep -c '^202' "$GDIR/http-creates.txt") through nginx, read on the rejoined node)" survived

echo "total runtime $(($(date +%s) - started)) s"
finish
