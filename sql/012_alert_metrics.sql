-- What the shipped alerts need from /metrics (issue 14, "Alerts shipped with
-- it": contrib/prometheus/gentrack-rules.yml), read by a scrape from small
-- tables or an index, never from the history.

-- Transitions by entity type (a queue), for the failure ratio per type, the
-- claims per type and the pending and processing requests per type. Bumped
-- by every transition in its transaction beside gentrack_counters
-- (store/metrics.c, metrics_on_transition), sharded the same way for Galera.
-- A table of its own rather than a column of gentrack_counters, so that its
-- rows, its key and its backfill stand apart from sql/005's.
-- from_status '' = created.
CREATE TABLE gentrack_type_counters (
  entity_type  VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  from_status  VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  to_status    VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  shard        TINYINT UNSIGNED NOT NULL,
  n            BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (entity_type, from_status, to_status, shard)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Backfill from the audit trail that is left, into shard 0. Pending and
-- processing per type come out exact: prune deletes only finished requests,
-- each with all its events, and a finished request went into pending and
-- processing as often as it came out. The finishes of requests pruned before
-- today are gone and stay uncounted (as in sql/005).
INSERT INTO gentrack_type_counters (entity_type, from_status, to_status, shard, n)
SELECT r.entity_type, COALESCE(e.from_status, '') AS f, e.to_status, 0, COUNT(*)
FROM generation_events e JOIN generation_requests r ON r.id = e.request_id
GROUP BY r.entity_type, f, e.to_status;

-- The last run of `gentrackctl reap` on each host, on the store's clock: one
-- row per host, so that reapers on several Galera nodes never update the same
-- row at the same minute (a certification conflict); a scrape reads the
-- newest. Written at the end of a successful run that was not a dry run.
CREATE TABLE gentrack_reaper_runs (
  host         VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  last_run_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The oldest pending request of each type: MIN(requested_at) grouped by
-- status and entity_type, one index dive per group (a loose index scan,
-- "Using index for group-by") whatever the number of pending rows.
-- requested_at, not id: an operator's retry starts the request afresh and
-- the reaper's pending_timeout counts from requested_at. Built online
-- (InnoDB adds a secondary index without blocking writes).
ALTER TABLE generation_requests
  ADD KEY ix_status_type_requested (status, entity_type, requested_at);
