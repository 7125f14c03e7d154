-- One active generation per owner, type and subject, without a false
-- conflict between every two creates under Galera (issue 15).
--
-- uq_active_subject (owner, entity_type, active_subject) holds NULL in its
-- last part for every request without a subject and every finished one.
-- InnoDB lets such rows repeat, but Galera certifies a multi-column unique
-- key with a NULL part as the value (owner, type, NULL): two creates of one
-- owner and type on two nodes, or a create and a complete, then write "the
-- same key", and the one that certifies second fails (1213) and runs again.
-- Measured on a three-node cluster on loopback, 1,000 inserts of such rows
-- alternating between two nodes: 381 certification failures; with the key
-- below, none (and about 10 % of gentrack's creates ran again because of it
-- in tests/integration/galera.sh).
--
-- active_other is '' while the request is active with a subject, so the key
-- still allows one such request per (owner, type, subject); otherwise it is
-- the request's own id, which makes every other row's key its own. The
-- lookup of the active request (owner, entity_type, active_subject) is a
-- prefix of the new key. The ALTER rebuilds the table (a copy, writes wait
-- for it): about half a second per 20,000 small rows on a 2-core machine.
ALTER TABLE generation_requests
  ADD COLUMN active_other VARBINARY(16)
    AS (IF(status IN ('pending','processing') AND subject_key IS NOT NULL, '', id)) PERSISTENT,
  DROP KEY uq_active_subject,
  ADD UNIQUE KEY uq_active_subject (owner, entity_type, active_subject, active_other);
