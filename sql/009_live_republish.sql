-- Live updates' repair (issue 13, "a lost publish costs a subscriber at most
-- 30 s"). A publish to nginx's Nchan happens after the commit and waits at
-- most 50 ms; when it is lost (nginx slow or restarting), the channel's last
-- message stays stale, and a subscriber already connected would wait for a
-- state that was committed until the request's next change. The process
-- whose publish failed records the request here (store clock); the
-- gentrack-fcgi supervisor of every host reads the oldest rows every 2 s,
-- publishes each request's state as the store has it now, and deletes the
-- row only if failed_at is still the one it read (a newer failure in
-- between keeps it).
--
-- One row per request, however many of its publishes were lost: the repair
-- publishes the current state, which says all of them. Not a foreign key:
-- prune deletes requests in batches of its own, and the repair deletes the
-- row of a request that is gone.
CREATE TABLE live_republish (
  request_id  BINARY(16)  NOT NULL,
  failed_at   DATETIME(6) NOT NULL,
  PRIMARY KEY (request_id),
  KEY ix_failed_at (failed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
