#!/usr/bin/env bash
# The cost of a /metrics scrape against the size of the audit trail: 10,000
# and 1,000,000 events (issue 12, item 4). A scrape reads the counter tables
# of sql/005_counters.sql, never generation_events, so the two figures should
# be close. For contrast it also times, once per size, the queries /metrics
# ran before sql/005 (COUNT(*) and a window over the whole event table), and
# the migration's backfill, which runs them once.
#
#   bench/metrics.sh [--quick] [--scrapes K]   (--quick: 10,000 and 20,000 events)
#
# Starts its own private stack in bench/.stack/metrics (MariaDB,
# gentrack-fcgi, nginx), seeds it with SQL (MariaDB's sequence engine), then
# rebuilds the counters from the seeded history with the migration's backfill
# (as an install upgraded to sql/005 would), times K scrapes through nginx,
# prints a table and stops the stack.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$repo} abs_top_builddir=${abs_top_builddir:-$repo}
stack=$repo/tests/harness/stack.sh
dir=${BENCH_STACK_DIR:-$abs_top_builddir/bench/.stack/metrics}
ctl=$abs_top_builddir/src/gentrackctl

sizes=(10000 1000000)
scrapes=200
while (($#)); do
	case $1 in
	--quick) sizes=(10000 20000) ;;
	--scrapes) scrapes=$2; shift ;;
	*) echo "usage: bench/metrics.sh [--quick] [--scrapes K]" >&2; exit 2 ;;
	esac
	shift
done
per=5   # events per request: created, claimed, retried by the reaper, claimed, completed

bash "$stack" down "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
# BENCH_KEEP=1 leaves the stack running afterwards, to look at it.
[[ -n ${BENCH_KEEP:-} ]] || trap 'bash "$stack" down "$dir" >/dev/null 2>&1 || true' EXIT
bash "$stack" up "$dir" --workers 2 >/dev/null 2>&1 || { echo "bench: the stack did not start" >&2; exit 1; }
# shellcheck source=/dev/null
. "$dir/credentials.env"
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B gentrack -e "$1"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# Requests first..last, completed, each with its five events a few seconds apart.
seed() {
	local first=$1 last=$2
	sql "INSERT INTO generation_requests (id, owner, entity_type, status, requested_count,
	       generated_count, attempt, version, requested_at, started_at, completed_at,
	       updated_at, constraints_json, metadata_json)
	     SELECT UNHEX(CONCAT(LPAD(HEX(seq), 12, '0'), '7000', LPAD(HEX(seq), 16, '0'))),
	       CONCAT('owner-', seq % 50), ELT(1 + seq % 3, 'problem', 'quiz', 'sentence'),
	       'completed', 1, 1, 2, 6,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE + INTERVAL (seq % 97) SECOND,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE + INTERVAL (seq % 97 + seq % 13) SECOND,
	       UTC_TIMESTAMP(6) - INTERVAL (seq % 10000) MINUTE + INTERVAL (seq % 97 + seq % 13) SECOND,
	       '{}', '{}'
	     FROM seq_${first}_to_${last}"
	sql "INSERT INTO generation_events (request_id, at, actor, from_status, to_status, message)
	     SELECT r.id, r.requested_at + INTERVAL (k.seq * (s.seq % 7 + 1)) SECOND,
	       ELT(1 + k.seq, 'client:owner', 'worker:bench:1', 'reaper', 'worker:bench:2', 'worker:bench:2'),
	       ELT(1 + k.seq, NULL, 'pending', 'processing', 'pending', 'processing'),
	       ELT(1 + k.seq, 'pending', 'processing', 'pending', 'processing', 'completed'), NULL
	     FROM seq_${first}_to_${last} s
	     JOIN generation_requests r
	       ON r.id = UNHEX(CONCAT(LPAD(HEX(s.seq), 12, '0'), '7000', LPAD(HEX(s.seq), 16, '0')))
	     CROSS JOIN seq_0_to_4 k ORDER BY s.seq, k.seq"
}

# The queries /metrics ran before sql/005, once: the time a scrape used to take.
old_scrape_ms() {
	local t0
	t0=$(date +%s%N)
	sql "SELECT status, COUNT(*) FROM generation_requests GROUP BY status;
	     SELECT SUBSTRING_INDEX(actor, ':', 1) AS kind, to_status, COUNT(*)
	       FROM generation_events GROUP BY kind, to_status ORDER BY kind, to_status;
	     SELECT COUNT(*), SUM(ms <= 1000) FROM (SELECT TIMESTAMPDIFF(MICROSECOND, prev_at, at) DIV 1000 AS ms
	       FROM (SELECT at, to_status, LAG(at) OVER (PARTITION BY request_id ORDER BY id) AS prev_at
	       FROM generation_events) ev WHERE to_status = 'processing' AND prev_at IS NOT NULL) x;
	     SELECT COUNT(*), SUM(ms <= 1000) FROM (SELECT TIMESTAMPDIFF(MICROSECOND, started_at, completed_at) DIV 1000 AS ms
	       FROM generation_requests WHERE status IN ('completed', 'partial') AND started_at IS NOT NULL
	       AND completed_at IS NOT NULL) x" >/dev/null
	ms_since "$t0"
}

# K scrapes through nginx, one at a time: each one's time_total in ms, sorted.
scrape_times() {
	local i
	for ((i = 0; i < scrapes; i++)); do
		curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' "$BASE_URL/metrics"
	done | awk '$1 != 200 { bad++ } { printf "%.3f\n", $2 * 1000 } END { if (bad) exit 1 }' | sort -n
}
pct() { # pct P < sorted values
	awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'
}

printf 'gentrack bench (metrics): %s cores, %s, %s, %s scrapes of /metrics per size\n' \
	"$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" "$(date -u +%FT%TZ)" "$scrapes"
printf '%-10s %-9s %-12s %-9s %-9s %-9s %-9s %s\n' \
	events requests backfill_s p50_ms p90_ms p99_ms mean_ms "old_queries_ms"
have=0
for n in "${sizes[@]}"; do
	reqs=$((n / per))
	seed $((have + 1)) "$reqs"
	have=$reqs
	sql "ANALYZE TABLE generation_requests, generation_events" >/dev/null
	# An install upgraded to sql/005 with this history: the backfill.
	sql "DROP TABLE gentrack_counters, gentrack_histograms; DELETE FROM schema_migrations WHERE version = 5"
	t0=$(date +%s%N)
	GENTRACK_CONFIG="$dir/gentrack.conf" "$ctl" migrate >/dev/null
	backfill=$(ms_since "$t0")
	events=$(sql "SELECT COUNT(*) FROM generation_events")
	rows=$(sql "SELECT (SELECT COUNT(*) FROM gentrack_counters) + (SELECT COUNT(*) FROM gentrack_histograms)")
	curl -sS -o "$dir/metrics.txt" "$BASE_URL/metrics"
	created=$(grep -F 'gentrack_transitions_total{actor="client",to="pending"}' "$dir/metrics.txt" | awk '{print $2}')
	[[ $created == "$reqs" ]] || { echo "bench: /metrics says $created created, expected $reqs" >&2; exit 1; }
	old=$(old_scrape_ms)
	# Let the seeding's background flushing settle, then warm the pool's children up.
	sleep 2
	scrapes=10 scrape_times >/dev/null
	times=$(scrape_times)
	printf '%-10s %-9s %-12s %-9s %-9s %-9s %-9s %s\n' "$events" "$reqs" \
		"$((backfill / 1000)).$(printf '%03d' $((backfill % 1000)))" \
		"$(pct 50 <<<"$times")" "$(pct 90 <<<"$times")" "$(pct 99 <<<"$times")" \
		"$(awk '{ s += $1 } END { printf "%.3f", s / NR }' <<<"$times")" "$old"
	echo "    (a scrape read $rows counter and histogram rows)"
	# The one statement of a scrape over generation_requests itself (the
	# oldest pending per type, src/store/metrics.c): a loose index scan.
	sql "EXPLAIN SELECT status, entity_type, MIN(requested_at) FROM generation_requests
	     GROUP BY status, entity_type" |
		awk -F'\t' '{ printf "    (oldest pending: %s on %s, ~%s rows, %s)\n", $4, $6, $9, $10 }'
done
