#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "store/internal.h"
#include "base/banned.h"

/*
 * Queues (sql/011_queue_pauses.sql): a queue is the pending and processing
 * requests of one entity type. An operator pauses one (its row in
 * queue_pauses: the claim skips the type, store/work.c) and resumes it (the
 * row deleted); each is one row of queue_events, the queues' audit trail,
 * written in the same transaction. Times are the store's clock, read by the
 * statement that stores them.
 */

/* The primary key refuses a second pause (DUPLICATE): the first one's who,
 * when and why stay as they were. */
static const struct engine_query Q_PAUSE_INSERT = {
	"INSERT INTO queue_pauses (entity_type, paused_by, paused_at, reason) "
	"VALUES (?, ?, UTC_TIMESTAMP(6), ?)",
	"sss", "" };
/* The event from the row just written: the same time, to the microsecond. */
static const struct engine_query Q_PAUSE_EVENT = {
	"INSERT INTO queue_events (entity_type, at, actor, action, reason) "
	"SELECT entity_type, paused_at, paused_by, 'pause', reason FROM queue_pauses "
	"WHERE entity_type = ?",
	"s", "" };
static const struct engine_query Q_RESUME_DELETE = {
	"DELETE FROM queue_pauses WHERE entity_type = ?",
	"s", "" };
static const struct engine_query Q_RESUME_EVENT = {
	"INSERT INTO queue_events (entity_type, at, actor, action, reason) "
	"VALUES (?, UTC_TIMESTAMP(6), ?, 'resume', ?)",
	"sss", "" };

static int pause_txn(struct store *s, const char *entity_type, const char *actor,
		     const char *reason)
{
	struct sqlv row[] = { SV_STR(entity_type), SV_STR(actor), SV_STR(reason) };
	struct sqlv type[] = { SV_STR(entity_type) };
	int rc = engine_begin(s);
	if (rc)
		return rc;
	rc = engine_run(s, &Q_PAUSE_INSERT, row, NULL, NULL, NULL, NULL);
	if (rc == STORE_DUPLICATE)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_PAUSE_EVENT, type, NULL, NULL, NULL, NULL);
	return engine_finish(s, rc);
}

static int resume_txn(struct store *s, const char *entity_type, const char *actor,
		      const char *reason)
{
	struct sqlv type[] = { SV_STR(entity_type) };
	struct sqlv event[] = { SV_STR(entity_type), SV_STR(actor), SV_STR(reason) };
	unsigned long long n = 0;
	int rc = engine_begin(s);
	if (rc)
		return rc;
	rc = engine_run(s, &Q_RESUME_DELETE, type, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && n != 1)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_RESUME_EVENT, event, NULL, NULL, NULL, NULL);
	return engine_finish(s, rc);
}

int store_queue_pause(struct store *s, const char *entity_type, const char *actor,
		      const char *reason)
{
	struct retry r = RETRY_INIT("queue");
	int rc;
	do
		rc = pause_txn(s, entity_type, actor, reason);
	while (retry_again(s, &r, rc));
	return rc;
}

int store_queue_resume(struct store *s, const char *entity_type, const char *actor,
		       const char *reason)
{
	struct retry r = RETRY_INIT("queue");
	int rc;
	do
		rc = resume_txn(s, entity_type, actor, reason);
	while (retry_again(s, &r, rc));
	return rc;
}

/*
 * Every type with pending or processing requests or a pause, by name: the
 * active requests counted per type (a range of ix_status_type, so its cost
 * follows the active requests, not the history), and the pauses, merged by
 * an outer GROUP BY since MariaDB has no full outer join. With a type bound,
 * that type only.
 */
static const struct engine_query Q_QUEUES = {
	"SELECT entity_type, SUM(pending), MIN(oldest), SUM(processing), MAX(paused), "
	"MAX(paused_by), MAX(paused_at), MAX(reason) FROM ("
	"SELECT entity_type, SUM(status = 'pending') AS pending, "
	"MIN(IF(status = 'pending', requested_at, NULL)) AS oldest, "
	"SUM(status = 'processing') AS processing, 0 AS paused, NULL AS paused_by, "
	"NULL AS paused_at, NULL AS reason FROM generation_requests "
	"WHERE status IN ('pending', 'processing') AND (? IS NULL OR entity_type = ?) "
	"GROUP BY entity_type "
	"UNION ALL SELECT entity_type, 0, NULL, 0, 1, paused_by, paused_at, reason "
	"FROM queue_pauses WHERE (? IS NULL OR entity_type = ?)"
	") q GROUP BY entity_type ORDER BY entity_type LIMIT ?",
	"ssssi", "sitiists" };

static int queue_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct queue_state *) =
		(int (*)(void *, const struct queue_state *))k->fn;
	struct queue_state q;
	memset(&q, 0, sizeof(q));
	engine_cell_copy(&c[0], q.entity_type, sizeof(q.entity_type));
	q.pending = c[1].null ? 0 : (unsigned long long)c[1].i;
	q.oldest_pending_at = engine_cell_time(&c[2]);
	q.processing = c[3].null ? 0 : (unsigned long long)c[3].i;
	q.paused = !c[4].null && c[4].i;
	engine_cell_copy(&c[5], q.paused_by, sizeof(q.paused_by));
	q.paused_at = q.paused ? engine_cell_time(&c[6]) : TIME_NONE;
	engine_cell_copy(&c[7], q.pause_reason, sizeof(q.pause_reason));
	return fn(k->ctx, &q);
}

int store_queue_list(struct store *s, const char *entity_type, unsigned limit,
		     int (*fn)(void *ctx, const struct queue_state *q), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_STR(entity_type), SV_STR(entity_type), SV_STR(entity_type),
			    SV_STR(entity_type), SV_INT(limit) };
	int rc = engine_run(s, &Q_QUEUES, p, queue_row, &k, NULL, NULL);
	return engine_sink_result(s, &k, rc);
}

static int queue_copy(void *ctx, const struct queue_state *q)
{
	*(struct queue_state *)ctx = *q;
	return 1;
}

int store_queue_get(struct store *s, const char *entity_type, struct queue_state *out)
{
	memset(out, 0, sizeof(*out));
	/* A type with nothing active and no pause is an empty, running queue. */
	snprintf(out->entity_type, sizeof(out->entity_type), "%s", entity_type);
	out->oldest_pending_at = out->paused_at = TIME_NONE;
	return store_queue_list(s, entity_type, 1, queue_copy, out);
}

static const struct engine_query Q_QUEUE_EVENTS = {
	"SELECT entity_type, at, actor, action, reason FROM queue_events "
	"ORDER BY id DESC LIMIT ?",
	"i", "stsss" };

static int queue_event_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_queue_event *) =
		(int (*)(void *, const struct store_queue_event *))k->fn;
	struct store_queue_event e = {
		.entity_type = c[0].null ? "" : c[0].s,
		.at = engine_cell_time(&c[1]),
		.actor = c[2].null ? "" : c[2].s,
		.action = c[3].null ? "" : c[3].s,
		.reason = c[4].null ? NULL : c[4].s,
	};
	return fn(k->ctx, &e);
}

int store_queue_events(struct store *s, unsigned limit,
		       int (*fn)(void *ctx, const struct store_queue_event *e), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_INT(limit) };
	int rc = engine_run(s, &Q_QUEUE_EVENTS, p, queue_event_row, &k, NULL, NULL);
	return engine_sink_result(s, &k, rc);
}

/* Every paused type, for /metrics: the alerts leave paused queues alone. */
static const struct engine_query Q_PAUSED_TYPES = {
	"SELECT entity_type FROM queue_pauses",
	"", "s" };

static int paused_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const char *) = (int (*)(void *, const char *))k->fn;
	return c[0].null ? 0 : fn(k->ctx, c[0].s);
}

int store_queue_paused_types(struct store *s, int (*fn)(void *ctx, const char *entity_type),
			     void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	return engine_run(s, &Q_PAUSED_TYPES, NULL, paused_row, &k, NULL, NULL);
}

/*
 * The window's finished requests per type, their percentiles computed by
 * the window functions over each type's rows (NULL durations, of requests
 * that never started, are left out by PERCENTILE_CONT), then one row per
 * type. Every column is in ix_completed_window (sql/015): the range over
 * the window reads no row.
 */
#define SQL_QUEUE_ACTIVITY \
	"SELECT entity_type, SUM(status = 'completed'), SUM(status = 'partial'), " \
	"SUM(status = 'failed'), CAST(ROUND(MAX(p50)) AS SIGNED), " \
	"CAST(ROUND(MAX(p95)) AS SIGNED) FROM (" \
	"SELECT entity_type, status, " \
	"PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY " \
	"TIMESTAMPDIFF(MICROSECOND, started_at, completed_at)) OVER (PARTITION BY entity_type) AS p50, " \
	"PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY " \
	"TIMESTAMPDIFF(MICROSECOND, started_at, completed_at)) OVER (PARTITION BY entity_type) AS p95 " \
	"FROM generation_requests WHERE completed_at >= ? AND completed_at < ? " \
	"AND status IN ('completed', 'partial', 'failed')" \
	") f GROUP BY entity_type ORDER BY entity_type"
static const struct engine_query Q_QUEUE_ACTIVITY = { SQL_QUEUE_ACTIVITY, "tt", "siiiii" };
static const struct engine_query Q_QUEUE_ACTIVITY_EXPLAIN = {
	"EXPLAIN " SQL_QUEUE_ACTIVITY, "tt", EXPLAIN_TYPES };

static int activity_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_queue_activity *) =
		(int (*)(void *, const struct store_queue_activity *))k->fn;
	struct store_queue_activity a = {
		.entity_type = c[0].null ? "" : c[0].s,
		.completed = c[1].null ? 0 : (unsigned long long)c[1].i,
		.partial = c[2].null ? 0 : (unsigned long long)c[2].i,
		.failed = c[3].null ? 0 : (unsigned long long)c[3].i,
		.p50_us = c[4].null ? -1 : c[4].i,
		.p95_us = c[5].null ? -1 : c[5].i,
	};
	return fn(k->ctx, &a);
}

int store_queue_activity(struct store *s, int64_t since, int64_t until,
			 int (*fn)(void *ctx, const struct store_queue_activity *a), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_TIME(since), SV_TIME(until) };
	int rc = engine_run(s, &Q_QUEUE_ACTIVITY, p, activity_row, &k, NULL, NULL);
	return engine_sink_result(s, &k, rc);
}

int store_explain_queue_activity(struct store *s, int64_t since, int64_t until,
				 struct store_plan *out)
{
	struct sqlv p[] = { SV_TIME(since), SV_TIME(until) };
	memset(out, 0, sizeof(*out));
	return engine_run(s, &Q_QUEUE_ACTIVITY_EXPLAIN, p, rows_plan_requests, out, NULL, NULL);
}
