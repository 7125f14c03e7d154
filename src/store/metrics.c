#include "build_config.h"

#include <string.h>

#include "store/internal.h"
#include "base/banned.h"

/* The counts behind the admin page and /metrics. */

static const struct engine_query Q_STATUS_COUNTS = {
	"SELECT status, COUNT(*) FROM generation_requests GROUP BY status",
	"", "si" };
static const struct engine_query Q_STATUS_COUNTS_SINCE = {
	"SELECT status, COUNT(*) FROM generation_requests WHERE requested_at >= ? GROUP BY status",
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
	if (since == TIME_NONE)
		return engine_run(s, &Q_STATUS_COUNTS, NULL, status_count_row, counts, NULL, NULL);
	struct sqlv p[] = { SV_TIME(since) };
	return engine_run(s, &Q_STATUS_COUNTS_SINCE, p, status_count_row, counts, NULL, NULL);
}

/* Derived from the audit trail, so every pool child reports the same. */
static const struct engine_query Q_METRIC_TRANSITIONS = {
	"SELECT SUBSTRING_INDEX(actor, ':', 1) AS kind, to_status, COUNT(*) "
	"FROM generation_events GROUP BY kind, to_status ORDER BY kind, to_status",
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

/* A histogram over `ms`: count, sum, then how many are <= each of 10 bounds. */
#define HIST_LE "CAST(COALESCE(SUM(ms <= ?), 0) AS SIGNED)"
#define HIST_SELECT \
	"SELECT COUNT(*), CAST(COALESCE(SUM(ms), 0) AS SIGNED), " \
	HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE ", " \
	HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE ", " HIST_LE " FROM "
#define HIST_PARAMS "iiiiiiiiii"
#define HIST_TYPES "iiiiiiiiiiii"

/* From the event that made a request pending to the claim that took it. */
static const struct engine_query Q_METRIC_CLAIM_LATENCY = {
	HIST_SELECT "(SELECT TIMESTAMPDIFF(MICROSECOND, prev_at, at) DIV 1000 AS ms FROM "
	"(SELECT at, to_status, LAG(at) OVER (PARTITION BY request_id ORDER BY id) AS prev_at "
	"FROM generation_events) ev WHERE to_status = 'processing' AND prev_at IS NOT NULL) x",
	HIST_PARAMS, HIST_TYPES };
/* A worker's attempt from claim to complete (not timeouts, not operators). */
static const struct engine_query Q_METRIC_DURATION = {
	HIST_SELECT "(SELECT TIMESTAMPDIFF(MICROSECOND, started_at, completed_at) DIV 1000 AS ms "
	"FROM generation_requests WHERE (status IN ('completed', 'partial') "
	"OR failure_reason = 'generator_failed') AND started_at IS NOT NULL "
	"AND completed_at IS NOT NULL) x",
	HIST_PARAMS, HIST_TYPES };

static int histogram_row(void *ctx, const struct sqlcell *c)
{
	struct store_histogram *h = ctx;
	h->count = (unsigned long long)c[0].i;
	h->sum_ms = c[1].i;
	for (int k = 0; k < STORE_HIST_BUCKETS; k++)
		h->le[k] = (unsigned long long)c[2 + k].i;
	return 1;
}

int store_metric_histogram(struct store *s, enum store_hist which,
			   const long long bounds_ms[STORE_HIST_BUCKETS], struct store_histogram *out)
{
	struct sqlv p[STORE_HIST_BUCKETS];
	memset(out, 0, sizeof(*out));
	for (int k = 0; k < STORE_HIST_BUCKETS; k++)
		p[k] = SV_INT(bounds_ms[k]);
	return engine_run(s, which == HIST_CLAIM_LATENCY ? &Q_METRIC_CLAIM_LATENCY
							 : &Q_METRIC_DURATION,
			  p, histogram_row, out, NULL, NULL);
}
