-- Counters that only go up, and histograms kept at completion (issue 12,
-- item 4). /metrics used to count the audit trail (COUNT(*) over
-- generation_events), so `gentrackctl prune` made its counters go down and
-- every scrape read and sorted the whole table. Now every transition bumps
-- its counter row (and, when it ends a wait a histogram measures, one bucket)
-- in the same transaction as its event (store/events.c → store/metrics.c),
-- and prune counts what it deletes. A scrape reads only these two tables: a
-- few hundred rows at most, whatever the size of the history.
--
-- Galera: one row per (metric, labels) would be a certification hotspot,
-- every claim on every node updating the same row (the loser of each
-- collision fails its commit with ERROR 1213 and retries). Each key is split
-- into 8 shards by the last byte of the request id (random in a UUIDv7), so
-- two concurrent transitions collide 1 time in 8; a scrape sums the shards.
-- Raise the shard count (store/metrics.c, METRICS_SHARDS) if that is not enough.

-- metric 'transitions': actor kind (the actor up to its first ':'), from
-- ('' = created) and to. metric 'pruned': to = the status of the requests
-- prune deleted; actor_kind and from_status ''.
CREATE TABLE gentrack_counters (
  metric       VARCHAR(32)  CHARACTER SET ascii NOT NULL,
  actor_kind   VARCHAR(255) NOT NULL,
  from_status  VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  to_status    VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  shard        TINYINT UNSIGNED NOT NULL,
  n            BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (metric, actor_kind, from_status, to_status, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per bucket (not cumulative: the scrape adds them up), with the sum
-- of the observations that fell into it. le_ms is the bucket's upper bound,
-- 9223372036854775807 for +Inf; keyed by the bound rather than a position, so
-- that a change of bounds leaves rows that still say what they counted.
-- histogram 'claim_latency': made pending → claimed (every claim);
-- 'generation_duration': claimed → the worker's complete.
CREATE TABLE gentrack_histograms (
  histogram  VARCHAR(32) CHARACTER SET ascii NOT NULL,
  le_ms      BIGINT NOT NULL,
  shard      TINYINT UNSIGNED NOT NULL,
  n          BIGINT UNSIGNED NOT NULL,
  sum_ms     BIGINT NOT NULL,
  PRIMARY KEY (histogram, le_ms, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Backfill, so that an existing install does not start at zero: the same
-- answers the COUNT(*) queries gave before this migration (into shard 0).
-- History pruned before today is gone and stays uncounted.
INSERT INTO gentrack_counters (metric, actor_kind, from_status, to_status, shard, n)
SELECT 'transitions', SUBSTRING_INDEX(actor, ':', 1) AS kind, COALESCE(from_status, '') AS f,
       to_status, 0, COUNT(*)
FROM generation_events GROUP BY kind, f, to_status;

-- The bounds are store/metrics.c's (claim_bounds_ms, duration_bounds_ms).
INSERT INTO gentrack_histograms (histogram, le_ms, shard, n, sum_ms)
SELECT 'claim_latency', le, 0, COUNT(*), CAST(SUM(ms) AS SIGNED) FROM (
  SELECT ms, CASE WHEN ms <= 50 THEN 50 WHEN ms <= 100 THEN 100 WHEN ms <= 500 THEN 500
    WHEN ms <= 1000 THEN 1000 WHEN ms <= 5000 THEN 5000 WHEN ms <= 15000 THEN 15000
    WHEN ms <= 60000 THEN 60000 WHEN ms <= 300000 THEN 300000
    WHEN ms <= 900000 THEN 900000 WHEN ms <= 3600000 THEN 3600000
    ELSE 9223372036854775807 END AS le
  FROM (SELECT TIMESTAMPDIFF(MICROSECOND, prev_at, at) DIV 1000 AS ms FROM
         (SELECT at, to_status, LAG(at) OVER (PARTITION BY request_id ORDER BY id) AS prev_at
          FROM generation_events) ev
        WHERE to_status = 'processing' AND prev_at IS NOT NULL) x) y
GROUP BY le;

INSERT INTO gentrack_histograms (histogram, le_ms, shard, n, sum_ms)
SELECT 'generation_duration', le, 0, COUNT(*), CAST(SUM(ms) AS SIGNED) FROM (
  SELECT ms, CASE WHEN ms <= 500 THEN 500 WHEN ms <= 1000 THEN 1000 WHEN ms <= 5000 THEN 5000
    WHEN ms <= 15000 THEN 15000 WHEN ms <= 30000 THEN 30000 WHEN ms <= 60000 THEN 60000
    WHEN ms <= 120000 THEN 120000 WHEN ms <= 300000 THEN 300000
    WHEN ms <= 600000 THEN 600000 WHEN ms <= 1800000 THEN 1800000
    ELSE 9223372036854775807 END AS le
  FROM (SELECT TIMESTAMPDIFF(MICROSECOND, started_at, completed_at) DIV 1000 AS ms
        FROM generation_requests WHERE (status IN ('completed', 'partial')
          OR failure_reason = 'generator_failed') AND started_at IS NOT NULL
          AND completed_at IS NOT NULL) x) y
GROUP BY le;
