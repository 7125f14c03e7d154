-- Per-owner limits on pending and processing requests (issue 18).
--
-- owner_limits: an owner's own limits, set by `gentrackctl owner limit
-- --owner O [--pending N|default] [--processing N|default]`. NULL: the
-- configuration's [limits] max_pending_per_owner / max_processing_per_owner;
-- 0: no limit for this owner. A create reads max_pending in the statement
-- that takes its fair-share tag, a claim max_processing in its pick: an
-- owner without a row pays no extra round trip.
CREATE TABLE owner_limits (
  owner           VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  max_pending     INT UNSIGNED NULL,
  max_processing  INT UNSIGNED NULL,
  updated_at      DATETIME(6)  NOT NULL,
  PRIMARY KEY (owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- owner_gates: one row per owner whose limit was ever checked, written
-- (passes + 1) by every create and claim that checks a limit, before it
-- counts. Why a write and not a locking read: the row lock serialises one
-- owner's limited creates (and claims) through their commits on one server,
-- so the count each one reads after the gate (READ COMMITTED) includes the
-- rows of the one that held the gate before it; and on Galera a SELECT ...
-- FOR UPDATE is not replicated, so two nodes would each count 9 and both
-- insert the 10th, while two writes of one row conflict at certification
-- and the loser is run again from its start (store/retry.c), then counting
-- the winner's row. `passes` is only a counter; the write is the point.
-- Owners without a limit never touch it.
CREATE TABLE owner_gates (
  owner   VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  passes  BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (owner)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
