-- Bulk admin actions, by the action id their form carried: a form submitted
-- twice (double click, reload after a slow answer) applies once. The second
-- submit finds its row and reports what the first one did.
CREATE TABLE admin_actions (
  action_id    VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  actor        VARCHAR(255) NOT NULL,
  kind         VARCHAR(32)  CHARACTER SET ascii NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  -- NULL while the action runs; then how many requests it changed
  affected     INT UNSIGNED NULL,
  PRIMARY KEY (action_id),
  KEY ix_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
