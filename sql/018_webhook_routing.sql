-- Completion webhooks, second slice (issue 16): which endpoint a request
-- goes to, and secrets rotated with an overlap.
--
-- generation_requests.webhook: the name of the owner's endpoint the request
-- reports to, fixed at the create (the name the client gave, else the
-- owner's default then; NULL: none). The outbox (store/webhooks.c) writes a
-- delivery only to that endpoint, when it is enabled and subscribed to the
-- event. A NULL column added last: MariaDB adds it instantly, without
-- copying the table.
ALTER TABLE generation_requests
  ADD COLUMN webhook VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;

-- is_default: 1 for the owner's default endpoint, NULL for the others (a
-- unique key allows any number of NULLs: at most one default per owner).
-- previous_secret: the secret before the last `webhook rotate`, which
-- still signs (a second signature) until previous_secret_until.
ALTER TABLE webhook_endpoints
  ADD COLUMN is_default TINYINT NULL,
  ADD COLUMN previous_secret VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN previous_secret_until DATETIME(6) NULL,
  ADD UNIQUE KEY uq_owner_default (owner, is_default);

-- Before this, every subscribed endpoint of the owner received each
-- delivery. Endpoints named `default` (what `webhook add` names one
-- without --name) become their owner's default, and the requests still
-- running report to it, so an upgrade loses no delivery of those.
UPDATE webhook_endpoints SET is_default = 1 WHERE name = 'default';
UPDATE generation_requests r JOIN webhook_endpoints e
    ON e.owner = r.owner AND e.is_default = 1
  SET r.webhook = e.name
  WHERE r.status IN ('pending', 'processing');
