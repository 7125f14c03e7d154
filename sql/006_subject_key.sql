-- subject_key, exactly and by index (issue 20).
--
-- Exactly: utf8mb4_bin is a PAD SPACE collation, so 's1 ' compared equal to
-- 's1': a create with subject_key 's1 ' was refused 409 while 's1' was
-- active, and ?subject_key=s1 listed both. SPEC §3 makes subject_key any
-- string of 1 to 255 bytes; two subjects are the same only byte for byte
-- (utf8mb4_nopad_bin), trailing blanks included. active_subject, whose
-- unique key holds one active generation per subject, follows it. Going from
-- PAD SPACE to NO PAD only tells more keys apart, so existing rows cannot
-- collide.
--
-- By index: ?subject_key= without entity_type walked all of the owner's rows
-- (ix_owner_subject starts with owner, entity_type); ix_owner_subject_id
-- serves it, newest first, from the owner and the subject alone.
--
-- The collation change rebuilds the table (a copy, writes wait for it):
-- about half a second per 20,000 small rows on a 2-core machine.
ALTER TABLE generation_requests
  MODIFY subject_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin NULL,
  MODIFY active_subject VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
    AS (IF(status IN ('pending','processing'), subject_key, NULL)) PERSISTENT,
  ADD KEY ix_owner_subject_id (owner, subject_key, id);
