-- Priorities and fair share across owners (issue 18).
--
-- priority: 0..9, default 5, set at create; a claim takes the highest first.
--
-- vtime: the request's place in its owner's share of the queue, a tag of
-- start-time fair queueing, set at create (src/store/requests.c,
-- share_take): its owner's highest tag pending in the same entity type and
-- priority plus a stride of 720720 / weight, but not below the queue's
-- virtual time (the lowest tag pending there); 0 in an empty queue. So an
-- owner's burst of 2,000 takes tags 0, s, 2s, ... while an owner arriving
-- later starts at the current virtual time, among the next claims; owners
-- of weights 3 and 1 with work queued are served 3:1; an owner that was
-- away starts level with those at work. 0 when fair share is off
-- ([claims] fair_share = false): then oldest first.
--
-- The claim stays one walk of one index, ix_claim, in its order: priority
-- (descending: MariaDB >= 10.8 keeps the direction), tag, id. The tag is
-- decided at create from the pending rows alone, so neither a claim nor a
-- create writes anything more than before: no row shared by the claimers,
-- none by an owner's creates (and no certification conflict on Galera
-- beyond the rows they wrote already). entity_type closes ix_claim so that
-- the claim's type filter is checked in the index, without reading the row
-- of an entry of a type not asked for. ix_fair_tag and ix_fair_owner answer
-- the create's two questions (the virtual time, the owner's last tag) with
-- one index lookup each.
ALTER TABLE generation_requests
  ADD COLUMN priority TINYINT UNSIGNED NOT NULL DEFAULT 5,
  ADD COLUMN vtime BIGINT UNSIGNED NOT NULL DEFAULT 0,
  ADD KEY ix_claim (status, priority DESC, vtime, id, entity_type),
  ADD KEY ix_fair_tag (status, entity_type, priority, vtime),
  ADD KEY ix_fair_owner (status, entity_type, priority, owner, vtime);

-- An owner's weight in the fair share (1..100; no row: 1), set by
-- `gentrackctl owner weight --owner O N`. It sets the strides of the
-- owner's requests created afterwards.
CREATE TABLE owner_weights (
  owner       VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  weight      SMALLINT UNSIGNED NOT NULL,
  updated_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
