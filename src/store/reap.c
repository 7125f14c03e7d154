#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/internal.h"
#include "base/banned.h"

/*
 * The timeout transitions of SPEC §2: the reaper's stale rows, and the one
 * write that both the reaper (ops/reaper.c) and a client's status read make
 * when lifecycle_decide_timeout() says a request's time is up.
 */

#define STALE_COLUMNS \
	"id, status, attempt, version, requested_at, started_at, lease_expires_at, owner, " \
	"entity_type"
#define STALE_TYPES "bsiitttss"
#define SQL_STALE_LEASE \
	"SELECT " STALE_COLUMNS " FROM generation_requests " \
	"WHERE status = 'processing' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?"
#define SQL_STALE_RUNTIME \
	"SELECT " STALE_COLUMNS " FROM generation_requests " \
	"WHERE status = 'processing' AND started_at < ? ORDER BY started_at LIMIT ?"
/*
 * A paused queue's requests wait for the resume, not for pending_timeout:
 * none is due while its type is paused, and after the resume the wait
 * counts from the resume (README "Pausing a queue"): a request is due when
 * both its request and its type's last resume are before the cutoff. Each
 * check is one primary-key or index lookup in a small table.
 */
#define SQL_NOT_PAUSED_SINCE \
	"NOT EXISTS (SELECT 1 FROM queue_pauses p " \
	"WHERE p.entity_type = generation_requests.entity_type) " \
	"AND NOT EXISTS (SELECT 1 FROM queue_events q " \
	"WHERE q.entity_type = generation_requests.entity_type AND q.action = 'resume' " \
	"AND q.at >= ?) "
#define SQL_STALE_PENDING \
	"SELECT " STALE_COLUMNS " FROM generation_requests " \
	"WHERE status = 'pending' AND requested_at < ? AND " SQL_NOT_PAUSED_SINCE \
	"ORDER BY requested_at LIMIT ?"

/* The reaper's three kinds of stale rows, each an index range scan
 * (status + deadline column), oldest deadline first. */
static const struct engine_query Q_STALE[] = {
	[STALE_LEASE] = { SQL_STALE_LEASE, "ti", STALE_TYPES },
	[STALE_RUNTIME] = { SQL_STALE_RUNTIME, "ti", STALE_TYPES },
	[STALE_PENDING] = { SQL_STALE_PENDING, "tti", STALE_TYPES },
};
/* The same, explained: the test suite checks they walk an index. */
static const struct engine_query Q_EXPLAIN[] = {
	[STALE_LEASE] = { "EXPLAIN " SQL_STALE_LEASE, "ti", EXPLAIN_TYPES },
	[STALE_RUNTIME] = { "EXPLAIN " SQL_STALE_RUNTIME, "ti", EXPLAIN_TYPES },
	[STALE_PENDING] = { "EXPLAIN " SQL_STALE_PENDING, "tti", EXPLAIN_TYPES },
};

/* The parameters of Q_STALE[kind] or Q_EXPLAIN[kind]; how many. */
static size_t stale_params(enum store_stale_kind kind, int64_t cutoff, unsigned limit,
			   struct sqlv p[3])
{
	size_t n = 0;
	p[n++] = SV_TIME(cutoff);
	if (kind == STALE_PENDING)
		p[n++] = SV_TIME(cutoff);
	p[n++] = SV_INT(limit);
	return n;
}

static int stale_row(void *ctx, const struct sqlcell *c)
{
	struct store_stale_batch *b = ctx;
	if (b->count >= STORE_STALE_BATCH)
		return 1;
	struct store_stale *r = &b->rows[b->count++];
	memset(r, 0, sizeof(*r));
	engine_cell_uuid(&c[0], &r->id);
	r->status = rows_status(&c[1]);
	r->attempt = (unsigned)c[2].i;
	r->version = (uint64_t)c[3].i;
	r->requested_at = engine_cell_time(&c[4]);
	r->started_at = engine_cell_time(&c[5]);
	r->lease_expires_at = engine_cell_time(&c[6]);
	engine_cell_copy(&c[7], r->owner, sizeof(r->owner));
	engine_cell_copy(&c[8], r->entity_type, sizeof(r->entity_type));
	return 0;
}

int store_stale_list(struct store *s, enum store_stale_kind kind, int64_t cutoff,
		     unsigned limit, struct store_stale_batch *out)
{
	if (limit > STORE_STALE_BATCH)
		limit = STORE_STALE_BATCH;
	out->count = 0;
	struct sqlv p[3];
	stale_params(kind, cutoff, limit, p);
	return engine_run(s, &Q_STALE[kind], p, stale_row, out, NULL, NULL);
}

int store_explain_stale(struct store *s, enum store_stale_kind kind, int64_t cutoff,
			struct store_plan *out)
{
	memset(out, 0, sizeof(*out));
	struct sqlv p[3];
	stale_params(kind, cutoff, STORE_STALE_BATCH, p);
	return engine_run(s, &Q_EXPLAIN[kind], p, rows_plan, out, NULL, NULL);
}

/*
 * Fenced on every fact the decision used: the status, attempt and version it
 * read, and the deadline itself. A request that completed, was cancelled,
 * retried, claimed again, got an entity or a heartbeat a moment before
 * matches no row, and the decider re-reads or gives up. The heartbeat moves
 * only the lease (not the version): the deadline in the WHERE is what sees it.
 *
 * Its fair-share tag goes to 0, the front of its priority, where oldest first
 * put it (sql/021).
 *
 * By the primary key, forced: with the deadline in the WHERE the optimizer
 * may walk (status, deadline) instead, locking that index entry before the
 * row; a worker holding the row and then moving its status or lease needs
 * that entry: a deadlock, whose victim was the worker's complete.
 */
static const struct engine_query Q_TIMEOUT_RETRY = {
	"UPDATE generation_requests FORCE INDEX (PRIMARY) SET status = 'pending', worker_id = NULL, "
	"vtime = 0, lease_expires_at = NULL, lease_seconds = NULL, updated_at = ?, "
	"version = version + 1 "
	"WHERE id = ? AND status = 'processing' AND attempt = ? AND version = ? "
	"AND lease_expires_at < ?",
	"tbiit", "" };
#define SQL_TIMEOUT_FAIL \
	"UPDATE generation_requests FORCE INDEX (PRIMARY) SET status = 'failed', " \
	"completed_at = ?, updated_at = ?, lease_expires_at = NULL, failure_reason = ?, " \
	"error_message = ?, version = version + 1 " \
	"WHERE id = ? AND attempt = ? AND version = ? AND "
#define TIMEOUT_FAIL_TYPES "ttssbiit"
/* The three failures, each with the deadline its reason compared. */
static const struct engine_query Q_TIMEOUT_FAIL_LEASE = {
	SQL_TIMEOUT_FAIL "status = 'processing' AND lease_expires_at < ?", TIMEOUT_FAIL_TYPES, "" };
static const struct engine_query Q_TIMEOUT_FAIL_RUNTIME = {
	SQL_TIMEOUT_FAIL "status = 'processing' AND started_at < ?", TIMEOUT_FAIL_TYPES, "" };
/* Fenced on the pause too: a pause or a resume since the decision read is
 * a fact it did not see (a status read decides without looking at pauses). */
static const struct engine_query Q_TIMEOUT_FAIL_PENDING = {
	SQL_TIMEOUT_FAIL "status = 'pending' AND requested_at < ? AND " SQL_NOT_PAUSED_SINCE,
	TIMEOUT_FAIL_TYPES "t", "" };

/* The write of t: one conditional UPDATE; *n rows matched. */
static int timeout_write(struct store *s, const struct store_timeout *t, unsigned long long *n)
{
	if (t->retry) {
		struct sqlv p[] = { SV_TIME(t->now), SV_UUID(t->id), SV_INT(t->attempt),
				    SV_INT(t->version), SV_TIME(t->cutoff) };
		return engine_run(s, &Q_TIMEOUT_RETRY, p, NULL, NULL, n, NULL);
	}
	const struct engine_query *q =
		t->reason == FAIL_LEASE_EXPIRED && t->from == GEN_PROCESSING ? &Q_TIMEOUT_FAIL_LEASE
		: t->reason == FAIL_MAX_RUNTIME && t->from == GEN_PROCESSING ? &Q_TIMEOUT_FAIL_RUNTIME
		: t->reason == FAIL_NEVER_STARTED && t->from == GEN_PENDING ? &Q_TIMEOUT_FAIL_PENDING
		: NULL;
	/* Any other pairing is no timeout the model decides: nothing to write. */
	if (!q)
		return STORE_OK;
	/* The last one only for Q_TIMEOUT_FAIL_PENDING: the resume's cutoff. */
	struct sqlv p[] = { SV_TIME(t->now), SV_TIME(t->now),
			    SV_STR(lifecycle_failure_code(t->reason)), SV_STR(t->message),
			    SV_UUID(t->id), SV_INT(t->attempt), SV_INT(t->version),
			    SV_TIME(t->cutoff), SV_TIME(t->cutoff) };
	return engine_run(s, q, p, NULL, NULL, n, NULL);
}

static int timeout_txn(struct store *s, const struct store_timeout *t, enum gen_status to)
{
	unsigned long long n = 0;
	int rc = engine_begin(s);
	if (rc)
		return rc;
	rc = timeout_write(s, t, &n);
	/* Someone else (a worker, a cancel, an operator, another reaper) got there first. */
	if (rc == STORE_OK && n != 1)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK)
		rc = events_insert(s, t->id, t->now, t->actor, lifecycle_status_name(t->from),
				   lifecycle_status_name(to), t->message);
	return engine_finish(s, rc);
}

/*
 * Run again after a conflict, the conditional UPDATE still fences on what
 * the decider saw: if the winner was another reaper (or a worker), the rerun
 * changes nothing and answers CONFLICT, so no request moves twice.
 */
int store_timeout_apply(struct store *s, const struct store_timeout *t)
{
	enum gen_status to = t->retry ? GEN_PENDING : GEN_FAILED;
	struct retry r = RETRY_INIT("reap");
	int rc;

	/* The SQL binds the status the decider saw: the model says which it may be. */
	if (!lifecycle_can_transition(t->from, to, ACTOR_REAPER))
		return STORE_CONFLICT;
	engine_race_point(s, RACE_TIMEOUT);
	do
		rc = timeout_txn(s, t, to);
	while (retry_again(s, &r, rc));
	return rc;
}

struct lifecycle_limits store_timeout_limits(const struct config *cfg)
{
	return (struct lifecycle_limits){
		.stale_after = cfg->stale_after,
		.pending_timeout = cfg->pending_timeout,
		.max_attempts = (unsigned)cfg->max_attempts,
	};
}

int store_timeout_reap(struct store *s, const struct store_stale *row,
		       const struct lifecycle_limits *l, int64_t now, int dry_run,
		       struct lifecycle_timeout *d)
{
	struct lifecycle_timing timing = {
		.status = row->status, .attempt = row->attempt,
		.requested_at = row->requested_at, .started_at = row->started_at,
		.lease_expires_at = row->lease_expires_at,
	};
	if (lifecycle_decide_timeout(&timing, l, now, d) == LC_NONE || dry_run)
		return STORE_OK;
	struct store_timeout t = {
		.id = &row->id, .from = row->status, .attempt = row->attempt,
		.version = row->version, .retry = d->action == LC_RETRY, .reason = d->reason,
		.cutoff = d->cutoff, .message = d->message, .actor = STORE_REAPER_ACTOR,
		.now = now,
	};
	return store_timeout_apply(s, &t);
}

int store_request_check_timeout(struct store *s, const struct config *cfg, int64_t now,
				struct gen_request *r, const char *owner)
{
	struct lifecycle_limits l = store_timeout_limits(cfg);
	struct store_stale row = {
		.id = r->id, .status = r->status, .attempt = r->attempt, .version = r->version,
		.requested_at = r->requested_at, .started_at = r->started_at,
		.lease_expires_at = r->lease_expires_at,
	};
	struct lifecycle_timeout d;

	if (lifecycle_is_terminal(r->status))
		return 0;
	int rc = store_timeout_reap(s, &row, &l, now, 0, &d);
	if (d.action == LC_NONE)
		return 0;
	/* A conflict means someone else moved it: the re-read shows what they did. */
	if (rc && rc != STORE_CONFLICT)
		return rc;
	if (rc == STORE_OK)
		log_info("request timed out on a status read: %s", d.message);
	gen_request_release(r);
	rc = store_request_get(s, &row.id, owner, r);
	return rc ? rc : 1;
}
