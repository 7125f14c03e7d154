#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/utf8.h"
#include "store/internal.h"
#include "base/banned.h"

/* A worker's side: claim, lease (heartbeat), entities, complete. */

#define CLAIM_MAX_TYPES 8
/* Owners at their processing limit one claim passes over before it answers
 * no work (README "Per-owner limits"). */
#define CLAIM_MAX_SKIPPED 8

/*
 * The next pending request of up to 8 types: the highest priority, then the
 * lowest fair-share tag (vtime, given at create: store/requests.c,
 * share_take), then the oldest; SKIP LOCKED lets concurrent claims pass
 * each other instead of queueing on the same row. ix_claim (status,
 * priority DESC, vtime, id: sql/021) starts the walk at that row; left to
 * itself the optimizer scanned the primary key, reading (and locking) the
 * table's history.
 *
 * A paused type is skipped by this same statement (a primary-key lookup in
 * the small queue_pauses), so no claim whose pick starts after a pause
 * committed hands that type out. The subquery is a plain consistent read:
 * FOR UPDATE (and its SKIP LOCKED) locks the rows of the outer table only,
 * so a pause row another transaction holds is still seen, never skipped.
 * A claim whose pick ran before the pause committed keeps what it got: a
 * pause stops new claims, not the generations under way.
 *
 * The owner's own processing limit (sql/022) comes with the row, a
 * primary-key lookup in the small owner_limits: an owner without a limit
 * costs no second round trip (claim_gate).
 */
#define SQL_CLAIM_COLUMNS \
	"SELECT " REQ_COLUMNS ", UTC_TIMESTAMP(6), " \
	"(SELECT l.max_processing FROM owner_limits l WHERE l.owner = generation_requests.owner) " \
	"FROM generation_requests FORCE INDEX (ix_claim) "
#define SQL_CLAIM_WHERE \
	"WHERE status = 'pending' " \
	"AND entity_type IN (?, ?, ?, ?, ?, ?, ?, ?) " \
	"AND NOT EXISTS (SELECT 1 FROM queue_pauses p " \
	"WHERE p.entity_type = generation_requests.entity_type) "
#define SQL_CLAIM_ORDER "ORDER BY priority DESC, vtime, id LIMIT 1"
#define SQL_CLAIM_PICK SQL_CLAIM_COLUMNS SQL_CLAIM_WHERE SQL_CLAIM_ORDER
static const struct engine_query Q_CLAIM_PICK = {
	SQL_CLAIM_PICK " FOR UPDATE SKIP LOCKED", "ssssssss", REQ_TYPES "ti" };
/* The same, passing over the owners found at their processing limit in this
 * claim (unused slots ''; an owner is never empty). */
static const struct engine_query Q_CLAIM_PICK_SKIPPING = {
	SQL_CLAIM_COLUMNS SQL_CLAIM_WHERE "AND owner NOT IN (?, ?, ?, ?, ?, ?, ?, ?) "
	SQL_CLAIM_ORDER " FOR UPDATE SKIP LOCKED",
	"ssssssssssssssss", REQ_TYPES "ti" };
/* The same, explained: the test suite checks it walks the index. */
static const struct engine_query Q_CLAIM_EXPLAIN = {
	"EXPLAIN " SQL_CLAIM_PICK, "ssssssss", EXPLAIN_TYPES };
/* claim_applied() makes the same changes to the row read above; the row is
 * locked, and the version says so again. */
static const struct engine_query Q_CLAIM_SET = {
	"UPDATE generation_requests SET status = 'processing', attempt = attempt + 1, "
	"worker_id = ?, started_at = ?, lease_expires_at = ?, lease_seconds = ?, "
	"updated_at = ?, failed_count = 0, version = version + 1 "
	"WHERE id = ? AND status = 'pending' AND version = ?",
	"sttitbi", "" };
/* A new attempt makes the entities the last one failed. */
static const struct engine_query Q_DROP_FAILED = {
	"DELETE FROM generation_entities WHERE request_id = ? AND status = 'failed'",
	"b", "" };
static const struct engine_query Q_GENERATED_IDX = {
	"SELECT idx FROM generation_entities WHERE request_id = ? AND status = 'generated' "
	"ORDER BY idx",
	"b", "i" };

int work_drop_failed(struct store *s, const struct uuid *id)
{
	struct sqlv p[] = { SV_UUID(id) };
	return engine_run(s, &Q_DROP_FAILED, p, NULL, NULL, NULL, NULL);
}

static int indexes_row(void *ctx, const struct sqlcell *c)
{
	struct store_claimed *cl = ctx;
	unsigned idx = (unsigned)c[0].i;
	if (idx < cl->request.requested_count)
		cl->generated[idx / 8] |= (unsigned char)(1u << (idx % 8));
	return 0;
}

/*
 * The picked row as Q_CLAIM_SET leaves it, so the claim needs no second read
 * (tests/integration/test_claims.c compares it with one).
 */
static int claim_applied(struct gen_request *r, const struct store_claim *c, int64_t now,
			 int64_t expires)
{
	struct sqlcell worker = { .s = c->worker_id, .len = strlen(c->worker_id) };
	free(r->worker_id);
	if (!(r->worker_id = engine_cell_dup(&worker)))
		return -1;
	r->status = GEN_PROCESSING;
	r->attempt++;
	r->started_at = r->updated_at = now;
	r->lease_expires_at = expires;
	r->failed_count = 0;
	r->version++;
	return 0;
}

/* A REQ_COLUMNS row and the store's clock after it. */
struct picked_row {
	struct rows_one row;
	int64_t now;
};

static int picked_row_fn(void *ctx, const struct sqlcell *c)
{
	struct picked_row *p = ctx;
	p->now = engine_cell_time(&c[REQ_NCOLUMNS]);
	return rows_one_request(&p->row, c);
}

/* A claim's pick: the row, the clock, and the owner's processing limit. */
struct claim_pick {
	struct picked_row picked;
	struct store *s;
	long long max_processing;   /* effective: 0 = no limit */
};

static int claim_pick_fn(void *ctx, const struct sqlcell *c)
{
	struct claim_pick *p = ctx;
	p->max_processing = limits_effective(p->s, &c[REQ_NCOLUMNS + 1], 1);
	return picked_row_fn(&p->picked, c);
}

/* The owners a claim found at their processing limit, passed over by its
 * next pick. */
struct claim_skip {
	char owners[CLAIM_MAX_SKIPPED][OWNER_MAX + 1];
	unsigned n;
};

/* Unused slots repeat the first type: the statement has a fixed shape. */
static void claim_types(const char *const *types, size_t n, struct sqlv pick[CLAIM_MAX_TYPES])
{
	for (size_t k = 0; k < CLAIM_MAX_TYPES; k++)
		pick[k] = SV_STR(types[k < n ? k : 0]);
}

/* The pick, passing over the owners in skip when there are any. */
static int claim_pick(struct store *s, const struct store_claim *c,
		      const struct claim_skip *skip, struct claim_pick *p, size_t *rows)
{
	struct sqlv pick[CLAIM_MAX_TYPES + CLAIM_MAX_SKIPPED];
	claim_types(c->entity_types, c->n_types, pick);
	if (!skip->n)
		return engine_run(s, &Q_CLAIM_PICK, pick, claim_pick_fn, p, NULL, rows);
	for (unsigned k = 0; k < CLAIM_MAX_SKIPPED; k++)
		pick[CLAIM_MAX_TYPES + k] = SV_STR(k < skip->n ? skip->owners[k] : "");
	return engine_run(s, &Q_CLAIM_PICK_SKIPPING, pick, claim_pick_fn, p, NULL, rows);
}

/*
 * The owner's processing limit (README "Per-owner limits"): with one, the
 * claim passes the owner's gate, then counts its processing requests
 * (store/limits.c). At the limit: STORE_LIMIT, the owner added to skip; the
 * caller rolls back (the picked row stays pending) and picks again.
 */
static int claim_gate(struct store *s, const struct gen_request *r, long long max_processing,
		      struct claim_skip *skip)
{
	int rc = limits_check(s, r->owner, "processing", max_processing);
	if (rc == STORE_LIMIT && skip->n < CLAIM_MAX_SKIPPED)
		memcpy(skip->owners[skip->n++], r->owner, sizeof(skip->owners[0]));
	return rc;
}

/* Picks and takes the row into out->request, inside the caller's transaction;
 * *now: the store's clock the pick read, the claim's time. */
static int claim_take(struct store *s, const struct store_claim *c, struct store_claimed *out,
		      struct claim_skip *skip, int64_t *now)
{
	struct gen_request *r = &out->request;
	struct claim_pick p = { { { r, 0 }, TIME_NONE }, s, 0 };
	size_t rows = 0;

	int rc = claim_pick(s, c, skip, &p, &rows);
	if (rc == STORE_OK && !rows)
		return STORE_NOT_FOUND;
	if (rc == STORE_OK && p.picked.row.failed)
		return engine_oom(s);
	if (rc)
		return rc;
	engine_race_point(s, RACE_LOCKED);
	rc = claim_gate(s, r, p.max_processing, skip);
	if (rc)
		return rc;
	*now = p.picked.now;
	int64_t expires = *now + c->lease_seconds * US_PER_S;
	struct sqlv set[] = { SV_STR(c->worker_id), SV_TIME(*now), SV_TIME(expires),
			      SV_INT(c->lease_seconds), SV_TIME(*now), SV_UUID(&r->id),
			      SV_INT(r->version) };
	unsigned long long n = 0;
	rc = engine_run(s, &Q_CLAIM_SET, set, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && n != 1)
		return STORE_CONFLICT;
	if (rc == STORE_OK && claim_applied(r, c, *now, expires) < 0)
		return engine_oom(s);
	return rc;
}

/* Whether the claimed row is r as this claim left it: processing, this
 * worker, this attempt. */
static const struct engine_query Q_CLAIM_HELD = {
	"SELECT status = 'processing' AND worker_id = ? AND attempt = ? "
	"FROM generation_requests WHERE id = ?",
	"sib", "i" };

static int held_row(void *ctx, const struct sqlcell *c)
{
	*(int *)ctx = !c[0].null && c[0].i == 1;
	return 1;
}

/*
 * After a COMMIT whose answer was lost: whether it committed, by a causal
 * read (a node that replicated it before it went may be gone). 1 if so.
 */
static int claim_committed(struct store *s, const struct store_claim *c,
			   const struct gen_request *r)
{
	struct sqlv p[] = { SV_STR(c->worker_id), SV_INT(r->attempt), SV_UUID(&r->id) };
	int held = 0;
	if (engine_run_causal(s, &Q_CLAIM_HELD, p, held_row, &held, NULL, NULL) != STORE_OK)
		return 0;
	return held;
}

int store_explain_claim(struct store *s, const char *const *types, size_t n,
			struct store_plan *out)
{
	struct sqlv pick[CLAIM_MAX_TYPES];
	memset(out, 0, sizeof(*out));
	if (n < 1 || n > CLAIM_MAX_TYPES)
		return STORE_ERROR;
	claim_types(types, n, pick);
	return engine_run(s, &Q_CLAIM_EXPLAIN, pick, rows_plan, out, NULL, NULL);
}

/* One run of a claim: the pick, the take, its event, committed or nothing. */
static int claim_run(struct store *s, const struct store_claim *c, struct store_claimed *out,
		     struct claim_skip *skip)
{
	struct gen_request *r = &out->request;
	int64_t now = TIME_NONE;

	memset(out, 0, sizeof(*out));
	gen_request_init(r);
	if (c->n_types < 1 || c->n_types > CLAIM_MAX_TYPES)
		return STORE_ERROR;
	int rc = engine_begin(s);
	if (rc)
		return rc;
	rc = claim_take(s, c, out, skip, &now);
	/* Entities exist only from an earlier attempt: a first claim skips both. */
	if (rc == STORE_OK && r->attempt > 1)
		rc = work_drop_failed(s, &r->id);
	if (rc == STORE_OK) {
		char msg[64];
		snprintf(msg, sizeof(msg), "attempt %u", r->attempt);
		rc = events_insert(s, &r->id, now, c->actor, "pending", "processing", msg);
	}
	if (rc == STORE_OK) {
		out->generated = calloc(r->requested_count / 8 + 1, 1);
		if (!out->generated) {
			rc = engine_oom(s);
		} else if (r->generated_count > 0) {
			struct sqlv p[] = { SV_UUID(&r->id) };
			rc = engine_run(s, &Q_GENERATED_IDX, p, indexes_row, out, NULL, NULL);
		}
	}
	rc = engine_finish(s, rc);
	/* Its row may be ours all the same: then the claim answers OK, not a
	 * failure that leaves a row processing until its lease runs out. */
	if (rc == STORE_UNAVAILABLE && engine_commit_unknown(s) && claim_committed(s, c, r)) {
		log_warn("claim: the commit's answer was lost, but it committed");
		rc = STORE_OK;
	}
	if (rc)
		store_claimed_release(out);
	return rc;
}

/*
 * A claim: runs until one takes a row, or finds none. A run that met an
 * owner at its processing limit took nothing: the next passes that owner
 * over, up to CLAIM_MAX_SKIPPED owners; then no work.
 */
static int claim_txn(struct store *s, const struct store_claim *c, struct store_claimed *out)
{
	struct claim_skip skip;
	skip.n = 0;
	for (;;) {
		unsigned before = skip.n;
		int rc = claim_run(s, c, out, &skip);
		if (rc != STORE_LIMIT)
			return rc;
		/* A saturated owner past the list's room: no work this time. */
		if (skip.n == before)
			return STORE_NOT_FOUND;
	}
}

/*
 * A claim that lost its row to another node's (a certification conflict)
 * answers nothing from that run: it picks again, and its caller hears OK
 * only from a run whose commit certified.
 */
int store_claim_next(struct store *s, const struct store_claim *c, struct store_claimed *out)
{
	struct retry r = RETRY_INIT("claim");
	int rc;
	do
		rc = claim_txn(s, c, out);
	while (retry_again(s, &r, rc));
	return rc;
}

int store_claimed_is_generated(const struct store_claimed *cl, unsigned idx)
{
	return idx < cl->request.requested_count &&
	       (cl->generated[idx / 8] & (1u << (idx % 8)));
}

void store_claimed_release(struct store_claimed *cl)
{
	gen_request_release(&cl->request);
	free(cl->generated);
	cl->generated = NULL;
}

/* ---- the lease ---- */

static const struct engine_query Q_LEASE_LOCK = {
	"SELECT status, worker_id, attempt, requested_count, generated_count, failed_count, "
	"lease_seconds, UTC_TIMESTAMP(6) FROM generation_requests WHERE id = ? FOR UPDATE",
	"b", "ssiiiiit" };

/* The row behind a lease, read under its lock. */
struct lease_row {
	enum gen_status status;
	char worker_id[256];
	unsigned attempt;
	unsigned requested, generated, failed;
	long long lease_seconds;
	int64_t now;             /* the store's clock, read with the row */
};

static int lease_row_fn(void *ctx, const struct sqlcell *c)
{
	struct lease_row *l = ctx;
	l->status = rows_status(&c[0]);
	engine_cell_copy(&c[1], l->worker_id, sizeof(l->worker_id));
	l->attempt = (unsigned)c[2].i;
	l->requested = (unsigned)c[3].i;
	l->generated = (unsigned)c[4].i;
	l->failed = (unsigned)c[5].i;
	l->lease_seconds = c[6].null ? 0 : c[6].i;
	l->now = engine_cell_time(&c[7]);
	return 1;
}

/* Whether `lease` holds a row: processing, this worker, this attempt. A
 * worker always names its attempt (the API refuses a call without one). */
static int lease_holds(const struct store_lease *lease, enum gen_status status,
		       const char *worker_id, unsigned attempt)
{
	return status == GEN_PROCESSING && worker_id && !strcmp(worker_id, lease->worker_id) &&
	       lease->attempt && lease->attempt == attempt;
}

/*
 * The end of a lease's locking read (rc, and the rows it found): NOT_FOUND
 * without a row, CONFLICT when the row is not the lease's. On any failure the
 * transaction is rolled back; on OK it stays open and the race point fires.
 */
static int lease_locked(struct store *s, int rc, size_t rows, const struct store_lease *lease,
			enum gen_status status, const char *worker_id, unsigned attempt)
{
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	else if (rc == STORE_OK && !lease_holds(lease, status, worker_id, attempt))
		rc = STORE_CONFLICT;
	if (rc)
		engine_rollback(s);
	else
		engine_race_point(s, RACE_LOCKED);
	return rc;
}

/*
 * Opens a transaction and locks the request, checking that `lease` holds it:
 * processing, this worker, this attempt.
 * NOT_FOUND, CONFLICT (transaction already rolled back), or OK inside it.
 */
static int lease_lock(struct store *s, const struct uuid *id, const struct store_lease *lease,
		      struct lease_row *row)
{
	struct sqlv p[] = { SV_UUID(id) };
	size_t rows = 0;
	/* The claim may have been made through another node: see it first. */
	int rc = engine_begin_causal(s);
	if (rc)
		return rc;
	rc = engine_run(s, &Q_LEASE_LOCK, p, lease_row_fn, row, NULL, &rows);
	return lease_locked(s, rc, rows, lease, row->status, row->worker_id, row->attempt);
}

/* Under the lease's lock, fenced again on the holder: status, attempt, worker.
 * It moves the deadline only, not the version: a poller's ETag stays valid. */
static const struct engine_query Q_LEASE_EXTEND = {
	"UPDATE generation_requests SET lease_expires_at = ? "
	"WHERE id = ? AND status = 'processing' AND attempt = ? AND worker_id = ?",
	"tbis", "" };

static int lease_extend_txn(struct store *s, const struct uuid *id,
			    const struct store_lease *lease, long long lease_seconds,
			    int64_t *expires_at, long long *used_seconds)
{
	struct lease_row row;
	int rc = lease_lock(s, id, lease, &row);
	if (rc)
		return rc;
	long long secs = lease_seconds > 0 ? lease_seconds
			 : row.lease_seconds > 0 ? row.lease_seconds : 60;
	*expires_at = row.now + secs * US_PER_S;
	*used_seconds = secs;
	struct sqlv p[] = { SV_TIME(*expires_at), SV_UUID(id), SV_INT(row.attempt),
			    SV_STR(lease->worker_id) };
	unsigned long long n = 0;
	rc = engine_run(s, &Q_LEASE_EXTEND, p, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && n != 1)
		rc = STORE_CONFLICT;
	return engine_finish(s, rc);
}

int store_lease_extend(struct store *s, const struct uuid *id, const struct store_lease *lease,
		       long long lease_seconds, int64_t *expires_at, long long *used_seconds)
{
	struct retry r = RETRY_INIT("lease");
	int rc;
	do
		rc = lease_extend_txn(s, id, lease, lease_seconds, expires_at, used_seconds);
	while (retry_again(s, &r, rc));
	return rc;
}

/* ---- entities ---- */

static const struct engine_query Q_ENTITY_INSERT = {
	"INSERT INTO generation_entities (request_id, idx, status, entity_json, error, "
	"attempt, worker_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	"bisssist", "" };
/*
 * Under the lease's lock, fenced again on the holder. It also rebuilds the
 * row's entity array (sql/010) from the record, the row just inserted
 * included, so that the array is in index order whatever order the indexes
 * came in: at most requested_count rows by primary key. Rebuilt only while
 * the array, grown by this entity (the first ?: its length plus a comma),
 * stays within the second ? (ENTITIES_ROW_MAX); past it NULL, for good, as
 * generated entities are never removed while the row lives. The subquery
 * runs only when IF takes its branch: GROUP_CONCAT never sees more than
 * group_concat_max_len (a cut is an error in strict mode). The price: the
 * row's text rewritten at each entity (about 1.4-2x the server's CPU per
 * entity write, bench/RESULTS.md); appending in index order instead of
 * rebuilding measured the same, so the simpler statement stays.
 */
static const struct engine_query Q_COUNT_GENERATED = {
	"UPDATE generation_requests SET generated_count = generated_count + 1, "
	"updated_at = ?, version = version + 1, "
	"entities_json = IF(LENGTH(entities_json) + ? <= ?, "
	"(SELECT CONCAT('[', GROUP_CONCAT(e.entity_json ORDER BY e.idx SEPARATOR ','), ']') "
	"FROM generation_entities e "
	"WHERE e.request_id = generation_requests.id AND e.status = 'generated'), NULL) "
	"WHERE id = ? AND status = 'processing' AND attempt = ? AND worker_id = ?",
	"tiibis", "" };
static const struct engine_query Q_COUNT_FAILED = {
	"UPDATE generation_requests SET failed_count = failed_count + 1, "
	"updated_at = ?, version = version + 1 "
	"WHERE id = ? AND status = 'processing' AND attempt = ? AND worker_id = ?",
	"tbis", "" };

static int entity_txn(struct store *s, const struct uuid *id, const struct store_lease *lease,
		      const struct store_entity *e, struct store_entity_result *out)
{
	struct lease_row row;
	int rc = lease_lock(s, id, lease, &row);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	if (e->index >= row.requested) {
		engine_rollback(s);
		return STORE_INVALID;
	}
	struct sqlv ins[] = {
		SV_UUID(id), SV_INT(e->index), SV_STR(e->entity_json ? "generated" : "failed"),
		SV_STR(e->entity_json), SV_STR(e->entity_json ? NULL : e->error),
		SV_INT(row.attempt), SV_STR(lease->worker_id), SV_TIME(row.now),
	};
	rc = engine_run(s, &Q_ENTITY_INSERT, ins, NULL, NULL, NULL, NULL);
	out->generated_count = row.generated;
	out->failed_count = row.failed;
	if (rc == STORE_DUPLICATE) {
		/* The same index again: a retried report, nothing to change. */
		out->recorded = 0;
		return engine_commit(s);
	}
	if (rc == STORE_OK) {
		struct sqlv gen[] = { SV_TIME(row.now),
				      SV_INT(e->entity_json ? (long long)strlen(e->entity_json) + 1 : 0),
				      SV_INT(ENTITIES_ROW_MAX), SV_UUID(id), SV_INT(row.attempt),
				      SV_STR(lease->worker_id) };
		struct sqlv cnt[] = { SV_TIME(row.now), SV_UUID(id), SV_INT(row.attempt),
				      SV_STR(lease->worker_id) };
		unsigned long long n = 0;
		rc = e->entity_json ? engine_run(s, &Q_COUNT_GENERATED, gen, NULL, NULL, &n, NULL)
				    : engine_run(s, &Q_COUNT_FAILED, cnt, NULL, NULL, &n, NULL);
		if (rc == STORE_OK && n != 1)
			rc = STORE_CONFLICT;
		if (rc == STORE_OK)
			engine_note_change(s, id);
	}
	rc = engine_finish(s, rc);
	if (rc == STORE_OK) {
		out->recorded = 1;
		if (e->entity_json)
			out->generated_count++;
		else
			out->failed_count++;
	}
	return rc;
}

int store_entity_record(struct store *s, const struct uuid *id, const struct store_lease *lease,
			const struct store_entity *e, struct store_entity_result *out)
{
	struct retry r = RETRY_INIT("entity");
	int rc;
	do
		rc = entity_txn(s, id, lease, e, out);
	while (retry_again(s, &r, rc));
	return rc;
}

/* ---- complete ---- */

/* Completion locks the whole row: complete_applied() then stands in for a re-read. */
static const struct engine_query Q_COMPLETE_LOCK = {
	"SELECT " REQ_COLUMNS ", UTC_TIMESTAMP(6) FROM generation_requests WHERE id = ? FOR UPDATE",
	"b", REQ_TYPES "t" };
static const struct engine_query Q_LAST_ERROR = {
	"SELECT error FROM generation_entities WHERE request_id = ? AND status = 'failed' "
	"ORDER BY idx DESC LIMIT 1",
	"b", "s" };
static const struct engine_query Q_COMPLETE = {
	"UPDATE generation_requests SET status = ?, completed_at = ?, updated_at = ?, "
	"lease_expires_at = NULL, failure_reason = ?, error_message = ?, "
	"version = version + 1 WHERE id = ? AND status = 'processing' AND attempt = ? "
	"AND worker_id = ? AND version = ?",
	"sttssbisi", "" };

/* The row behind `lease`, locked into *out, inside a transaction left open
 * on OK; *now: the store's clock read with it. */
static int complete_lock(struct store *s, const struct uuid *id, const struct store_lease *lease,
			 struct gen_request *out, int64_t *now)
{
	struct sqlv lock[] = { SV_UUID(id) };
	struct picked_row locked = { { out, 0 }, TIME_NONE };
	size_t rows = 0;
	int rc = engine_begin_causal(s);
	if (rc)
		return rc;
	rc = engine_run(s, &Q_COMPLETE_LOCK, lock, picked_row_fn, &locked, NULL, &rows);
	if (rc == STORE_OK && rows && locked.row.failed)
		rc = engine_oom(s);
	*now = locked.now;
	return lease_locked(s, rc, rows, lease, out->status, out->worker_id, out->attempt);
}

/* The start of the last error; engine_cell_copy cuts it between characters,
 * or the half character left would fail the UPDATE of error_message. */
static int last_error_row(void *ctx, const struct sqlcell *c)
{
	engine_cell_copy(&c[0], ctx, COMPLETION_ERROR_QUOTE_MAX + 1);
	return 1;
}

/* Operators read this first: how many are missing, and the last generator error. */
static int completion_message(struct store *s, const struct gen_request *r, char *message,
			      size_t size)
{
	char last_error[COMPLETION_ERROR_QUOTE_MAX + 1] = "";
	struct sqlv p[] = { SV_UUID(&r->id) };
	int rc = engine_run(s, &Q_LAST_ERROR, p, last_error_row, last_error, NULL, NULL);
	unsigned missing = r->requested_count - r->generated_count;
	utf8_snprintf(message, size, "%u of %u entities not generated%s%s", missing,
		      r->requested_count, *last_error ? "; last error: " : "", last_error);
	return rc;
}

/* The locked row as Q_COMPLETE leaves it. 0, or -1 out of memory. */
static int complete_applied(struct gen_request *r, enum gen_status final, const char *reason,
			    const char *message, int64_t now)
{
	r->status = final;
	r->completed_at = r->updated_at = now;
	r->lease_expires_at = TIME_NONE;
	snprintf(r->failure_reason, sizeof(r->failure_reason), "%s", reason ? reason : "");
	free(r->error_message);
	r->error_message = NULL;
	if (message) {
		struct sqlcell m = { .s = message, .len = strlen(message) };
		if (!(r->error_message = engine_cell_dup(&m)))
			return -1;
	}
	r->version++;
	return 0;
}

static int complete_txn(struct store *s, const struct uuid *id, const struct store_lease *lease,
			const char *actor, struct gen_request *out)
{
	char message[EVENT_MESSAGE_MAX + 1] = "";
	int64_t now;

	gen_request_init(out);
	int rc = complete_lock(s, id, lease, out, &now);
	if (rc) {
		gen_request_release(out);
		return rc;
	}
	enum gen_status final = lifecycle_completion_status(out->generated_count,
							    out->requested_count);
	const char *reason = final == GEN_FAILED ? lifecycle_failure_code(FAIL_GENERATOR) : NULL;
	const char *msg = NULL;
	if (final != GEN_COMPLETED) {
		rc = completion_message(s, out, message, sizeof(message));
		msg = message;
	}
	if (rc == STORE_OK) {
		struct sqlv p[] = { SV_STR(lifecycle_status_name(final)), SV_TIME(now), SV_TIME(now),
				    SV_STR(reason), SV_STR(msg), SV_UUID(id), SV_INT(out->attempt),
				    SV_STR(lease->worker_id), SV_INT(out->version) };
		unsigned long long n = 0;
		rc = engine_run(s, &Q_COMPLETE, p, NULL, NULL, &n, NULL);
		if (rc == STORE_OK && n != 1)
			rc = STORE_CONFLICT;
	}
	if (rc == STORE_OK)
		rc = events_insert(s, id, now, actor, "processing", lifecycle_status_name(final), msg);
	if (rc == STORE_OK && complete_applied(out, final, reason, msg, now) < 0)
		rc = engine_oom(s);
	rc = engine_finish(s, rc);
	if (rc)
		gen_request_release(out);
	return rc;
}

int store_complete(struct store *s, const struct uuid *id, const struct store_lease *lease,
		   const char *actor, struct gen_request *out)
{
	struct retry r = RETRY_INIT("complete");
	int rc;
	do
		rc = complete_txn(s, id, lease, actor, out);
	while (retry_again(s, &r, rc));
	return rc;
}
