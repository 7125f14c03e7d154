-- Pausing a queue (issue 14): an operator stops the claims of one entity
-- type (a generator is broken, a provider is down) and resumes them later.
-- Creates go on; the requests wait, pending.
--
-- queue_pauses holds the paused types, one row each, and nothing else: the
-- claim's pick skips a type with a row here (NOT EXISTS by the primary key,
-- in the same statement, src/store/work.c), and a resume deletes the row. A
-- pause is state in the store, so it survives restarts of every process and
-- is the same for every FastCGI child, gentrackctl and the reaper.
CREATE TABLE queue_pauses (
  entity_type  VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  paused_by    VARCHAR(255)  NOT NULL,   -- the actor, e.g. admin:alice
  paused_at    DATETIME(6)   NOT NULL,   -- the store's clock
  reason       VARCHAR(1024) NOT NULL,
  PRIMARY KEY (entity_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The queues' audit trail: one row per pause and per resume. Not
-- generation_events: that is one request's trail (request_id NOT NULL, a
-- foreign key to its request, pruned with it, and every row bumps a
-- transition counter of /metrics), and a pause changes no request. Not
-- admin_actions either: that table is the double-submit guard of the bulk
-- actions, keyed by a form's action id, with no type and no reason. This
-- table is small (a row per operator action), never pruned, and read two
-- ways: the queue's history, and the reaper's deadline of a paused queue's
-- requests, which counts from the last resume (README "Pausing a queue"):
-- ix_type_action_at finds that resume by one index lookup.
CREATE TABLE queue_events (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  entity_type  VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  at           DATETIME(6)   NOT NULL,
  actor        VARCHAR(255)  NOT NULL,
  action       ENUM('pause','resume') NOT NULL,
  reason       VARCHAR(1024) NULL,
  PRIMARY KEY (id),
  KEY ix_type_action_at (entity_type, action, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
