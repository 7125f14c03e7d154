-- Admin page sessions (issue 20, item 5). A sign-in on the admin pages opens
-- one: a random id in an HttpOnly, SameSite=Strict cookie, stored here only
-- as its BLAKE2b-256 hash, for one admin, until expires_at (12 h later);
-- /admin/logout deletes it. The CSRF tokens of the pages' forms are bound to
-- it (src/admin/csrf.c), so a token dies with its session. It is not a
-- credential: every request still carries the admin's Basic password.
-- Deleting the account deletes its sessions. Each sign-in deletes that
-- admin's expired sessions and all but the newest few (src/store/sessions.c),
-- so a script without a cookie jar cannot grow the table.
CREATE TABLE admin_sessions (
  id_hash      BINARY(32)   NOT NULL,
  admin_name   VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at   DATETIME(6)  NOT NULL,
  expires_at   DATETIME(6)  NOT NULL,
  PRIMARY KEY (id_hash),
  KEY ix_admin_created (admin_name, created_at),
  CONSTRAINT fk_sessions_admin FOREIGN KEY (admin_name)
    REFERENCES admin_users (name) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
