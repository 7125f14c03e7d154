#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "store/internal.h"
#include "base/banned.h"

/* API keys (hashes only, SECURITY.md) and the admin page's accounts. */

int keys_principal_row(void *ctx, const struct sqlcell *c)
{
	struct principal *p = ctx;
	p->key_id = c[0].i;
	if (auth_role_parse(c[1].s, &p->role) < 0)
		p->role = ROLE_CLIENT;
	engine_cell_copy(&c[2], p->owner, sizeof(p->owner));
	return 1;
}

/* Every request looks its key up afresh, so a revoke holds from the next one. */
/* With the store's clock: the request's `now` costs no statement of its own. */
static const struct engine_query Q_KEY_LOOKUP = {
	"SELECT id, role, owner, UTC_TIMESTAMP(6) FROM api_keys "
	"WHERE key_hash = ? AND revoked_at IS NULL",
	"b", "isst" };

struct key_lookup {
	struct principal *who;
	int64_t *now;
};

static int key_lookup_row(void *ctx, const struct sqlcell *c)
{
	struct key_lookup *k = ctx;
	if (k->now)
		*k->now = engine_cell_time(&c[3]);
	return keys_principal_row(k->who, c);
}

int store_key_lookup(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
		     struct principal *out, int64_t *now)
{
	struct sqlv p[] = { SV_BIN(hash, AUTH_HASH_LEN) };
	struct key_lookup k = { out, now };
	size_t rows;
	int rc = engine_run(s, &Q_KEY_LOOKUP, p, key_lookup_row, &k, NULL, &rows);
	if (rc)
		return rc;
	return rows ? STORE_OK : STORE_NOT_FOUND;
}

static const struct engine_query Q_KEY_INSERT = {
	"INSERT INTO api_keys (key_hash, prefix, role, owner, created_at) VALUES (?, ?, ?, ?, ?)",
	"bssst", "" };

int store_key_insert(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
		     const char *prefix, enum auth_role role, const char *owner,
		     int64_t now, long long *id)
{
	struct sqlv p[] = { SV_BIN(hash, AUTH_HASH_LEN), SV_STR(prefix),
			    SV_STR(auth_role_name(role)), SV_STR(owner), SV_TIME(now) };
	int rc = engine_run(s, &Q_KEY_INSERT, p, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK && id)
		*id = engine_insert_id(s, &Q_KEY_INSERT);
	return rc;
}

static const struct engine_query Q_KEY_LIST = {
	"SELECT id, prefix, role, owner, created_at, revoked_at FROM api_keys ORDER BY id",
	"", "issstt" };

static int key_list_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_key_row *) =
		(int (*)(void *, const struct store_key_row *))k->fn;
	struct store_key_row row = { .id = c[0].i };
	engine_cell_copy(&c[1], row.prefix, sizeof(row.prefix));
	if (auth_role_parse(c[2].s, &row.role) < 0)
		row.role = ROLE_CLIENT;
	engine_cell_copy(&c[3], row.owner, sizeof(row.owner));
	row.created_at = engine_cell_time(&c[4]);
	row.revoked_at = engine_cell_time(&c[5]);
	return fn(k->ctx, &row);
}

int store_key_list(struct store *s, int (*fn)(void *ctx, const struct store_key_row *row),
		   void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	return engine_run(s, &Q_KEY_LIST, NULL, key_list_row, &k, NULL, NULL);
}

static const struct engine_query Q_KEY_REVOKE = {
	"UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
	"ti", "" };
/* Why a revoke changed nothing: no such key, or revoked before. */
static const struct engine_query Q_KEY_STATE = {
	"SELECT revoked_at FROM api_keys WHERE id = ?",
	"i", "t" };

int store_key_revoke(struct store *s, long long id, int64_t now)
{
	struct sqlv p[] = { SV_TIME(now), SV_INT(id) };
	unsigned long long n = 0;
	int rc = engine_run(s, &Q_KEY_REVOKE, p, NULL, NULL, &n, NULL);
	if (rc || n)
		return rc;
	size_t rows;
	struct sqlv q[] = { SV_INT(id) };
	rc = engine_run(s, &Q_KEY_STATE, q, NULL, NULL, NULL, &rows);
	if (rc)
		return rc;
	return rows ? STORE_CONFLICT : STORE_NOT_FOUND;
}

/* ---- admin users ---- */

static const struct engine_query Q_ADMIN_SET = {
	"INSERT INTO admin_users (name, password_hash, created_at, updated_at) "
	"VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
	"password_hash = VALUES(password_hash), updated_at = VALUES(updated_at)",
	"sstt", "" };

int store_admin_user_set(struct store *s, const char *name, const char *password_hash,
			 int64_t now)
{
	struct sqlv p[] = { SV_STR(name), SV_STR(password_hash), SV_TIME(now), SV_TIME(now) };
	return engine_run(s, &Q_ADMIN_SET, p, NULL, NULL, NULL, NULL);
}

static const struct engine_query Q_ADMIN_GET = {
	"SELECT password_hash FROM admin_users WHERE name = ?",
	"s", "s" };

static int hash_row(void *ctx, const struct sqlcell *c)
{
	struct strbuf *sb = ctx;
	if (!c[0].null)
		strbuf_add(sb, c[0].s, c[0].len);
	return 1;
}

int store_admin_user_get(struct store *s, const char *name, char *hash, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	struct sqlv p[] = { SV_STR(name) };
	size_t rows = 0;
	int rc = engine_run(s, &Q_ADMIN_GET, p, hash_row, &sb, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	if (rc == STORE_OK && (sb.oom || sb.len >= size)) {
		engine_set_error(s, "admin password hash does not fit");
		rc = STORE_ERROR;
	}
	if (rc == STORE_OK)
		memcpy(hash, sb.buf, sb.len + 1);
	strbuf_release(&sb);
	return rc;
}

static const struct engine_query Q_ADMIN_LIST = {
	"SELECT name, created_at, updated_at FROM admin_users ORDER BY name",
	"", "stt" };

static int admin_list_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_admin_row *) =
		(int (*)(void *, const struct store_admin_row *))k->fn;
	struct store_admin_row row;
	engine_cell_copy(&c[0], row.name, sizeof(row.name));
	row.created_at = engine_cell_time(&c[1]);
	row.updated_at = engine_cell_time(&c[2]);
	return fn(k->ctx, &row);
}

int store_admin_user_list(struct store *s,
			  int (*fn)(void *ctx, const struct store_admin_row *row), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	return engine_run(s, &Q_ADMIN_LIST, NULL, admin_list_row, &k, NULL, NULL);
}

static const struct engine_query Q_ADMIN_DELETE = {
	"DELETE FROM admin_users WHERE name = ?",
	"s", "" };

int store_admin_user_delete(struct store *s, const char *name)
{
	struct sqlv p[] = { SV_STR(name) };
	unsigned long long n = 0;
	int rc = engine_run(s, &Q_ADMIN_DELETE, p, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && !n)
		rc = STORE_NOT_FOUND;
	return rc;
}
