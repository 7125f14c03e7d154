-- Operator lists (newest first within a status) and prune (terminal rows by
-- age) each walk an index instead of sorting or scanning the table.
ALTER TABLE generation_requests
  ADD KEY ix_status_id (status, id),
  ADD KEY ix_status_updated (status, updated_at);
