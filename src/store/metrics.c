#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

/* The counts behind the admin page and /metrics. */

/*
 * Every status named, so that MariaDB takes one range of ix_status_requested
 * per status, (status, requested_at >= since): the rows of the day, not the
 * history. With requested_at alone it walked all of that index
 * (bench/console.sh: 1,000,000 entries read for today's 4,000; 1-2 s).
 */
static const struct engine_query Q_STATUS_COUNTS_SINCE = {
	"SELECT status, COUNT(*) FROM generation_requests WHERE status IN ('pending', "
	"'processing', 'completed', 'partial', 'failed', 'cancelled') AND requested_at >= ? "
	"GROUP BY status",
	"t", "si" };

static int status_count_row(void *ctx, const struct sqlcell *c)
{
	unsigned long long *counts = ctx;
	enum gen_status st;
	if (!c[0].null && lifecycle_status_parse(c[0].s, &st) == 0)
		counts[st] = (unsigned long long)c[1].i;
	return 0;
}

int store_status_counts(struct store *s, int64_t since,
			unsigned long long counts[GEN_STATUS_COUNT])
{
	memset(counts, 0, sizeof(counts[0]) * GEN_STATUS_COUNT);
	/* TIME_NONE, every request: bound as NULL it would match none. */
	struct sqlv p[] = { SV_TIME(since == TIME_NONE ? 0 : since) };
	return engine_run(s, &Q_STATUS_COUNTS_SINCE, p, status_count_row, counts, NULL, NULL);
}

/*
 * The counters and histograms behind /metrics (sql/005_counters.sql): bumped
 * by every transition in its own transaction (metrics_on_transition, called
 * by events_insert) and by prune (metrics_on_prune), read by a scrape from
 * two small tables, so a scrape costs the same at 10k and at 1M events and
 * no counter goes down when prune deletes history.
 */

/*
 * Each key is split into METRICS_SHARDS rows by the last byte of the request
 * id (random in a UUIDv7): under Galera two concurrent transitions of one
 * kind on two nodes then update the same row, and one fails certification,
 * 1 time in 64 rather than every time (it was 8; the conflicts of
 * tests/integration/galera.sh came mostly from elsewhere, sql/020, but each
 * claim and complete bumps three such rows). A scrape sums the shards; a
 * row's shard only spreads the writes, so changing the count is safe (rows
 * of shards above it keep counting in the sums).
 */
#define METRICS_SHARDS 64
/* Shards counter_bump() tries before it waits for one. */
#define METRICS_SHARD_TRIES 8

static unsigned shard_of(const struct uuid *id)
{
	return id->b[15] % METRICS_SHARDS;
}

/* The upper bounds, in ms; sql/005_counters.sql backfilled with the same. */
static const long long claim_bounds_ms[STORE_HIST_BUCKETS] = {
	50, 100, 500, 1000, 5000, 15000, 60000, 300000, 900000, 3600000,
};
static const long long duration_bounds_ms[STORE_HIST_BUCKETS] = {
	500, 1000, 5000, 15000, 30000, 60000, 120000, 300000, 600000, 1800000,
};

static const char *hist_name(enum store_hist which)
{
	return which == HIST_CLAIM_LATENCY ? "claim_latency" : "generation_duration";
}

static const long long *hist_bounds(enum store_hist which)
{
	return which == HIST_CLAIM_LATENCY ? claim_bounds_ms : duration_bounds_ms;
}

/*
 * Each counter statement comes twice: as itself, and in a form that waits
 * for no lock (ENGINE_NOWAIT). A counter row is hot: every claim of one
 * node bumps the same few, so claims queued on them, and when the holder's
 * commit stalled (Galera's flow control on a loaded machine) the queue ran
 * into innodb_lock_wait_timeout: a 1205 that voided the whole claim, twice,
 * and answered 503 (tests/integration/galera.sh). counter_bump() takes a
 * shard that is free instead.
 */
#define SQL_COUNT_TRANSITION \
	"INSERT INTO gentrack_counters (metric, actor_kind, from_status, to_status, shard, n) " \
	"VALUES ('transitions', SUBSTRING_INDEX(?, ':', 1), COALESCE(?, ''), ?, ?, 1) " \
	"ON DUPLICATE KEY UPDATE n = n + 1"
static const struct engine_query Q_COUNT_TRANSITION = { SQL_COUNT_TRANSITION, "sssi", "" };
static const struct engine_query Q_COUNT_TRANSITION_NOWAIT = {
	ENGINE_NOWAIT SQL_COUNT_TRANSITION, "sssi", "" };

/*
 * Bumps a counter by `q` (or its no-wait twin `nq`), whose parameter p[at]
 * is the shard: `first`, or the next one whose row no other transaction
 * holds. Only when METRICS_SHARD_TRIES in a row are held does the last one
 * wait. Any shard is as good as another (a scrape sums them).
 */
static int counter_bump(struct store *s, const struct engine_query *q,
			const struct engine_query *nq, struct sqlv *p, size_t at, unsigned first)
{
	for (unsigned k = 0; k + 1 < METRICS_SHARD_TRIES; k++) {
		int locked;
		p[at] = SV_INT((first + k) % METRICS_SHARDS);
		int rc = engine_run_nowait(s, nq, p, &locked);
		if (rc || !locked)
			return rc;
	}
	p[at] = SV_INT((first + METRICS_SHARD_TRIES - 1) % METRICS_SHARDS);
	return engine_run(s, q, p, NULL, NULL, NULL, NULL);
}

/*
 * The same transition by the request's entity type (sql/012_alert_metrics.sql),
 * read from its row: the callers of events_insert need not know the type. The
 * row is already locked by the transition's own write, so this waits for nothing.
 */
#define SQL_COUNT_TYPE_TRANSITION \
	"INSERT INTO gentrack_type_counters (entity_type, from_status, to_status, shard, n) " \
	"SELECT entity_type, COALESCE(?, ''), ?, ?, 1 FROM generation_requests WHERE id = ? " \
	"ON DUPLICATE KEY UPDATE n = n + 1"
static const struct engine_query Q_COUNT_TYPE_TRANSITION = { SQL_COUNT_TYPE_TRANSITION, "ssib", "" };
static const struct engine_query Q_COUNT_TYPE_TRANSITION_NOWAIT = {
	ENGINE_NOWAIT SQL_COUNT_TYPE_TRANSITION, "ssib", "" };

/*
 * The wait that event `event_id` ended, from the request's event before it
 * (by id, as the audit trail orders them), into its bucket: one statement,
 * reading the two events' stored times, so it measures whatever clock
 * stamped them.
 */
#define HIST_CASE_WHEN "WHEN d.ms <= ? THEN ? "
#define SQL_HIST_OBSERVE \
	"INSERT INTO gentrack_histograms (histogram, le_ms, shard, n, sum_ms) " \
	"SELECT ?, CASE " HIST_CASE_WHEN HIST_CASE_WHEN HIST_CASE_WHEN HIST_CASE_WHEN \
	HIST_CASE_WHEN HIST_CASE_WHEN HIST_CASE_WHEN HIST_CASE_WHEN HIST_CASE_WHEN \
	HIST_CASE_WHEN "ELSE 9223372036854775807 END, ?, 1, d.ms FROM " \
	"(SELECT TIMESTAMPDIFF(MICROSECOND, p.at, c.at) DIV 1000 AS ms " \
	"FROM generation_events c JOIN generation_events p " \
	"ON p.request_id = c.request_id AND p.id < c.id " \
	"WHERE c.id = ? ORDER BY p.id DESC LIMIT 1) d " \
	"ON DUPLICATE KEY UPDATE n = n + 1, sum_ms = sum_ms + VALUES(sum_ms)"
#define HIST_OBSERVE_TYPES "s" "iiiiiiiiiiiiiiiiiiii" "ii"
static const struct engine_query Q_HIST_OBSERVE = { SQL_HIST_OBSERVE, HIST_OBSERVE_TYPES, "" };
static const struct engine_query Q_HIST_OBSERVE_NOWAIT = {
	ENGINE_NOWAIT SQL_HIST_OBSERVE, HIST_OBSERVE_TYPES, "" };

static int hist_observe(struct store *s, enum store_hist which, const struct uuid *id,
			long long event_id)
{
	struct sqlv p[2 + 2 * STORE_HIST_BUCKETS + 1];
	const long long *b = hist_bounds(which);
	size_t k = 0;
	p[k++] = SV_STR(hist_name(which));
	for (int i = 0; i < STORE_HIST_BUCKETS; i++) {
		p[k++] = SV_INT(b[i]);
		p[k++] = SV_INT(b[i]);
	}
	size_t shard_at = k++;
	p[k++] = SV_INT(event_id);
	return counter_bump(s, &Q_HIST_OBSERVE, &Q_HIST_OBSERVE_NOWAIT, p, shard_at, shard_of(id));
}

/* The actor's kind, as Q_COUNT_TRANSITION derives it: "worker" of "worker:host-1:4242". */
static int actor_is(const char *actor, const char *kind)
{
	size_t n = strlen(kind);
	return !strncmp(actor, kind, n) && (actor[n] == ':' || !actor[n]);
}

int metrics_on_transition(struct store *s, const struct uuid *id, long long event_id,
			  const char *actor, const char *from, const char *to)
{
	int rc = STORE_OK;
	/* A claim ends the wait for a worker, however the request became pending. */
	if (from && !strcmp(from, "pending") && !strcmp(to, "processing"))
		rc = hist_observe(s, HIST_CLAIM_LATENCY, id, event_id);
	/* A worker's complete ends its attempt; timeouts and operators do not count. */
	else if (from && !strcmp(from, "processing") && actor_is(actor, "worker") &&
		 (!strcmp(to, "completed") || !strcmp(to, "partial") || !strcmp(to, "failed")))
		rc = hist_observe(s, HIST_GENERATION_DURATION, id, event_id);
	if (rc)
		return rc;
	struct sqlv p[] = { SV_STR(actor), SV_STR(from), SV_STR(to), SV_INT(0) };
	rc = counter_bump(s, &Q_COUNT_TRANSITION, &Q_COUNT_TRANSITION_NOWAIT, p, 3, shard_of(id));
	if (rc)
		return rc;
	struct sqlv tp[] = { SV_STR(from), SV_STR(to), SV_INT(0), SV_UUID(id) };
	return counter_bump(s, &Q_COUNT_TYPE_TRANSITION, &Q_COUNT_TYPE_TRANSITION_NOWAIT, tp, 2,
			    shard_of(id));
}

/* Read under the shared lock INSERT ... SELECT takes, so the delete that follows sees the same status. */
static const struct engine_query Q_COUNT_PRUNED = {
	"INSERT INTO gentrack_counters (metric, actor_kind, from_status, to_status, shard, n) "
	"SELECT 'pruned', '', '', status, ?, 1 FROM generation_requests "
	"WHERE id = ? AND status IN ('completed', 'partial', 'failed', 'cancelled') "
	"ON DUPLICATE KEY UPDATE n = n + 1",
	"ib", "" };

int metrics_on_prune(struct store *s, const struct uuid *id)
{
	struct sqlv p[] = { SV_INT(shard_of(id)), SV_UUID(id) };
	return engine_run(s, &Q_COUNT_PRUNED, p, NULL, NULL, NULL, NULL);
}

/* Live updates' lost publishes (live/publish.c): counted where every scrape
 * of the pool sees them, sharded by the request like the transitions. */
static const struct engine_query Q_COUNT_LIVE_FAILED = {
	"INSERT INTO gentrack_counters (metric, actor_kind, from_status, to_status, shard, n) "
	"VALUES ('live_publish_failed', '', '', '', ?, 1) ON DUPLICATE KEY UPDATE n = n + 1",
	"i", "" };

int store_count_live_failure(struct store *s, const struct uuid *id)
{
	struct sqlv p[] = { SV_INT(id ? shard_of(id) : 0) };
	return engine_run(s, &Q_COUNT_LIVE_FAILED, p, NULL, NULL, NULL, NULL);
}

/* A conflict of one operation (store/retry.c), on a random shard: conflicts
 * come in bursts, and their counter must not become a hotspot of its own. */
#define SQL_COUNT_CONFLICT \
	"INSERT INTO gentrack_counters (metric, actor_kind, from_status, to_status, shard, n) " \
	"VALUES ('conflicts', ?, '', '', ?, 1) ON DUPLICATE KEY UPDATE n = n + 1"
static const struct engine_query Q_COUNT_CONFLICT = { SQL_COUNT_CONFLICT, "si", "" };
static const struct engine_query Q_COUNT_CONFLICT_NOWAIT = {
	ENGINE_NOWAIT SQL_COUNT_CONFLICT, "si", "" };

int metrics_on_conflict(struct store *s, const char *operation)
{
	struct sqlv p[] = { SV_STR(operation), SV_INT(0) };
	/* Outside the voided transaction: the retry it delays waits on no lock. */
	return counter_bump(s, &Q_COUNT_CONFLICT, &Q_COUNT_CONFLICT_NOWAIT, p, 1,
			    randombytes_uniform(METRICS_SHARDS));
}

/* ---- webhooks (issue 16): what the deliverers did, and how late they are ---- */

/* One attempt's outcome (and the attempt, when a POST was made), counted in
 * the transaction that records it, on a random shard as the conflicts. */
static const struct engine_query Q_COUNT_DELIVERY = {
	"INSERT INTO gentrack_counters (metric, actor_kind, from_status, to_status, shard, n) "
	"VALUES ('webhook_deliveries', ?, '', '', ?, 1) ON DUPLICATE KEY UPDATE n = n + 1",
	"si", "" };
static const struct engine_query Q_COUNT_ATTEMPT = {
	"INSERT INTO gentrack_counters (metric, actor_kind, from_status, to_status, shard, n) "
	"VALUES ('webhook_attempts', '', '', '', ?, 1) ON DUPLICATE KEY UPDATE n = n + 1",
	"i", "" };

int metrics_on_delivery(struct store *s, const char *result, int attempted)
{
	struct sqlv p[] = { SV_STR(result), SV_INT(randombytes_uniform(METRICS_SHARDS)) };
	int rc = engine_run(s, &Q_COUNT_DELIVERY, p, NULL, NULL, NULL, NULL);
	struct sqlv q[] = { SV_INT(randombytes_uniform(METRICS_SHARDS)) };
	if (rc == STORE_OK && attempted)
		rc = engine_run(s, &Q_COUNT_ATTEMPT, q, NULL, NULL, NULL, NULL);
	return rc;
}

static const struct engine_query Q_METRIC_WEBHOOKS = {
	"SELECT actor_kind, CAST(SUM(n) AS SIGNED) FROM gentrack_counters "
	"WHERE metric = 'webhook_deliveries' GROUP BY actor_kind "
	"UNION ALL SELECT '', CAST(COALESCE(SUM(n), 0) AS SIGNED) FROM gentrack_counters "
	"WHERE metric = 'webhook_attempts'",
	"", "si" };
/* The most overdue pending delivery: one entry of ix_due (state, next_attempt_at). */
static const struct engine_query Q_METRIC_WEBHOOK_DUE = {
	"SELECT CAST(COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(next_attempt_at), UTC_TIMESTAMP(6)), 0) "
	"AS SIGNED) FROM webhook_deliveries "
	"WHERE state = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(6)",
	"", "i" };

static int webhook_count_row(void *ctx, const struct sqlcell *c)
{
	struct store_webhook_metrics *m = ctx;
	unsigned long long n = c[1].i > 0 ? (unsigned long long)c[1].i : 0;
	const char *result = c[0].null ? "" : c[0].s;
	if (!*result)
		m->attempts = n;
	else if (!strcmp(result, "delivered"))
		m->delivered += n;
	else if (!strcmp(result, "retried"))
		m->retried += n;
	else if (!strcmp(result, "dead"))
		m->dead += n;
	else if (!strcmp(result, "disabled"))
		m->disabled += n;
	return 0;
}

static int due_age_row(void *ctx, const struct sqlcell *c)
{
	*(int64_t *)ctx = c[0].null || c[0].i < 0 ? 0 : c[0].i;
	return 1;
}

int store_metric_webhooks(struct store *s, struct store_webhook_metrics *out)
{
	memset(out, 0, sizeof(*out));
	int rc = engine_run(s, &Q_METRIC_WEBHOOKS, NULL, webhook_count_row, out, NULL, NULL);
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_METRIC_WEBHOOK_DUE, NULL, due_age_row, &out->oldest_due_age_us,
				NULL, NULL);
	return rc;
}

static const struct engine_query Q_METRIC_CONFLICTS = {
	"SELECT actor_kind, CAST(SUM(n) AS SIGNED) FROM gentrack_counters "
	"WHERE metric = 'conflicts' GROUP BY actor_kind ORDER BY actor_kind",
	"", "si" };

static int conflict_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const char *, unsigned long long) =
		(int (*)(void *, const char *, unsigned long long))k->fn;
	return fn(k->ctx, c[0].null ? "" : c[0].s, c[1].i > 0 ? (unsigned long long)c[1].i : 0);
}

int store_metric_conflicts(struct store *s,
			   int (*fn)(void *ctx, const char *operation, unsigned long long n),
			   void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	return engine_run(s, &Q_METRIC_CONFLICTS, NULL, conflict_row, &k, NULL, NULL);
}

static const struct engine_query Q_METRIC_LIVE_FAILED = {
	"SELECT CAST(COALESCE(SUM(n), 0) AS SIGNED) FROM gentrack_counters "
	"WHERE metric = 'live_publish_failed'",
	"", "i" };

static int one_count_row(void *ctx, const struct sqlcell *c)
{
	*(unsigned long long *)ctx = c[0].i > 0 ? (unsigned long long)c[0].i : 0;
	return 0;
}

int store_metric_live_failures(struct store *s, unsigned long long *out)
{
	*out = 0;
	return engine_run(s, &Q_METRIC_LIVE_FAILED, NULL, one_count_row, out, NULL, NULL);
}

static const struct engine_query Q_METRIC_TRANSITIONS = {
	"SELECT actor_kind, to_status, CAST(SUM(n) AS SIGNED) FROM gentrack_counters "
	"WHERE metric = 'transitions' GROUP BY actor_kind, to_status ORDER BY actor_kind, to_status",
	"", "ssi" };

static int transition_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const char *, const char *, unsigned long long) =
		(int (*)(void *, const char *, const char *, unsigned long long))k->fn;
	return fn(k->ctx, c[0].null ? "" : c[0].s, c[1].null ? "" : c[1].s,
		  (unsigned long long)c[2].i);
}

int store_metric_transitions(struct store *s,
			     int (*fn)(void *ctx, const char *actor_kind, const char *to,
				       unsigned long long n), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	return engine_run(s, &Q_METRIC_TRANSITIONS, NULL, transition_row, &k, NULL, NULL);
}

/* In a status: transitions into it, less those out of it, less those pruned in it. */
static const struct engine_query Q_METRIC_REQUESTS = {
	"SELECT st, CAST(SUM(d) AS SIGNED), CAST(SUM(p) AS SIGNED) FROM ("
	"SELECT to_status AS st, CAST(n AS SIGNED) AS d, 0 AS p FROM gentrack_counters "
	"WHERE metric = 'transitions' "
	"UNION ALL SELECT from_status, -CAST(n AS SIGNED), 0 FROM gentrack_counters "
	"WHERE metric = 'transitions' AND from_status <> '' "
	"UNION ALL SELECT to_status, -CAST(n AS SIGNED), CAST(n AS SIGNED) FROM gentrack_counters "
	"WHERE metric = 'pruned') x GROUP BY st",
	"", "sii" };

static int requests_row(void *ctx, const struct sqlcell *c)
{
	struct store_request_counts *out = ctx;
	enum gen_status st;
	if (!c[0].null && lifecycle_status_parse(c[0].s, &st) == 0) {
		/* Below 0 only if rows were deleted behind the store's back. */
		out->in_status[st] = c[1].i > 0 ? (unsigned long long)c[1].i : 0;
		out->pruned[st] = c[2].i > 0 ? (unsigned long long)c[2].i : 0;
	}
	return 0;
}

int store_metric_requests(struct store *s, struct store_request_counts *out)
{
	memset(out, 0, sizeof(*out));
	return engine_run(s, &Q_METRIC_REQUESTS, NULL, requests_row, out, NULL, NULL);
}

static const struct engine_query Q_METRIC_HISTOGRAM = {
	"SELECT le_ms, CAST(SUM(n) AS SIGNED), CAST(SUM(sum_ms) AS SIGNED) "
	"FROM gentrack_histograms WHERE histogram = ? GROUP BY le_ms",
	"s", "iii" };

struct hist_fold {
	struct store_histogram *h;
	const long long *bounds;
};

/* A bucket row into the cumulative counts: it counts toward every bound at or above its own. */
static int histogram_row(void *ctx, const struct sqlcell *c)
{
	struct hist_fold *f = ctx;
	unsigned long long n = c[1].i > 0 ? (unsigned long long)c[1].i : 0;
	f->h->count += n;
	f->h->sum_ms += c[2].i;
	for (int k = 0; k < STORE_HIST_BUCKETS; k++)
		if (c[0].i <= f->bounds[k])
			f->h->le[k] += n;
	return 0;
}

int store_metric_histogram(struct store *s, enum store_hist which, struct store_histogram *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->bounds_ms, hist_bounds(which), sizeof(out->bounds_ms));
	struct hist_fold f = { out, hist_bounds(which) };
	struct sqlv p[] = { SV_STR(hist_name(which)) };
	return engine_run(s, &Q_METRIC_HISTOGRAM, p, histogram_row, &f, NULL, NULL);
}

/* ---- by entity type, and the reaper's last run (sql/012_alert_metrics.sql) ---- */

/*
 * One read gives both the counters and the gauges of every queue, so the
 * two agree: the rows of a type arrive together (ORDER BY entity_type) and
 * are folded into one struct store_queue, handed over when the type changes.
 */
static const struct engine_query Q_METRIC_QUEUES = {
	"SELECT entity_type, from_status, to_status, CAST(SUM(n) AS SIGNED) "
	"FROM gentrack_type_counters GROUP BY entity_type, from_status, to_status "
	"ORDER BY entity_type",
	"", "sssi" };

struct queue_fold {
	struct store_queue q;
	long long pending, processing;      /* into less out of; below 0 only if rows were deleted */
	int any;
	int (*fn)(void *ctx, const struct store_queue *q);
	void *ctx;
	int stopped;
};

static int queue_flush(struct queue_fold *f)
{
	if (!f->any)
		return 0;
	f->q.pending = f->pending > 0 ? (unsigned long long)f->pending : 0;
	f->q.processing = f->processing > 0 ? (unsigned long long)f->processing : 0;
	f->any = 0;
	f->stopped = f->fn(f->ctx, &f->q);
	return f->stopped;
}

static int queue_row(void *ctx, const struct sqlcell *c)
{
	struct queue_fold *f = ctx;
	const char *type = c[0].null ? "" : c[0].s;
	enum gen_status from, to;
	long long n = c[3].i > 0 ? c[3].i : 0;

	if (f->any && strcmp(f->q.entity_type, type) && queue_flush(f))
		return 1;
	if (!f->any) {
		memset(&f->q, 0, sizeof(f->q));
		engine_cell_copy(&c[0], f->q.entity_type, sizeof(f->q.entity_type));
		f->pending = f->processing = 0;
		f->any = 1;
	}
	if (!c[2].null && lifecycle_status_parse(c[2].s, &to) == 0) {
		f->q.transitions[to] += (unsigned long long)n;
		f->pending += to == GEN_PENDING ? n : 0;
		f->processing += to == GEN_PROCESSING ? n : 0;
	}
	/* from_status '' (a create) parses as no status. */
	if (!c[1].null && lifecycle_status_parse(c[1].s, &from) == 0) {
		f->pending -= from == GEN_PENDING ? n : 0;
		f->processing -= from == GEN_PROCESSING ? n : 0;
	}
	return 0;
}

int store_metric_queues(struct store *s, int (*fn)(void *ctx, const struct store_queue *q),
			void *ctx)
{
	struct queue_fold f = { .fn = fn, .ctx = ctx };
	int rc = engine_run(s, &Q_METRIC_QUEUES, NULL, queue_row, &f, NULL, NULL);
	if (rc == STORE_OK && !f.stopped)
		queue_flush(&f);
	return rc;
}

/*
 * A loose index scan of ix_status_type_requested ("Using index for
 * group-by"): one dive per status and type, however many rows each holds
 * (tests/e2e/metrics.sh checks the plan). Every status, because with
 * `WHERE status = 'pending'` MariaDB 10.11 walks every pending entry of the
 * index instead; the rows of the other statuses are dropped here.
 */
static const struct engine_query Q_METRIC_OLDEST_PENDING = {
	"SELECT status, entity_type, MIN(requested_at) FROM generation_requests "
	"GROUP BY status, entity_type",
	"", "sst" };

static int oldest_pending_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const char *, int64_t) = (int (*)(void *, const char *, int64_t))k->fn;
	if (c[0].null || strcmp(c[0].s, "pending"))
		return 0;
	return fn(k->ctx, c[1].null ? "" : c[1].s, engine_cell_time(&c[2]));
}

int store_metric_oldest_pending(struct store *s,
				int (*fn)(void *ctx, const char *entity_type, int64_t requested_at),
				void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	return engine_run(s, &Q_METRIC_OLDEST_PENDING, NULL, oldest_pending_row, &k, NULL, NULL);
}

/* The store's clock, not the reaper host's: the alert compares runs of several hosts. */
static const struct engine_query Q_REAPER_RAN = {
	"INSERT INTO gentrack_reaper_runs (host, last_run_at) VALUES (?, UTC_TIMESTAMP(6)) "
	"ON DUPLICATE KEY UPDATE last_run_at = VALUES(last_run_at)",
	"s", "" };

static int reaper_ran_txn(struct store *s, const char *host)
{
	struct sqlv p[] = { SV_STR(host) };
	int rc = engine_begin(s);
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_REAPER_RAN, p, NULL, NULL, NULL, NULL);
	return engine_finish(s, rc);
}

/* A transaction of its own, so that a conflict (two reapers of one host
 * name on two Galera nodes) is run again rather than failing the run. */
int store_reaper_ran(struct store *s, const char *host)
{
	struct retry r = RETRY_INIT("reap");
	int rc;
	do
		rc = reaper_ran_txn(s, host);
	while (retry_again(s, &r, rc));
	return rc;
}

/* The scrape's one read of the store's clock, with the newest run of any reaper. */
static const struct engine_query Q_METRIC_CLOCK = {
	"SELECT UTC_TIMESTAMP(6), (SELECT MAX(last_run_at) FROM gentrack_reaper_runs)",
	"", "tt" };

struct metric_clock {
	int64_t now, last_reap;
};

static int clock_row(void *ctx, const struct sqlcell *c)
{
	struct metric_clock *m = ctx;
	m->now = engine_cell_time(&c[0]);
	m->last_reap = engine_cell_time(&c[1]);
	return 0;
}

int store_metric_clock(struct store *s, int64_t *now, int64_t *last_reap)
{
	struct metric_clock m = { TIME_NONE, TIME_NONE };
	int rc = engine_run(s, &Q_METRIC_CLOCK, NULL, clock_row, &m, NULL, NULL);
	*now = m.now;
	*last_reap = m.last_reap;
	if (rc == STORE_OK && m.now == TIME_NONE) {
		engine_set_error(s, "the store's clock: no time read");
		return STORE_ERROR;
	}
	return rc;
}
