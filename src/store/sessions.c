#include "build_config.h"

#include "base/limits.h"
#include "store/internal.h"
#include "base/banned.h"

/*
 * The admin pages' sessions (sql/007_admin_sessions.sql). Looked up by the
 * hash of their id, an equality on the primary key: no secret is compared
 * in C, and a dump of the table gives no cookie.
 */

/* The clock comes in the same statement: an admin page needs it anyway. */
static const struct engine_query Q_SESSION_GET = {
	"SELECT UTC_TIMESTAMP(6), (SELECT expires_at FROM admin_sessions "
	"WHERE id_hash = ? AND admin_name = ? AND expires_at > UTC_TIMESTAMP(6))",
	"bs", "tt" };

struct session_row {
	int64_t now, expires;
};

static int session_row(void *ctx, const struct sqlcell *c)
{
	struct session_row *r = ctx;
	r->now = engine_cell_time(&c[0]);
	r->expires = engine_cell_time(&c[1]);
	return 1;
}

int store_admin_session_get(struct store *s, const unsigned char *id_hash, const char *name,
			    int64_t *now, int64_t *expires)
{
	struct sqlv p[] = { SV_BIN(id_hash, ADMIN_SESSION_HASH_LEN), SV_STR(name) };
	struct session_row r = { TIME_NONE, TIME_NONE };
	size_t rows = 0;
	int rc = engine_run(s, &Q_SESSION_GET, p, session_row, &r, NULL, &rows);
	if (rc == STORE_OK && (!rows || r.now == TIME_NONE)) {
		engine_set_error(s, "the store's clock: no time read");
		rc = STORE_ERROR;
	}
	*now = r.now;
	*expires = rc == STORE_OK ? r.expires : TIME_NONE;
	return rc;
}

/*
 * The admin's expired sessions, and every one not among the newest
 * keep - 1: created at or before the keep-th newest (a derived table, so
 * MariaDB reads it before it deletes).
 */
static const struct engine_query Q_SESSION_PRUNE = {
	"DELETE FROM admin_sessions WHERE admin_name = ? AND (expires_at <= ? OR created_at <= "
	"(SELECT c FROM (SELECT created_at AS c FROM admin_sessions WHERE admin_name = ? "
	"ORDER BY created_at DESC LIMIT 1 OFFSET ?) AS kth))",
	"stsi", "" };

static const struct engine_query Q_SESSION_OPEN = {
	"INSERT INTO admin_sessions (id_hash, admin_name, created_at, expires_at) "
	"VALUES (?, ?, ?, ?)",
	"bstt", "" };

int store_admin_session_open(struct store *s, const unsigned char *id_hash, const char *name,
			     int64_t now, int64_t expires, unsigned keep)
{
	struct sqlv prune[] = { SV_STR(name), SV_TIME(now), SV_STR(name),
				SV_INT(keep ? keep - 1 : 0) };
	int rc = engine_run(s, &Q_SESSION_PRUNE, prune, NULL, NULL, NULL, NULL);
	if (rc)
		return rc;
	struct sqlv p[] = { SV_BIN(id_hash, ADMIN_SESSION_HASH_LEN), SV_STR(name), SV_TIME(now),
			    SV_TIME(expires) };
	return engine_run(s, &Q_SESSION_OPEN, p, NULL, NULL, NULL, NULL);
}

static const struct engine_query Q_SESSION_END = {
	"DELETE FROM admin_sessions WHERE id_hash = ?",
	"b", "" };

int store_admin_session_end(struct store *s, const unsigned char *id_hash)
{
	struct sqlv p[] = { SV_BIN(id_hash, ADMIN_SESSION_HASH_LEN) };
	return engine_run(s, &Q_SESSION_END, p, NULL, NULL, NULL, NULL);
}
