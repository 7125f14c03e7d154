-- Status tokens (SPEC "Status tokens", issue 13): the 202 of a create shows
-- a token once ("gtt_" + 43 base64url characters, 32 random bytes) that lets
-- its bearer read that one request, follow its live stream and cancel it.
-- Only its BLAKE2b-256 hash is kept, like a key's; it expires at
-- status_token_expires_at ([tokens] status_token_ttl after the create), and
-- with the request (prune deletes the row). Rows made before this migration
-- have none.
ALTER TABLE generation_requests
  ADD COLUMN status_token_hash BINARY(32) NULL,
  ADD COLUMN status_token_expires_at DATETIME(6) NULL,
  ADD UNIQUE KEY ux_status_token (status_token_hash);
