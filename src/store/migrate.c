#include "build_config.h"

#include "store/internal.h"
#include "base/banned.h"

/* The schema_migrations table that `gentrackctl migrate` keeps (sql/NNN_*.sql). */

static const struct engine_query Q_MIG_INIT = {
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INT UNSIGNED NOT NULL, name VARCHAR(255) NOT NULL,"
	" applied_at DATETIME(6) NOT NULL, PRIMARY KEY (version)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"", "" };

int store_migrations_init(struct store *s)
{
	return engine_run(s, &Q_MIG_INIT, NULL, NULL, NULL, NULL, NULL);
}

static const struct engine_query Q_MIG_APPLIED = {
	"SELECT version FROM schema_migrations WHERE version = ?",
	"i", "i" };

int store_migration_applied(struct store *s, unsigned version)
{
	struct sqlv p[] = { SV_INT(version) };
	size_t rows;
	int rc = engine_run(s, &Q_MIG_APPLIED, p, NULL, NULL, NULL, &rows);
	if (rc)
		return rc;
	return rows ? 1 : 0;
}

static const struct engine_query Q_MIG_RECORD = {
	"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
	"ist", "" };

int store_migration_apply(struct store *s, unsigned version, const char *name,
			  const char *sql, int64_t now)
{
	/*
	 * A migration file is several statements of our own, shipped with the
	 * program, never input: the one place text runs as a multi-statement query.
	 */
	int rc = engine_run_script(s, sql, name);
	if (rc)
		return rc;
	struct sqlv p[] = { SV_INT(version), SV_STR(name), SV_TIME(now) };
	return engine_run(s, &Q_MIG_RECORD, p, NULL, NULL, NULL, NULL);
}
