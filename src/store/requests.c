#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

/* A client's requests: create, read, poll, list, cancel. */

static const struct engine_query Q_REQ_INSERT = {
	"INSERT INTO generation_requests (id, owner, entity_type, subject_key, status, "
	"requested_count, version, requested_at, updated_at, constraints_json, metadata_json, "
	"status_token_hash, status_token_expires_at, webhook, priority, vtime) "
	"VALUES (?, ?, ?, ?, 'pending', ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	"bsssittssbtsii", "" };
/* The owner's active request for a subject: the generated column active_subject
 * is set only while pending or processing, and unique. */
static const struct engine_query Q_ACTIVE_SUBJECT = {
	"SELECT id FROM generation_requests "
	"WHERE owner = ? AND entity_type = ? AND active_subject = ?",
	"sss", "b" };

/*
 * Fair share across owners (sql/021, README "Claim order"): each request
 * takes a tag at create, and claims take the lowest tag within a priority.
 * The tag is the owner's highest tag pending in the type and priority
 * (ix_fair_owner) plus its stride, 720720 / weight (1 without a row); an
 * owner with nothing pending there starts at the queue's virtual time, the
 * lowest tag pending (ix_fair_tag), or 0 in an empty queue. An owner's own
 * pending tags are never below the virtual time, so the second lookup runs
 * only when the first finds nothing (COALESCE stops at the first value).
 * One statement, no lock, nothing per owner written: an owner's concurrent
 * creates do not wait on each other (two of them may take the same tag: the
 * claim's order then falls back to the older). Unless the owner has a
 * pending limit: its creates then pass its gate one at a time
 * (pending_gate). The same statement reads the owner's own limit (sql/022),
 * so an owner without one pays no second round trip.
 */
static const struct engine_query Q_SHARE_TAG = {
	"SELECT COALESCE("
	"(SELECT MAX(o.vtime) FROM generation_requests o FORCE INDEX (ix_fair_owner) "
	"WHERE o.status = 'pending' AND o.entity_type = ? AND o.priority = ? AND o.owner = ?) "
	"+ 720720 DIV COALESCE((SELECT LEAST(GREATEST(w.weight, 1), 100) FROM owner_weights w "
	"WHERE w.owner = ?), 1), "
	"(SELECT q.vtime FROM generation_requests q FORCE INDEX (ix_fair_tag) "
	"WHERE q.status = 'pending' AND q.entity_type = ? AND q.priority = ? "
	"ORDER BY q.vtime LIMIT 1), 0), "
	"(SELECT l.max_pending FROM owner_limits l WHERE l.owner = ?)",
	"sisssis", "ii" };
/* The owner's own pending limit alone, when fair share is off. */
static const struct engine_query Q_PENDING_LIMIT = {
	"SELECT max_pending FROM owner_limits WHERE owner = ?", "s", "i" };

/* What a create reads before it writes: its tag, the owner's pending limit. */
struct create_reads {
	struct store *s;
	long long tag;
	long long max_pending;  /* effective: 0 = no limit */
};

static int share_tag_fn(void *ctx, const struct sqlcell *c)
{
	struct create_reads *cr = ctx;
	cr->tag = c[0].null ? 0 : c[0].i;
	cr->max_pending = limits_effective(cr->s, &c[1], 0);
	return 1;
}

static int pending_limit_fn(void *ctx, const struct sqlcell *c)
{
	struct create_reads *cr = ctx;
	cr->max_pending = limits_effective(cr->s, &c[0], 0);
	return 1;
}

/*
 * The tag of the owner's new request (0 for every request when fair share
 * is off) and the owner's pending limit (its own, in the same round trip,
 * else the configuration's), inside the create's transaction.
 */
static int share_take(struct store *s, const struct gen_request *r, struct create_reads *cr)
{
	cr->tag = 0;
	cr->max_pending = limits_effective(s, NULL, 0);
	const struct config *cfg = engine_config(s);
	if (cfg && !cfg->claims_fair_share) {
		struct sqlv p[] = { SV_STR(r->owner) };
		return engine_run(s, &Q_PENDING_LIMIT, p, pending_limit_fn, cr, NULL, NULL);
	}
	struct sqlv p[] = { SV_STR(r->entity_type), SV_INT(r->priority), SV_STR(r->owner),
			    SV_STR(r->owner), SV_STR(r->entity_type), SV_INT(r->priority),
			    SV_STR(r->owner) };
	return engine_run(s, &Q_SHARE_TAG, p, share_tag_fn, cr, NULL, NULL);
}

/*
 * The owner's pending limit (README "Per-owner limits"): with one, the
 * create passes the owner's gate, then counts (store/limits.c). STORE_LIMIT
 * at the limit: the caller rolls back, nothing written.
 */
static int pending_gate(struct store *s, const struct gen_request *r, long long max_pending)
{
	return limits_check(s, r->owner, "pending", max_pending);
}

/* The row, its creation event and the idempotency replay, or nothing. */
static int create_txn(struct store *s, const struct gen_request *r, const char *actor,
		      const struct store_idem *idem, const char *response_body)
{
	struct create_reads cr = { s, 0, 0 };
	struct sqlv ins[] = {
		SV_UUID(&r->id), SV_STR(r->owner), SV_STR(r->entity_type),
		SV_BIN(r->subject_key, r->subject_key_len), SV_INT(r->requested_count),
		SV_TIME(r->requested_at), SV_TIME(r->updated_at),
		SV_STR(r->constraints_json), SV_STR(r->metadata_json),
		r->status_token_expires_at == TIME_NONE
			? SV_BIN(NULL, 0)
			: SV_BIN(r->status_token_hash, sizeof(r->status_token_hash)),
		SV_TIME(r->status_token_expires_at),
		SV_STR(r->webhook[0] ? r->webhook : NULL), SV_INT(r->priority), SV_INT(0),
	};
	int rc = engine_begin(s);
	if (rc)
		return rc;
	rc = share_take(s, r, &cr);
	ins[13] = SV_INT(cr.tag);
	if (rc == STORE_OK)
		rc = pending_gate(s, r, cr.max_pending);
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_REQ_INSERT, ins, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK)
		rc = events_insert(s, &r->id, r->requested_at, actor, NULL, "pending", NULL);
	if (rc == STORE_OK && idem)
		rc = idem_finish(s, idem, &r->id, response_body);
	return engine_finish(s, rc);
}

int store_request_create(struct store *s, const struct gen_request *r, const char *actor,
			 const struct store_idem *idem, const char *response_body,
			 struct uuid *existing)
{
	struct retry again = RETRY_INIT("create");
	int rc;
	/* Two nodes creating one subject at once: the loser's rerun meets the
	 * winner's row as a duplicate, the 409 a single server gives. */
	do
		rc = create_txn(s, r, actor, idem, response_body);
	while (retry_again(s, &again, rc));
	if (rc == STORE_DUPLICATE && r->subject_key) {
		struct sqlv q[] = { SV_STR(r->owner), SV_STR(r->entity_type),
				    SV_BIN(r->subject_key, r->subject_key_len) };
		size_t rows;
		memset(existing, 0, sizeof(*existing));
		int rc2 = engine_run(s, &Q_ACTIVE_SUBJECT, q, rows_uuid, existing, NULL, &rows);
		if (rc2)
			return rc2;
		/* It finished between our insert and this read: the client may retry. */
		if (!rows)
			return STORE_CONFLICT;
	}
	return rc;
}

static const struct engine_query Q_REQ_GET = {
	"SELECT " REQ_COLUMNS " FROM generation_requests WHERE id = ? AND (? IS NULL OR owner = ?)",
	"bss", REQ_TYPES };

int store_request_get(struct store *s, const struct uuid *id, const char *owner,
		      struct gen_request *out)
{
	struct sqlv p[] = { SV_UUID(id), SV_STR(owner), SV_STR(owner) };
	struct rows_one o = { out, 0 };
	size_t rows;
	int rc = engine_run_causal(s, &Q_REQ_GET, p, rows_one_request, &o, NULL, &rows);
	if (rc)
		return rc;
	if (o.failed)
		return engine_oom(s);
	return rows ? STORE_OK : STORE_NOT_FOUND;
}

/* The token's request, while the token is valid, and the store's clock. */
static const struct engine_query Q_TOKEN_LOOKUP = {
	"SELECT id, owner, UTC_TIMESTAMP(6) FROM generation_requests "
	"WHERE status_token_hash = ? AND status_token_expires_at > UTC_TIMESTAMP(6)",
	"b", "bst" };

struct token_row {
	struct principal *who;
	int64_t *now;
};

static int token_row_fn(void *ctx, const struct sqlcell *c)
{
	struct token_row *t = ctx;
	engine_cell_uuid(&c[0], &t->who->token_request);
	engine_cell_copy(&c[1], t->who->owner, sizeof(t->who->owner));
	if (t->now)
		*t->now = engine_cell_time(&c[2]);
	return 0;
}

int store_status_token_lookup(struct store *s, const unsigned char hash[AUTH_HASH_LEN],
			      struct principal *out, int64_t *now)
{
	struct sqlv p[] = { SV_BIN(hash, AUTH_HASH_LEN) };
	struct token_row t = { out, now };
	size_t rows = 0;
	memset(out, 0, sizeof(*out));
	out->role = ROLE_STATUS_TOKEN;
	int rc = engine_run_causal(s, &Q_TOKEN_LOOKUP, p, token_row_fn, &t, NULL, &rows);
	if (rc)
		return rc;
	return rows ? STORE_OK : STORE_NOT_FOUND;
}

static const struct engine_query Q_ENTITIES = {
	"SELECT idx, entity_json FROM generation_entities "
	"WHERE request_id = ? AND status = 'generated' ORDER BY idx",
	"b", "is" };

int store_request_entities(struct store *s, const struct uuid *id,
			   struct gen_entity_list *out)
{
	struct sqlv p[] = { SV_UUID(id) };
	size_t before = out->count, rows;
	int rc = engine_run_causal(s, &Q_ENTITIES, p, rows_entity, out, NULL, &rows);
	if (rc == STORE_OK && out->count - before != rows)
		return engine_oom(s);
	return rc;
}

/* The same request columns, qualified for joins on a table aliased r. */
#define POLL_REQ_COLUMNS \
	"r.id, r.owner, r.entity_type, r.subject_key, r.status, r.requested_count, " \
	"r.generated_count, r.failed_count, r.attempt, r.version, r.worker_id, " \
	"r.lease_expires_at, r.requested_at, r.started_at, r.completed_at, r.cancelled_at, " \
	"r.updated_at, r.failure_reason, r.error_message, r.constraints_json, r.metadata_json, " \
	"r.webhook, r.priority"
/*
 * A status poll in one round trip, on two rows: the key (found by its hash,
 * not revoked), the request if the key's owner owns it, and its generated
 * entities as the row keeps them, one JSON array in index order (sql/010).
 * The entities used to be a join (one row each, ordered in C): the third
 * table was most of what a poll cost the server.
 *
 * Both rows by their unique key, forced: the plan is the one MariaDB picks
 * anyway (two const tables), but `r.owner = k.owner` makes every index that
 * starts with owner (five of them) a candidate the optimizer weighs, and
 * sorts, at every execution: 15-20 % of the server's CPU per poll (bench/
 * RESULTS.md, "Poll path: where the time goes").
 */
#define POLL_FROM \
	"FROM api_keys k FORCE INDEX (uq_key_hash) " \
	"LEFT JOIN generation_requests r FORCE INDEX (PRIMARY) ON r.id = ? AND r.owner = k.owner " \
	"WHERE k.key_hash = ? AND k.revoked_at IS NULL"
static const struct engine_query Q_POLL = {
	"SELECT UTC_TIMESTAMP(6), k.id, k.role, k.owner, " POLL_REQ_COLUMNS ", r.entities_json "
	POLL_FROM,
	"bb", "tiss" REQ_TYPES "s" };
/*
 * The same for a poller that names a version (If-None-Match: a 304, mostly),
 * with only what a 304 needs: the ETag's version, what the lazy timeout check
 * decides on, what Retry-After counts. No text column: the server copies no
 * BLOB out of the row (in a LEFT JOIN it reads every column it names, IF()
 * or not), sends a third of the bytes, and the child copies no string.
 */
static const struct engine_query Q_POLL_HEAD = {
	"SELECT UTC_TIMESTAMP(6), k.id, k.role, k.owner, r.id, r.entity_type, r.status, "
	"r.requested_count, r.generated_count, r.failed_count, r.attempt, r.version, "
	"r.lease_expires_at, r.requested_at, r.started_at "
	POLL_FROM,
	"bb", "tiss" "bssiiiiittt" };

struct poll_ctx {
	struct principal *who;
	enum store_poll_found *found;
	struct gen_request *out;
	struct gen_entity_list *entities;
	int64_t *now;
	int failed;
};

/* The store's clock and the key (3): NULL when the key's owner has no such
 * request, else what follows. One row: key hashes are unique. */
static const struct sqlcell *poll_key_cells(struct poll_ctx *p, const struct sqlcell *cells)
{
	const struct sqlcell *c = cells + 1;
	*p->now = engine_cell_time(&cells[0]);
	keys_principal_row(p->who, c);
	*p->found = POLL_NO_REQUEST;
	return c[3].null ? NULL : c + 3;
}

/* Q_POLL: the request (REQ_NCOLUMNS) and the entity array (NULL when not kept). */
static int poll_row(void *ctx, const struct sqlcell *cells)
{
	struct poll_ctx *p = ctx;
	const struct sqlcell *c = poll_key_cells(p, cells);
	if (!c)
		return 1;
	if (rows_read_request(c, p->out) < 0) {
		p->failed = 1;
		return 1;
	}
	*p->found = POLL_REQUEST;
	const struct sqlcell *arr = c + REQ_NCOLUMNS;
	if (!arr->null) {
		p->entities->array_json = engine_cell_dup(arr);
		p->entities->array_len = arr->len;
		p->failed = !p->entities->array_json;
	}
	return 1;
}

/* Q_POLL_HEAD: a 304's part of the request. */
static int poll_head_row(void *ctx, const struct sqlcell *cells)
{
	struct poll_ctx *p = ctx;
	const struct sqlcell *c = poll_key_cells(p, cells);
	struct gen_request *r = p->out;
	if (!c)
		return 1;
	*p->found = POLL_REQUEST;
	engine_cell_uuid(&c[0], &r->id);
	memcpy(r->owner, p->who->owner, sizeof(r->owner)); /* the join's condition */
	engine_cell_copy(&c[1], r->entity_type, sizeof(r->entity_type));
	r->status = rows_status(&c[2]);
	r->requested_count = (unsigned)c[3].i;
	r->generated_count = (unsigned)c[4].i;
	r->failed_count = (unsigned)c[5].i;
	r->attempt = (unsigned)c[6].i;
	r->version = (uint64_t)c[7].i;
	r->lease_expires_at = engine_cell_time(&c[8]);
	r->requested_at = engine_cell_time(&c[9]);
	r->started_at = engine_cell_time(&c[10]);
	return 1;
}

int store_poll(struct store *s, const unsigned char key_hash[AUTH_HASH_LEN],
	       const struct uuid *id, long long known_version, struct principal *who,
	       enum store_poll_found *found, struct gen_request *out,
	       struct gen_entity_list *entities, int64_t *now)
{
	struct sqlv p[] = { SV_UUID(id), SV_BIN(key_hash, AUTH_HASH_LEN) };
	struct poll_ctx ctx = { who, found, out, entities, now, 0 };
	int rc;
	*found = POLL_NO_KEY;
	*now = TIME_NONE;
	gen_request_init(out);
	if (known_version >= 0) {
		rc = engine_run_causal(s, &Q_POLL_HEAD, p, poll_head_row, &ctx, NULL, NULL);
		/* Unchanged (a 304), or no request to show: done. */
		if (rc || *found != POLL_REQUEST || out->version == (uint64_t)known_version)
			return rc;
		/* It moved on: the whole poll, key and all, as if no version were named. */
		*found = POLL_NO_KEY;
		gen_request_init(out);
	}
	rc = engine_run_causal(s, &Q_POLL, p, poll_row, &ctx, NULL, NULL);
	if (rc == STORE_OK && ctx.failed)
		rc = engine_oom(s);
	/* Not on the row (past ENTITIES_ROW_MAX): from the record. */
	if (rc == STORE_OK && *found == POLL_REQUEST && !entities->array_json)
		rc = store_request_entities(s, id, entities);
	if (rc) {
		gen_request_release(out);
		gen_entity_list_release(entities);
	}
	return rc;
}

/*
 * A list statement, [0], and its EXPLAIN, [1], so that a test sees the plan
 * of the very text and parameters a list runs with.
 */
#define LIST_QUERY(sql, params) \
	{ { sql, params, REQ_TYPES }, { "EXPLAIN " sql, params, EXPLAIN_TYPES } }

/*
 * A client's own requests, newest first (keyset on id). MariaDB drops the
 * "? IS NULL" of a filter given before it plans, so a subject, with or
 * without the other filters, is found by ix_owner_subject_id (owner,
 * subject_key, id: sql/006) rather than by walking the owner's rows.
 */
static const struct engine_query Q_LIST_ALL[2] = LIST_QUERY(
	"SELECT " REQ_COLUMNS " FROM generation_requests "
	"WHERE owner = ? AND (? IS NULL OR entity_type = ?) AND (? IS NULL OR subject_key = ?) "
	"AND (? < 0 OR priority = ?) AND id < ? ORDER BY id DESC LIMIT ?",
	"sssssiibi");
static const struct engine_query Q_LIST_STATUS[2] = LIST_QUERY(
	"SELECT " REQ_COLUMNS " FROM generation_requests "
	"WHERE owner = ? AND status = ? AND (? IS NULL OR entity_type = ?) "
	"AND (? IS NULL OR subject_key = ?) AND (? < 0 OR priority = ?) AND id < ? "
	"ORDER BY id DESC LIMIT ?",
	"ssssssiibi");
/* Every owner's, for operators; the subject filter is the clients' only. */
static const struct engine_query Q_OPS_LIST_ALL[2] = LIST_QUERY(
	"SELECT " REQ_COLUMNS " FROM generation_requests "
	"WHERE (? IS NULL OR entity_type = ?) AND (? < 0 OR priority = ?) AND id < ? "
	"ORDER BY id DESC LIMIT ?",
	"ssiibi");
static const struct engine_query Q_OPS_LIST_STATUS[2] = LIST_QUERY(
	"SELECT " REQ_COLUMNS " FROM generation_requests "
	"WHERE status = ? AND (? IS NULL OR entity_type = ?) AND (? < 0 OR priority = ?) "
	"AND id < ? ORDER BY id DESC LIMIT ?",
	"sssiibi");
/*
 * A status and a type: ix_status_type (status, entity_type, id) has them in
 * order, newest first. Left to itself, MariaDB 10.11 walked the primary key
 * from the newest request, counting on the LIMIT to stop it soon: 10,812
 * rows for 50 partial summaries at a million requests (bench/console.sh),
 * and every row for a pair with fewer than 50.
 */
static const struct engine_query Q_OPS_LIST_STATUS_TYPE[2] = LIST_QUERY(
	"SELECT " REQ_COLUMNS " FROM generation_requests FORCE INDEX (ix_status_type) "
	"WHERE status = ? AND entity_type = ? AND (? < 0 OR priority = ?) AND id < ? "
	"ORDER BY id DESC LIMIT ?",
	"ssiibi");

/* The list statement for f ([1]: its EXPLAIN) and its parameters (up to 10) into p.
 * A priority filter is a plain condition on the rows the index walk finds
 * (priority -1: none). */
static const struct engine_query *list_query(const struct store_list_filter *f,
					     const void *before, struct sqlv *p, int explain)
{
	const char *status = f->has_status ? lifecycle_status_name(f->status) : NULL;
	long long priority = f->has_priority ? (long long)f->priority : -1;
	size_t n = 0;

	if (!f->owner && f->has_status && f->entity_type) {
		p[0] = SV_STR(status);
		p[1] = SV_STR(f->entity_type);
		p[2] = SV_INT(priority);
		p[3] = SV_INT(priority);
		p[4] = SV_BIN(before, 16);
		p[5] = SV_INT(f->limit);
		return &Q_OPS_LIST_STATUS_TYPE[explain];
	}
	if (f->owner)
		p[n++] = SV_STR(f->owner);
	if (f->has_status)
		p[n++] = SV_STR(status);
	p[n++] = SV_STR(f->entity_type);
	p[n++] = SV_STR(f->entity_type);
	if (f->owner) {
		p[n++] = SV_STR(f->subject_key);
		p[n++] = SV_STR(f->subject_key);
	}
	p[n++] = SV_INT(priority);
	p[n++] = SV_INT(priority);
	p[n++] = SV_BIN(before, 16);
	p[n++] = SV_INT(f->limit);
	if (!f->owner)
		return f->has_status ? &Q_OPS_LIST_STATUS[explain] : &Q_OPS_LIST_ALL[explain];
	return f->has_status ? &Q_LIST_STATUS[explain] : &Q_LIST_ALL[explain];
}

static const unsigned char newest[16] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

int store_request_list(struct store *s, const struct store_list_filter *f,
		       int (*fn)(void *ctx, const struct gen_request *r), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[10];
	const struct engine_query *q = list_query(f, f->has_before ? f->before.b : newest, p, 0);
	int rc = engine_run(s, q, p, rows_request_sink, &k, NULL, NULL);
	return engine_sink_result(s, &k, rc);
}

int store_explain_list(struct store *s, const struct store_list_filter *f,
		       struct store_plan *out)
{
	struct sqlv p[10];
	const struct engine_query *q = list_query(f, f->has_before ? f->before.b : newest, p, 1);
	memset(out, 0, sizeof(*out));
	return engine_run(s, q, p, rows_plan, out, NULL, NULL);
}

/* A transition decided in C reads the row under its lock first. */
static const struct engine_query Q_REQ_LOCK = {
	"SELECT status, attempt, version, UTC_TIMESTAMP(6) FROM generation_requests "
	"WHERE id = ? AND (? IS NULL OR owner = ?) FOR UPDATE",
	"bss", "siit" };

static int locked_row(void *ctx, const struct sqlcell *c)
{
	struct requests_locked *l = ctx;
	l->status = rows_status(&c[0]);
	l->attempt = (unsigned)c[1].i;
	l->version = (uint64_t)c[2].i;
	l->now = engine_cell_time(&c[3]);
	return 1;
}

int requests_lock(struct store *s, const struct uuid *id, const char *owner,
		  struct requests_locked *out)
{
	struct sqlv p[] = { SV_UUID(id), SV_STR(owner), SV_STR(owner) };
	size_t rows = 0;
	int rc = engine_run(s, &Q_REQ_LOCK, p, locked_row, out, NULL, &rows);
	if (rc == STORE_OK && rows)
		engine_race_point(s, RACE_LOCKED);
	return rc == STORE_OK && !rows ? STORE_NOT_FOUND : rc;
}

/* Client or admin cancel: from the status, attempt and version read under the lock. */
static const struct engine_query Q_REQ_CANCEL = {
	"UPDATE generation_requests SET status = 'cancelled', cancelled_at = ?, updated_at = ?, "
	"lease_expires_at = NULL, version = version + 1 "
	"WHERE id = ? AND status = ? AND attempt = ? AND version = ?",
	"ttbsii", "" };

int requests_cancel_row(struct store *s, const struct uuid *id, const struct requests_locked *cur,
			unsigned long long *n)
{
	struct sqlv p[] = { SV_TIME(cur->now), SV_TIME(cur->now), SV_UUID(id),
			    SV_STR(lifecycle_status_name(cur->status)), SV_INT(cur->attempt),
			    SV_INT(cur->version) };
	return engine_run(s, &Q_REQ_CANCEL, p, NULL, NULL, n, NULL);
}

static int cancel_txn(struct store *s, const struct uuid *id, const char *owner,
		      const char *actor, const char *reason)
{
	struct requests_locked cur;
	unsigned long long n = 0;
	int rc = engine_begin_causal(s);
	if (rc)
		return rc;
	rc = requests_lock(s, id, owner, &cur);
	if (rc == STORE_OK && !lifecycle_can_transition(cur.status, GEN_CANCELLED, ACTOR_CLIENT))
		rc = STORE_CONFLICT;
	if (rc == STORE_OK) {
		rc = requests_cancel_row(s, id, &cur, &n);
		/* The row is locked, so the guard can only fail if the lock did not hold. */
		if (rc == STORE_OK && n != 1)
			rc = STORE_CONFLICT;
	}
	if (rc == STORE_OK)
		rc = events_insert(s, id, cur.now, actor, lifecycle_status_name(cur.status),
				   "cancelled", reason);
	return engine_finish(s, rc);
}

int store_request_cancel(struct store *s, const struct uuid *id, const char *owner,
			 const char *actor, const char *reason, struct gen_request *out)
{
	struct retry r = RETRY_INIT("cancel");
	int rc;
	do
		rc = cancel_txn(s, id, owner, actor, reason);
	while (retry_again(s, &r, rc));
	if (rc != STORE_OK && rc != STORE_CONFLICT)
		return rc;
	int rc2 = store_request_get(s, id, owner, out);
	return rc2 ? rc2 : rc;
}

/*
 * The head of a type's queue, oldest first, for Retry-After hints: the first
 * `cap` entries of ix_status_type (status, entity_type, id), forced. Left to
 * itself, a child's long-lived session was seen walking ix_type_id instead
 * (a type's every row in id order, its pending ones picked out): 414 index
 * entries read for 28 ids, where a new session read 27.
 */
static const struct engine_query Q_PENDING_HEAD = {
	"SELECT id FROM generation_requests FORCE INDEX (ix_status_type) "
	"WHERE status = 'pending' AND entity_type = ? ORDER BY id LIMIT ?",
	"si", "b" };

int store_pending_head(struct store *s, const char *entity_type, unsigned cap,
		       struct uuid *head, unsigned *count)
{
	struct sqlv p[] = { SV_STR(entity_type), SV_INT(cap) };
	struct rows_ids b = { head, 0, cap };
	int rc = engine_run(s, &Q_PENDING_HEAD, p, rows_uuid_batch, &b, NULL, NULL);
	*count = rc ? 0 : b.n;
	return rc;
}
