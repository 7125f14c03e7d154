-- The admin console as the store grows (issue 14, "The console stays fast
-- as the store grows"; bench/console.sh, bench/RESULTS.md).
--
-- ix_type_id: the dashboard's list filtered by entity type alone
-- (/admin/?entity_type=T; store/requests.c, Q_OPS_LIST_ALL: the newest 50
-- of a type, any status) walked the primary key from the newest request
-- back until it had found 50 of the type: a few hundred rows for a common
-- type, every row of the history for a type with fewer than 50 (a rare or
-- retired type, a typo: 12 s at a million requests). Now 50 entries of this
-- index, newest first, whatever the history. The status filters have theirs
-- already (ix_status_id, ix_status_type).
--
-- ix_status_type_completed gains failure_reason (sql/014): the bulk retry's
-- preview counts every match (store/ops.c, Q_FINISHED_COUNT), and each
-- entry cost a lookup of its row for the failure reason: 17,000 of them for
-- a year of one type's partial requests. With the reason in the index the
-- count reads the index alone. The reason goes after id (InnoDB takes the
-- primary key's column where it is named), so the batches and the
-- preview's first ten walk it in the order they ask for, completed_at, id.
--
-- Both built online (InnoDB builds a secondary index without blocking
-- writes): a few seconds per million requests. Independent of sql/015 (the
-- charts): either may be applied first.
ALTER TABLE generation_requests
  ADD KEY ix_type_id (entity_type, id),
  DROP KEY ix_status_type_completed,
  ADD KEY ix_status_type_completed (status, entity_type, completed_at, id, failure_reason);
