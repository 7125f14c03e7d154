#!/usr/bin/env bash
# The operator console against a large store (issue 14, "The console stays
# fast as the store grows"): every admin page that renders a list, and its
# JSON twin, timed over 1,000,000 requests spread over a year of history,
# with the plan of every statement each page runs. Target: under 200 ms each.
#
#   bench/console.sh [--quick] [--rows N] [--samples K] [--reuse]
#
#   (default) 1,000,000 requests, 20 timed fetches per page after 2 warm-ups;
#             5-8 minutes on 2 cores, most of it seeding.
#   --quick   50,000 requests, 5 fetches per page: checks the bench itself.
#   --reuse   the store of the last run of the same size, if any, instead of
#             seeding afresh (the active requests moved to now): A/B runs of
#             a change to the pages. Its migrations are applied at start.
#   A page whose first fetch takes over 1 s gets 3 timed fetches, not K.
#
# Starts its own private stack (tests/harness/stack.sh) in
# bench/.stack/console of the build tree, on free loopback ports, without
# live updates (nothing here publishes), and stops it on exit (BENCH_KEEP=1
# leaves it up to look at). Seeds it in SQL with MariaDB's sequence engine:
# rows as the service writes them (a request's row, its audit trail, the
# entities of the last two weeks, the workers seen), then the counters of
# sql/005 and sql/012 rebuilt by their own backfills, as an install upgraded
# to them would; prints how long each step took.
#
# Then two passes over the pages, each from a loopback address of its own
# (nginx allows an address 10 admin requests a second, bursts of 50):
#  1. timing, with the slow log off: p50/p95/max of K fetches. A fetch during
#     which a FastCGI child verified the password (Argon2id, once per child
#     and minute: src/web/admin_cache.h) is taken again, and counted;
#  2. plans: MariaDB's slow log with long_query_time=0 and
#     log_slow_verbosity=query_plan,explain (the pool restarted so that its
#     connections take them), one log file per page, one fetch each. Each
#     distinct statement is printed with its rows sent and examined and its
#     EXPLAIN; a scan of a table of more than 10,000 rows, or a statement
#     examining over 10,000 rows and 100 times what it sends, is FLAGGED.
# The chart views (?hours=&type= on /admin/ and /admin/queues, and
# /admin/api/charts) are timed only once /admin/api/charts answers 200.
#
# The last line is a summary for bench/run:
#   CONSOLE rows=R pages=N over=K flagged=F slowest=LABEL p95=MS
#
# Environment: abs_top_srcdir / abs_top_builddir as for bench/run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export abs_top_srcdir=${abs_top_srcdir:-$(cd "$here/.." && pwd)}
export abs_top_builddir=${abs_top_builddir:-$abs_top_srcdir}
stack=$abs_top_srcdir/tests/harness/stack.sh
dir=$abs_top_builddir/bench/.stack/console
workers=$((2 * $(nproc)))
target_ms=200
# Big enough to flag: a scan of a table this size is no longer a small read.
big_rows=10000

rows=1000000 samples=20 warm=2 reuse=0
while (($#)); do
	case $1 in
	--quick) rows=50000 samples=5 warm=1; shift ;;
	--rows) rows=${2:?--rows needs a number}; shift 2 ;;
	--samples) samples=${2:?--samples needs a number}; shift 2 ;;
	--reuse) reuse=1; shift ;;
	-h | --help) sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench/console.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
	esac
done
if ! [[ $rows =~ ^[1-9][0-9]*$ ]] || ((rows < 10000)); then
	echo "bench/console.sh: --rows must be 10000 or more" >&2
	exit 1
fi
[[ $samples =~ ^[1-9][0-9]?$ ]] || { echo "bench/console.sh: --samples must be 1 to 99" >&2; exit 1; }

die() { printf 'bench/console.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'bench/console.sh: %s\n' "$*" >&2; }
for cmd in nginx mariadb curl jq; do
	command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (./dev deps installs it)"
done
[[ -x $abs_top_builddir/src/gentrack-fcgi ]] || die "gentrack is not built in $abs_top_builddir (run make)"

# ---------------------------------------------------------------- the stack

# No live updates: nothing here publishes, and the supervisor's repair
# would run statements of its own into the pages' slow logs.
export GENTRACK_NO_LIVE=1
stop_all() { bash "$stack" down "$dir" >>"$dir.log" 2>&1 || true; }
bash "$stack" down "$dir" >/dev/null 2>&1 || true
# --reuse: the store an earlier run seeded with as many requests, kept.
seeded=0
if ((reuse)) && [[ -r $dir/seeded.env && -r $dir/now-as-seeded ]] && grep -qx "rows=$rows" "$dir/seeded.env"; then
	seeded=1
else
	rm -rf "$dir"
fi
mkdir -p "$dir"
: >"$dir.log"
[[ -n ${BENCH_KEEP:-} ]] || trap stop_all EXIT
say "starting a private stack in $dir ($workers FastCGI workers; log: $dir.log)"
bash "$stack" up "$dir" --workers "$workers" >>"$dir.log" 2>&1 || { tail -n 20 "$dir.log" >&2; die "the stack did not start"; }
# shellcheck source=/dev/null
. "$dir/credentials.env"
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B -r gentrack "$@"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN {printf "%.1f s", ms / 1000}'; }

# The harness's 64 MiB buffer pool is a test setting: a store of a million
# requests (about 1.5 GB with its indexes) gets a real one. Still smaller
# than the data, so a page that scans pays for it as it would in production.
sql -e "SET GLOBAL innodb_buffer_pool_size = 1073741824"
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# Each page is fetched from a loopback address of its own: 127.0.7.N.
jar=$dir/cookies
admin=(-u "$ADMIN_USER:$ADMIN_PASSWORD")
body=$dir/body
# fetch ADDR KIND PATH [curl args]: prints "STATUS SECONDS"; the body in $body.
fetch() {
	local addr=$1 kind=$2 path=$3
	shift 3
	local args=("${admin[@]}" --interface "127.0.7.$addr")
	# The pages as a browser loads them: one page session, in a cookie jar.
	[[ $kind == json ]] || args+=(-b "$jar" -c "$jar")
	curl -sS --max-time 120 -o "$body" -w '%{http_code} %{time_total}\n' "${args[@]}" "$@" "$BASE_URL$path" || echo "000 0"
}
verified() { grep -c 'password verified' "$dir/fcgi.log" || true; }

# ---------------------------------------------------------------- seeding

# What is active now: a few thousand at a million requests.
pending=$((rows / 400)) processing=$((rows / 2000))
stuck_pending=$((pending < 400 ? pending / 10 : 40))
stuck_processing=$((processing < 200 ? processing / 10 : 20))
idle_workers=50

# Seeds the store: $rows requests and everything that goes with them.
seed_store() {
	# The mix, out of the history (every row but the active ones), by seq:
	# 85% completed, 7% partial, 6% failed (six in ten by the generator, the
	# rest lease_expired, max_runtime_exceeded, never_started, operator_failed),
	# 2% cancelled; six entity types of unequal weight; 20 owners; a third with
	# a subject. Requested one after another over the year before the last
	# quarter of an hour. Active now: pending (the queue of the last 50 min, and
	# $stuck_pending older than pending_timeout: stuck) and processing (started
	# in the last 4 min, $stuck_processing with a lease long expired: stuck),
	# each held by a worker of its own.
	say "seeding $rows requests ($pending pending, $processing processing now)"
	t_seed=$(date +%s%N)
	t0=$t_seed
	# The seeded "now", one for every step (refresh_now moves it on later).
	sql -e "SELECT UTC_TIMESTAMP(6)" >"$dir/now-as-seeded"
	local seed_now
	seed_now=$(cat "$dir/now-as-seeded")
	# Consistent by construction: the seeding skips the unique and foreign key
	# checks (its own session only), which cost it a lookup per row.
	sql <<-SQL
		SET time_zone = '+00:00', unique_checks = 0, foreign_key_checks = 0;
		SET @now = CAST('$seed_now' AS DATETIME(6)), @n = $rows, @pend = $pending, @proc = $processing;
		SET @hist = @n - @pend - @proc, @stuck_pend = $stuck_pending, @stuck_proc = $stuck_processing;
		SET @nworkers = @proc + $idle_workers;
		SET @hist_end = @now - INTERVAL 15 MINUTE;
		SET @step_us = 365 * 86400 * 1000000 DIV @hist;
		SET @ent = '{"question":"What is 6 x 7?","answer":"42","difficulty":"medium"}';
		INSERT INTO generation_requests (id, owner, entity_type, subject_key, status,
		  requested_count, generated_count, failed_count, attempt, version, worker_id,
		  lease_expires_at, lease_seconds, requested_at, started_at, completed_at, cancelled_at,
		  updated_at, failure_reason, error_message, constraints_json, metadata_json, entities_json)
		SELECT UNHEX(CONCAT(LPAD(HEX(FLOOR(UNIX_TIMESTAMP(t) * 1000)), 12, '0'), '7',
		         LPAD(HEX(seq % 4096), 3, '0'), '8', LPAD(HEX(seq), 15, '0'))),
		  CONCAT('tenant-', LPAD(seq % 20, 2, '0')), ty, IF(seq % 3 = 0, CONCAT('lesson-', seq), NULL),
		  st, rc, gen, fail,
		  CASE WHEN started IS NULL THEN 0 WHEN fr = 'lease_expired' THEN 3 ELSE 1 END,
		  -- one per event, one per entity recorded
		  CASE WHEN st = 'pending' THEN 1 WHEN fr = 'lease_expired' THEN 7
		       WHEN st IN ('processing', 'cancelled') OR fr = 'never_started' THEN 2 ELSE 3 END
		    + gen + fail,
		  IF(started IS NULL, NULL, IF(st = 'processing', CONCAT('gen-', LPAD(seq - @hist, 3, '0'), ':4242'),
		     CONCAT('gen-', LPAD(1 + seq % @nworkers, 3, '0'), ':4242'))),
		  CASE WHEN st <> 'processing' THEN NULL WHEN seq <= @hist + @stuck_proc THEN started + INTERVAL 60 SECOND
		       ELSE @now + INTERVAL (30 + seq % 30) SECOND END,
		  IF(started IS NULL, NULL, 60),
		  t, started, completed, cancelled,
		  CASE WHEN st = 'pending' THEN t WHEN st = 'cancelled' THEN cancelled
		       WHEN st = 'processing' AND seq <= @hist + @stuck_proc THEN started + INTERVAL 30 SECOND
		       WHEN st = 'processing' THEN GREATEST(started, @now - INTERVAL (seq % 20) SECOND)
		       ELSE completed END,
		  fr,
		  CASE WHEN st = 'partial' OR fr = 'generator_failed'
		         THEN CONCAT(fail, ' of ', rc, ' entities not generated; last error: generator exited with status 1')
		       WHEN fr = 'lease_expired' THEN 'Worker stopped sending heartbeats; lease expired on attempt 3 of 3'
		       WHEN fr = 'max_runtime_exceeded' THEN 'Generation timed out after 10 minutes'
		       WHEN fr = 'never_started' THEN 'Never picked up by a worker within 60 minutes'
		       WHEN fr = 'operator_failed' THEN 'worker host died' END,
		  '{"difficulty":"medium"}', CONCAT('{"course":"course-', seq % 40, '"}'),
		  -- the array a poll sends, as store/work.c keeps it (sql/010)
		  IF(gen > 0, CONCAT('[', REPEAT(CONCAT(@ent, ','), gen - 1), @ent, ']'), '[]')
		FROM (SELECT b.*,
		        CASE WHEN st IN ('completed', 'partial') OR fr = 'generator_failed'
		               THEN started + INTERVAL (5 + seq % 115) SECOND
		             WHEN fr = 'lease_expired' THEN started + INTERVAL 120 SECOND
		             WHEN fr = 'max_runtime_exceeded' THEN started + INTERVAL 630 SECOND
		             WHEN fr = 'operator_failed' THEN started + INTERVAL 300 SECOND
		             WHEN fr = 'never_started' THEN LEAST(t + INTERVAL 3630 SECOND, @now - INTERVAL 1 MINUTE)
		        END AS completed,
		        IF(st = 'cancelled', t + INTERVAL (10 + seq % 50) SECOND, NULL) AS cancelled
		      FROM (SELECT a.*,
		              CASE WHEN st IN ('pending', 'cancelled') OR fr = 'never_started' THEN NULL
		                   WHEN fr = 'lease_expired' THEN t + INTERVAL 500 SECOND
		                   WHEN st = 'processing' AND seq <= @hist + @stuck_proc
		                     THEN @now - INTERVAL (10 + seq % 20) MINUTE
		                   WHEN st = 'processing' THEN @now - INTERVAL (seq % 240) SECOND
		                   ELSE t + INTERVAL (1 + seq % 30) SECOND END AS started,
		              CASE st WHEN 'completed' THEN rc WHEN 'partial' THEN rc DIV 2
		                      WHEN 'processing' THEN seq % rc ELSE 0 END AS gen,
		              CASE WHEN st = 'partial' THEN rc - rc DIV 2 WHEN fr = 'generator_failed' THEN rc
		                   ELSE 0 END AS fail
		            FROM (SELECT seq, 2 + seq % 9 AS rc,
		                    CASE WHEN seq > @hist + @proc THEN 'pending' WHEN seq > @hist THEN 'processing'
		                         WHEN seq % 100 < 85 THEN 'completed' WHEN seq % 100 < 92 THEN 'partial'
		                         WHEN seq % 100 < 98 THEN 'failed' ELSE 'cancelled' END AS st,
		                    IF(seq <= @hist AND seq % 100 BETWEEN 92 AND 97,
		                       ELT(1 + (seq DIV 100) % 10, 'generator_failed', 'generator_failed',
		                           'generator_failed', 'generator_failed', 'generator_failed',
		                           'generator_failed', 'lease_expired', 'max_runtime_exceeded',
		                           'never_started', 'operator_failed'), NULL) AS fr,
		                    CASE WHEN seq <= @hist
		                           THEN @hist_end - INTERVAL ((@hist - seq) * @step_us) MICROSECOND
		                         WHEN seq <= @hist + @proc
		                           THEN @now - INTERVAL 55 MINUTE + INTERVAL ((seq - @hist) * 300000000 DIV @proc) MICROSECOND
		                         WHEN seq <= @hist + @proc + @stuck_pend
		                           THEN @now - INTERVAL 2 HOUR - INTERVAL ((seq - @hist - @proc) * 5) MINUTE
		                         ELSE @now - INTERVAL ((@n - seq) * 3000000000 DIV @pend) MICROSECOND END AS t,
		                    CASE WHEN CRC32(seq) % 100 < 35 THEN 'problem' WHEN CRC32(seq) % 100 < 60 THEN 'quiz'
		                         WHEN CRC32(seq) % 100 < 75 THEN 'sentence'
		                         WHEN CRC32(seq) % 100 < 87 THEN 'flashcard'
		                         WHEN CRC32(seq) % 100 < 95 THEN 'summary' ELSE 'translation' END AS ty
		                  FROM seq_1_to_$rows) a) b) c;
	SQL
	say "  requests: $(secs "$(ms_since "$t0")")"

	# The audit trail, as the transitions write it: created; claimed; how it
	# ended (a worker's complete, the reaper, an operator, the client's cancel).
	# A lease_expired request was claimed three times and retried twice by the
	# reaper. Request by request (STRAIGHT_JOIN), so event ids follow requests.
	t0=$(date +%s%N)
	sql <<-'SQL'
		SET foreign_key_checks = 0;
		INSERT INTO generation_events (request_id, at, actor, from_status, to_status, message)
		SELECT r.id,
		  CASE WHEN k.seq = 0 THEN r.requested_at
		       WHEN r.failure_reason = 'lease_expired' AND k.seq < 6 THEN r.requested_at + INTERVAL (k.seq * 100) SECOND
		       WHEN r.status = 'cancelled' THEN r.cancelled_at
		       WHEN r.failure_reason IN ('never_started', 'lease_expired') THEN r.completed_at
		       WHEN k.seq = 1 THEN r.started_at ELSE r.completed_at END,
		  CASE WHEN k.seq = 0 OR r.status = 'cancelled' THEN CONCAT('client:', r.owner)
		       WHEN r.failure_reason = 'lease_expired' AND k.seq IN (1, 3, 5) THEN CONCAT('worker:', r.worker_id)
		       WHEN r.failure_reason IN ('lease_expired', 'never_started', 'max_runtime_exceeded')
		         AND (k.seq = 2 OR r.failure_reason <> 'max_runtime_exceeded') THEN 'reaper'
		       WHEN k.seq = 2 AND r.failure_reason = 'operator_failed' THEN 'admin:ops'
		       ELSE CONCAT('worker:', r.worker_id) END,
		  CASE WHEN k.seq = 0 THEN NULL
		       WHEN r.failure_reason = 'lease_expired' AND k.seq < 6 THEN IF(k.seq % 2, 'pending', 'processing')
		       WHEN r.status = 'cancelled' OR r.failure_reason = 'never_started' THEN 'pending'
		       WHEN k.seq = 1 AND NOT r.failure_reason <=> 'lease_expired' THEN 'pending'
		       ELSE 'processing' END,
		  CASE WHEN k.seq = 0 THEN 'pending'
		       WHEN r.failure_reason = 'lease_expired' AND k.seq < 6 THEN IF(k.seq % 2, 'processing', 'pending')
		       WHEN r.status = 'cancelled' OR r.failure_reason IN ('never_started', 'lease_expired') THEN r.status
		       WHEN k.seq = 1 THEN 'processing' ELSE r.status END,
		  CASE WHEN k.seq = 0 THEN NULL
		       WHEN r.failure_reason = 'lease_expired' AND k.seq IN (2, 4)
		         THEN CONCAT('Worker stopped sending heartbeats; lease expired on attempt ', k.seq DIV 2,
		                     ' of 3, retrying')
		       WHEN r.failure_reason = 'lease_expired' AND k.seq < 6 THEN NULL
		       WHEN k.seq = 1 AND r.status <> 'cancelled' AND NOT r.failure_reason <=> 'never_started'
		         AND NOT r.failure_reason <=> 'lease_expired' THEN NULL
		       ELSE r.error_message END
		FROM generation_requests r STRAIGHT_JOIN seq_0_to_6 k
		  ON k.seq < CASE WHEN r.status = 'pending' THEN 1 WHEN r.failure_reason = 'lease_expired' THEN 7
		                  WHEN r.status IN ('processing', 'cancelled') OR r.failure_reason = 'never_started' THEN 2
		                  ELSE 3 END;
	SQL
	say "  audit trail: $(secs "$(ms_since "$t0")") ($(sql -e 'SELECT COUNT(*) FROM generation_events') events)"

	# Entity records for the requests of the last two weeks (and what is
	# processing now): the detail page's and gentrackctl's. Older requests keep
	# only their row's array (identical text): the pages never read those.
	t0=$(date +%s%N)
	sql <<-'SQL'
		SET time_zone = '+00:00', foreign_key_checks = 0;
		SET @ent = '{"question":"What is 6 x 7?","answer":"42","difficulty":"medium"}';
		SET @since = UNHEX(CONCAT(LPAD(HEX(FLOOR(UNIX_TIMESTAMP(UTC_TIMESTAMP(6) - INTERVAL 14 DAY) * 1000)), 12, '0'),
		                          '00000000000000000000'));
		INSERT INTO generation_entities (request_id, idx, status, entity_json, error, attempt, worker_id, created_at)
		SELECT r.id, k.seq, IF(k.seq < r.generated_count, 'generated', 'failed'),
		  IF(k.seq < r.generated_count, @ent, NULL),
		  IF(k.seq < r.generated_count, NULL, 'generator exited with status 1'),
		  r.attempt, r.worker_id, r.started_at + INTERVAL k.seq SECOND
		FROM generation_requests r JOIN seq_0_to_9 k ON k.seq < r.generated_count + r.failed_count
		WHERE r.id >= @since AND r.started_at IS NOT NULL;
	SQL
	say "  entities: $(secs "$(ms_since "$t0")") ($(sql -e 'SELECT COUNT(*) FROM generation_entities') records)"

	# The workers seen in the last hour: one per processing request, holding it
	# (those of the stuck ones silent since: lost), and $idle_workers idle.
	t0=$(date +%s%N)
	sql <<-SQL
		SET time_zone = '+00:00';
		SET @now = CAST('$seed_now' AS DATETIME(6));
		INSERT INTO workers_seen (owner, worker_id, entity_types, first_seen, last_seen, held_request,
		  held_attempt, held_since, held_index, lease_seconds)
		SELECT 'workers', worker_id, entity_type, @now - INTERVAL 3 DAY,
		  IF(lease_expires_at < @now, started_at + INTERVAL 30 SECOND, @now - INTERVAL (CRC32(worker_id) % 20) SECOND),
		  id, attempt, started_at, IF(generated_count > 0, generated_count - 1, NULL), 60
		FROM generation_requests WHERE status = 'processing';
		INSERT INTO workers_seen (owner, worker_id, entity_types, first_seen, last_seen, lease_seconds)
		SELECT 'workers', CONCAT('gen-', LPAD($processing + seq, 3, '0'), ':4242'),
		  ELT(1 + seq % 3, 'problem,quiz', 'sentence,flashcard', 'summary,translation'),
		  @now - INTERVAL 3 DAY, @now - INTERVAL seq SECOND, 60
		FROM seq_1_to_$idle_workers;
	SQL
	say "  workers: $(secs "$(ms_since "$t0")")"

	# The counters (sql/005: by status and actor, the histograms; sql/012: by
	# entity type) rebuilt from this history by the migrations' own backfills,
	# as on an install upgraded to them: /metrics and anything reading the
	# counters then agree with the rows. sql/012 adds an index too: dropped
	# first, built again by it.
	t0=$(date +%s%N)
	sql -e "DROP TABLE gentrack_counters, gentrack_histograms, gentrack_type_counters, gentrack_reaper_runs;
		ALTER TABLE generation_requests DROP KEY ix_status_type_requested;
		DELETE FROM schema_migrations WHERE version IN (5, 12)"
	"$GENTRACKCTL" --config "$GENTRACK_CONFIG" migrate >>"$dir.log" 2>&1 || die "the backfills failed (see $dir.log)"
	say "  counters (sql/005 and sql/012 backfills): $(secs "$(ms_since "$t0")")"

	t0=$(date +%s%N)
	sql -e "ANALYZE TABLE generation_requests, generation_events, generation_entities, workers_seen,
		gentrack_counters, gentrack_type_counters" >/dev/null
	say "  ANALYZE TABLE: $(secs "$(ms_since "$t0")")"
	seed_ms=$(ms_since "$t_seed")
	say "seeded in $(secs "$seed_ms")"

	# Sanity: the counters say what the rows say (a page reading either agrees).
	mismatch=$(sql -e "SELECT COUNT(*) FROM (SELECT status AS st, COUNT(*) AS n FROM generation_requests
		GROUP BY status) r LEFT JOIN (SELECT st, SUM(d) AS n FROM (SELECT to_status AS st, CAST(n AS SIGNED) AS d
		FROM gentrack_counters WHERE metric = 'transitions' UNION ALL SELECT from_status, -CAST(n AS SIGNED)
		FROM gentrack_counters WHERE metric = 'transitions' AND from_status <> '') x GROUP BY st) c
		ON c.st = r.st WHERE c.n IS NULL OR c.n <> r.n")
	[[ $mismatch == 0 ]] || die "the seeded counters disagree with the rows ($mismatch statuses)"

	# ---------------------------------------------------------------- the pages


	# A queue history as operators make it, through the JSON twins: summary
	# paused and resumed, translation paused now (its badge, its pause row).
	for step in "summary/pause" "summary/resume" "translation/pause"; do
		read -r code _ < <(fetch 1 json "/admin/api/queues/$step" -H 'Content-Type: application/json' \
			--data-raw '{"reason":"provider down (bench)"}')
		[[ $code == 200 ]] || die "POST /admin/api/queues/$step answered $code: $(head -c 300 "$body")"
	done
	printf 'rows=%s\nseed_ms=%s\n' "$rows" "$seed_ms" >"$dir/seeded.env"
}

# The active requests and the workers moved to now by the time passed since
# their "now" was last set: a processing request's lease and runtime, a
# pending one's wait, a worker's last call stay what they were when seeded
# (a real worker's heartbeats and claims keep them so), however long the
# seeding or the timing took, and on a store reused from an earlier run.
refresh_now() {
	local was
	was=$(cat "$dir/now-as-seeded")
	sql <<-SQL
		SET time_zone = '+00:00';
		SET @now = UTC_TIMESTAMP(6);
		SET @d = TIMESTAMPDIFF(MICROSECOND, '$was', @now);
		UPDATE generation_requests SET requested_at = requested_at + INTERVAL @d MICROSECOND,
		  started_at = started_at + INTERVAL @d MICROSECOND,
		  lease_expires_at = lease_expires_at + INTERVAL @d MICROSECOND,
		  updated_at = updated_at + INTERVAL @d MICROSECOND
		WHERE status IN ('pending', 'processing');
		UPDATE workers_seen SET first_seen = first_seen + INTERVAL @d MICROSECOND,
		  last_seen = last_seen + INTERVAL @d MICROSECOND, held_since = held_since + INTERVAL @d MICROSECOND;
		SELECT @now;
	SQL
}

if ((seeded)); then
	seed_ms=$(sed -n 's/^seed_ms=//p' "$dir/seeded.env")
	say "reusing the $rows requests seeded by an earlier run (in $(secs "$seed_ms"))"
else
	seed_store
fi

# The ids and windows the pages are asked about, from the seeded store.
detail_id=$(sql -e "SELECT LOWER(CONCAT_WS('-', SUBSTR(h, 1, 8), SUBSTR(h, 9, 4), SUBSTR(h, 13, 4),
	SUBSTR(h, 17, 4), SUBSTR(h, 21))) FROM (SELECT HEX(r.id) AS h FROM generation_requests r
	WHERE r.status = 'partial' AND EXISTS (SELECT 1 FROM generation_entities e WHERE e.request_id = r.id)
	ORDER BY r.id DESC LIMIT 1) x")
[[ -n $detail_id ]] || die "no partial request with entities was seeded"
month_ago=$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)
year_ago=$(date -u -d '366 days ago' +%Y-%m-%dT%H:%M:%SZ)
now_z=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# label|kind|path: every route under /admin that renders a list (src/bin/routes.c),
# with the filters an operator uses, and the JSON twins.
pages=(
	"dashboard|html|/admin/"
	"dashboard, refresh (every 15 s)|html|/admin/?partial=1"
	"dashboard ?status=failed|html|/admin/?status=failed"
	"dashboard ?entity_type=translation|html|/admin/?entity_type=translation"
	"dashboard ?entity_type=essay (none of the type)|html|/admin/?entity_type=essay"
	"dashboard ?status=partial&entity_type=summary|html|/admin/?status=partial&entity_type=summary"
	"queues|html|/admin/queues"
	"workers|html|/admin/workers"
	"detail (a partial request)|html|/admin/generations/$detail_id"
	"bulk-cancel preview, stuck > 30 min|html|/admin/bulk-cancel?older_than=30"
	"bulk-cancel preview, pending quiz > 1 min|html|/admin/bulk-cancel?scope=pending&entity_type=quiz&older_than=1"
	"bulk-retry preview, failed problem, 30 days|html|/admin/bulk-retry?entity_type=problem&status=failed&finished_after=$month_ago&finished_before=$now_z"
	"bulk-retry preview, partial quiz, a year|html|/admin/bulk-retry?entity_type=quiz&status=partial&finished_after=$year_ago&finished_before=$now_z"
	"api/stuck|json|/admin/api/stuck"
	"api/stuck?limit=500|json|/admin/api/stuck?limit=500"
	"api/queues|json|/admin/api/queues"
	"api/workers|json|/admin/api/workers"
)

# The charts (a colleague's branch): timed once their JSON twin answers.
read -r chart_code _ < <(fetch 1 json "/admin/api/charts?hours=24&type=problem")
chart_note=""
if [[ $chart_code == 200 ]]; then
	for h in 6 24; do
		for v in "/admin/?hours=$h&type=problem" "/admin/queues?hours=$h&type=problem"; do
			read -r code _ < <(fetch 1 html "$v")
			if [[ $code == 200 ]] && grep -q '<svg' "$body"; then
				pages+=("chart ${v%%\?*} ?hours=$h|html|$v")
			else
				chart_note+="${chart_note:+; }$v answered $code without an <svg>: not timed"
			fi
		done
		pages+=("api/charts?hours=$h|json|/admin/api/charts?hours=$h&type=problem")
	done
else
	chart_note="/admin/api/charts answered $chart_code: no charts in this build, chart views not timed"
fi

pct() { # pct P < sorted values
	awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'
}

# ---- pass 1: timing, slow log off
refresh_now >"$dir/now.tmp" && mv "$dir/now.tmp" "$dir/now-as-seeded"
declare -A p50 p95 pmax notes
say "timing ${#pages[@]} pages: $samples fetches each after $warm warm-up(s)"
t0=$(date +%s%N)
for i in "${!pages[@]}"; do
	IFS='|' read -r label kind path <<<"${pages[$i]}"
	addr=$((10 + i))
	want=$samples note=""
	for ((w = 0; w < warm; w++)); do
		read -r _ secs_taken < <(fetch "$addr" "$kind" "$path")
		# Far over the target: a few fetches say so, twenty would take minutes.
		if awk -v s="$secs_taken" 'BEGIN {exit !(s > 1)}'; then
			((want <= 3)) || { want=3 note="3 fetches: over 1 s"; }
			break
		fi
	done
	times=() retaken=0 bad=""
	while ((${#times[@]} < want)); do
		v0=$(verified)
		read -r code secs_taken < <(fetch "$addr" "$kind" "$path")
		if [[ $code != 200 ]]; then
			bad="answered $code: $(tr -d '\n' <"$body" | head -c 160)"
			break
		fi
		if (($(verified) > v0 && retaken < 10)); then
			retaken=$((retaken + 1))
			continue
		fi
		times+=("$(awk -v s="$secs_taken" 'BEGIN {printf "%.1f", s * 1000}')")
	done
	if [[ -n $bad ]]; then
		p50[$i]=- p95[$i]=- pmax[$i]=- notes[$i]="FAILED: $bad"
		continue
	fi
	sorted=$(printf '%s\n' "${times[@]}" | sort -g)
	p50[$i]=$(pct 50 <<<"$sorted") p95[$i]=$(pct 95 <<<"$sorted") pmax[$i]=$(tail -n 1 <<<"$sorted")
	((retaken == 0)) || note+="${note:+; }$retaken fetch(es) retaken: a child verified the password"
	notes[$i]=$note
done
say "timed in $(secs "$(ms_since "$t0")")"

# ---- pass 2: plans, from the slow log
refresh_now >"$dir/now.tmp" && mv "$dir/now.tmp" "$dir/now-as-seeded"
# long_query_time and log_slow_verbosity are copied into a session when it
# connects: the pool's children connect again after a restart.
slow=$dir/slow
rm -rf "$slow"
mkdir -p "$slow"
sql -e "SET @@GLOBAL.slow_query_log_file = '$slow/restart.log', @@GLOBAL.long_query_time = 0,
	@@GLOBAL.log_slow_verbosity = 'query_plan,explain', @@GLOBAL.slow_query_log = 1"
bash "$stack" stop "$dir" fcgi >>"$dir.log" 2>&1
bash "$stack" up "$dir" --workers "$workers" >>"$dir.log" 2>&1 || die "the pool did not restart (see $dir.log)"
declare -A nstmt
for i in "${!pages[@]}"; do
	IFS='|' read -r label kind path <<<"${pages[$i]}"
	sql -e "SET GLOBAL slow_query_log_file = '$slow/page-$i.log'"
	fetch "$((10 + i))" "$kind" "$path" >/dev/null
done
sql -e "SET @@GLOBAL.slow_query_log = 0, @@GLOBAL.long_query_time = 10"

# Table sizes (ANALYZE'd estimates): what a scan of each would read.
sizes=$dir/table-rows.tsv
sql -e "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'gentrack'" >"$sizes"

# One page's log: the service's statements (not root's SETs), each distinct
# text once (literals folded to ?) with how often it ran, its rows sent and
# examined and time (the largest of its runs), its plan and a verdict.
# Prints the page's report; the last line is "STATS <statements> <flagged>".
explain_page() {
	LC_ALL=C awk -v big="$big_rows" -v sizes="$sizes" '
		BEGIN {
			while ((getline line < sizes) > 0) { split(line, f, "\t"); trows[f[1]] = f[2] + 0 }
			FS = "\n"
		}
		function norm(q,   out) {
			gsub(/TIMESTAMP'\''[^'\'']*'\''/, "?", q)
			gsub(/'\''([^'\''\\]|\\.)*'\''/, "?", q)
			out = ""
			while (match(q, /[^A-Za-z0-9_.][0-9]+(\.[0-9]+)?/)) {
				out = out substr(q, 1, RSTART) "?"
				q = substr(q, RSTART + RLENGTH)
			}
			return out q
		}
		function flush(   k, n, x, i, t, why) {
			if (!ours || q == "") { reset(); return }
			k = norm(q)
			if (!(k in seen)) { seen[k] = ++nq; key[nq] = k }
			n = seen[k]; runs[n]++
			if (sent + 0 > msent[n]) msent[n] = sent + 0
			if (exam + 0 > mexam[n]) mexam[n] = exam + 0
			if (qt + 0 > mqt[n]) mqt[n] = qt + 0
			if (!(n in plan)) plan[n] = ex
			why = ""
			x = split(ex, rowsx, "\n")
			for (i = 1; i <= x; i++) {
				split(rowsx[i], t, "\t")
				# id select_type table type possible_keys key key_len ref rows r_rows filtered r_filtered Extra
				# A scan that a LIMIT stopped early (r_rows, what it read) is no scan.
				if ((t[4] == "ALL" || t[4] == "index") && trows[t[3]] > big &&
				    (t[10] == "NULL" || t[10] + 0 > big))
					why = why sprintf("%s scan of %s (%s, ~%d rows); ", t[4] == "ALL" ? "full table" : "full index",
						t[3], t[4] == "index" ? t[6] : "no index", trows[t[3]])
			}
			if (exam + 0 > big && exam + 0 > 100 * (sent + 1))
				why = why sprintf("examines %d rows to send %d; ", exam, sent)
			if (why != "" && !(n in flag)) flag[n] = why
			reset()
		}
		function reset() { q = ""; ex = ""; sent = exam = qt = 0; ours = 0; inq = 0 }
		/^# User@Host: / { flush(); ours = ($0 ~ /^# User@Host: gentrack\[/); next }
		/^# Time: / { flush(); next }
		/^# Query_time: / {
			n = split($0, w, " ")
			for (i = 1; i < n; i++) {
				if (w[i] == "Query_time:") qt = w[i + 1]
				if (w[i] == "Rows_sent:") sent = w[i + 1]
				if (w[i] == "Rows_examined:") exam = w[i + 1]
			}
			next
		}
		/^# explain: id\t/ { next }
		/^# explain: / { sub(/^# explain: /, ""); ex = ex (ex == "" ? "" : "\n") $0; next }
		/^#/ { next }
		/^SET timestamp=/ || /^use `/ { next }
		# The header MariaDB writes at the top of a log file it opens.
		/^mariadbd, Version: / || /^Tcp port: / || /^Time\t/ { next }
		{ q = q (q == "" ? "" : " ") $0; inq = 1 }
		END {
			flush()
			nflag = 0
			for (n = 1; n <= nq; n++) {
				# A long select list (REQ_COLUMNS) shortened; the rest, the part a plan follows, kept.
				s = key[n]; p = index(s, " FROM ")
				if (substr(s, 1, 7) == "SELECT " && p > 100) s = substr(s, 1, 60) " ..." substr(s, p)
				if (length(s) > 900) s = substr(s, 1, 900) "..."
				printf "  [%d] x%d  %.2f ms  sent %d  examined %d%s\n      %s\n", n, runs[n], mqt[n] * 1000,
					msent[n], mexam[n], (n in flag) ? "  ** FLAGGED: " flag[n] : "", s
				if (n in flag) nflag++
				x = split(plan[n], rowsx, "\n")
				for (i = 1; i <= x; i++) {
					split(rowsx[i], t, "\t")
					printf "      plan: %s %s %s type=%s key=%s rows=%s r_rows=%s %s\n", t[1], t[2], t[3], t[4],
						t[6], t[9], t[10], t[13]
				}
			}
			printf "STATS %d %d\n", nq, nflag
		}' "$1"
}

# ---------------------------------------------------------------- report

{
	echo
	echo "gentrack console bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
	echo "$(date -u +%FT%TZ), $workers FastCGI workers, $rows requests ($pending pending, $processing processing,"
	echo "$stuck_pending + $stuck_processing stuck), seeded in $(secs "$seed_ms"); $samples fetches per page after $warm warm-up(s);"
	echo "load average before: $load0, after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "== plans (one fetch per page; x = runs, rows and ms the largest of its runs)"
	declare -A flagged
	for i in "${!pages[@]}"; do
		IFS='|' read -r label kind path <<<"${pages[$i]}"
		echo
		echo "-- $label: GET $path"
		out=$(explain_page "$slow/page-$i.log")
		grep -v '^STATS ' <<<"$out"
		read -r _ "nstmt[$i]" "flagged[$i]" < <(grep '^STATS ' <<<"$out")
	done
	echo
	printf '| %-48s | %7s | %7s | %7s | %5s | %7s | %s |\n' page "p50 ms" "p95 ms" "max ms" stmts flagged verdict
	printf '| %-48s | %7s | %7s | %7s | %5s | %7s | %s |\n' --- ---: ---: ---: ---: ---: ---
	over=0 nflag=0 slowest="" slowest_p95=0
	for i in "${!pages[@]}"; do
		IFS='|' read -r label kind path <<<"${pages[$i]}"
		if [[ ${p95[$i]} == - ]]; then
			verdict=FAILED
			over=$((over + 1))
		elif awk -v a="${p95[$i]}" -v t="$target_ms" 'BEGIN {exit !(a < t)}'; then
			verdict="met"
		else
			verdict="OVER ${target_ms} ms"
			over=$((over + 1))
		fi
		((${flagged[$i]:-0} == 0)) || verdict+=", ${flagged[$i]} flagged"
		nflag=$((nflag + ${flagged[$i]:-0}))
		[[ -z ${notes[$i]} ]] || verdict+="; ${notes[$i]}"
		if [[ ${p95[$i]} != - ]] && awk -v a="${p95[$i]}" -v b="$slowest_p95" 'BEGIN {exit !(a > b)}'; then
			slowest=$label slowest_p95=${p95[$i]}
		fi
		printf '| %-48s | %7s | %7s | %7s | %5s | %7s | %s |\n' "$label" "${p50[$i]}" "${p95[$i]}" "${pmax[$i]}" \
			"${nstmt[$i]:-?}" "${flagged[$i]:-?}" "$verdict"
	done
	echo
	echo "target: p95 under $target_ms ms on every page: $( ((over == 0)) && echo met || echo "MISSED on $over page(s)")"
	echo "flagged statements (scans, or far more rows examined than sent): $nflag"
	[[ -z $chart_note ]] || echo "charts: $chart_note"
	echo "slow logs per page: $slow/page-N.log (N in the order above)"
	echo "CONSOLE rows=$rows pages=${#pages[@]} over=$over flagged=$nflag slowest=${slowest// /_} p95=$slowest_p95"
} | tee "$dir.table"
