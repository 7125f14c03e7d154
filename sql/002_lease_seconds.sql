-- The lease length a worker asked for at claim time: heartbeats extend the
-- lease by it, so a worker states its cadence once.
ALTER TABLE generation_requests
  ADD COLUMN lease_seconds INT UNSIGNED NULL AFTER lease_expires_at;
