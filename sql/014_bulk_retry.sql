-- Bulk retry by filter (issue 14): "every failed (or partial) request of
-- type T finished between A and B" picks its batches from this index, so
-- its cost grows with the requests it matches, not with the table
-- (EXPLAIN checked in tests/integration/test_store.c).
ALTER TABLE generation_requests
  ADD KEY ix_status_type_completed (status, entity_type, completed_at);
