-- Priorities and fair share across owners (issue 18).
--
-- priority: 0..9, default 5, set at create; a claim takes the highest first.
--
-- vtime: the request's place in its owner's share of the queue, a tag of
-- start-time fair queueing, set at create (src/store/requests.c): the
-- larger of the owner's next tag (owner_shares) and the queue's virtual
-- time (the lowest tag pending in the same entity type and priority); the
-- owner's next tag then moves on by a stride of 720720 / weight. So an
-- owner's burst of 2,000 takes tags 0, s, 2s, ... while an owner arriving
-- later starts at the current virtual time, among the next claims; and
-- owners of weights 3 and 1 with work queued are served 3:1. 0 when fair
-- share is off ([claims] fair_share = false): then oldest first.
--
-- The claim stays one walk of one index, ix_claim, in its order: priority
-- (descending: MariaDB >= 10.8 keeps the direction), tag, id. The tag is
-- decided at create, so a claim writes nothing more than it did before: no
-- hot row shared by the claimers (and no certification conflict on Galera
-- beyond the row claimed). entity_type closes ix_claim so that the claim's
-- type filter is checked in the index, without reading the row of an entry
-- of a type not asked for. ix_fair_tag answers the virtual time of a type
-- and priority at create with one index lookup.
ALTER TABLE generation_requests
  ADD COLUMN priority TINYINT UNSIGNED NOT NULL DEFAULT 5,
  ADD COLUMN vtime BIGINT UNSIGNED NOT NULL DEFAULT 0,
  ADD KEY ix_claim (status, priority DESC, vtime, id, entity_type),
  ADD KEY ix_fair_tag (status, entity_type, priority, vtime);

-- One row per owner, entity type and priority the owner ever created:
-- the tag the owner's next request there starts from at the earliest. Its
-- row is locked by a create of that owner (creates of one owner in one
-- queue take their tags in turn; other owners are not held up).
-- ix_tag: the highest next tag of a queue, its virtual time when nothing
-- is pending.
CREATE TABLE owner_shares (
  entity_type  VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  priority     TINYINT UNSIGNED NOT NULL,
  owner        VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  next_tag     BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (entity_type, priority, owner),
  KEY ix_tag (entity_type, priority, next_tag)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An owner's weight in the fair share (1..100; no row: 1), set by
-- `gentrackctl owner weight --owner O N`. It sets the strides of the
-- owner's requests created afterwards.
CREATE TABLE owner_weights (
  owner       VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  weight      SMALLINT UNSIGNED NOT NULL,
  updated_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
