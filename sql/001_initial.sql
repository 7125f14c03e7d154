-- gentrack schema, version 1. Applied by `gentrackctl migrate`.
-- Times are UTC DATETIME(6); ids are UUIDv7 in BINARY(16), so id order is
-- creation order and every "newest first" is an index walk on id.

CREATE TABLE generation_requests (
  id                BINARY(16)    NOT NULL,
  owner             VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  entity_type       VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  subject_key       VARCHAR(255)  COLLATE utf8mb4_bin NULL,
  status            ENUM('pending','processing','completed','partial','failed','cancelled') NOT NULL,
  requested_count   INT UNSIGNED  NOT NULL,
  generated_count   INT UNSIGNED  NOT NULL DEFAULT 0,
  failed_count      INT UNSIGNED  NOT NULL DEFAULT 0,
  attempt           INT UNSIGNED  NOT NULL DEFAULT 0,
  -- bumped by every change: the ETag, and the fence of conditional updates
  version           BIGINT UNSIGNED NOT NULL DEFAULT 1,
  worker_id         VARCHAR(255)  NULL,
  lease_expires_at  DATETIME(6)   NULL,
  requested_at      DATETIME(6)   NOT NULL,
  started_at        DATETIME(6)   NULL,
  completed_at      DATETIME(6)   NULL,
  cancelled_at      DATETIME(6)   NULL,
  updated_at        DATETIME(6)   NOT NULL,
  failure_reason    VARCHAR(32)   CHARACTER SET ascii NULL,
  error_message     VARCHAR(1024) NULL,
  constraints_json  MEDIUMTEXT    NOT NULL,
  metadata_json     MEDIUMTEXT    NOT NULL,
  -- subject_key while the request is active, NULL otherwise: the unique key
  -- below then allows one active generation per owner, type and subject,
  -- enforced by the store itself even under concurrent creates.
  active_subject    VARCHAR(255)  COLLATE utf8mb4_bin
                    AS (IF(status IN ('pending','processing'), subject_key, NULL)) PERSISTENT,
  PRIMARY KEY (id),
  UNIQUE KEY uq_active_subject (owner, entity_type, active_subject),
  KEY ix_owner (owner, id),
  KEY ix_owner_status (owner, status, id),
  KEY ix_owner_subject (owner, entity_type, subject_key, id),
  -- claim (oldest pending of a type), the reaper and the admin page
  KEY ix_status_type (status, entity_type, id),
  KEY ix_status_lease (status, lease_expires_at),
  KEY ix_status_started (status, started_at),
  KEY ix_status_requested (status, requested_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE generation_entities (
  request_id   BINARY(16)   NOT NULL,
  idx          INT UNSIGNED NOT NULL,
  status       ENUM('generated','failed') NOT NULL,
  entity_json  MEDIUMTEXT   NULL,
  error        VARCHAR(1024) NULL,
  attempt      INT UNSIGNED NOT NULL,
  worker_id    VARCHAR(255) NULL,
  created_at   DATETIME(6)  NOT NULL,
  PRIMARY KEY (request_id, idx),
  CONSTRAINT fk_entities_request FOREIGN KEY (request_id)
    REFERENCES generation_requests (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The audit trail: one row per transition (from_status NULL = created).
CREATE TABLE generation_events (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  request_id   BINARY(16)   NOT NULL,
  at           DATETIME(6)  NOT NULL,
  actor        VARCHAR(255) NOT NULL,
  from_status  VARCHAR(16)  CHARACTER SET ascii NULL,
  to_status    VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  message      VARCHAR(1024) NULL,
  PRIMARY KEY (id),
  KEY ix_request (request_id, id),
  KEY ix_at (at),
  CONSTRAINT fk_events_request FOREIGN KEY (request_id)
    REFERENCES generation_requests (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- API keys: only a BLAKE2b-256 hash of the key is stored; `prefix` is the
-- first characters of the key, shown by `key list` so operators can tell keys apart.
CREATE TABLE api_keys (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  key_hash    BINARY(32)   NOT NULL,
  prefix      VARCHAR(16)  CHARACTER SET ascii NOT NULL,
  role        ENUM('client','worker') NOT NULL,
  owner       VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at  DATETIME(6)  NOT NULL,
  revoked_at  DATETIME(6)  NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_key_hash (key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE admin_users (
  name           VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  password_hash  VARCHAR(255) CHARACTER SET ascii NOT NULL,
  created_at     DATETIME(6)  NOT NULL,
  updated_at     DATETIME(6)  NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Idempotency-Key records (per owner). state 'processing' while the first
-- request runs; 'done' with the response to replay.
CREATE TABLE idempotency_keys (
  owner            VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idem_key         VARBINARY(255) NOT NULL,
  body_hash        BINARY(32)   NOT NULL,
  state            ENUM('processing','done') NOT NULL,
  request_id       BINARY(16)   NULL,
  response_status  SMALLINT UNSIGNED NULL,
  response_body    MEDIUMTEXT   NULL,
  created_at       DATETIME(6)  NOT NULL,
  PRIMARY KEY (owner, idem_key),
  KEY ix_created (created_at),
  KEY ix_request (request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Created by `gentrackctl migrate` before anything else too; here so that this
-- file alone describes the whole schema.
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INT UNSIGNED NOT NULL,
  name        VARCHAR(255) NOT NULL,
  applied_at  DATETIME(6)  NOT NULL,
  PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
