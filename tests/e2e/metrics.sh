#!/usr/bin/env bash
# jq programs and `eval` checks name their $variables inside single quotes on
# purpose; helper functions are called through `check`.
# shellcheck disable=SC2016,SC2317
# /metrics counters that only go up (issue 12, item 4), end to end: they move
# with each transition, stay after `gentrackctl prune` deletes the history
# they came from, survive a restart of gentrack-fcgi, and the migration's
# backfill (sql/005_counters.sql) gives what the old COUNT(*) over the audit
# trail gave. And what the shipped alerts read (issue 14): queues by entity
# type, the oldest pending age, the reaper's last run, the timeouts; a real
# scrape passes `promtool check metrics` and exposes every name that
# contrib/prometheus and contrib/grafana use.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../harness/prom.sh
. "$GT_SRCDIR/tests/harness/prom.sh"

require_programs mariadbd mariadb mariadb-install-db nginx curl jq awk
start_stack metrics --workers 2

COLL=/api/v1/generation-requests
# shellcheck disable=SC2034 # used inside the eval strings of check
CTL=("$GENTRACKCTL" --config "$GENTRACK_CONFIG")
AUTH_KEY=$CLIENT_KEY
WID=e2e-metrics:1

hex_id() { printf '%s' "$1" | tr -d '-'; }
create() { api POST "$COLL" "$1"; ID=$(jb '.request_id // empty'); }
worker() { AUTH_KEY=$WORKER_KEY api POST "$@"; }
claim() { worker /api/v1/worker/claim "{\"worker_id\":\"$WID\",\"entity_types\":[\"$1\"],\"lease_seconds\":60}"; }
entity() { # entity ID INDEX ATTEMPT
	worker "/api/v1/worker/generation-requests/$1/entities" \
		"{\"worker_id\":\"$WID\",\"attempt\":$3,\"index\":$2,\"entity\":{\"n\":$2}}"
}
complete() { worker "/api/v1/worker/generation-requests/$1/complete" "{\"worker_id\":\"$WID\",\"attempt\":$2}"; }
# scrape [FILE]: GET /metrics into $HB, and a copy into FILE.
scrape() {
	req GET /metrics
	[[ -z ${1:-} ]] || cp "$HB" "$1"
}
# metric SAMPLE [FILE]: the value of the sample line that starts with SAMPLE (not a HELP line naming it).
metric() { awk -v n="$1 " 'index($0, n) == 1 { print $NF; exit }' "${2:-$HB}"; }
# The counter and histogram samples only (the stuck gauge depends on the clock).
counters_of() { grep -E '^gentrack_(transitions_total|reaped_total|pruned_total|claim_latency|generation_duration)' "$1"; }

# ---- transitions move the counters ----
scrape
check "a fresh store: 200" status_is 200
check "a fresh store: the format is valid" prom_valid
check "a fresh store: no transitions" eq "$(grep -c '^gentrack_transitions_total' "$HB")" 0
# Every operation the store retries has its series from the start, at 0.
check "a fresh store: gentrack_conflicts_total by operation, at 0" \
	eq "$(grep '^gentrack_conflicts_total{' "$HB" | awk '{ s += $2; n++ } END { print n, s }')" "11 0"
check "a fresh store: a claim's conflicts have their series" \
	eq "$(metric 'gentrack_conflicts_total{operation="claim"}')" 0
check "a fresh store: gauges at 0" eq "$(metric 'gentrack_requests{status="pending"}')" 0
check "a fresh store: no reaper run recorded (0)" eq "$(metric gentrack_reaper_last_run_timestamp_seconds)" 0
check "a fresh store: no queue yet" eq "$(grep -c '^gentrack_queue_' "$HB")" 0
check "pending_timeout exported (the default)" eq "$(metric gentrack_pending_timeout_seconds)" 3600
check "stale_after exported (the default)" eq "$(metric gentrack_stale_after_seconds)" 600

create '{"entity_type":"mt","count":1}'; A=$ID
create '{"entity_type":"mt","count":1}'; B=$ID
create '{"entity_type":"mt","count":1}'; C=$ID
check "three creates" eq "${#A}${#B}${#C}" 363636
claim mt
check "claim A" jtrue --arg id "$A" '.request_id==$id'
entity "$A" 0 1
check "A's entity" status_is 200
complete "$A" 1
check "A completed" jtrue '.status=="completed"'
claim mt
check "claim B" jtrue --arg id "$B" '.request_id==$id'
complete "$B" 1
check "B failed (nothing generated)" jtrue '.status=="failed"'
api POST "$COLL/$C/cancel" '{"reason":"metrics test"}'
check "C cancelled" jtrue '.status=="cancelled"'

scrape "$GT_TMP/m1"
check "after the transitions: the format is valid" prom_valid
check "client created 3" eq "$(metric 'gentrack_transitions_total{actor="client",to="pending"}')" 3
check "worker claimed 2" eq "$(metric 'gentrack_transitions_total{actor="worker",to="processing"}')" 2
check "worker completed 1" eq "$(metric 'gentrack_transitions_total{actor="worker",to="completed"}')" 1
check "worker failed 1" eq "$(metric 'gentrack_transitions_total{actor="worker",to="failed"}')" 1
check "client cancelled 1" eq "$(metric 'gentrack_transitions_total{actor="client",to="cancelled"}')" 1
check "claim latency: 2 observations" eq "$(metric 'gentrack_claim_latency_seconds_count')" 2
check "generation duration: 2 observations" eq "$(metric 'gentrack_generation_duration_seconds_count')" 2
check "generation duration: both under 60 s" eq "$(metric 'gentrack_generation_duration_seconds_bucket{le="60"}')" 2
gauges_match_db() {
	local st want got
	for st in pending processing completed partial failed cancelled; do
		want=$(sql "SELECT COUNT(*) FROM generation_requests WHERE status = '$st'")
		got=$(metric "gentrack_requests{status=\"$st\"}")
		[[ $want == "$got" ]] || { GT_DETAIL="$st: $got in /metrics, $want in the table"; return 1; }
	done
}
check "the request gauges match COUNT(*) by status" gauges_match_db
check "queue mt: created 3" eq "$(metric 'gentrack_queue_transitions_total{entity_type="mt",to="pending"}')" 3
check "queue mt: claimed 2" eq "$(metric 'gentrack_queue_transitions_total{entity_type="mt",to="processing"}')" 2
check "queue mt: completed 1, failed 1, cancelled 1" eq "$(metric 'gentrack_queue_transitions_total{entity_type="mt",to="completed"}') $(metric 'gentrack_queue_transitions_total{entity_type="mt",to="failed"}') $(metric 'gentrack_queue_transitions_total{entity_type="mt",to="cancelled"}')" "1 1 1"
# queue_gauges_match_db [FILE]: pending and processing per type = COUNT(*), every type of the table.
queue_gauges_match_db() {
	local t st want got bad=""
	for t in $(sql "SELECT DISTINCT entity_type FROM generation_requests"); do
		for st in pending processing; do
			want=$(sql "SELECT COUNT(*) FROM generation_requests WHERE entity_type = '$t' AND status = '$st'")
			got=$(metric "gentrack_queue_requests{entity_type=\"$t\",status=\"$st\"}" "${1:-$HB}")
			[[ $want == "$got" ]] || bad+="$t $st: $got in /metrics, $want in the table; "
		done
	done
	[[ -z $bad ]] && return 0
	GT_DETAIL=$bad
	return 1
}
check "the queue gauges match COUNT(*) by type and status" queue_gauges_match_db
check "nothing pending: no oldest-pending age" eq "$(grep -c '^gentrack_queue_oldest_pending_age_seconds' "$HB")" 0
# promtool's own parser and lint (Prometheus naming: units, _total) on a real scrape.
promtool_check() {
	local out
	out=$(promtool check metrics <"$1" 2>&1) && return 0
	GT_DETAIL=$out
	return 1
}
if command -v promtool >/dev/null 2>&1; then
	check "promtool check metrics: a real scrape" promtool_check "$GT_TMP/m1"
else
	echo "skip - promtool check metrics (no promtool: ./dev deps installs prometheus)"
fi
# Every metric the shipped rules, their tests and the dashboard name is one a
# real scrape exposes.
names_exposed() {
	local missing
	missing=$(comm -23 <(prom_names_used "$GT_SRCDIR"/contrib/prometheus/gentrack-rules.yml \
		"$GT_SRCDIR"/contrib/prometheus/gentrack-rules.test.yml \
		"$GT_SRCDIR"/contrib/grafana/gentrack-dashboard.json) <(prom_names_exposed "$1"))
	[[ -z $missing ]] && return 0
	GT_DETAIL="used but not exposed: ${missing//$'\n'/ }"
	return 1
}
check "contrib's rules and dashboard use only exposed metrics" names_exposed "$GT_TMP/m1"
check "... and some (the lists are not empty)" match "$(prom_names_used "$GT_SRCDIR"/contrib/prometheus/gentrack-rules.yml | wc -l)" '^[1-9]'

# ---- prune deletes the history; the counters stay ----
sql "UPDATE generation_requests SET updated_at = UTC_TIMESTAMP(6) - INTERVAL 30 DAY"
check "prune the three" eval '"${CTL[@]}" prune --older-than 7d >/dev/null'
check "prune left no events" eq "$(sql 'SELECT COUNT(*) FROM generation_events')" 0
scrape "$GT_TMP/m2"
check "after prune: the format is valid" prom_valid
no_counter_went_down() { # no_counter_went_down BEFORE AFTER: every counter sample >= before
	local out
	out=$(awk 'NR == FNR { v[$1] = $2; next } ($1 in v) && $2 + 0 < v[$1] + 0 { print $1 ": " v[$1] " -> " $2 }' \
		<(counters_of "$1" | grep -v _sum) <(counters_of "$2" | grep -v _sum))
	[[ -z $out ]] && return 0
	GT_DETAIL=$out
	return 1
}
check "after prune: no counter went down" no_counter_went_down "$GT_TMP/m1" "$GT_TMP/m2"
check "after prune: transitions unchanged" eq "$(counters_of "$GT_TMP/m2" | grep -v pruned_total)" \
	"$(counters_of "$GT_TMP/m1" | grep -v pruned_total)"
check "after prune: pruned completed 1" eq "$(metric 'gentrack_pruned_total{status="completed"}')" 1
check "after prune: pruned failed 1" eq "$(metric 'gentrack_pruned_total{status="failed"}')" 1
check "after prune: pruned cancelled 1" eq "$(metric 'gentrack_pruned_total{status="cancelled"}')" 1
check "after prune: the gauges match COUNT(*) again" gauges_match_db
check "after prune: the completed gauge is 0" eq "$(metric 'gentrack_requests{status="completed"}')" 0
# What the old /metrics query answers now: the history it counted is gone.
check "the old COUNT(*) would have said 0 created" eq "$(sql "SELECT COUNT(*) FROM generation_events
	WHERE SUBSTRING_INDEX(actor, ':', 1) = 'client' AND to_status = 'pending'")" 0

# ---- a restart of gentrack-fcgi ----
check "stop gentrack-fcgi" eval 'bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1'
check "start it again" eval 'bash "$GT_STACK" up "$GT_STACK_DIR" --workers 2 >/dev/null 2>&1'
scrape "$GT_TMP/m3"
check "after the restart: 200" status_is 200
check "after the restart: every counter as before" eq "$(counters_of "$GT_TMP/m3")" "$(counters_of "$GT_TMP/m2")"
create '{"entity_type":"mt2","count":2}'
scrape
check "after the restart: a create still counts" eq "$(metric 'gentrack_transitions_total{actor="client",to="pending"}')" 4

# ---- the backfill gives what COUNT(*) over the audit trail gave ----
# A history with claims, completes, a reaper's retry and failure, an admin's
# retry: then the counters are dropped and the migration run again, as on an
# install that had events before sql/005.
D=$ID
claim mt2; entity "$D" 0 1; complete "$D" 1
check "D partial" jtrue '.status=="partial"'
for t in 1 2 3; do create "{\"entity_type\":\"mt3\",\"subject_key\":\"s$t\"}"; done
claim mt3; E=$(jb .request_id)
sql "UPDATE generation_requests SET lease_expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE WHERE id = UNHEX('$(hex_id "$E")')"
check "reap E (a retry)" eval '"${CTL[@]}" reap >/dev/null'
claim mt3; claim mt3
sql "UPDATE generation_requests SET started_at = UTC_TIMESTAMP(6) - INTERVAL 2 HOUR WHERE status = 'processing'"
check "reap the long runners (failed)" eval '"${CTL[@]}" reap >/dev/null'
# Waits of every size in the history: move the events back in time.
sql "UPDATE generation_events SET at = at - INTERVAL (id % 7) * 37 SECOND - INTERVAL (id % 5) * 10 MINUTE
     WHERE to_status = 'pending'"
sql "UPDATE generation_requests SET started_at = started_at - INTERVAL 90 SECOND WHERE status = 'partial'"
sql "UPDATE generation_events e JOIN generation_requests r ON r.id = e.request_id
     SET e.at = r.started_at WHERE r.status = 'partial' AND e.to_status = 'processing'"

# The old /metrics queries, as they were before sql/005.
old_transitions() {
	sql "SELECT SUBSTRING_INDEX(actor, ':', 1) AS kind, to_status, COUNT(*) FROM generation_events
	     GROUP BY kind, to_status ORDER BY kind, to_status" |
		awk -F'\t' '{ printf "gentrack_transitions_total{actor=\"%s\",to=\"%s\"} %s\n", $1, $2, $3 }'
}
HIST_LE='CAST(COALESCE(SUM(ms <= %s), 0) AS SIGNED)'
old_hist() { # old_hist NAME BOUNDS-MS... < the ms subquery on stdin: count and the cumulative buckets
	local name=$1 b cols="" from
	shift
	from=$(cat)
	for b in "$@"; do
		# shellcheck disable=SC2059
		cols+=", $(printf "$HIST_LE" "$b")"
	done
	sql "SELECT COUNT(*)$cols FROM ($from) x" | tr '\t' '\n' | {
		read -r count
		for b in "$@"; do
			read -r n
			printf '%s_bucket{le="%s"} %s\n' "$name" "$(awk -v b="$b" 'BEGIN { printf "%g", b / 1000 }')" "$n"
		done
		printf '%s_bucket{le="+Inf"} %s\n%s_count %s\n' "$name" "$count" "$name" "$count"
	}
}
old_claim() {
	old_hist gentrack_claim_latency_seconds 50 100 500 1000 5000 15000 60000 300000 900000 3600000 <<'SQL'
SELECT TIMESTAMPDIFF(MICROSECOND, prev_at, at) DIV 1000 AS ms FROM
(SELECT at, to_status, LAG(at) OVER (PARTITION BY request_id ORDER BY id) AS prev_at
 FROM generation_events) ev WHERE to_status = 'processing' AND prev_at IS NOT NULL
SQL
}
old_duration() {
	old_hist gentrack_generation_duration_seconds 500 1000 5000 15000 30000 60000 120000 300000 600000 1800000 <<'SQL'
SELECT TIMESTAMPDIFF(MICROSECOND, started_at, completed_at) DIV 1000 AS ms
FROM generation_requests WHERE (status IN ('completed', 'partial')
OR failure_reason = 'generator_failed') AND started_at IS NOT NULL AND completed_at IS NOT NULL
SQL
}
new_of() { grep -E "^$1" "$HB" | grep -v _sum; }

check "sql/005 recorded as applied" eq "$(sql 'SELECT name FROM schema_migrations WHERE version = 5')" 005_counters
sql "DROP TABLE gentrack_counters, gentrack_histograms"
sql "DELETE FROM schema_migrations WHERE version = 5"
check "migrate again (the backfill)" eval '"${CTL[@]}" migrate >/dev/null'
check "the backfill made counter rows" match "$(sql 'SELECT COUNT(*) FROM gentrack_counters')" '^[1-9]'
scrape "$GT_TMP/m4"
check "after the backfill: the format is valid" prom_valid
check "backfill: transitions = the old COUNT(*) by actor kind and target" \
	eq "$(new_of gentrack_transitions_total)" "$(old_transitions)"
check "backfill: the reaper retried 1 and failed 2" eq \
	"$(metric 'gentrack_reaped_total{outcome="retried"}') $(metric 'gentrack_reaped_total{outcome="failed"}')" "1 2"
check "backfill: claim latency = the old histogram" eq "$(new_of gentrack_claim_latency_seconds)" "$(old_claim)"
check "backfill: generation duration = the old histogram" \
	eq "$(new_of gentrack_generation_duration_seconds)" "$(old_duration)"
check "backfill: the claim latencies spread over several buckets" \
	match "$(new_of gentrack_claim_latency_seconds_bucket | awk '{print $2}' | sort -u | wc -l)" '^[3-9]'
check "backfill: the gauges match COUNT(*) by status" gauges_match_db

# The same for sql/012: the queue counters rebuilt from the history that is left.
scrape "$GT_TMP/q1"
sql "DROP TABLE gentrack_type_counters"
sql "DELETE FROM schema_migrations WHERE version = 12"
sql "ALTER TABLE generation_requests DROP KEY ix_status_type_requested"
sql "DROP TABLE gentrack_reaper_runs"
check "migrate again (sql/012's backfill)" eval '"${CTL[@]}" migrate >/dev/null'
scrape "$GT_TMP/q2"
check "after sql/012's backfill: the queue gauges match COUNT(*)" queue_gauges_match_db "$GT_TMP/q2"
old_queue_transitions() {
	sql "SELECT r.entity_type, e.to_status, COUNT(*) FROM generation_events e
	     JOIN generation_requests r ON r.id = e.request_id
	     GROUP BY r.entity_type, e.to_status ORDER BY r.entity_type, e.to_status" |
		awk -F'\t' '{ printf "gentrack_queue_transitions_total{entity_type=\"%s\",to=\"%s\"} %s\n", $1, $2, $3 }'
}
check "after sql/012's backfill: queue transitions = the audit trail's, by type" \
	eq "$(grep '^gentrack_queue_transitions_total' "$GT_TMP/q2" | sort)" "$(old_queue_transitions | sort)"
# Before it, the live counters also held what prune deleted (the three mt requests).
check "the live counters had counted the pruned mt requests too" \
	eq "$(metric 'gentrack_queue_transitions_total{entity_type="mt",to="pending"}' "$GT_TMP/q1")" 3
check "the backfill cannot: their history is gone" \
	eq "$(grep -c 'gentrack_queue_transitions_total{entity_type="mt",' "$GT_TMP/q2")" 0

create '{"entity_type":"mt4"}'
scrape "$GT_TMP/m5"
check "live counting after the backfill: +1 created" eq \
	"$(metric 'gentrack_transitions_total{actor="client",to="pending"}' "$GT_TMP/m5")" \
	"$(( $(metric 'gentrack_transitions_total{actor="client",to="pending"}' "$GT_TMP/m4") + 1 ))"
check "live counting after sql/012's backfill: queue mt4 created 1" \
	eq "$(metric 'gentrack_queue_transitions_total{entity_type="mt4",to="pending"}' "$GT_TMP/m5")" 1
check "... and its gauges match COUNT(*)" queue_gauges_match_db "$GT_TMP/m5"

# ---- the oldest pending request of each type ----
create '{"entity_type":"old","count":1}'; O1=$ID
create '{"entity_type":"old","count":1}'; O2=$ID
create '{"entity_type":"young","count":1}'
sql "UPDATE generation_requests SET requested_at = UTC_TIMESTAMP(6) - INTERVAL 1000 SECOND WHERE id = UNHEX('$(hex_id "$O1")')"
sql "UPDATE generation_requests SET requested_at = UTC_TIMESTAMP(6) - INTERVAL 400 SECOND WHERE id = UNHEX('$(hex_id "$O2")')"
scrape
# near AGE WANT: within 5 s above WANT (the scrape came a moment after the UPDATE).
near() { awk -v a="$1" -v w="$2" 'BEGIN { exit !(a >= w && a < w + 5) }' || { GT_DETAIL="$1 is not $2 (+5 s)"; return 1; }; }
check "oldest pending of old: its oldest request's age (1000 s)" \
	near "$(metric 'gentrack_queue_oldest_pending_age_seconds{entity_type="old"}')" 1000
check "oldest pending of young: a moment" near "$(metric 'gentrack_queue_oldest_pending_age_seconds{entity_type="young"}')" 0
check "no oldest pending for mt (nothing pending)" eq "$(grep -c 'oldest_pending_age_seconds{entity_type="mt"}' "$HB")" 0
check "queue old: 2 pending" eq "$(metric 'gentrack_queue_requests{entity_type="old",status="pending"}')" 2
claim old
check "claim the oldest of old" jtrue --arg id "$O1" '.request_id==$id'
scrape
check "after its claim: the next one's age (400 s)" \
	near "$(metric 'gentrack_queue_oldest_pending_age_seconds{entity_type="old"}')" 400
check "queue old: 1 pending, 1 processing" eq "$(metric 'gentrack_queue_requests{entity_type="old",status="pending"}') $(metric 'gentrack_queue_requests{entity_type="old",status="processing"}')" "1 1"
api POST "$COLL/$O2/cancel" '{"reason":"metrics test"}'
api POST "$COLL/$O1/cancel" '{"reason":"metrics test"}'
check "cancel both" jtrue '.status=="cancelled"'
scrape
check "old: nothing pending, no age" eq "$(grep -c 'oldest_pending_age_seconds{entity_type="old"}' "$HB")" 0
check "old: 0 pending, 0 processing" eq "$(metric 'gentrack_queue_requests{entity_type="old",status="pending"}') $(metric 'gentrack_queue_requests{entity_type="old",status="processing"}')" "0 0"

# ---- a paused queue: the alerts leave it alone ----
check "no queue paused: no paused sample" eq "$(grep -c '^gentrack_queue_paused' "$HB")" 0
check "pause old" eval '"${CTL[@]}" queue pause old --reason "metrics test" >/dev/null'
scrape
check "old paused: 1" eq "$(metric 'gentrack_queue_paused{entity_type="old"}')" 1
check "only old" eq "$(grep -c '^gentrack_queue_paused' "$HB")" 1
check "resume old" eval '"${CTL[@]}" queue resume old --reason "metrics test" >/dev/null'
scrape
check "resumed: no paused sample" eq "$(grep -c '^gentrack_queue_paused' "$HB")" 0

# ---- the reaper's last run ----
t0=$(date +%s)
check "gentrackctl reap" eval '"${CTL[@]}" reap >/dev/null'
scrape
R1=$(metric gentrack_reaper_last_run_timestamp_seconds)
# The store and this host share a clock here: the run is stamped between t0 and now.
check "after a reap: its time (store clock, Unix seconds)" \
	awk -v r="$R1" -v a="$t0" -v b="$(date +%s)" 'BEGIN { exit !(r >= a && r <= b + 1) }'
check "the run is one row, this host's" eq "$(sql 'SELECT COUNT(*) FROM gentrack_reaper_runs')" 1
sleep 1.1
check "a dry run" eval '"${CTL[@]}" reap --dry-run >/dev/null'
scrape
check "a dry run records no run" eq "$(metric gentrack_reaper_last_run_timestamp_seconds)" "$R1"
check "gentrackctl reap again" eval '"${CTL[@]}" reap >/dev/null'
scrape
check "the last run moves forward" awk -v a="$R1" -v b="$(metric gentrack_reaper_last_run_timestamp_seconds)" 'BEGIN { exit !(b >= a + 1) }'
# Another host's older run does not hide this one; a newer one is shown.
sql "INSERT INTO gentrack_reaper_runs VALUES ('other-host', UTC_TIMESTAMP(6) - INTERVAL 1 HOUR)"
scrape
check "the newest run of any host" awk -v a="$R1" -v b="$(metric gentrack_reaper_last_run_timestamp_seconds)" 'BEGIN { exit !(b >= a + 1) }'
sql "DELETE FROM gentrack_reaper_runs WHERE host = 'other-host'"

# ---- the oldest-pending query reads one index entry per status and type ----
# The statement of src/store/metrics.c (Q_METRIC_OLDEST_PENDING), checked to be
# still the one there, over 20,000 rows of which 5,000 pending: a loose index
# scan, not a walk over the pending entries.
OLDEST_SQL="SELECT status, entity_type, MIN(requested_at) FROM generation_requests GROUP BY status, entity_type"
in_source() { # in_source SQL: SQL is a whole string literal of store/metrics.c (adjacent literals joined)
	tr -d '\n\t' <"$GT_SRCDIR/src/store/metrics.c" | sed 's/" *"//g' | grep -qF "\"$1\"" && return 0
	GT_DETAIL="not in src/store/metrics.c: $1"
	return 1
}
check "the oldest-pending statement is store/metrics.c's" in_source "$OLDEST_SQL"
sql "INSERT INTO generation_requests (id, owner, entity_type, status, requested_count, requested_at,
       updated_at, constraints_json, metadata_json)
     SELECT UNHEX(CONCAT('00', LPAD(HEX(seq), 10, '0'), '7000', LPAD(HEX(seq), 16, '0'))), 'seeded',
       ELT(1 + seq % 3, 'sa', 'sb', 'sc'), ELT(1 + seq % 4, 'pending', 'completed', 'failed', 'cancelled'),
       1, UTC_TIMESTAMP(6) - INTERVAL seq SECOND, UTC_TIMESTAMP(6), '{}', '{}'
     FROM seq_1_to_20000"
sql "ANALYZE TABLE generation_requests" >/dev/null
plan=$(sql "EXPLAIN $OLDEST_SQL")
check "EXPLAIN: ix_status_type_requested" match "$plan" 'ix_status_type_requested'
check "EXPLAIN: a loose index scan" match "$plan" 'Using index for group-by'
reads() { # reads SQL: the index entries a statement read (Handler_read_key + _next)
	sql "FLUSH STATUS; $1; SHOW SESSION STATUS WHERE Variable_name IN ('Handler_read_key', 'Handler_read_next')" |
		awk -F'\t' '$1 ~ /^Handler_read/ { n += $2 } END { print n + 0 }'
}
check "it reads tens of entries, not the 5,000 pending" match "$(reads "$OLDEST_SQL")" '^[0-9]{1,2}$'
scrape
check "seeded: the oldest pending sa is 20,000 s old at most" \
	awk -v a="$(metric 'gentrack_queue_oldest_pending_age_seconds{entity_type="sa"}')" 'BEGIN { exit !(a > 19990 && a < 20010) }'
sql "DELETE FROM generation_requests WHERE owner = 'seeded'"

# ---- who may scrape (issue 20) ----
# With a TLS terminator on the same host every request comes from loopback:
# loopback passes only with [metrics] allow_loopback (on in this dev stack,
# off in the production sample); else the metrics token or an admin.
restart_with() { # restart_with INI-TEXT: gentrack-fcgi again, with these settings last
	printf '%s\n' "$1" >"$GT_STACK_DIR/extra.conf"
	bash "$GT_STACK" stop "$GT_STACK_DIR" fcgi >/dev/null 2>&1 &&
		bash "$GT_STACK" up "$GT_STACK_DIR" --workers 2 >/dev/null 2>&1
}
scrape
check "dev stack, loopback, no credentials: 200" status_is 200
TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && printf '%s\n' "$TOKEN" >"$GT_STACK_DIR/metrics-token")
check "restart with allow_loopback off and a token file" \
	restart_with "$(printf '[metrics]\nallow_loopback = off\ntoken_file = %s' "$GT_STACK_DIR/metrics-token")"
scrape
check "loopback, no credentials: 401 problem+json" is_problem 401
check "... with a Basic challenge" match "$(hdr WWW-Authenticate)" '^Basic realm='
check "... which says what opens it" jtrue '.detail | test("metrics token")'
req GET /metrics -H "Authorization: Bearer $TOKEN"
check "the metrics token: 200" status_is 200
check "the metrics token: Prometheus text" prom_valid
wrong=${TOKEN%?}$([[ ${TOKEN: -1} == 0 ]] && echo 1 || echo 0)
req GET /metrics -H "Authorization: Bearer $wrong"
check "a wrong token: 401" is_problem 401
req GET /metrics -H "Authorization: Bearer $CLIENT_KEY"
check "a client key: 401" is_problem 401
req GET /metrics -u "admin:$ADMIN_PASSWORD"
check "an admin: 200" status_is 200
req GET /metrics -u "admin:not-the-password"
check "an admin's wrong password: 401" is_problem 401
req GET /healthz
check "/healthz from loopback: still 200" status_is 200
check "restart with allow_loopback on" restart_with "$(printf '[metrics]\nallow_loopback = on')"
scrape
check "allow_loopback on: loopback, no credentials, 200" status_is 200
rm -f "$GT_STACK_DIR/extra.conf"

finish
