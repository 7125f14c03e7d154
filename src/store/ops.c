#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "base/utf8.h"
#include "store/internal.h"
#include "base/banned.h"

/* Operators' work: the admin transitions, stuck lists, bulk actions, prune. */

static enum gen_status admin_target(enum store_admin_action a)
{
	return a == ADMIN_FAIL ? GEN_FAILED : a == ADMIN_CANCEL ? GEN_CANCELLED : GEN_PENDING;
}

/* An operator's retry starts the request afresh (requested_at too, or the
 * reaper would fail an old one at once as never started); the entities
 * generated so far stay, the failed ones go (work_drop_failed). Its fair-share
 * tag goes to 0, the front of its priority, where oldest first put it
 * (sql/021: a tag from before the queue last emptied could be far behind). */
static const struct engine_query Q_ADMIN_RETRY = {
	"UPDATE generation_requests SET status = 'pending', worker_id = NULL, vtime = 0, "
	"lease_expires_at = NULL, lease_seconds = NULL, started_at = NULL, completed_at = NULL, "
	"cancelled_at = NULL, failure_reason = NULL, error_message = NULL, failed_count = 0, "
	"requested_at = ?, updated_at = ?, version = version + 1 "
	"WHERE id = ? AND status = ? AND attempt = ? AND version = ?",
	"ttbsii", "" };
/* An operator's "mark failed", from what was read under the lock. */
static const struct engine_query Q_ADMIN_FAIL = {
	"UPDATE generation_requests SET status = 'failed', completed_at = ?, updated_at = ?, "
	"lease_expires_at = NULL, failure_reason = ?, error_message = ?, version = version + 1 "
	"WHERE id = ? AND status = ? AND attempt = ? AND version = ?",
	"ttssbsii", "" };

static int fail_row(struct store *s, const struct uuid *id, const struct requests_locked *cur,
		      const char *reason, unsigned long long *n)
{
	struct sqlv p[] = { SV_TIME(cur->now), SV_TIME(cur->now),
			    SV_STR(lifecycle_failure_code(FAIL_OPERATOR)),
			    SV_STR(reason && *reason ? reason : "Marked failed by an operator"),
			    SV_UUID(id), SV_STR(lifecycle_status_name(cur->status)),
			    SV_INT(cur->attempt), SV_INT(cur->version) };
	return engine_run(s, &Q_ADMIN_FAIL, p, NULL, NULL, n, NULL);
}

/* The retry's event message: what the next claim will find. */
static void retry_message(const struct gen_request *r, const char *reason, char *out, size_t size)
{
	unsigned left = r->requested_count > r->generated_count
			? r->requested_count - r->generated_count : 0;
	utf8_snprintf(out, size, "%s%skeeps %u generated, %u remain", reason ? reason : "",
		      reason && *reason ? "; " : "", r->generated_count, left);
}

/* The retry's writes; *message becomes what the next claim will find. */
static int retry_row(struct store *s, const struct uuid *id, const struct requests_locked *cur,
		     const char *reason, unsigned long long *n,
		       struct gen_request *out, char *message, size_t size)
{
	struct sqlv p[] = { SV_TIME(cur->now), SV_TIME(cur->now), SV_UUID(id),
			    SV_STR(lifecycle_status_name(cur->status)), SV_INT(cur->attempt),
			    SV_INT(cur->version) };
	/* DUPLICATE here: the owner has another active request for this subject. */
	int rc = engine_run(s, &Q_ADMIN_RETRY, p, NULL, NULL, n, NULL);
	if (rc || *n != 1)
		return rc;
	rc = work_drop_failed(s, id);
	if (rc == STORE_OK)
		rc = store_request_get(s, id, NULL, out);
	if (rc == STORE_OK)
		retry_message(out, reason, message, size);
	return rc;
}

/* The transition under the row lock, its event, committed or rolled back. */
static int admin_txn(struct store *s, const struct uuid *id, enum store_admin_action action,
		     const char *actor, const char *reason, const enum gen_status *expect,
		     struct gen_request *out)
{
	enum gen_status to = admin_target(action);
	struct requests_locked cur;
	char message[EVENT_MESSAGE_MAX + 1];
	unsigned long long n = 0;

	int rc = engine_begin_causal(s);
	if (rc)
		return rc;
	rc = requests_lock(s, id, NULL, &cur);
	if (rc == STORE_OK && ((expect && *expect != cur.status) ||
			       !lifecycle_can_transition(cur.status, to, ACTOR_ADMIN)))
		rc = STORE_CONFLICT;
	utf8_snprintf(message, sizeof(message), "%s", reason ? reason : "");
	if (rc == STORE_OK && action == ADMIN_FAIL)
		rc = fail_row(s, id, &cur, reason, &n);
	else if (rc == STORE_OK && action == ADMIN_CANCEL)
		rc = requests_cancel_row(s, id, &cur, &n);
	else if (rc == STORE_OK)
		rc = retry_row(s, id, &cur, reason, &n, out, message, sizeof(message));
	if (rc == STORE_OK && n != 1)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK)
		rc = events_insert(s, id, cur.now, actor, lifecycle_status_name(cur.status),
				   lifecycle_status_name(to), *message ? message : NULL);
	return engine_finish(s, rc);
}

int store_admin_apply(struct store *s, const struct uuid *id, enum store_admin_action action,
		      const char *actor, const char *reason, const enum gen_status *expect,
		      struct gen_request *out)
{
	struct retry r = RETRY_INIT("admin");
	int rc;
	gen_request_init(out);
	do {
		/* A run that lost may have filled it (retry_row): start afresh. */
		gen_request_release(out);
		rc = admin_txn(s, id, action, actor, reason, expect, out);
	} while (retry_again(s, &r, rc));
	if (rc != STORE_OK && rc != STORE_CONFLICT && rc != STORE_DUPLICATE)
		return rc;
	gen_request_release(out);
	int rc2 = store_request_get(s, id, NULL, out);
	return rc2 ? rc2 : rc;
}

/* ---- bulk actions ---- */

static const struct engine_query Q_ACTION_INSERT = {
	"INSERT INTO admin_actions (action_id, actor, kind, created_at) VALUES (?, ?, ?, ?)",
	"ssst", "" };
static const struct engine_query Q_ACTION_GET = {
	"SELECT affected FROM admin_actions WHERE action_id = ?",
	"s", "i" };

/* affected, or -1 while the action runs (NULL). */
static int affected_row(void *ctx, const struct sqlcell *c)
{
	*(long long *)ctx = c[0].null ? -1 : c[0].i;
	return 1;
}

int store_action_begin(struct store *s, const char *action_id, const char *actor,
		       const char *kind, int64_t now, long long *affected)
{
	struct sqlv p[] = { SV_STR(action_id), SV_STR(actor), SV_STR(kind), SV_TIME(now) };
	int rc = engine_run(s, &Q_ACTION_INSERT, p, NULL, NULL, NULL, NULL);
	*affected = -1;
	if (rc != STORE_DUPLICATE)
		return rc;
	struct sqlv q[] = { SV_STR(action_id) };
	rc = engine_run(s, &Q_ACTION_GET, q, affected_row, affected, NULL, NULL);
	return rc ? rc : STORE_DUPLICATE;
}

static const struct engine_query Q_ACTION_FINISH = {
	"UPDATE admin_actions SET affected = ? WHERE action_id = ?",
	"is", "" };

int store_action_finish(struct store *s, const char *action_id, unsigned affected)
{
	struct sqlv p[] = { SV_INT(affected), SV_STR(action_id) };
	return engine_run(s, &Q_ACTION_FINISH, p, NULL, NULL, NULL, NULL);
}

/* ---- stuck requests ---- */

/*
 * The admin page's stuck requests (SPEC §3): processing past half of
 * stale_after or with an expired lease, pending past pending_timeout; each
 * also older than an age cutoff (bulk cancel), with optional type, status
 * and priority.
 */
#define STUCK_WHERE \
	"WHERE ((status = 'processing' AND (started_at < ? OR lease_expires_at < ?) " \
	"AND started_at < ?) OR (status = 'pending' AND requested_at < ? AND requested_at < ?)) " \
	"AND (? IS NULL OR entity_type = ?) AND (? IS NULL OR status = ?) " \
	"AND (? < 0 OR priority = ?) "
#define STUCK_TYPES "tttttssssii"
#define STUCK_PARAMS 11

static const struct engine_query Q_STUCK_LIST = {
	"SELECT " REQ_COLUMNS " FROM generation_requests " STUCK_WHERE "ORDER BY id LIMIT ?",
	STUCK_TYPES "i", REQ_TYPES };
static const struct engine_query Q_STUCK_COUNT = {
	"SELECT COUNT(*) FROM generation_requests " STUCK_WHERE,
	STUCK_TYPES, "i" };

/* The STUCK_WHERE parameters of f, in order (array of STUCK_PARAMS). */
static void stuck_params(const struct store_stuck_filter *f, struct sqlv *p)
{
	const char *status = f->has_status ? lifecycle_status_name(f->status) : NULL;
	p[0] = SV_TIME(f->processing_cutoff);
	p[1] = SV_TIME(f->as_of);
	p[2] = SV_TIME(f->age_cutoff);
	p[3] = SV_TIME(f->pending_cutoff);
	p[4] = SV_TIME(f->age_cutoff);
	p[5] = SV_STR(f->entity_type);
	p[6] = SV_STR(f->entity_type);
	p[7] = SV_STR(status);
	p[8] = SV_STR(status);
	p[9] = SV_INT(f->has_priority ? (long long)f->priority : -1);
	p[10] = SV_INT(f->has_priority ? (long long)f->priority : -1);
}

int store_stuck_list(struct store *s, const struct store_stuck_filter *f,
		     int (*fn)(void *ctx, const struct gen_request *r), void *ctx)
{
	struct sqlv p[STUCK_PARAMS + 1];
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	stuck_params(f, p);
	p[STUCK_PARAMS] = SV_INT(f->limit);
	int rc = engine_run(s, &Q_STUCK_LIST, p, rows_request_sink, &k, NULL, NULL);
	return engine_sink_result(s, &k, rc);
}

int store_stuck_count(struct store *s, const struct store_stuck_filter *f,
		      unsigned long long *count)
{
	struct sqlv p[STUCK_PARAMS];
	stuck_params(f, p);
	*count = 0;
	return engine_run(s, &Q_STUCK_COUNT, p, rows_u64, count, NULL, NULL);
}

/* ---- finished requests, for a bulk retry ---- */

#define FINISHED_WHERE \
	"WHERE status = ? AND entity_type = ? AND completed_at >= ? AND completed_at < ? " \
	"AND (? IS NULL OR failure_reason = ?) "
#define FINISHED_TYPES "ssttss"

static const struct engine_query Q_FINISHED_LIST = {
	"SELECT " REQ_COLUMNS " FROM generation_requests "
	FINISHED_WHERE "ORDER BY completed_at, id LIMIT ?",
	FINISHED_TYPES "i", REQ_TYPES };
/* The list's plan, so that a test sees it walk ix_status_type_completed. */
static const struct engine_query Q_FINISHED_EXPLAIN = {
	"EXPLAIN SELECT " REQ_COLUMNS " FROM generation_requests "
	FINISHED_WHERE "ORDER BY completed_at, id LIMIT ?",
	FINISHED_TYPES "i", EXPLAIN_TYPES };
static const struct engine_query Q_FINISHED_COUNT = {
	"SELECT COUNT(*) FROM generation_requests "
	FINISHED_WHERE,
	FINISHED_TYPES, "i" };

/* The FINISHED_WHERE parameters of f, in order (array of 6). */
static void finished_params(const struct store_finished_filter *f, struct sqlv *p)
{
	p[0] = SV_STR(lifecycle_status_name(f->status));
	p[1] = SV_STR(f->entity_type);
	p[2] = SV_TIME(f->after);
	p[3] = SV_TIME(f->before);
	p[4] = SV_STR(f->failure_reason);
	p[5] = SV_STR(f->failure_reason);
}

int store_finished_list(struct store *s, const struct store_finished_filter *f,
			int (*fn)(void *ctx, const struct gen_request *r), void *ctx)
{
	struct sqlv p[7];
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	finished_params(f, p);
	p[6] = SV_INT(f->limit);
	int rc = engine_run(s, &Q_FINISHED_LIST, p, rows_request_sink, &k, NULL, NULL);
	return engine_sink_result(s, &k, rc);
}

int store_explain_finished(struct store *s, const struct store_finished_filter *f,
			   struct store_plan *out)
{
	struct sqlv p[7];
	finished_params(f, p);
	p[6] = SV_INT(f->limit);
	memset(out, 0, sizeof(*out));
	return engine_run(s, &Q_FINISHED_EXPLAIN, p, rows_plan, out, NULL, NULL);
}

int store_finished_count(struct store *s, const struct store_finished_filter *f,
			 unsigned long long *count)
{
	struct sqlv p[6];
	finished_params(f, p);
	*count = 0;
	return engine_run(s, &Q_FINISHED_COUNT, p, rows_u64, count, NULL, NULL);
}

/* ---- prune ---- */

static const struct engine_query Q_PRUNE_PICK = {
	"SELECT id FROM generation_requests "
	"WHERE status IN ('completed', 'partial', 'failed', 'cancelled') AND updated_at < ? "
	"LIMIT ?",
	"ti", "b" };
static const struct engine_query Q_PRUNE_IDEM_OF = {
	"DELETE FROM idempotency_keys WHERE request_id = ?",
	"b", "" };
/* Entities and events go with it (ON DELETE CASCADE). */
static const struct engine_query Q_PRUNE_REQUEST = {
	"DELETE FROM generation_requests WHERE id = ? "
	"AND status IN ('completed', 'partial', 'failed', 'cancelled')",
	"b", "" };

/* Deletes the n picked requests (those still finished), all or none. */
static int prune_txn(struct store *s, const struct uuid *ids, unsigned n_ids, unsigned *deleted)
{
	*deleted = 0;
	int rc = engine_begin(s);
	for (unsigned i = 0; rc == STORE_OK && i < n_ids; i++) {
		struct sqlv p[] = { SV_UUID(&ids[i]) };
		unsigned long long n = 0;
		rc = engine_run(s, &Q_PRUNE_IDEM_OF, p, NULL, NULL, NULL, NULL);
		if (rc == STORE_OK)
			rc = metrics_on_prune(s, &ids[i]);
		if (rc == STORE_OK)
			rc = engine_run(s, &Q_PRUNE_REQUEST, p, NULL, NULL, &n, NULL);
		*deleted += (unsigned)n;
	}
	if (rc == STORE_OK)
		rc = engine_commit(s);
	else
		engine_rollback(s);
	/* A commit that failed deleted nothing either. */
	if (rc)
		*deleted = 0;
	return rc;
}

int store_prune_batch(struct store *s, int64_t cutoff, unsigned limit, int dry_run,
		      unsigned *deleted)
{
	struct uuid ids[STORE_STALE_BATCH];
	struct rows_ids b = { ids, 0, STORE_STALE_BATCH };
	*deleted = 0;
	if (limit > STORE_STALE_BATCH)
		limit = STORE_STALE_BATCH;
	struct sqlv pick[] = { SV_TIME(cutoff), SV_INT(limit) };
	int rc = engine_run(s, &Q_PRUNE_PICK, pick, rows_uuid_batch, &b, NULL, NULL);
	if (rc || dry_run || !b.n) {
		*deleted = b.n;
		return rc;
	}
	struct retry r = RETRY_INIT("prune");
	do
		rc = prune_txn(s, ids, b.n, deleted);
	while (retry_again(s, &r, rc));
	return rc;
}

/* Runs q, a "DELETE ... WHERE time < ? LIMIT ?": up to limit rows older than cutoff. */
static int delete_older(struct store *s, const struct engine_query *q, int64_t cutoff,
			unsigned limit, unsigned *deleted)
{
	struct sqlv p[] = { SV_TIME(cutoff), SV_INT(limit) };
	unsigned long long n = 0;
	int rc = engine_run(s, q, p, NULL, NULL, &n, NULL);
	*deleted = (unsigned)n;
	return rc;
}

static const struct engine_query Q_PRUNE_IDEM_OLD = {
	"DELETE FROM idempotency_keys WHERE created_at < ? LIMIT ?",
	"ti", "" };

int store_prune_idempotency(struct store *s, int64_t cutoff, unsigned limit, unsigned *deleted)
{
	return delete_older(s, &Q_PRUNE_IDEM_OLD, cutoff, limit, deleted);
}

static const struct engine_query Q_PRUNE_WORKERS = {
	"DELETE FROM workers_seen WHERE last_seen < ? LIMIT ?",
	"ti", "" };

int store_prune_workers(struct store *s, int64_t cutoff, unsigned limit, unsigned *deleted)
{
	return delete_older(s, &Q_PRUNE_WORKERS, cutoff, limit, deleted);
}
