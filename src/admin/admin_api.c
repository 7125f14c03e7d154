#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "admin/admin.h"
#include "admin/admin_api.h"
#include "admin/bulk.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "admin/metrics.h"
#include "admin/queues.h"
#include "base/query.h"
#include "model/resource.h"
#include "api/validate.h"
#include "base/banned.h"

#define STUCK_API_DEFAULT 100
#define STUCK_API_MAX 500

/* ---- GET /admin/api/stuck ---- */

struct stuck_json {
	struct call *c;
	struct jsonw *w;
};

static int stuck_item(void *ctx, const struct gen_request *r)
{
	struct stuck_json *s = ctx;
	struct jsonw *w = s->w;
	int64_t since = r->status == GEN_PROCESSING && r->started_at != TIME_NONE ? r->started_at
			: r->requested_at;
	jsonw_object_begin(w);
	resource_render_members(r, NULL, 0, w);
	jsonw_key(w, "owner");
	jsonw_cstr(w, r->owner);
	jsonw_key(w, "worker_id");
	jsonw_cstr(w, r->worker_id);
	resource_render_time(w, "lease_expires_at", r->lease_expires_at);
	jsonw_key(w, "age_minutes");
	jsonw_int(w, since == TIME_NONE ? 0 : (s->c->now - since) / (60 * US_PER_S));
	jsonw_key(w, "stuck_reason");
	jsonw_cstr(w, admin_stuck_reason(s->c->cfg, r, s->c->now));
	jsonw_object_end(w);
	return 0;
}

void admin_api_list_begin(struct call *c, struct jsonw *w)
{
	jsonw_init(w, &c->resp->body);
	jsonw_object_begin(w);
	resource_render_time(w, "as_of", c->now);
	jsonw_key(w, "items");
	jsonw_array_begin(w);
}

void admin_api_list_end(struct call *c, struct jsonw *w)
{
	jsonw_array_end(w);
	jsonw_object_end(w);
	c->resp->status = 200;
}

void admin_api_stuck(struct call *c)
{
	struct problem p;
	struct query q = { 0 };
	struct store_stuck_filter f;
	struct jsonw w;
	char err[160];
	const char *v;

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-query", "%s", err));
		return;
	}
	admin_stuck_filter(c->cfg, c->now, &f);
	f.limit = STUCK_API_DEFAULT;
	if ((v = query_get(&q, "entity_type"))) {
		if (!resource_entity_type_valid(v, strlen(v))) {
			handler_problem(c, problem_set(&p, 400, "invalid-query",
						       "entity_type must match [a-z][a-z0-9_]{0,63}"));
			goto cleanup;
		}
		f.entity_type = v;
	}
	if ((v = query_get(&q, "status"))) {
		if (lifecycle_status_parse(v, &f.status) < 0 ||
		    (f.status != GEN_PENDING && f.status != GEN_PROCESSING)) {
			handler_problem(c, problem_set(&p, 400, "invalid-query",
						       "a stuck request is pending or processing"));
			goto cleanup;
		}
		f.has_status = 1;
	}
	if ((v = query_get(&q, "priority"))) {
		unsigned long long n;
		if (query_uint(v, PRIORITY_MIN, PRIORITY_MAX, &n) < 0) {
			handler_problem(c, problem_set(&p, 400, "invalid-query",
						       "priority must be an integer from %d to %d",
						       PRIORITY_MIN, PRIORITY_MAX));
			goto cleanup;
		}
		f.has_priority = 1;
		f.priority = (unsigned)n;
	}
	if ((v = query_get(&q, "limit"))) {
		unsigned long long n;
		if (query_uint(v, 1, STUCK_API_MAX, &n) < 0) {
			handler_problem(c, problem_set(&p, 400, "invalid-query",
						       "limit must be an integer from 1 to %d", STUCK_API_MAX));
			goto cleanup;
		}
		f.limit = (unsigned)n;
	}
	struct stuck_json s = { c, &w };
	admin_api_list_begin(c, &w);
	int rc = store_stuck_list(c->store, &f, stuck_item, &s);
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	admin_api_list_end(c, &w);
cleanup:
	query_release(&q);
}

/* ---- POST /admin/api/generations/{id}/{fail|cancel|retry} ---- */

/* What a plain HTML form (or a CORS "simple" request) cannot send: JSON, no cookies. */
static int refuse_browser_forms(struct call *c)
{
	struct problem p;
	if (http_param(c->req, "HTTP_COOKIE")) {
		handler_problem(c, problem_set(&p, 403, NULL,
					       "the admin JSON API does not take cookies; browsers use the "
					       "admin pages' forms"));
		return -1;
	}
	if (!validate_is_json_content_type(http_param(c->req, "CONTENT_TYPE"))) {
		handler_problem(c, problem_set(&p, 415, NULL, "the body must be application/json"));
		http_add_header(c->resp, "Accept-Post", "application/json");
		return -1;
	}
	return 0;
}

#define ADMIN_ACTOR_LEN (OWNER_MAX + 8)

/* An action's reason: 1 to ADMIN_REASON_MAX bytes. 0, or -1 answered (400). */
static int check_reason(struct call *c, const char *reason)
{
	struct problem p;
	if (reason && *reason && strlen(reason) <= ADMIN_REASON_MAX)
		return 0;
	handler_problem(c, problem_set(&p, 400, "invalid-body",
				       "reason is required: a string of 1 to %d bytes", ADMIN_REASON_MAX));
	return -1;
}

/*
 * What every single action's twin starts with: no browser form, a body of
 * {"reason": "..."}, the actor "admin:NAME". 0 with *reason set (yours to
 * free), or -1 when the call was answered (*reason NULL).
 */
static int read_reason_body(struct call *c, char **reason, char actor[ADMIN_ACTOR_LEN])
{
	struct problem p;
	*reason = NULL;
	if (refuse_browser_forms(c) < 0)
		return -1;
	if (http_read_body(c->req, c->cfg->max_body, &p) < 0 ||
	    validate_reason_body(c->req->body, c->req->body_len, reason, &p) < 0) {
		handler_problem(c, &p);
		return -1;
	}
	if (check_reason(c, *reason) < 0) {
		free(*reason);
		*reason = NULL;
		return -1;
	}
	snprintf(actor, ADMIN_ACTOR_LEN, "admin:%s", c->admin);
	return 0;
}

static void answer_request(struct call *c, int status, const struct gen_request *r)
{
	struct gen_entity_list entities = { 0 };
	int rc = store_request_entities(c->store, &r->id, &entities);
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	c->resp->status = status;
	resource_render(r, &entities, RESOURCE_ENTITIES, &c->resp->body);
cleanup:
	gen_entity_list_release(&entities);
}

static void api_action(struct call *c, enum store_admin_action action)
{
	static const char *const verbs[] = {
		[ADMIN_FAIL] = "marked failed", [ADMIN_CANCEL] = "cancelled",
		[ADMIN_RETRY] = "retried",
	};
	struct problem p;
	struct gen_request r;
	char *reason;
	char actor[ADMIN_ACTOR_LEN];

	if (read_reason_body(c, &reason, actor) < 0)
		return;
	gen_request_init(&r);
	int rc = store_admin_apply(c->store, &c->route.id, action, actor, reason, NULL, &r);
	if (rc == STORE_CONFLICT) {
		handler_problem(c, problem_set(&p, 409, "invalid-transition",
					       "a %s request cannot be %s", lifecycle_status_name(r.status),
					       verbs[action]));
		goto cleanup;
	}
	if (rc == STORE_DUPLICATE) {
		handler_problem(c, problem_set(&p, 409, "active-request-exists",
					       "the owner already has a pending or processing %s request "
					       "for this subject_key", r.entity_type));
		goto cleanup;
	}
	if (rc) {
		handler_store_problem(c, rc, "generation request");
		goto cleanup;
	}
	answer_request(c, 200, &r);
cleanup:
	free(reason);
	gen_request_release(&r);
}

void admin_api_fail(struct call *c)
{
	api_action(c, ADMIN_FAIL);
}

void admin_api_cancel(struct call *c)
{
	api_action(c, ADMIN_CANCEL);
}

void admin_api_retry(struct call *c)
{
	api_action(c, ADMIN_RETRY);
}

/* ---- POST /admin/api/bulk-retry ---- */

void admin_api_bulk_retry(struct call *c)
{
	struct problem p;
	struct validate_bulk_retry b;
	struct store_finished_filter f;
	struct jsonw w;
	char actor[ADMIN_ACTOR_LEN], err[200];
	unsigned done = 0;
	int capped = 0;

	memset(&b, 0, sizeof(b));
	if (refuse_browser_forms(c) < 0)
		return;
	if (http_read_body(c->req, c->cfg->max_body, &p) < 0 ||
	    validate_bulk_retry_body(c->req->body, c->req->body_len, &b, &p) < 0) {
		handler_problem(c, &p);
		return;
	}
	const char *reason = b.field[VBR_REASON], *action_id = b.field[VBR_ACTION_ID];
	if (check_reason(c, reason) < 0)
		goto cleanup;
	if (!bulk_action_id_valid(action_id)) {
		handler_problem(c, problem_set(&p, 400, "invalid-body",
					       "action_id is required: 1 to 64 of [A-Za-z0-9_-], the same "
					       "on a resend so that it applies once"));
		goto cleanup;
	}
	if (bulk_retry_filter(b.field[VBR_ENTITY_TYPE], b.field[VBR_STATUS],
			      b.field[VBR_FAILURE_REASON], b.field[VBR_FINISHED_AFTER],
			      b.field[VBR_FINISHED_BEFORE], &f, err, sizeof(err)) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-field", "%s", err));
		goto cleanup;
	}
	snprintf(actor, sizeof(actor), "admin:%s", c->admin);
	long long before = -1;
	int rc = store_action_begin(c->store, action_id, actor, "bulk-retry", c->now, &before);
	if (rc == STORE_DUPLICATE) {
		if (before < 0) {
			handler_problem(c, problem_set(&p, 409, "bulk-running",
						       "this action_id is still running, or a store "
						       "failure interrupted it"));
			goto cleanup;
		}
		/* A resend: what the first one did, and nothing more. */
		jsonw_init(&w, &c->resp->body);
		jsonw_object_begin(&w);
		jsonw_key(&w, "action_id"); jsonw_cstr(&w, action_id);
		jsonw_key(&w, "retried"); jsonw_int(&w, before);
		jsonw_key(&w, "repeat"); jsonw_bool(&w, 1);
		jsonw_object_end(&w);
		c->resp->status = 200;
		goto cleanup;
	}
	if (rc) {
		handler_store_problem(c, rc, "bulk action");
		goto cleanup;
	}
	/* No preview to bound it: the count as of now, capped as every bulk run is. */
	unsigned long long expected = 0;
	struct bulk_source src = { bulk_pick_finished, &f };
	rc = store_finished_count(c->store, &f, &expected);
	if (rc == STORE_OK)
		rc = bulk_apply(c->store, &src, ADMIN_RETRY, actor, reason, expected, &done, &capped);
	/* Finished whatever the run did, as the form's bulk_post explains. */
	int frc = store_action_finish(c->store, action_id, done);
	if (rc || frc) {
		log_warn("%s: bulk-retry %s broken off after %u retried", actor, action_id, done);
		handler_store_problem(c, rc ? rc : frc, "bulk action");
		goto cleanup;
	}
	log_info("%s: bulk-retry of %u requests", actor, done);
	jsonw_init(&w, &c->resp->body);
	jsonw_object_begin(&w);
	jsonw_key(&w, "action_id"); jsonw_cstr(&w, action_id);
	jsonw_key(&w, "retried"); jsonw_int(&w, done);
	jsonw_key(&w, "repeat"); jsonw_bool(&w, 0);
	jsonw_key(&w, "capped"); jsonw_bool(&w, capped);
	jsonw_object_end(&w);
	c->resp->status = 200;
cleanup:
	validate_bulk_retry_release(&b);
}

/* ---- queues: GET /admin/api/queues, POST /admin/api/queues/{type}/pause|resume ---- */

/* As the page reads them: the queues and their last hour (what finished, p50, p95, workers). */
void admin_api_queues(struct call *c)
{
	struct jsonw w;
	struct queues_view v;
	queues_load(c, &v, NULL);
	if (v.failed) {
		int rc = v.failed;
		queues_release(&v);
		handler_store_problem(c, rc, "queue");
		return;
	}
	admin_api_list_begin(c, &w);
	for (unsigned i = 0; i < v.n; i++)
		queue_state_render(&v.rows[i], c->now, &w);
	admin_api_list_end(c, &w);
	queues_release(&v);
}

/* Pausing a paused queue (or resuming a running one) is a 409, like any
 * action the state does not allow: the first pause's who, when and why stand. */
static void api_queue_action(struct call *c, int pause)
{
	struct problem p;
	struct queue_state q;
	struct jsonw w;
	char *reason;
	char actor[ADMIN_ACTOR_LEN];
	const char *type = c->route.entity_type;

	if (read_reason_body(c, &reason, actor) < 0)
		return;
	int rc = pause ? store_queue_pause(c->store, type, actor, reason)
		 : store_queue_resume(c->store, type, actor, reason);
	if (rc == STORE_OK || rc == STORE_CONFLICT) {
		int rc2 = store_queue_get(c->store, type, &q);
		if (rc2)
			rc = rc2;
	}
	if (rc == STORE_CONFLICT) {
		if (pause)
			handler_problem(c, problem_set(&p, 409, "queue-already-paused",
						       "the %s queue is already paused (by %s)", type,
						       q.paused_by));
		else
			handler_problem(c, problem_set(&p, 409, "queue-not-paused",
						       "the %s queue is not paused", type));
		goto cleanup;
	}
	if (rc) {
		handler_store_problem(c, rc, "queue");
		goto cleanup;
	}
	log_info("%s: %s queue %s", actor, pause ? "paused" : "resumed", type);
	jsonw_init(&w, &c->resp->body);
	queue_state_render(&q, c->now, &w);
	c->resp->status = 200;
cleanup:
	free(reason);
}

void admin_api_queue_pause(struct call *c)
{
	api_queue_action(c, 1);
}

void admin_api_queue_resume(struct call *c)
{
	api_queue_action(c, 0);
}

/* ---- /healthz ---- */

void admin_api_healthz(struct call *c)
{
	struct problem p;
	int rc = store_ping(c->store);
	if (rc) {
		log_warn("healthz: %s", store_last_error(c->store));
		handler_problem(c, problem_set(&p, 503, NULL, "the store is unreachable"));
		http_add_header(c->resp, "Cache-Control", "no-store");
		return;
	}
	http_add_header(c->resp, "Cache-Control", "no-store");
	c->resp->status = 200;
	strbuf_addstr(&c->resp->body, "{\"status\":\"ok\",\"store\":\"ok\"}");
}

/* ---- /metrics ---- */

struct transitions {
	struct strbuf *sb;
	unsigned long long reaped_failed, reaped_retried;
};

static int transition_sample(void *ctx, const char *kind, const char *to, unsigned long long n)
{
	struct transitions *t = ctx;
	const char *labels[] = { "actor", kind, "to", to, NULL };
	metrics_sample(t->sb, "gentrack_transitions_total", labels, (double)n);
	if (!strcmp(kind, "reaper")) {
		if (!strcmp(to, "failed"))
			t->reaped_failed += n;
		else if (!strcmp(to, "pending"))
			t->reaped_retried += n;
	}
	return 0;
}

static int histogram(struct call *c, struct strbuf *sb, enum store_hist which,
		     const char *name, const char *help)
{
	struct store_histogram h;
	double bounds_s[STORE_HIST_BUCKETS];
	int rc = store_metric_histogram(c->store, which, &h);
	if (rc)
		return rc;
	for (int k = 0; k < STORE_HIST_BUCKETS; k++)
		bounds_s[k] = (double)h.bounds_ms[k] / 1000.0;
	metrics_histogram(sb, name, help, bounds_s, h.le, STORE_HIST_BUCKETS, h.count,
			  (double)h.sum_ms / 1000.0);
	return 0;
}

/*
 * Live updates' publishes that failed: the change stood, and the request
 * waits for the supervisor's repair (README "Live updates"). The counter
 * counts each lost publish of a change once, not the repair's retries; the
 * gauge says how many requests still wait, so a repair that cannot reach
 * nginx shows as a gauge that stays up.
 */
static int live_failures(struct call *c, struct strbuf *sb)
{
	unsigned long long n, pending;
	int rc = store_metric_live_failures(c->store, &n);
	if (!rc)
		rc = store_republish_pending(c->store, &pending);
	if (rc)
		return rc;
	metrics_family(sb, "gentrack_live_publish_failures_total", "counter",
		       "Changes whose publish to nginx's live updates failed (the change itself stands).");
	metrics_sample(sb, "gentrack_live_publish_failures_total", NULL, (double)n);
	metrics_family(sb, "gentrack_live_republish_pending", "gauge",
		       "Requests whose latest live update was lost and is not yet published again.");
	metrics_sample(sb, "gentrack_live_republish_pending", NULL, (double)pending);
	return 0;
}

/*
 * Transactions that lost a conflict (a Galera certification, a deadlock, a
 * lock wait) and ran again or gave up, by operation. Every operation the
 * store retries is listed, at 0 until it meets one, so rate() has a series.
 */
static const char *const conflict_operations[] = {
	"admin", "cancel", "claim", "complete", "create", "entity", "idempotency", "lease",
	"prune", "queue", "reap",
};
#define N_CONFLICT_OPERATIONS (sizeof(conflict_operations) / sizeof(conflict_operations[0]))

struct conflicts {
	unsigned long long n[N_CONFLICT_OPERATIONS];
	struct strbuf *sb;
};

static int conflict_count(void *ctx, const char *operation, unsigned long long n)
{
	struct conflicts *k = ctx;
	for (size_t i = 0; i < N_CONFLICT_OPERATIONS; i++) {
		if (!strcmp(operation, conflict_operations[i])) {
			k->n[i] += n;
			return 0;
		}
	}
	/* A name this build does not know (a newer one wrote it): shown as it is. */
	const char *labels[] = { "operation", operation, NULL };
	metrics_sample(k->sb, "gentrack_conflicts_total", labels, (double)n);
	return 0;
}

static int conflict_metrics(struct call *c, struct strbuf *sb)
{
	struct conflicts k = { { 0 }, sb };
	metrics_family(sb, "gentrack_conflicts_total", "counter",
		       "Transactions that lost a certification or lock conflict (1213, 1205) and "
		       "were run again or given up, by operation.");
	int rc = store_metric_conflicts(c->store, conflict_count, &k);
	if (rc)
		return rc;
	for (size_t i = 0; i < N_CONFLICT_OPERATIONS; i++) {
		const char *labels[] = { "operation", conflict_operations[i], NULL };
		metrics_sample(sb, "gentrack_conflicts_total", labels, (double)k.n[i]);
	}
	return 0;
}

/*
 * The webhook deliverers (issue 16, README "Webhooks"): each attempt's
 * outcome, the POSTs, and how late the most overdue delivery is, which
 * grows when no deliverer runs or they cannot keep up (the alert
 * GentrackWebhooksBehind). Every result is listed, at 0 until it happens.
 */
static int webhook_metrics(struct call *c, struct strbuf *sb)
{
	struct store_webhook_metrics m;
	int rc = store_metric_webhooks(c->store, &m);
	if (rc)
		return rc;
	metrics_family(sb, "gentrack_webhook_deliveries_total", "counter",
		       "Webhook delivery attempts by outcome: delivered (2xx), retried (failed, tried "
		       "again later), dead (given up), disabled (410 Gone: dead, endpoint disabled).");
	const char *results[] = { "delivered", "retried", "dead", "disabled" };
	unsigned long long n[] = { m.delivered, m.retried, m.dead, m.disabled };
	for (size_t i = 0; i < 4; i++) {
		const char *labels[] = { "result", results[i], NULL };
		metrics_sample(sb, "gentrack_webhook_deliveries_total", labels, (double)n[i]);
	}
	metrics_family(sb, "gentrack_webhook_attempts_total", "counter",
		       "Webhook POSTs made (every try of every delivery).");
	metrics_sample(sb, "gentrack_webhook_attempts_total", NULL, (double)m.attempts);
	metrics_family(sb, "gentrack_webhook_oldest_due_age_seconds", "gauge",
		       "How long the most overdue pending webhook delivery has been due (store "
		       "clock); 0 when none is.");
	metrics_sample(sb, "gentrack_webhook_oldest_due_age_seconds", NULL,
		       (double)m.oldest_due_age_us / US_PER_S);
	return 0;
}

/* ---- by entity type (a queue), and what the shipped alerts compare with ---- */

/* Two families from one read: each gathers its samples apart, then both are
 * written whole (a family's samples must stay together). */
struct queues {
	struct strbuf gauges, counters;
};

static int queue_samples(void *ctx, const struct store_queue *q)
{
	struct queues *o = ctx;
	const char *p[] = { "entity_type", q->entity_type, "status", "pending", NULL };
	const char *r[] = { "entity_type", q->entity_type, "status", "processing", NULL };
	metrics_sample(&o->gauges, "gentrack_queue_requests", p, (double)q->pending);
	metrics_sample(&o->gauges, "gentrack_queue_requests", r, (double)q->processing);
	for (int st = 0; st < GEN_STATUS_COUNT; st++) {
		if (!q->transitions[st])
			continue;
		const char *labels[] = { "entity_type", q->entity_type,
					 "to", lifecycle_status_name((enum gen_status)st), NULL };
		metrics_sample(&o->counters, "gentrack_queue_transitions_total", labels,
			       (double)q->transitions[st]);
	}
	return 0;
}

struct oldest {
	struct strbuf *sb;
	int64_t now;
};

static int oldest_pending_sample(void *ctx, const char *type, int64_t requested_at)
{
	struct oldest *o = ctx;
	const char *labels[] = { "entity_type", type, NULL };
	/* Both times are the store's clock, as the reaper's pending_timeout is. */
	double age = requested_at == TIME_NONE || requested_at > o->now ? 0.0
		     : (double)(o->now - requested_at) / US_PER_S;
	metrics_sample(o->sb, "gentrack_queue_oldest_pending_age_seconds", labels, age);
	return 0;
}

static int paused_sample(void *ctx, const char *type)
{
	const char *labels[] = { "entity_type", type, NULL };
	metrics_sample(ctx, "gentrack_queue_paused", labels, 1.0);
	return 0;
}

static int queue_metrics(struct call *c, struct strbuf *sb, int64_t now)
{
	struct queues q = { STRBUF_INIT, STRBUF_INIT };
	int rc = store_metric_queues(c->store, queue_samples, &q);
	/* Out of memory in either: the body is, and http answers as it does for one. */
	if (q.gauges.oom || q.counters.oom)
		sb->oom = 1;
	if (rc == STORE_OK) {
		metrics_family(sb, "gentrack_queue_requests", "gauge",
			       "Pending and processing requests of each entity type, from the counters.");
		strbuf_add(sb, q.gauges.buf, q.gauges.len);
		metrics_family(sb, "gentrack_queue_transitions_total", "counter",
			       "State transitions by entity type and target status (kept across prune).");
		strbuf_add(sb, q.counters.buf, q.counters.len);
	}
	strbuf_release(&q.gauges);
	strbuf_release(&q.counters);
	if (rc)
		return rc;
	metrics_family(sb, "gentrack_queue_oldest_pending_age_seconds", "gauge",
		       "Age of the oldest pending request of each entity type with pending requests "
		       "(since requested_at, as pending_timeout counts).");
	struct oldest o = { sb, now };
	rc = store_metric_oldest_pending(c->store, oldest_pending_sample, &o);
	if (rc)
		return rc;
	metrics_family(sb, "gentrack_queue_paused", "gauge",
		       "1 for each entity type whose queue an operator paused (claims skip it).");
	return store_queue_paused_types(c->store, paused_sample, sb);
}

/* The reaper's last run, and the timeouts the alerts take halves of. */
static void reaper_metrics(struct call *c, struct strbuf *sb, int64_t last_reap)
{
	metrics_family(sb, "gentrack_reaper_last_run_timestamp_seconds", "gauge",
		       "When gentrackctl reap last finished a run on any host (store clock, "
		       "Unix time); 0 when none was recorded.");
	metrics_sample(sb, "gentrack_reaper_last_run_timestamp_seconds", NULL,
		       last_reap == TIME_NONE ? 0.0 : (double)last_reap / US_PER_S);
	metrics_family(sb, "gentrack_pending_timeout_seconds", "gauge",
		       "pending_timeout of this process's configuration: a request pending longer fails.");
	metrics_sample(sb, "gentrack_pending_timeout_seconds", NULL, (double)c->cfg->pending_timeout);
	metrics_family(sb, "gentrack_stale_after_seconds", "gauge",
		       "stale_after of this process's configuration: a generation running longer fails.");
	metrics_sample(sb, "gentrack_stale_after_seconds", NULL, (double)c->cfg->stale_after);
}

void admin_api_metrics(struct call *c)
{
	struct strbuf *sb = &c->resp->body;
	struct store_request_counts counts;
	unsigned long long stuck = 0;
	struct store_stuck_filter f;
	struct transitions t = { sb, 0, 0 };
	/* From the counters, not COUNT(*): a scrape never reads the history. */
	int rc = store_metric_requests(c->store, &counts);
	if (rc)
		goto fail;
	metrics_family(sb, "gentrack_requests", "gauge", "Generation requests in the store, by status.");
	for (int st = 0; st < GEN_STATUS_COUNT; st++) {
		const char *labels[] = { "status", lifecycle_status_name((enum gen_status)st), NULL };
		metrics_sample(sb, "gentrack_requests", labels, (double)counts.in_status[st]);
	}
	metrics_family(sb, "gentrack_pruned_total", "counter",
		       "Requests deleted by gentrackctl prune, by the status they ended in.");
	for (int st = 0; st < GEN_STATUS_COUNT; st++) {
		if (!lifecycle_is_terminal((enum gen_status)st))
			continue;
		const char *labels[] = { "status", lifecycle_status_name((enum gen_status)st), NULL };
		metrics_sample(sb, "gentrack_pruned_total", labels, (double)counts.pruned[st]);
	}
	/* Stuck is a deadline: the store's clock, not this host's (a scrape from
	 * loopback reads no key, so c->now is still the host's here). */
	int64_t now, last_reap;
	rc = store_metric_clock(c->store, &now, &last_reap);
	if (rc)
		goto fail;
	admin_stuck_filter(c->cfg, now, &f);
	rc = store_stuck_count(c->store, &f, &stuck);
	if (rc)
		goto fail;
	metrics_family(sb, "gentrack_stuck_requests", "gauge",
		       "Requests the admin page lists as stuck right now.");
	metrics_sample(sb, "gentrack_stuck_requests", NULL, (double)stuck);
	metrics_family(sb, "gentrack_transitions_total", "counter",
		       "State transitions, by actor kind and target status (kept across prune).");
	rc = store_metric_transitions(c->store, transition_sample, &t);
	if (rc)
		goto fail;
	metrics_family(sb, "gentrack_reaped_total", "counter",
		       "Requests the reaper (or a status read on its behalf) failed or sent back to pending.");
	const char *failed[] = { "outcome", "failed", NULL };
	const char *retried[] = { "outcome", "retried", NULL };
	metrics_sample(sb, "gentrack_reaped_total", failed, (double)t.reaped_failed);
	metrics_sample(sb, "gentrack_reaped_total", retried, (double)t.reaped_retried);
	rc = histogram(c, sb, HIST_CLAIM_LATENCY, "gentrack_claim_latency_seconds",
		       "Time from a request becoming pending to a worker claiming it.");
	if (rc)
		goto fail;
	rc = histogram(c, sb, HIST_GENERATION_DURATION, "gentrack_generation_duration_seconds",
		       "Time from a worker's claim to its complete (completed, partial, generator_failed).");
	if (rc == 0)
		rc = live_failures(c, sb);
	if (rc == 0)
		rc = conflict_metrics(c, sb);
	if (rc == 0)
		rc = webhook_metrics(c, sb);
	if (rc == 0)
		rc = queue_metrics(c, sb, now);
	if (rc)
		goto fail;
	reaper_metrics(c, sb, last_reap);
	c->resp->status = 200;
	c->resp->content_type = METRICS_CONTENT_TYPE;
	http_add_header(c->resp, "Cache-Control", "no-store");
	return;
fail:
	handler_store_problem(c, rc, "metrics");
}

/* ---- webhooks: redeliver (the page's form is actions.c's) ---- */

void admin_api_webhook_redeliver(struct call *c)
{
	struct problem p;
	struct query q = { 0 };
	struct jsonw w;
	enum store_redeliver_refusal why;
	char *reason = NULL;
	char actor[ADMIN_ACTOR_LEN], err[200];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-query", "%s", err));
		return;
	}
	const char *id = query_get(&q, "id");
	if (!admin_webhook_id_valid(id)) {
		handler_problem(c, problem_set(&p, 400, "invalid-query",
					       "id is a delivery's webhook-id (msg_...)"));
		goto cleanup;
	}
	if (read_reason_body(c, &reason, actor) < 0)
		goto cleanup;
	int rc = store_delivery_redeliver(c->store, id, actor, reason, &why);
	if (rc == STORE_CONFLICT || rc == STORE_INVALID) {
		handler_problem(c, problem_set(&p, 409, why == REDELIVER_PENDING ? "delivery-pending" :
					       why == REDELIVER_REMOVED ? "endpoint-removed" :
					       "endpoint-disabled",
					       why == REDELIVER_PENDING ? "the delivery is waiting already" :
					       why == REDELIVER_REMOVED ? "its endpoint was removed" :
					       "its endpoint is disabled (410 Gone): enable it first"));
		goto cleanup;
	}
	if (rc) {
		handler_store_problem(c, rc, "webhook delivery");
		goto cleanup;
	}
	log_info("%s: redelivered webhook %s", actor, id);
	jsonw_init(&w, &c->resp->body);
	jsonw_object_begin(&w);
	jsonw_key(&w, "id");
	jsonw_cstr(&w, id);
	jsonw_key(&w, "state");
	jsonw_cstr(&w, "pending");
	jsonw_object_end(&w);
	c->resp->status = 200;
cleanup:
	free(reason);
	query_release(&q);
}
