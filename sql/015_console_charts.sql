-- The console's queue columns and charts (issue 14): what finished and what
-- came in, per minute, over the last 6 or 24 hours and the last hour, read
-- by a range of an index over that window only, never the history (a year
-- of it is a million rows: bench/console.sh times the pages over that).
--
-- MariaDB cannot skip a leading column of an index (no skip scan), so the
-- indexes that serve a window of every entity type lead with the time:
--
-- ix_completed_window: what finished (completed, partial, failed) in a
-- window of completed_at, of every type (the charts' "all types", the queue
-- table's last hour per type: completed, partial, failed, p50 and p95 of
-- completed_at - started_at). Covering: status, entity_type and started_at
-- are in it, so the range reads no row.
--
-- ix_requested_window: what came in, by requested_at, of every type (the
-- charts' "new"); entity_type in it so a type's chart reads no row either.
--
-- One type's charts are served by the indexes of sql/012 and sql/014, which
-- lead with (status, entity_type): the statuses listed in the statement
-- (IN) make them a few ranges of exactly that type's window.
ALTER TABLE generation_requests
  ADD KEY ix_completed_window (completed_at, status, entity_type, started_at),
  ADD KEY ix_requested_window (requested_at, entity_type);
