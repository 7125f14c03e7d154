#include "build_config.h"

#include <string.h>

#include "base/limits.h"
#include "store/internal.h"
#include "base/banned.h"

/*
 * Per-owner limits on pending and processing requests (sql/022, README
 * "Per-owner limits"): the owners' own (owner_limits), the gate a limited
 * create or claim passes before it counts (owner_gates), and the count.
 * The pending limit is checked at create (store/requests.c), the
 * processing one at claim (store/work.c).
 */

long long limits_effective(struct store *s, const struct sqlcell *own, int processing)
{
	if (own && !own->null)
		return own->i;
	const struct config *cfg = engine_config(s);
	if (!cfg)
		return 0;
	return processing ? cfg->max_processing_per_owner : cfg->max_pending_per_owner;
}

/*
 * A write, not a locking read: it serialises the owner's limited creates
 * and claims through their commits here, and on Galera two nodes' writes of
 * the row conflict at certification (a FOR UPDATE is not replicated).
 */
static const struct engine_query Q_GATE = {
	"INSERT INTO owner_gates (owner, passes) VALUES (?, 1) "
	"ON DUPLICATE KEY UPDATE passes = passes + 1",
	"s", "" };

int limits_gate(struct store *s, const char *owner)
{
	struct sqlv p[] = { SV_STR(owner) };
	return engine_run(s, &Q_GATE, p, NULL, NULL, NULL, NULL);
}

/* Bounded: an owner with a million pending costs a limit's worth of index
 * entries, not a million. */
static const struct engine_query Q_OWNER_COUNT = {
	"SELECT COUNT(*) FROM (SELECT 1 FROM generation_requests FORCE INDEX (ix_owner_status) "
	"WHERE owner = ? AND status = ? LIMIT ?) t",
	"ssi", "i" };

int limits_check(struct store *s, const char *owner, const char *status, long long limit)
{
	unsigned long long n = 0;
	if (limit <= 0)
		return STORE_OK;
	int rc = limits_gate(s, owner);
	if (rc)
		return rc;
	/* READ COMMITTED: this read, after the gate, sees what the owner's
	 * create or claim that held the gate before us committed. */
	struct sqlv p[] = { SV_STR(owner), SV_STR(status), SV_INT(limit) };
	rc = engine_run(s, &Q_OWNER_COUNT, p, rows_u64, &n, NULL, NULL);
	if (rc)
		return rc;
	return n >= (unsigned long long)limit ? STORE_LIMIT : STORE_OK;
}

/* ---- the owners' own limits ---- */

/* -1 stands for NULL (the configuration's): an 'i' parameter is never NULL. */
static const struct engine_query Q_LIMIT_SET = {
	"INSERT INTO owner_limits (owner, max_pending, max_processing, updated_at) "
	"VALUES (?, NULLIF(?, -1), NULLIF(?, -1), UTC_TIMESTAMP(6)) "
	"ON DUPLICATE KEY UPDATE "
	"max_pending = IF(?, VALUES(max_pending), max_pending), "
	"max_processing = IF(?, VALUES(max_processing), max_processing), "
	"updated_at = VALUES(updated_at)",
	"siiii", "" };
/* Both back to the configuration's: no row. */
static const struct engine_query Q_LIMIT_TIDY = {
	"DELETE FROM owner_limits WHERE owner = ? AND max_pending IS NULL "
	"AND max_processing IS NULL",
	"s", "" };

static long long change_value(enum store_limit_change c, long long v)
{
	return c == STORE_LIMIT_VALUE ? v : -1;
}

static int limit_set_txn(struct store *s, const char *owner,
			 enum store_limit_change pending, long long max_pending,
			 enum store_limit_change processing, long long max_processing)
{
	struct sqlv set[] = { SV_STR(owner), SV_INT(change_value(pending, max_pending)),
			      SV_INT(change_value(processing, max_processing)),
			      SV_INT(pending != STORE_LIMIT_KEEP),
			      SV_INT(processing != STORE_LIMIT_KEEP) };
	struct sqlv tidy[] = { SV_STR(owner) };
	int rc = engine_begin(s);
	if (rc)
		return rc;
	rc = engine_run(s, &Q_LIMIT_SET, set, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_LIMIT_TIDY, tidy, NULL, NULL, NULL, NULL);
	return engine_finish(s, rc);
}

static int value_ok(enum store_limit_change c, long long v)
{
	return c != STORE_LIMIT_VALUE || (v >= 0 && v <= OWNER_LIMIT_MAX);
}

int store_owner_limit_set(struct store *s, const char *owner,
			  enum store_limit_change pending, long long max_pending,
			  enum store_limit_change processing, long long max_processing)
{
	if (!value_ok(pending, max_pending) || !value_ok(processing, max_processing))
		return STORE_ERROR;
	struct retry r = RETRY_INIT("owner_limit");
	int rc;
	do
		rc = limit_set_txn(s, owner, pending, max_pending, processing, max_processing);
	while (retry_again(s, &r, rc));
	return rc;
}

/* Columns: max_pending, max_processing (NULL: the configuration's). */
static void limits_from_row(struct store *s, const struct sqlcell *c,
			    struct store_owner_limits *out)
{
	out->max_pending = limits_effective(s, &c[0], 0);
	out->max_processing = limits_effective(s, &c[1], 1);
	out->pending_own = !c[0].null;
	out->processing_own = !c[1].null;
}

static const struct engine_query Q_LIMIT_GET = {
	"SELECT max_pending, max_processing FROM owner_limits WHERE owner = ?", "s", "ii" };

struct limits_get_ctx {
	struct store *s;
	struct store_owner_limits *out;
};

static int limit_get_row(void *ctx, const struct sqlcell *c)
{
	struct limits_get_ctx *g = ctx;
	limits_from_row(g->s, c, g->out);
	return 1;
}

int store_owner_limits_get(struct store *s, const char *owner, struct store_owner_limits *out)
{
	static const struct sqlcell none = { .null = 1 };
	struct sqlv p[] = { SV_STR(owner) };
	struct limits_get_ctx g = { s, out };
	struct sqlcell nulls[2] = { none, none };

	limits_from_row(s, nulls, out);
	return engine_run(s, &Q_LIMIT_GET, p, limit_get_row, &g, NULL, NULL);
}

static const struct engine_query Q_LIMIT_LIST = {
	"SELECT owner, max_pending, max_processing FROM owner_limits ORDER BY owner", "", "sii" };

struct limit_sink {
	struct store *s;
	int (*fn)(void *ctx, const char *owner, const struct store_owner_limits *l);
	void *ctx;
};

static int limit_row(void *ctx, const struct sqlcell *c)
{
	struct limit_sink *k = ctx;
	struct store_owner_limits l;
	limits_from_row(k->s, c + 1, &l);
	return k->fn(k->ctx, c[0].s, &l);
}

int store_owner_limit_list(struct store *s,
			   int (*fn)(void *ctx, const char *owner,
				     const struct store_owner_limits *l), void *ctx)
{
	struct limit_sink k = { s, fn, ctx };
	return engine_run(s, &Q_LIMIT_LIST, NULL, limit_row, &k, NULL, NULL);
}
