-- The generated entities on the request row (issue 13, item 4): a status
-- poll used to join generation_entities and put the rows in order in C;
-- the join was most of what a poll cost MariaDB (bench/RESULTS.md). Now the
-- row also holds them already rendered, as the JSON array a poll sends: the
-- entity_json texts of its 'generated' rows, in index order, separated by
-- commas, in brackets; byte for byte what the API rendered from the rows.
--
-- generation_entities stays the record (failures per index, the same index
-- twice a no-op, the admin detail page, gentrackctl get). The array is
-- rebuilt from it, by the same UPDATE that bumps generated_count
-- (store/work.c, Q_COUNT_GENERATED), in the transaction of the entity's
-- INSERT: it follows the record whatever order the indexes arrive in, and a
-- retried index (its INSERT a duplicate) changes neither. Nothing else
-- writes generated entities: a new attempt and an admin retry delete failed
-- ones only, and prune deletes the row with them.
--
-- NULL: not kept on the row, as the array would pass ENTITIES_ROW_MAX
-- (src/base/limits.h, 1 MiB; also the session's group_concat_max_len): a
-- poll then reads generation_entities as before. LONGTEXT because nothing
-- but that cap bounds the array (max_body per entity, max_count entities).
--
-- Galera: the row is written by every entity already (generated_count,
-- version), so this adds no write set row and no new certification key;
-- only the row's write set carries the array as well.
ALTER TABLE generation_requests
  ADD COLUMN entities_json LONGTEXT NULL DEFAULT '[]';

-- Backfill: every request that has generated entities gets its array, so
-- an upgraded install keeps every request's entities on its poll. The cap
-- is checked before GROUP_CONCAT runs (a correlated subquery in IF's branch
-- runs only when taken): under the strict sql_mode of gentrack's sessions a
-- GROUP_CONCAT cut at group_concat_max_len is an error, not a warning. The
-- limit is ENTITIES_ROW_MAX's, here as a literal; the session's own value
-- may be smaller than the cap, so it is set here as the application sets it.
-- One statement over the requests that have entities: on a large install,
-- expect it to take about as long as the ALTERs of earlier migrations.
SET SESSION group_concat_max_len = 1048576;
UPDATE generation_requests r
  JOIN (SELECT request_id, SUM(LENGTH(entity_json)) + COUNT(*) + 1 AS len
        FROM generation_entities WHERE status = 'generated' GROUP BY request_id) s
    ON s.request_id = r.id
  SET r.entities_json = IF(s.len <= 1048576,
      (SELECT CONCAT('[', GROUP_CONCAT(e.entity_json ORDER BY e.idx SEPARATOR ','), ']')
       FROM generation_entities e WHERE e.request_id = r.id AND e.status = 'generated'),
      NULL);
