#!/usr/bin/env bash
# gentrackctl migrate against a real MariaDB: every sql/NNN_*.sql applied once,
# a second run is a no-op, and the schema is InnoDB/utf8mb4 with primary keys.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "${abs_top_srcdir:-$(dirname "$0")/../..}/tests/harness/lib.sh"

require_programs mariadbd mariadb mariadb-install-db
start_stack migrate --no-fcgi

sql_files=("$GT_SRCDIR"/sql/[0-9][0-9][0-9]_*.sql)
n_files=${#sql_files[@]}

# `stack.sh up` ran the first migrate; its output is in migrate.log.
for f in "${sql_files[@]}"; do
	stem=$(basename "$f" .sql)
	check "first migrate reported $stem" grep -q "$stem" "$GT_STACK_DIR/migrate.log"
done

out=$("$GENTRACKCTL" --config "$GENTRACK_CONFIG" migrate 2>&1)
rc=$?
check "second migrate exits 0" eq "$rc" 0
check "second migrate says nothing was pending" match "$out" '[Nn]othing|[Nn]o pending|[Uu]p[ -]to[ -]date|[Aa]lready'
for f in "${sql_files[@]}"; do
	stem=$(basename "$f" .sql)
	check "second migrate did not apply $stem" lacks "$out" "$stem"
done

check "schema_migrations has one row per sql file" \
	eq "$(sql 'SELECT COUNT(*) FROM schema_migrations')" "$n_files"
versions=$(for f in "${sql_files[@]}"; do b=$(basename "$f"); echo $((10#${b%%_*})); done | sort -n | tr '\n' ' ')
check "schema_migrations versions are the files' numbers" \
	eq "$(sql 'SELECT version FROM schema_migrations ORDER BY version' | tr '\n' ' ')" "$versions"

tables=(generation_requests generation_entities generation_events api_keys admin_users idempotency_keys schema_migrations
	webhook_endpoints webhook_deliveries)
for t in "${tables[@]}"; do
	row=$(sql "SELECT ENGINE, TABLE_COLLATION FROM information_schema.TABLES
	           WHERE TABLE_SCHEMA = 'gentrack' AND TABLE_NAME = '$t'")
	check "table $t exists" match "$row" .
	check "table $t is InnoDB" match "$row" '^InnoDB'
	check "table $t is utf8mb4" match "$row" 'utf8mb4_'
	check "table $t has a primary key" eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS
	           WHERE TABLE_SCHEMA = 'gentrack' AND TABLE_NAME = '$t' AND CONSTRAINT_TYPE = 'PRIMARY KEY'")" 1
done
check "no table without a primary key" eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES t
	WHERE t.TABLE_SCHEMA = 'gentrack' AND t.TABLE_TYPE = 'BASE TABLE' AND NOT EXISTS (
	  SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA
	  AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')")" 0

# A new migration in a copy of sql/: only it is applied, in order, and named.
extra_dir=$GT_STACK_DIR/sql-extra
rm -rf "$extra_dir"
mkdir -p "$extra_dir"
cp "${sql_files[@]}" "$extra_dir/"
last=$(basename "${sql_files[-1]}")
next=$(printf '%03d' $((10#${last%%_*} + 1)))
cat >"$extra_dir/${next}_probe.sql" <<'SQL'
CREATE TABLE migrate_probe (id INT NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO migrate_probe VALUES (1);
SQL
sed "s#^migrations_dir = .*#migrations_dir = $extra_dir#" "$GENTRACK_CONFIG" >"$GT_STACK_DIR/extra.conf"
out=$("$GENTRACKCTL" --config "$GT_STACK_DIR/extra.conf" migrate 2>&1)
check "migrate applies a new migration (exit 0)" eq "$?" 0
check "migrate names the new migration" match "$out" "${next}_probe"
check "migrate does not re-apply the old ones" lacks "$out" "$(basename "${sql_files[0]}" .sql)"
check "the new migration ran once" eq "$(sql 'SELECT COUNT(*) FROM migrate_probe')" 1
check "schema_migrations gained one row" eq "$(sql 'SELECT COUNT(*) FROM schema_migrations')" $((n_files + 1))
"$GENTRACKCTL" --config "$GT_STACK_DIR/extra.conf" migrate >/dev/null 2>&1
rc=$?
check "a further migrate exits 0" eq "$rc" 0
check "and applies nothing" eq "$(sql 'SELECT COUNT(*) FROM schema_migrations')" $((n_files + 1))

# ---- sql/010's backfill: an upgraded install keeps every request's entities ----
# Requests as an install before sql/010 held them: entities recorded out of
# order with a failure among them, only failures, none, and two entities
# that together pass the row's cap (ENTITIES_ROW_MAX, 1 MiB). Then the
# column is dropped and the migration run again, as on that install.
hexid() { printf '0192e4c17a1b7c3d8e9f0a1b2c3d4e%02x' "$1"; }
for n in 1 2 3 4; do
	sql "INSERT INTO generation_requests (id, owner, entity_type, status, requested_count,
	     generated_count, failed_count, attempt, requested_at, updated_at, constraints_json,
	     metadata_json) VALUES (UNHEX('$(hexid $n)'), 'mig', 'problem', 'partial', 3, 0, 0, 1,
	     UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), '{}', '{}')"
done
ent() { # ent N IDX STATUS JSON
	sql "INSERT INTO generation_entities (request_id, idx, status, entity_json, attempt, created_at)
	     VALUES (UNHEX('$(hexid "$1")'), $2, '$3', $4, 1, UTC_TIMESTAMP(6))"
}
ent 1 2 generated "'{\"n\":2}'"
ent 1 1 failed NULL
ent 1 0 generated "'{\"n\":0,\"s\":\"é, ]\"}'"
ent 2 0 failed NULL
ent 4 0 generated "CONCAT('{\"s\":\"', REPEAT('x', 600000), '\"}')"
ent 4 1 generated "CONCAT('{\"s\":\"', REPEAT('y', 600000), '\"}')"
sql "ALTER TABLE generation_requests DROP COLUMN entities_json"
sql "DELETE FROM schema_migrations WHERE version = 10"
out=$("$GENTRACKCTL" --config "$GENTRACK_CONFIG" migrate 2>&1)
check "migrate applies sql/010 to the older schema (exit 0)" eq "$?" 0
check "and names it" match "$out" 010_entities_on_row
arr() { sql "SELECT IFNULL(entities_json, 'NULL') FROM generation_requests WHERE id = UNHEX('$(hexid "$1")')"; }
check "backfill: generated entities in index order, failures left out" eq "$(arr 1)" '[{"n":0,"s":"é, ]"},{"n":2}]'
check "backfill: only failures: an empty array" eq "$(arr 2)" '[]'
check "backfill: no entities: an empty array" eq "$(arr 3)" '[]'
check "backfill: past the cap: NULL (the poll reads the record)" eq "$(arr 4)" NULL
check "backfill: every array is what generation_entities says" eq "$(sql "SELECT COUNT(*)
	FROM generation_requests r WHERE NOT (r.entities_json <=> IFNULL((SELECT CONCAT('[',
	GROUP_CONCAT(e.entity_json ORDER BY e.idx SEPARATOR ','), ']') FROM generation_entities e
	WHERE e.request_id = r.id AND e.status = 'generated'), '[]')) AND r.id <> UNHEX('$(hexid 4)')")" 0

finish
