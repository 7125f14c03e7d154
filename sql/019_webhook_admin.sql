-- Completion webhooks in the admin console (issue 16, second slice): what
-- the Webhooks page shows of each endpoint and delivery, and the operator's
-- actions on them. (018 is the create's "webhook": NAME, another slice.)
--
-- An endpoint's last result and its consecutive failures, kept by the
-- deliverer's finish of each attempt in the same transaction: the page
-- reads one row per endpoint, not its history.
ALTER TABLE webhook_endpoints
  ADD COLUMN last_attempt_at DATETIME(6)   NULL,
  ADD COLUMN last_status     INT           NULL,   -- the HTTP status of the last attempt
  ADD COLUMN last_error      VARCHAR(1024) NULL,   -- why it failed; NULL after a 2xx
  ADD COLUMN failures        INT UNSIGNED  NOT NULL DEFAULT 0;  -- failed attempts since the last 2xx

-- One row per attempt of a delivery: when it started, how long it took,
-- what came back, and which deliverer made it. A delivery's row keeps only
-- the last; a redeliver resets its attempts count, this keeps them all.
-- Not pruned yet: a row is small, and there are at most 9 per delivery
-- before an operator's redeliver.
CREATE TABLE webhook_attempts (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  delivery_id  VARCHAR(40)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  at           DATETIME(6)   NOT NULL,          -- when the POST started
  duration_us  BIGINT UNSIGNED NOT NULL,
  http_status  INT           NULL,              -- NULL when no answer came
  error        VARCHAR(1024) NULL,              -- NULL after a 2xx
  deliverer    VARCHAR(255)  NOT NULL,          -- the lease owner that made it
  PRIMARY KEY (id),
  KEY ix_delivery (delivery_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The webhooks' audit trail: an operator's redeliver of a delivery and
-- re-enable of an endpoint, who, when and why, as queue_events is the
-- queues' (sql/011): not generation_events, whose rows are transitions of a
-- request and bump its counters, and a redeliver changes no request.
CREATE TABLE webhook_events (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  delivery_id  VARCHAR(40)   CHARACTER SET ascii COLLATE ascii_bin NULL,
  endpoint_id  BIGINT UNSIGNED NOT NULL,
  at           DATETIME(6)   NOT NULL,
  actor        VARCHAR(255)  NOT NULL,          -- e.g. admin:alice
  action       ENUM('redeliver','enable') NOT NULL,
  reason       VARCHAR(1024) NOT NULL,
  PRIMARY KEY (id),
  KEY ix_delivery (delivery_id, id),
  KEY ix_endpoint (endpoint_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
