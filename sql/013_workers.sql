-- The workers page (issue 14): every worker seen in the last hour, what it
-- holds, and whether it went silent past its lease (lost).
--
-- One row per worker, keyed by the owner of its key and the id it gives
-- itself: two keys' workers may pick the same id and are still two workers.
-- The worker API keeps the row current with one upsert per call on the
-- worker's own row (src/store/workers.c), after the call's own work: rows
-- are never shared between workers, so the upsert takes no lock another
-- worker waits on (nor a Galera certification conflict), and a claim costs
-- one cheap round trip more. The claim stores what it handed out (or NULL on
-- a 204) and its lease; an entity call the index; complete (or a 409, the
-- worker lost its lease) clears it. A worker holding a request whose
-- last_seen is older than its lease (+ a grace) is lost: it crashed or hangs
-- without heartbeats. The page hides rows older than an hour.
--
-- done / failed in the last hour come from generation_events (actor
-- "worker:ID", a range of ix_at over the last hour), not from this table.
CREATE TABLE workers_seen (
  owner          VARCHAR(255) NOT NULL,   -- the owner of the worker's key
  worker_id      VARCHAR(255) NOT NULL,   -- as the worker named itself
  entity_types   VARCHAR(1024) NOT NULL DEFAULT '',  -- of its last claim, comma-separated
  first_seen     DATETIME(6)  NOT NULL,   -- the store's clock
  last_seen      DATETIME(6)  NOT NULL,
  held_request   BINARY(16)   NULL,       -- the request it holds, NULL when idle
  held_attempt   INT UNSIGNED NULL,
  held_since     DATETIME(6)  NULL,       -- when it claimed it
  held_index     INT UNSIGNED NULL,       -- the entity index of its last entity call
  lease_seconds  INT UNSIGNED NOT NULL DEFAULT 0,  -- of its last claim
  PRIMARY KEY (owner, worker_id),
  KEY ix_last_seen (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
