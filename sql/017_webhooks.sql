-- Completion webhooks (issue 16), as the Standard Webhooks specification
-- describes them: endpoints the operator registers per owner (`gentrackctl
-- webhook add`), and the outbox of deliveries.
--
-- The secret is stored as it is, not hashed: the deliverer signs every
-- delivery with it (HMAC-SHA256), so it must be able to read it back. Anyone
-- who reads this table can forge deliveries to that endpoint; keep the
-- store's grants as tight as the keys' (README "Webhooks").
CREATE TABLE webhook_endpoints (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  owner       VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name        VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  url         VARCHAR(2048) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret      VARCHAR(128)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,  -- whsec_ + base64
  events      VARCHAR(128)  CHARACTER SET ascii NOT NULL,  -- comma-separated final states
  disabled_at DATETIME(6)   NULL,                 -- set on a 410 Gone; NULL = enabled
  created_at  DATETIME(6)   NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_owner_name (owner, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The outbox: the transition that ends a request inserts its deliveries in
-- its own transaction (store/events.c), so a delivery exists exactly when the
-- transition committed. id is the webhook-id, the same on every attempt.
-- The payload is the request as it ended, rendered then: a later admin
-- retry does not change what this delivery says.
--
-- A deliverer claims due rows (state pending, next_attempt_at <= now, lease
-- free or expired) with FOR UPDATE SKIP LOCKED and takes a lease on them
-- (lease_owner, lease_expires_at): several deliverers never send one row
-- at once, and a deliverer that dies leaves its rows to the next after the
-- lease.
CREATE TABLE webhook_deliveries (
  id               VARCHAR(40)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,  -- msg_ + random
  request_id       BINARY(16)   NOT NULL,
  endpoint_id      BIGINT UNSIGNED NOT NULL,
  event_type       VARCHAR(64)  CHARACTER SET ascii NOT NULL,  -- generation_request.completed, ...
  payload          MEDIUMTEXT   NOT NULL,
  state            ENUM('pending','delivered','dead') NOT NULL DEFAULT 'pending',
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  created_at       DATETIME(6)  NOT NULL,
  next_attempt_at  DATETIME(6)  NOT NULL,
  lease_owner      VARCHAR(255) NULL,
  lease_expires_at DATETIME(6)  NULL,
  last_attempt_at  DATETIME(6)  NULL,
  last_status      INT          NULL,           -- the HTTP status of the last attempt
  last_error       VARCHAR(1024) NULL,          -- why the last attempt failed
  PRIMARY KEY (id),
  KEY ix_due (state, next_attempt_at),
  KEY ix_request (request_id),
  KEY ix_endpoint (endpoint_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
