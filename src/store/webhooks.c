#include "build_config.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/uuid.h"
#include "model/webhook.h"
#include "store/internal.h"
#include "base/banned.h"

/*
 * Webhook endpoints and the outbox of their deliveries (sql/017, issue 16):
 * what `gentrackctl webhook` changes, what the transitions write, and what
 * the deliverer claims and records.
 */

/* ---- endpoints ---- */

static const struct engine_query Q_WH_ADD = {
	"INSERT INTO webhook_endpoints (owner, name, url, secret, events, created_at) "
	"VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
	"sssss", "" };

int store_webhook_add(struct store *s, const char *owner, const char *name, const char *url,
		      const char *secret, const char *events, long long *id)
{
	struct sqlv p[] = { SV_STR(owner), SV_STR(name), SV_STR(url), SV_STR(secret),
			    SV_STR(events) };
	int rc = engine_run(s, &Q_WH_ADD, p, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK)
		*id = engine_insert_id(s, &Q_WH_ADD);
	return rc;
}

/* The secret is never read here: only the deliverer's claim reads it. */
static const struct engine_query Q_WH_LIST = {
	"SELECT e.id, e.owner, e.name, e.url, e.events, e.created_at, e.disabled_at, "
	"(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id "
	" AND d.state = 'pending'), e.is_default IS NOT NULL "
	"FROM webhook_endpoints e WHERE ? IS NULL OR e.owner = ? ORDER BY e.owner, e.name",
	"ss", "isssstiii" };

static int webhook_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_webhook_row *) =
		(int (*)(void *, const struct store_webhook_row *))k->fn;
	struct store_webhook_row r = {
		.id = c[0].i, .owner = c[1].s, .name = c[2].s, .url = c[3].s, .events = c[4].s,
		.created_at = engine_cell_time(&c[5]), .disabled_at = engine_cell_time(&c[6]),
		.pending = (unsigned long long)c[7].i, .is_default = (int)c[8].i,
	};
	return fn(k->ctx, &r);
}

int store_webhook_list(struct store *s, const char *owner,
		       int (*fn)(void *ctx, const struct store_webhook_row *row), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_STR(owner), SV_STR(owner) };
	return engine_run(s, &Q_WH_LIST, p, webhook_row, &k, NULL, NULL);
}

static const struct engine_query Q_WH_FIND = {
	"SELECT id FROM webhook_endpoints WHERE owner = ? AND name = ? FOR UPDATE",
	"ss", "i" };
static const struct engine_query Q_WH_ORPHAN = {
	"UPDATE webhook_deliveries SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, "
	"last_error = 'endpoint removed' WHERE endpoint_id = ? AND state = 'pending'",
	"i", "" };
static const struct engine_query Q_WH_DELETE = {
	"DELETE FROM webhook_endpoints WHERE id = ?",
	"i", "" };

static int id_row(void *ctx, const struct sqlcell *c)
{
	*(long long *)ctx = c[0].i;
	return 1;
}

static int remove_txn(struct store *s, const char *owner, const char *name)
{
	long long id = 0;
	size_t rows = 0;
	int rc = engine_begin(s);
	if (rc)
		return rc;
	struct sqlv p[] = { SV_STR(owner), SV_STR(name) };
	rc = engine_run(s, &Q_WH_FIND, p, id_row, &id, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	struct sqlv q[] = { SV_INT(id) };
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_WH_ORPHAN, q, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_WH_DELETE, q, NULL, NULL, NULL, NULL);
	return engine_finish(s, rc);
}

int store_webhook_remove(struct store *s, const char *owner, const char *name)
{
	struct retry r = RETRY_INIT("webhook_remove");
	int rc;
	do
		rc = remove_txn(s, owner, name);
	while (retry_again(s, &r, rc));
	return rc;
}

/* ---- the outbox ---- */

/* One endpoint per request today (the one it names); room for a list later. */
#define OUTBOX_ENDPOINTS_MAX 16

/* The endpoint the request reports to (sql/018), if enabled and subscribed. */
static const struct engine_query Q_OUTBOX_ENDPOINTS = {
	"SELECT e.id FROM generation_requests r JOIN webhook_endpoints e "
	"ON e.owner = r.owner AND e.name = r.webhook "
	"WHERE r.id = ? AND e.disabled_at IS NULL AND FIND_IN_SET(?, e.events) "
	"ORDER BY e.id LIMIT 16",
	"bs", "i" };
static const struct engine_query Q_OUTBOX_REQUEST = {
	"SELECT " REQ_COLUMNS " FROM generation_requests WHERE id = ?",
	"b", REQ_TYPES };
static const struct engine_query Q_OUTBOX_INSERT = {
	"INSERT INTO webhook_deliveries (id, request_id, endpoint_id, event_type, payload, "
	"created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
	"sbisstt", "" };

struct endpoint_ids {
	long long ids[OUTBOX_ENDPOINTS_MAX];
	unsigned n;
};

static int endpoint_id_row(void *ctx, const struct sqlcell *c)
{
	struct endpoint_ids *e = ctx;
	if (e->n < OUTBOX_ENDPOINTS_MAX)
		e->ids[e->n++] = c[0].i;
	return 0;
}

/*
 * {"type": ..., "timestamp": ..., "data": {the resource without entities,
 * "link": its URL}}: what the endpoint receives. The link is absolute when
 * [server] base_url is set (the process that makes the transition renders
 * it: the API's, the reaper's, gentrackctl's configuration), else the path.
 */
static int outbox_payload(struct store *s, const struct uuid *id, int64_t at,
			  const char *type, struct strbuf *sb)
{
	struct gen_request r;
	struct rows_one one = { &r, 0 };
	size_t rows = 0;
	char ids[UUID_STR_LEN + 1];
	const char *base = engine_config(s)->base_url;
	gen_request_init(&r);
	struct sqlv p[] = { SV_UUID(id) };
	int rc = engine_run(s, &Q_OUTBOX_REQUEST, p, rows_one_request, &one, NULL, &rows);
	if (rc == STORE_OK && one.failed)
		rc = engine_oom(s);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	if (rc == STORE_OK) {
		struct jsonw w;
		uuid_format(id, ids);
		jsonw_init(&w, sb);
		jsonw_object_begin(&w);
		jsonw_key(&w, "type"); jsonw_cstr(&w, type);
		resource_render_time(&w, "timestamp", at);
		jsonw_key(&w, "data");
		jsonw_object_begin(&w);
		resource_render_members(&r, NULL, 0, &w);
		struct strbuf link = STRBUF_INIT;
		strbuf_addf(&link, "%s/api/v1/generation-requests/%s", base ? base : "", ids);
		jsonw_key(&w, "link"); jsonw_cstr(&w, link.oom ? "" : link.buf);
		if (link.oom)
			sb->oom = 1;
		strbuf_release(&link);
		jsonw_object_end(&w);
		jsonw_object_end(&w);
		if (jsonw_failed(&w) || sb->oom)
			rc = engine_oom(s);
	}
	gen_request_release(&r);
	return rc;
}

int webhooks_outbox(struct store *s, const struct uuid *id, int64_t at, const char *to)
{
	enum gen_status final;
	const char *type;
	struct endpoint_ids e = { .n = 0 };
	struct strbuf payload = STRBUF_INIT;

	if (!to || lifecycle_status_parse(to, &final) < 0 || !(type = webhook_event_type(final)))
		return STORE_OK;
	struct sqlv p[] = { SV_UUID(id), SV_STR(to) };
	int rc = engine_run(s, &Q_OUTBOX_ENDPOINTS, p, endpoint_id_row, &e, NULL, NULL);
	if (rc || !e.n)
		return rc;
	rc = outbox_payload(s, id, at, type, &payload);
	for (unsigned i = 0; rc == STORE_OK && i < e.n; i++) {
		char msg_id[WEBHOOK_MSG_ID_LEN + 1];
		webhook_msg_id_generate(msg_id);
		struct sqlv q[] = { SV_STR(msg_id), SV_UUID(id), SV_INT(e.ids[i]), SV_STR(type),
				    SV_BIN(payload.buf, payload.len), SV_TIME(at), SV_TIME(at) };
		rc = engine_run(s, &Q_OUTBOX_INSERT, q, NULL, NULL, NULL, NULL);
	}
	strbuf_release(&payload);
	return rc;
}

/* ---- delivery ---- */

void store_delivery_release(struct store_delivery *d)
{
	if (d->secret) {
		sodium_memzero(d->secret, strlen(d->secret));
		free(d->secret);
	}
	if (d->previous_secret) {
		sodium_memzero(d->previous_secret, strlen(d->previous_secret));
		free(d->previous_secret);
	}
	free(d->payload);
	free(d->url);
	memset(d, 0, sizeof(*d));
}

static const struct engine_query Q_DELIVERY_DUE = {
	"SELECT id, endpoint_id, event_type, payload, attempts, UTC_TIMESTAMP(6) "
	"FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(6) "
	"AND (lease_expires_at IS NULL OR lease_expires_at <= UTC_TIMESTAMP(6)) "
	"ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
	"", "sissit" };
static const struct engine_query Q_DELIVERY_ENDPOINT = {
	"SELECT url, secret, disabled_at IS NOT NULL, "
	"IF(previous_secret_until > UTC_TIMESTAMP(6), previous_secret, NULL) "
	"FROM webhook_endpoints WHERE id = ?",
	"i", "ssis" };
static const struct engine_query Q_DELIVERY_LEASE = {
	"UPDATE webhook_deliveries SET lease_owner = ?, "
	"lease_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id = ?",
	"sis", "" };

static int due_row(void *ctx, const struct sqlcell *c)
{
	struct store_delivery *d = ctx;
	engine_cell_copy(&c[0], d->id, sizeof(d->id));
	d->endpoint_id = c[1].i;
	engine_cell_copy(&c[2], d->event_type, sizeof(d->event_type));
	d->payload = engine_cell_dup(&c[3]);
	d->payload_len = c[3].len;
	d->attempts = (unsigned)c[4].i;
	d->now = engine_cell_time(&c[5]);
	return 1;
}

static int endpoint_row(void *ctx, const struct sqlcell *c)
{
	struct store_delivery *d = ctx;
	d->url = engine_cell_dup(&c[0]);
	d->secret = engine_cell_dup(&c[1]);
	d->endpoint_disabled = (int)c[2].i;
	if (!c[3].null && !(d->previous_secret = engine_cell_dup(&c[3])))
		d->secret_oom = 1;
	return 1;
}

static int claim_txn(struct store *s, const char *lease_owner, unsigned lease_seconds,
		     struct store_delivery *out)
{
	size_t rows = 0;
	memset(out, 0, sizeof(*out));
	int rc = engine_begin(s);
	if (rc)
		return rc;
	rc = engine_run(s, &Q_DELIVERY_DUE, NULL, due_row, out, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	if (rc == STORE_OK && !out->payload)
		rc = engine_oom(s);
	if (rc == STORE_OK) {
		struct sqlv p[] = { SV_INT(out->endpoint_id) };
		rows = 0;
		rc = engine_run(s, &Q_DELIVERY_ENDPOINT, p, endpoint_row, out, NULL, &rows);
		/* Removed endpoints take their waiting deliveries with them. */
		if (rc == STORE_OK && !rows)
			out->endpoint_disabled = 1;
		else if (rc == STORE_OK && (!out->url || !out->secret || out->secret_oom))
			rc = engine_oom(s);
	}
	if (rc == STORE_OK) {
		struct sqlv p[] = { SV_STR(lease_owner), SV_INT(lease_seconds), SV_STR(out->id) };
		rc = engine_run(s, &Q_DELIVERY_LEASE, p, NULL, NULL, NULL, NULL);
	}
	rc = engine_finish(s, rc);
	if (rc)
		store_delivery_release(out);
	return rc;
}

int store_delivery_claim(struct store *s, const char *lease_owner, unsigned lease_seconds,
			 struct store_delivery *out)
{
	struct retry r = RETRY_INIT("webhook_claim");
	int rc;
	do
		rc = claim_txn(s, lease_owner, lease_seconds, out);
	while (retry_again(s, &r, rc));
	return rc;
}

/* Fenced on the lease: a deliverer whose lease ran out records nothing. */
static const struct engine_query Q_DELIVERY_FINISH = {
	"UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, "
	"next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND, "
	"lease_owner = NULL, lease_expires_at = NULL, last_attempt_at = UTC_TIMESTAMP(6), "
	"last_status = NULLIF(?, 0), last_error = ? "
	"WHERE id = ? AND state = 'pending' AND lease_owner = ?",
	"siisss", "" };
static const struct engine_query Q_ENDPOINT_DISABLE = {
	"UPDATE webhook_endpoints SET disabled_at = UTC_TIMESTAMP(6) "
	"WHERE id = ? AND disabled_at IS NULL",
	"i", "" };

/* The attempt's row, and its endpoint's last result (sql/019). */
static const struct engine_query Q_ATTEMPT_INSERT = {
	"INSERT INTO webhook_attempts (delivery_id, at, duration_us, http_status, error, deliverer) "
	"VALUES (?, UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND, ?, NULLIF(?, 0), ?, ?)",
	"siiiss", "" };
static const struct engine_query Q_ENDPOINT_RESULT = {
	"UPDATE webhook_endpoints SET last_attempt_at = UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND, "
	"last_status = NULLIF(?, 0), last_error = ?, failures = IF(?, 0, failures + 1) WHERE id = ?",
	"iisii", "" };

static int finish_txn(struct store *s, const struct store_delivery *d, const char *lease_owner,
		      enum store_delivery_outcome outcome, long long retry_us, int http_status,
		      const char *error, int disable_endpoint, long long duration_us)
{
	static const char *const states[] = { "delivered", "pending", "dead" };
	unsigned long long n = 0;
	char err[1024 + 1];
	int rc = engine_begin(s);
	if (rc)
		return rc;
	/* last_error is VARCHAR(1024): whatever a server or libcurl said, cut. */
	if (error)
		snprintf(err, sizeof(err), "%s", error);
	struct sqlv p[] = { SV_STR(states[outcome]),
			    SV_INT(outcome == DELIVERY_RETRY ? retry_us : 0),
			    SV_INT(http_status), SV_STR(error ? err : NULL),
			    SV_STR(d->id), SV_STR(lease_owner) };
	rc = engine_run(s, &Q_DELIVERY_FINISH, p, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && n != 1)
		rc = STORE_CONFLICT;
	if (rc == STORE_OK && duration_us >= 0) {
		struct sqlv a[] = { SV_STR(d->id), SV_INT(duration_us), SV_INT(duration_us),
				    SV_INT(http_status), SV_STR(error ? err : NULL), SV_STR(lease_owner) };
		rc = engine_run(s, &Q_ATTEMPT_INSERT, a, NULL, NULL, NULL, NULL);
	}
	if (rc == STORE_OK && duration_us >= 0) {
		struct sqlv e[] = { SV_INT(duration_us), SV_INT(http_status), SV_STR(error ? err : NULL),
				    SV_INT(outcome == DELIVERY_DELIVERED), SV_INT(d->endpoint_id) };
		rc = engine_run(s, &Q_ENDPOINT_RESULT, e, NULL, NULL, NULL, NULL);
	}
	/* /metrics: the outcome, counted with it (a delivery to an endpoint gone
	 * since its claim made no POST). */
	if (rc == STORE_OK)
		rc = metrics_on_delivery(s, outcome == DELIVERY_DELIVERED ? "delivered"
					    : outcome == DELIVERY_RETRY ? "retried"
					    : disable_endpoint ? "disabled" : "dead",
					 !d->endpoint_disabled);
	if (rc == STORE_OK && disable_endpoint) {
		struct sqlv q[] = { SV_INT(d->endpoint_id) };
		rc = engine_run(s, &Q_ENDPOINT_DISABLE, q, NULL, NULL, NULL, NULL);
	}
	return engine_finish(s, rc);
}

int store_delivery_finish(struct store *s, const struct store_delivery *d, const char *lease_owner,
			  enum store_delivery_outcome outcome, long long retry_us,
			  int http_status, const char *error, int disable_endpoint,
			  long long duration_us)
{
	struct retry r = RETRY_INIT("webhook_finish");
	int rc;
	do
		rc = finish_txn(s, d, lease_owner, outcome, retry_us, http_status, error,
				disable_endpoint, duration_us);
	while (retry_again(s, &r, rc));
	return rc;
}

/* ---- the admin console: endpoints, deliveries, attempts, redeliver (sql/019) ---- */

/* The dead and pending counts read ix_endpoint: all of an endpoint's history. */
static const struct engine_query Q_WH_STATUS = {
	"SELECT e.id, e.owner, e.name, e.url, e.events, e.created_at, e.disabled_at, "
	"e.last_attempt_at, e.last_status, e.last_error, e.failures, "
	"(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id "
	" AND d.state = 'pending'), "
	"(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id "
	" AND d.state = 'dead') "
	"FROM webhook_endpoints e ORDER BY e.owner, e.name LIMIT ?",
	"i", "isssstttisiii" };

static int status_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_webhook_status *) =
		(int (*)(void *, const struct store_webhook_status *))k->fn;
	struct store_webhook_status e = {
		.id = c[0].i, .owner = c[1].s, .name = c[2].s, .url = c[3].s, .events = c[4].s,
		.created_at = engine_cell_time(&c[5]), .disabled_at = engine_cell_time(&c[6]),
		.last_attempt_at = engine_cell_time(&c[7]),
		.last_status = c[8].null ? 0 : (int)c[8].i,
		.last_error = c[9].null ? NULL : c[9].s,
		.failures = (unsigned)c[10].i,
		.pending = (unsigned long long)c[11].i, .dead = (unsigned long long)c[12].i,
	};
	return fn(k->ctx, &e);
}

int store_webhook_status_list(struct store *s, unsigned limit,
			      int (*fn)(void *ctx, const struct store_webhook_status *e),
			      void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_INT(limit) };
	return engine_run(s, &Q_WH_STATUS, p, status_row, &k, NULL, NULL);
}

#define DELIVERY_COLUMNS \
	"d.id, d.request_id, d.endpoint_id, e.owner, e.name, e.disabled_at IS NOT NULL, " \
	"d.event_type, d.state, d.attempts, d.created_at, d.next_attempt_at, " \
	"d.last_attempt_at, d.last_status, d.last_error, d.lease_owner, d.lease_expires_at"
#define DELIVERY_TYPES "sbississitttisst"

/*
 * One state at a time, newest due first: a backward range of ix_due
 * (state, next_attempt_at), so a page costs its rows, not the outbox.
 */
static const struct engine_query Q_DELIVERY_LIST = {
	"SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries d "
	"LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	"WHERE d.state = ? AND (? = 0 OR d.endpoint_id = ?) "
	"ORDER BY d.next_attempt_at DESC LIMIT ?",
	"siii", DELIVERY_TYPES };
static const struct engine_query Q_DELIVERY_GET = {
	"SELECT " DELIVERY_COLUMNS ", d.payload FROM webhook_deliveries d "
	"LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?",
	"s", DELIVERY_TYPES "s" };

struct delivery_sink {
	struct engine_sink k;
	unsigned rows;
	int with_payload;
};

static int delivery_row(void *ctx, const struct sqlcell *c)
{
	struct delivery_sink *ds = ctx;
	int (*fn)(void *, const struct store_delivery_row *) =
		(int (*)(void *, const struct store_delivery_row *))ds->k.fn;
	struct store_delivery_row d = {
		.id = c[0].s, .endpoint_id = c[2].i,
		.owner = c[3].null ? NULL : c[3].s, .name = c[4].null ? NULL : c[4].s,
		.endpoint_disabled = !c[5].null && c[5].i,
		.event_type = c[6].s, .state = c[7].s, .attempts = (unsigned)c[8].i,
		.created_at = engine_cell_time(&c[9]), .next_attempt_at = engine_cell_time(&c[10]),
		.last_attempt_at = engine_cell_time(&c[11]),
		.last_status = c[12].null ? 0 : (int)c[12].i,
		.last_error = c[13].null ? NULL : c[13].s,
		.lease_owner = c[14].null ? NULL : c[14].s,
		.lease_expires_at = engine_cell_time(&c[15]),
		.payload = ds->with_payload ? c[16].s : NULL,
	};
	engine_cell_uuid(&c[1], &d.request_id);
	ds->rows++;
	return fn(ds->k.ctx, &d);
}

int store_delivery_list(struct store *s, long long endpoint_id, const char *state,
			unsigned limit, int (*fn)(void *ctx, const struct store_delivery_row *d),
			void *ctx)
{
	static const char *const order[] = { "dead", "pending", "delivered" };
	struct delivery_sink ds = { ENGINE_SINK(fn, ctx), 0, 0 };
	int rc = STORE_OK;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && rc == STORE_OK; i++) {
		if ((state && strcmp(state, order[i])) || ds.rows >= limit)
			continue;
		struct sqlv p[] = { SV_STR(order[i]), SV_INT(endpoint_id), SV_INT(endpoint_id),
				    SV_INT(limit - ds.rows) };
		rc = engine_run(s, &Q_DELIVERY_LIST, p, delivery_row, &ds, NULL, NULL);
	}
	return rc;
}

int store_delivery_get(struct store *s, const char *id,
		       int (*fn)(void *ctx, const struct store_delivery_row *d), void *ctx)
{
	struct delivery_sink ds = { ENGINE_SINK(fn, ctx), 0, 1 };
	size_t rows = 0;
	struct sqlv p[] = { SV_STR(id) };
	int rc = engine_run(s, &Q_DELIVERY_GET, p, delivery_row, &ds, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	return rc;
}

/* ix_request: a request has one delivery per endpoint and event at most. */
static const struct engine_query Q_REQUEST_DELIVERIES = {
	"SELECT " DELIVERY_COLUMNS " FROM webhook_deliveries d "
	"LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	"WHERE d.request_id = ? ORDER BY d.created_at, d.id LIMIT 100",
	"b", DELIVERY_TYPES };

int store_request_deliveries(struct store *s, const struct uuid *id,
			     int (*fn)(void *ctx, const struct store_delivery_row *d), void *ctx)
{
	struct delivery_sink ds = { ENGINE_SINK(fn, ctx), 0, 0 };
	struct sqlv p[] = { SV_UUID(id) };
	return engine_run(s, &Q_REQUEST_DELIVERIES, p, delivery_row, &ds, NULL, NULL);
}

static const struct engine_query Q_DELIVERY_ATTEMPTS = {
	"SELECT at, duration_us, http_status, error, deliverer FROM webhook_attempts "
	"WHERE delivery_id = ? ORDER BY id",
	"s", "tiiss" };

static int attempt_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_delivery_attempt *) =
		(int (*)(void *, const struct store_delivery_attempt *))k->fn;
	struct store_delivery_attempt a = {
		.at = engine_cell_time(&c[0]), .duration_us = c[1].i,
		.http_status = c[2].null ? 0 : (int)c[2].i, .error = c[3].null ? NULL : c[3].s,
		.deliverer = c[4].s,
	};
	return fn(k->ctx, &a);
}

int store_delivery_attempts(struct store *s, const char *id,
			    int (*fn)(void *ctx, const struct store_delivery_attempt *a), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_STR(id) };
	return engine_run(s, &Q_DELIVERY_ATTEMPTS, p, attempt_row, &k, NULL, NULL);
}

static const struct engine_query Q_DELIVERY_EVENTS = {
	"SELECT at, actor, action, reason FROM webhook_events WHERE delivery_id = ? ORDER BY id",
	"s", "tsss" };

static int wh_event_row(void *ctx, const struct sqlcell *c)
{
	struct engine_sink *k = ctx;
	int (*fn)(void *, const struct store_webhook_event *) =
		(int (*)(void *, const struct store_webhook_event *))k->fn;
	struct store_webhook_event e = {
		.at = engine_cell_time(&c[0]), .actor = c[1].s, .action = c[2].s, .reason = c[3].s,
	};
	return fn(k->ctx, &e);
}

int store_delivery_events(struct store *s, const char *id,
			  int (*fn)(void *ctx, const struct store_webhook_event *e), void *ctx)
{
	struct engine_sink k = ENGINE_SINK(fn, ctx);
	struct sqlv p[] = { SV_STR(id) };
	return engine_run(s, &Q_DELIVERY_EVENTS, p, wh_event_row, &k, NULL, NULL);
}

static const struct engine_query Q_REDELIVER_LOCK = {
	"SELECT d.state, d.endpoint_id, e.id IS NOT NULL, e.disabled_at IS NOT NULL "
	"FROM webhook_deliveries d LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	"WHERE d.id = ? FOR UPDATE",
	"s", "siii" };
/* Due at once, a fresh schedule; the lease of a finished delivery is already free. */
static const struct engine_query Q_REDELIVER = {
	"UPDATE webhook_deliveries SET state = 'pending', attempts = 0, "
	"next_attempt_at = UTC_TIMESTAMP(6), lease_owner = NULL, lease_expires_at = NULL "
	"WHERE id = ?",
	"s", "" };
static const struct engine_query Q_WH_EVENT_INSERT = {
	"INSERT INTO webhook_events (delivery_id, endpoint_id, at, actor, action, reason) "
	"VALUES (?, ?, UTC_TIMESTAMP(6), ?, ?, ?)",
	"sisss", "" };

struct redeliver_lock {
	char state[16];
	long long endpoint_id;
	int endpoint_exists, endpoint_disabled;
};

static int redeliver_lock_row(void *ctx, const struct sqlcell *c)
{
	struct redeliver_lock *l = ctx;
	engine_cell_copy(&c[0], l->state, sizeof(l->state));
	l->endpoint_id = c[1].i;
	l->endpoint_exists = (int)c[2].i;
	l->endpoint_disabled = !c[3].null && c[3].i;
	return 1;
}

static int redeliver_txn(struct store *s, const char *id, const char *actor, const char *reason,
			 enum store_redeliver_refusal *why)
{
	struct redeliver_lock l = { .endpoint_id = 0 };
	size_t rows = 0;
	*why = REDELIVER_OK;
	int rc = engine_begin(s);
	if (rc)
		return rc;
	struct sqlv p[] = { SV_STR(id) };
	rc = engine_run(s, &Q_REDELIVER_LOCK, p, redeliver_lock_row, &l, NULL, &rows);
	if (rc == STORE_OK && !rows)
		rc = STORE_NOT_FOUND;
	if (rc == STORE_OK && !strcmp(l.state, "pending")) {
		*why = REDELIVER_PENDING;
		rc = STORE_CONFLICT;
	} else if (rc == STORE_OK && !l.endpoint_exists) {
		*why = REDELIVER_REMOVED;
		rc = STORE_INVALID;
	} else if (rc == STORE_OK && l.endpoint_disabled) {
		*why = REDELIVER_DISABLED;
		rc = STORE_INVALID;
	}
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_REDELIVER, p, NULL, NULL, NULL, NULL);
	if (rc == STORE_OK) {
		struct sqlv q[] = { SV_STR(id), SV_INT(l.endpoint_id), SV_STR(actor),
				    SV_STR("redeliver"), SV_STR(reason) };
		rc = engine_run(s, &Q_WH_EVENT_INSERT, q, NULL, NULL, NULL, NULL);
	}
	return engine_finish(s, rc);
}

int store_delivery_redeliver(struct store *s, const char *id, const char *actor,
			     const char *reason, enum store_redeliver_refusal *why)
{
	struct retry r = RETRY_INIT("webhook_redeliver");
	int rc;
	do
		rc = redeliver_txn(s, id, actor, reason, why);
	while (retry_again(s, &r, rc));
	return rc;
}

static const struct engine_query Q_WH_ENABLE = {
	"UPDATE webhook_endpoints SET disabled_at = NULL, failures = 0 "
	"WHERE id = ? AND disabled_at IS NOT NULL",
	"i", "" };
static const struct engine_query Q_WH_EXISTS = {
	"SELECT id FROM webhook_endpoints WHERE id = ?",
	"i", "i" };

static int enable_txn(struct store *s, long long id, const char *actor, const char *reason)
{
	unsigned long long n = 0;
	size_t rows = 0;
	long long found = 0;
	int rc = engine_begin(s);
	if (rc)
		return rc;
	struct sqlv p[] = { SV_INT(id) };
	rc = engine_run(s, &Q_WH_ENABLE, p, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && !n) {
		rc = engine_run(s, &Q_WH_EXISTS, p, id_row, &found, NULL, &rows);
		if (rc == STORE_OK)
			rc = rows ? STORE_CONFLICT : STORE_NOT_FOUND;
	}
	if (rc == STORE_OK) {
		struct sqlv q[] = { SV_STR(NULL), SV_INT(id), SV_STR(actor), SV_STR("enable"),
				    SV_STR(reason) };
		rc = engine_run(s, &Q_WH_EVENT_INSERT, q, NULL, NULL, NULL, NULL);
	}
	return engine_finish(s, rc);
}

int store_webhook_enable(struct store *s, long long id, const char *actor, const char *reason)
{
	struct retry r = RETRY_INIT("webhook_enable");
	int rc;
	do
		rc = enable_txn(s, id, actor, reason);
	while (retry_again(s, &r, rc));
	return rc;
}

/* ---- which endpoint a request reports to; rotation (sql/018) ---- */

static const struct engine_query Q_WH_RESOLVE = {
	"SELECT name FROM webhook_endpoints "
	"WHERE owner = ? AND (name = ? OR (? IS NULL AND is_default = 1))",
	"sss", "s" };

static int name_row(void *ctx, const struct sqlcell *c)
{
	engine_cell_copy(&c[0], ctx, WEBHOOK_NAME_MAX + 1);
	return 1;
}

int store_webhook_resolve(struct store *s, const char *owner, const char *name,
			  char out[WEBHOOK_NAME_MAX + 1])
{
	struct sqlv p[] = { SV_STR(owner), SV_STR(name), SV_STR(name) };
	size_t rows = 0;
	out[0] = '\0';
	int rc = engine_run(s, &Q_WH_RESOLVE, p, name_row, out, NULL, &rows);
	/* Before a 422: an endpoint added a moment ago through another Galera
	 * node may not be applied here yet. Only a miss pays for the causal read. */
	if (rc == STORE_OK && !rows && name)
		rc = engine_run_causal(s, &Q_WH_RESOLVE, p, name_row, out, NULL, &rows);
	if (rc == STORE_OK && !rows && name)
		rc = STORE_NOT_FOUND;
	return rc;
}

static const struct engine_query Q_WH_DEFAULT_OF = {
	"SELECT name FROM webhook_endpoints WHERE owner = ? AND is_default = 1 FOR UPDATE",
	"s", "s" };
static const struct engine_query Q_WH_DEFAULT_CLEAR = {
	"UPDATE webhook_endpoints SET is_default = NULL WHERE owner = ? AND is_default = 1",
	"s", "" };
static const struct engine_query Q_WH_DEFAULT_SET = {
	"UPDATE webhook_endpoints SET is_default = 1 WHERE owner = ? AND name = ?",
	"ss", "" };

static int set_default_txn(struct store *s, const char *owner, const char *name,
			   int only_if_none, int *made)
{
	char current[WEBHOOK_NAME_MAX + 1] = "";
	unsigned long long n = 0;
	size_t rows = 0;
	*made = 0;
	int rc = engine_begin(s);
	if (rc)
		return rc;
	struct sqlv o[] = { SV_STR(owner) };
	rc = engine_run(s, &Q_WH_DEFAULT_OF, o, name_row, current, NULL, &rows);
	if (rc == STORE_OK && rows && (only_if_none || !strcmp(current, name))) {
		*made = !strcmp(current, name);
		return engine_finish(s, rc);
	}
	if (rc == STORE_OK && rows)
		rc = engine_run(s, &Q_WH_DEFAULT_CLEAR, o, NULL, NULL, NULL, NULL);
	struct sqlv q[] = { SV_STR(owner), SV_STR(name) };
	if (rc == STORE_OK)
		rc = engine_run(s, &Q_WH_DEFAULT_SET, q, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && n != 1)
		rc = STORE_NOT_FOUND;
	*made = rc == STORE_OK;
	return engine_finish(s, rc);
}

int store_webhook_set_default(struct store *s, const char *owner, const char *name,
			      int only_if_none, int *made)
{
	struct retry r = RETRY_INIT("webhook_default");
	int made_here = 0, rc;
	do
		rc = set_default_txn(s, owner, name, only_if_none, &made_here);
	while (retry_again(s, &r, rc));
	/* Two first endpoints added at once: the other became the default. */
	if (rc == STORE_DUPLICATE && only_if_none)
		rc = STORE_OK;
	if (made)
		*made = rc == STORE_OK && made_here;
	return rc;
}

/* The assignments run left to right: previous_secret takes the secret before
 * the new one replaces it. */
static const struct engine_query Q_WH_ROTATE = {
	"UPDATE webhook_endpoints SET "
	"previous_secret = IF(? > 0, secret, NULL), "
	"previous_secret_until = IF(? > 0, UTC_TIMESTAMP(6) + INTERVAL ? SECOND, NULL), "
	"secret = ? WHERE owner = ? AND name = ?",
	"iiisss", "" };

int store_webhook_rotate(struct store *s, const char *owner, const char *name,
			 const char *new_secret, long long overlap_seconds)
{
	struct sqlv p[] = { SV_INT(overlap_seconds), SV_INT(overlap_seconds),
			    SV_INT(overlap_seconds), SV_STR(new_secret), SV_STR(owner),
			    SV_STR(name) };
	unsigned long long n = 0;
	int rc = engine_run(s, &Q_WH_ROTATE, p, NULL, NULL, &n, NULL);
	if (rc == STORE_OK && n != 1)
		rc = STORE_NOT_FOUND;
	return rc;
}
