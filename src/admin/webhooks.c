#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_api.h"
#include "admin/html.h"
#include "admin/page.h"
#include "base/jsonw.h"
#include "base/query.h"
#include "model/resource.h"
#include "model/webhook.h"
#include "base/banned.h"

/*
 * The Webhooks page, GET /admin/webhooks: every endpoint with its last
 * result, consecutive failures, and its deliveries waiting and dead (a 410
 * disabled it: the re-enable form); then the deliveries, dead ones first,
 * filtered by endpoint and state. GET /admin/webhooks/delivery?id=ID is one
 * delivery: its attempts (time, status, duration, error), the request it
 * tells about, the operator actions on it, and the redeliver form (the posts
 * are in actions.c). The JSON twins: GET /admin/api/webhooks and
 * /admin/api/webhooks/deliveries.
 */

#define ENDPOINTS_MAX 500        /* endpoints a page lists */
#define DELIVERIES_MAX 200       /* deliveries a page lists */
#define URL_CUT 40               /* characters of an endpoint's URL in the table */

/* ?endpoint= and ?state=: 0 / NULL for any. -1 after answering 400. */
static int read_filter(struct call *c, const struct query *q, long long *endpoint,
		       const char **state, int html)
{
	const char *e = query_get(q, "endpoint"), *st = query_get(q, "state");
	char *end;
	struct problem p;
	*endpoint = 0;
	*state = NULL;
	if (e && *e) {
		*endpoint = strtoll(e, &end, 10);
		if (*end || *endpoint <= 0) {
			if (html)
				admin_error_page(c, 400, "endpoint is an endpoint's number.");
			else
				handler_problem(c, problem_set(&p, 400, "invalid-query",
							       "endpoint is an endpoint's number"));
			return -1;
		}
	}
	if (st && *st) {
		if (strcmp(st, "dead") && strcmp(st, "pending") && strcmp(st, "delivered")) {
			if (html)
				admin_error_page(c, 400, "state is dead, pending or delivered.");
			else
				handler_problem(c, problem_set(&p, 400, "invalid-query",
							       "state is dead, pending or delivered"));
			return -1;
		}
		*state = st;
	}
	return 0;
}

int admin_webhook_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	return n > 4 && n <= WEBHOOK_MSG_ID_LEN && !strncmp(id, "msg_", 4) &&
	       strspn(id + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	       n - 4;
}

static void state_badge(struct strbuf *sb, const char *state)
{
	const char *cls = !strcmp(state, "dead") ? "failed" :
			  !strcmp(state, "delivered") ? "completed" : "pending";
	strbuf_addf(sb, "<span class=\"st st-%s wh-%s\">", cls, cls);
	html_text(sb, state);
	strbuf_addstr(sb, "</span>");
}

/* "HTTP 500: what it said", "HTTP 200", or the error alone (no answer). */
static void result_text(struct strbuf *sb, int status, const char *error, size_t cut)
{
	if (status)
		strbuf_addf(sb, "<b>HTTP %d</b>", status);
	if (error) {
		/* The deliverer's error starts with "HTTP N": not twice. */
		char head[24];
		snprintf(head, sizeof(head), "HTTP %d", status);
		const char *e = error;
		if (status && !strncmp(e, head, strlen(head))) {
			e += strlen(head);
			e += strspn(e, ": ");
		}
		if (*e) {
			strbuf_addstr(sb, status ? " " : "");
			html_cut(sb, e, cut);
		}
	}
	if (!status && !error)
		strbuf_addstr(sb, "<span class=\"muted\">none yet</span>");
}

static void endpoint_name(struct strbuf *sb, const char *owner, const char *name, long long id)
{
	if (!owner) {
		strbuf_addf(sb, "<span class=\"muted\">#%lld, removed</span>", id);
		return;
	}
	html_text(sb, owner);
	strbuf_addstr(sb, " / <b>");
	html_text(sb, name);
	strbuf_addstr(sb, "</b>");
}

/* ---- the endpoints ---- */

struct endpoints_page {
	struct call *c;
	struct strbuf *sb;
	struct strbuf options;   /* the filter's <option>s, one per endpoint */
	long long selected;
	unsigned rows;
};

static void enable_form(struct call *c, struct strbuf *sb, const struct store_webhook_status *e)
{
	char what[PAGE_FORM_ACTION_MAX], token[CSRF_TOKEN_MAX];
	snprintf(what, sizeof(what), "enable-webhook %lld", e->id);
	page_form_token(c, what, NULL, token);
	strbuf_addf(sb, "<form method=\"post\" action=\"/admin/webhooks/enable\" class=\"action "
			"action-enable\" data-confirm=\"Enable this endpoint again? Its owner's next "
			"requests that end are sent to it.\"><input type=\"hidden\" name=\"csrf_token\" "
			"value=\"%s\"><input type=\"hidden\" name=\"endpoint\" value=\"%lld\">"
			"<label>Reason <input type=\"text\" name=\"reason\" required maxlength=\"%d\" "
			"autocomplete=\"off\" placeholder=\"why, for the audit trail\"></label> "
			"<button type=\"submit\">Re-enable</button></form>", token, e->id,
		    ADMIN_REASON_MAX);
}

static int endpoint_row(void *ctx, const struct store_webhook_status *e)
{
	struct endpoints_page *d = ctx;
	struct strbuf *sb = d->sb;
	d->rows++;
	strbuf_addf(sb, "<tr id=\"endpoint-%lld\" class=\"endpoint%s\"><td data-label=\"endpoint\">",
		    e->id, e->disabled_at != TIME_NONE ? " disabled" : "");
	endpoint_name(sb, e->owner, e->name, e->id);
	strbuf_addstr(sb, "</td><td data-label=\"URL\"><code>");
	html_cut(sb, e->url, URL_CUT);
	strbuf_addstr(sb, "</code></td><td data-label=\"events\">");
	/* "completed, partial, ...": a narrow column may wrap it. */
	for (const char *p = e->events; *p;) {
		size_t n = strcspn(p, ",");
		html_escape(sb, p, n);
		p += n;
		if (*p == ',') {
			strbuf_addstr(sb, ", ");
			p++;
		}
	}
	strbuf_addstr(sb, "</td><td data-label=\"state\">");
	if (e->disabled_at == TIME_NONE) {
		strbuf_addstr(sb, "<span class=\"muted wh-enabled\">enabled</span>");
	} else {
		strbuf_addstr(sb, "<span class=\"st st-failed wh-disabled\">disabled</span> "
				  "<span class=\"muted\">the receiver answered 410 Gone, ");
		page_when(sb, e->disabled_at, d->c->now);
		strbuf_addstr(sb, "</span>");
		enable_form(d->c, sb, e);
	}
	strbuf_addstr(sb, "</td><td data-label=\"last result\">");
	if (e->last_attempt_at != TIME_NONE) {
		page_when(sb, e->last_attempt_at, d->c->now);
		strbuf_addstr(sb, "<br>");
	}
	result_text(sb, e->last_status, e->last_error, PAGE_CUT_LONG);
	strbuf_addf(sb, "</td><td class=\"num\" data-label=\"failures in a row\">%u</td>"
			"<td class=\"num\" data-label=\"waiting\"><a href=\"/admin/webhooks?endpoint=%lld"
			"&amp;state=pending#deliveries\">%llu</a></td>"
			"<td class=\"num\" data-label=\"dead\"><a href=\"/admin/webhooks?endpoint=%lld"
			"&amp;state=dead#deliveries\">%llu</a></td></tr>",
		    e->failures, e->id, e->pending, e->id, e->dead);
	strbuf_addf(&d->options, "<option value=\"%lld\"%s>", e->id,
		    e->id == d->selected ? " selected" : "");
	html_text(&d->options, e->owner);
	strbuf_addstr(&d->options, " / ");
	html_text(&d->options, e->name);
	strbuf_addstr(&d->options, "</option>");
	return 0;
}

/* ---- the deliveries ---- */

struct deliveries_page {
	struct call *c;
	struct strbuf *sb;
	unsigned rows;
};

static void delivery_link(struct strbuf *sb, const char *id)
{
	strbuf_addstr(sb, "<a href=\"/admin/webhooks/delivery?id=");
	html_url_encode(sb, id);
	strbuf_addstr(sb, "\"><code>");
	html_text(sb, id);
	strbuf_addstr(sb, "</code></a>");
}

static int delivery_row(void *ctx, const struct store_delivery_row *r)
{
	struct deliveries_page *d = ctx;
	struct strbuf *sb = d->sb;
	d->rows++;
	strbuf_addstr(sb, "<tr class=\"delivery\"><td data-label=\"webhook-id\">");
	delivery_link(sb, r->id);
	strbuf_addstr(sb, "</td><td data-label=\"state\">");
	state_badge(sb, r->state);
	strbuf_addstr(sb, "</td><td data-label=\"endpoint\">");
	endpoint_name(sb, r->owner, r->name, r->endpoint_id);
	strbuf_addstr(sb, "</td><td data-label=\"event\">");
	html_text(sb, r->event_type);
	strbuf_addstr(sb, "</td><td data-label=\"request\">");
	page_id_link(sb, &r->request_id);
	strbuf_addf(sb, "</td><td class=\"num\" data-label=\"attempts\">%u</td>"
			"<td data-label=\"last attempt\">", r->attempts);
	if (r->last_attempt_at != TIME_NONE) {
		page_when(sb, r->last_attempt_at, d->c->now);
		strbuf_addstr(sb, "<br>");
	}
	result_text(sb, r->last_status, r->last_error, PAGE_CUT_LONG);
	strbuf_addstr(sb, "</td><td data-label=\"next attempt\">");
	if (!strcmp(r->state, "pending"))
		page_time(sb, r->next_attempt_at, d->c->now, 1);
	else
		strbuf_addstr(sb, "\xe2\x80\x94");
	strbuf_addstr(sb, "</td></tr>");
	return 0;
}

static void deliveries_section(struct call *c, struct strbuf *sb, const struct strbuf *options,
			       long long endpoint, const char *state)
{
	static const char *const states[] = { "dead", "pending", "delivered" };
	struct deliveries_page d = { c, sb, 0 };
	strbuf_addstr(sb, "<section id=\"deliveries\"><h2>Deliveries</h2><p class=\"muted\">Dead "
			  "ones first (out of attempts, or their endpoint answered 410 or was "
			  "removed), then those waiting, then delivered; the most recent first. "
			  "Open one for its attempts and to redeliver it.</p>"
			  "<form method=\"get\" action=\"/admin/webhooks\" class=\"filters\">"
			  "<label>Endpoint <select name=\"endpoint\"><option value=\"\">any</option>");
	strbuf_add(sb, options->buf, options->len);
	strbuf_addstr(sb, "</select></label> <label>State <select name=\"state\">"
			  "<option value=\"\">any</option>");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		strbuf_addf(sb, "<option%s>%s</option>",
			    state && !strcmp(state, states[i]) ? " selected" : "", states[i]);
	strbuf_addstr(sb, "</select></label> <button type=\"submit\">Filter</button></form>"
			  "<div class=\"table-wrap\"><table class=\"deliveries stack\"><thead><tr>"
			  "<th>webhook-id</th><th>state</th><th>endpoint</th><th>event</th>"
			  "<th>request</th><th class=\"num\">attempts</th><th>last attempt</th>"
			  "<th>next attempt</th></tr></thead><tbody>");
	if (store_delivery_list(c->store, endpoint, state, DELIVERIES_MAX, delivery_row, &d))
		strbuf_addstr(sb, "<tr><td colspan=\"8\">The store could not be read.</td></tr>");
	else if (!d.rows)
		strbuf_addstr(sb, "<tr><td colspan=\"8\" class=\"empty\">No delivery matches.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div>");
	if (d.rows >= DELIVERIES_MAX)
		strbuf_addf(sb, "<p class=\"muted\">The first %d: filter for the rest.</p>",
			    DELIVERIES_MAX);
	strbuf_addstr(sb, "</section>");
}

void admin_webhooks(struct call *c)
{
	struct strbuf *sb = &c->resp->body;
	struct query q = { 0 };
	struct endpoints_page d = { .c = c, .sb = sb, .options = STRBUF_INIT };
	const char *state;
	char err[200];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return;
	}
	if (read_filter(c, &q, &d.selected, &state, 1) < 0)
		goto cleanup;
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	page_begin(c, "Webhooks");
	strbuf_addstr(sb, "<p><a href=\"/admin/\">\xe2\x86\x90 Dashboard</a></p><h1>Webhooks</h1>");
	page_done_message(sb, &q);
	strbuf_addstr(sb, "<section><h2>Endpoints</h2><p class=\"muted\">What each owner's backend "
			  "is told when a request ends (<code>gentrackctl webhook add</code>). A "
			  "receiver that answers 410 Gone disables its endpoint; a removed endpoint "
			  "takes its waiting deliveries with it (dead). Failures in a row count "
			  "attempts since its last 2xx.</p><div class=\"table-wrap\">"
			  "<table class=\"webhooks stack\"><thead><tr><th>endpoint</th><th>URL</th>"
			  "<th>events</th><th>state</th><th>last result</th>"
			  "<th class=\"num\">failures in a row</th><th class=\"num\">waiting</th>"
			  "<th class=\"num\">dead</th></tr></thead><tbody>");
	if (store_webhook_status_list(c->store, ENDPOINTS_MAX, endpoint_row, &d))
		strbuf_addstr(sb, "<tr><td colspan=\"8\">The store could not be read.</td></tr>");
	else if (!d.rows)
		strbuf_addstr(sb, "<tr><td colspan=\"8\" class=\"empty\">No endpoint: add one with "
				  "<code>gentrackctl webhook add</code>.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div></section>");
	deliveries_section(c, sb, &d.options, d.selected, state);
	page_end(c);
cleanup:
	strbuf_release(&d.options);
	query_release(&q);
}

/* ---- a request's deliveries, on its page (detail.c) ---- */

struct request_deliveries {
	struct call *c;
	struct strbuf rows;
	unsigned n;
};

static int request_delivery_row(void *ctx, const struct store_delivery_row *r)
{
	struct request_deliveries *d = ctx;
	struct strbuf *sb = &d->rows;
	d->n++;
	strbuf_addstr(sb, "<tr><td>");
	delivery_link(sb, r->id);
	strbuf_addstr(sb, "</td><td>");
	state_badge(sb, r->state);
	strbuf_addstr(sb, "</td><td>");
	endpoint_name(sb, r->owner, r->name, r->endpoint_id);
	strbuf_addstr(sb, "</td><td>");
	html_text(sb, r->event_type);
	strbuf_addf(sb, "</td><td class=\"num\">%u</td><td>", r->attempts);
	result_text(sb, r->last_status, r->last_error, PAGE_CUT_LONG);
	strbuf_addstr(sb, "</td></tr>");
	return 0;
}

void admin_webhook_request_section(struct call *c, struct strbuf *sb, const struct uuid *id)
{
	struct request_deliveries d = { c, STRBUF_INIT, 0 };
	int rc = store_request_deliveries(c->store, id, request_delivery_row, &d);
	if (rc == STORE_OK && !d.n)
		goto cleanup;
	strbuf_addstr(sb, "<section><h2>Webhooks</h2><div class=\"table-wrap\"><table "
			  "class=\"request-deliveries\"><thead><tr><th>webhook-id</th><th>state</th>"
			  "<th>endpoint</th><th>event</th><th class=\"num\">attempts</th>"
			  "<th>last result</th></tr></thead><tbody>");
	if (rc)
		strbuf_addstr(sb, "<tr><td colspan=\"6\">The deliveries could not be read.</td></tr>");
	else
		strbuf_add(sb, d.rows.buf, d.rows.len);
	strbuf_addstr(sb, "</tbody></table></div></section>");
cleanup:
	strbuf_release(&d.rows);
}

/* ---- one delivery ---- */

struct delivery_page {
	struct call *c;
	struct strbuf *sb;
	int found;
	const struct query *q;   /* the page's query: ?done= of a redirect back; NULL in rows */
};

static void field(struct strbuf *sb, const char *name)
{
	strbuf_addstr(sb, "<tr><th scope=\"row\">");
	html_text(sb, name);
	strbuf_addstr(sb, "</th><td>");
}

static void redeliver_form(struct call *c, struct strbuf *sb, const struct store_delivery_row *r)
{
	char what[PAGE_FORM_ACTION_MAX], token[CSRF_TOKEN_MAX];
	strbuf_addstr(sb, "<section class=\"actions\"><h2>Actions</h2>");
	if (!strcmp(r->state, "pending")) {
		strbuf_addstr(sb, "<p class=\"muted\">Waiting for its next attempt: nothing to do.</p>");
	} else if (!r->owner) {
		strbuf_addstr(sb, "<p class=\"muted\">Its endpoint was removed: it cannot be sent "
				  "again.</p>");
	} else if (r->endpoint_disabled) {
		strbuf_addstr(sb, "<p class=\"muted\">Its endpoint is disabled (410 Gone): re-enable "
				  "it on the <a href=\"/admin/webhooks\">Webhooks</a> page first.</p>");
	} else {
		snprintf(what, sizeof(what), "redeliver %s", r->id);
		page_form_token(c, what, NULL, token);
		strbuf_addstr(sb, "<form method=\"post\" action=\"/admin/webhooks/redeliver\" "
				  "class=\"action action-redeliver\" data-confirm=\"Send this delivery "
				  "again? The receiver gets the same webhook-id.\">");
		strbuf_addf(sb, "<input type=\"hidden\" name=\"csrf_token\" value=\"%s\">"
				"<input type=\"hidden\" name=\"id\" value=\"", token);
		html_text(sb, r->id);
		strbuf_addf(sb, "\"><label>Reason <input type=\"text\" name=\"reason\" required "
				"maxlength=\"%d\" autocomplete=\"off\" placeholder=\"why, for the audit "
				"trail\"></label> <button type=\"submit\">Redeliver</button></form>"
				"<p class=\"muted\">Due at once, with the same webhook-id (receivers "
				"that dedupe on it see a repeat), and a fresh retry schedule.</p>",
			    ADMIN_REASON_MAX);
	}
	strbuf_addstr(sb, "</section>");
}

static int attempt_row(void *ctx, const struct store_delivery_attempt *a)
{
	struct delivery_page *d = ctx;
	struct strbuf *sb = d->sb;
	d->found++;
	strbuf_addf(sb, "<tr class=\"attempt\"><td>%d</td><td>", d->found);
	page_time(sb, a->at, d->c->now, 1);
	strbuf_addstr(sb, "</td><td>");
	if (a->http_status)
		strbuf_addf(sb, "%d", a->http_status);
	else
		strbuf_addstr(sb, "<span class=\"muted\">no answer</span>");
	strbuf_addf(sb, "</td><td class=\"num\">%lld.%03lld s</td><td>", a->duration_us / 1000000,
		    a->duration_us % 1000000 / 1000);
	if (a->error)
		html_cut(sb, a->error, PAGE_CUT_LONG * 2);
	strbuf_addstr(sb, "</td><td><code>");
	html_cut(sb, a->deliverer, PAGE_CUT_SHORT);
	strbuf_addstr(sb, "</code></td></tr>");
	return 0;
}

static int wh_event_row(void *ctx, const struct store_webhook_event *e)
{
	struct delivery_page *d = ctx;
	struct strbuf *sb = d->sb;
	d->found++;
	strbuf_addstr(sb, "<tr><td>");
	page_time(sb, e->at, d->c->now, 1);
	strbuf_addstr(sb, "</td><td>");
	html_text(sb, e->actor);
	strbuf_addstr(sb, "</td><td>");
	html_text(sb, e->action);
	strbuf_addstr(sb, "</td><td>");
	html_text(sb, e->reason);
	strbuf_addstr(sb, "</td></tr>");
	return 0;
}

static int delivery_page_row(void *ctx, const struct store_delivery_row *r)
{
	struct delivery_page *d = ctx;
	struct call *c = d->c;
	struct strbuf *sb = d->sb;
	struct delivery_page sub = { c, sb, 0, NULL };
	char title[64];

	d->found = 1;
	snprintf(title, sizeof(title), "Delivery %.16s", r->id);
	page_begin(c, title);
	strbuf_addstr(sb, "<p><a href=\"/admin/webhooks\">\xe2\x86\x90 Webhooks</a></p>"
			  "<h1>Delivery <code>");
	html_text(sb, r->id);
	strbuf_addstr(sb, "</code> ");
	state_badge(sb, r->state);
	strbuf_addstr(sb, "</h1>");
	if (d->q)
		page_done_message(sb, d->q);
	redeliver_form(c, sb, r);
	strbuf_addstr(sb, "<section><h2>Fields</h2><div class=\"table-wrap\"><table class=\"fields\">");
	field(sb, "webhook-id");
	strbuf_addstr(sb, "<code>");
	html_text(sb, r->id);
	strbuf_addstr(sb, "</code></td></tr>");
	field(sb, "request");
	page_id_link(sb, &r->request_id);
	strbuf_addstr(sb, "</td></tr>");
	field(sb, "event");
	html_text(sb, r->event_type);
	strbuf_addstr(sb, "</td></tr>");
	field(sb, "endpoint");
	endpoint_name(sb, r->owner, r->name, r->endpoint_id);
	if (r->endpoint_disabled)
		strbuf_addstr(sb, " <span class=\"st st-failed\">disabled</span>");
	strbuf_addstr(sb, "</td></tr>");
	field(sb, "written");
	page_time(sb, r->created_at, c->now, 1);
	strbuf_addstr(sb, "</td></tr>");
	field(sb, "attempts (since written or redelivered)");
	strbuf_addf(sb, "%u</td></tr>", r->attempts);
	field(sb, "last result");
	result_text(sb, r->last_status, r->last_error, PAGE_CUT_LONG * 2);
	strbuf_addstr(sb, "</td></tr>");
	if (!strcmp(r->state, "pending")) {
		field(sb, "next attempt");
		page_time(sb, r->next_attempt_at, c->now, 1);
		strbuf_addstr(sb, "</td></tr>");
	}
	if (r->lease_owner && r->lease_expires_at != TIME_NONE && r->lease_expires_at > c->now) {
		field(sb, "being sent by");
		strbuf_addstr(sb, "<code>");
		html_text(sb, r->lease_owner);
		strbuf_addstr(sb, "</code>, lease until ");
		page_time(sb, r->lease_expires_at, c->now, 1);
		strbuf_addstr(sb, "</td></tr>");
	}
	strbuf_addstr(sb, "</table></div></section>");

	strbuf_addstr(sb, "<section><h2>Attempts</h2><div class=\"table-wrap\"><table "
			  "class=\"attempts\"><thead><tr><th>#</th><th>time (UTC)</th>"
			  "<th>HTTP status</th><th class=\"num\">duration</th><th>error</th>"
			  "<th>deliverer</th></tr></thead><tbody>");
	if (store_delivery_attempts(c->store, r->id, attempt_row, &sub))
		strbuf_addstr(sb, "<tr><td colspan=\"6\">The attempts could not be read.</td></tr>");
	else if (!sub.found)
		strbuf_addstr(sb, "<tr><td colspan=\"6\" class=\"empty\">None yet.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div></section>");

	sub.found = 0;
	strbuf_addstr(sb, "<section><h2>Audit trail</h2><div class=\"table-wrap\"><table "
			  "class=\"trail\"><thead><tr><th>time (UTC)</th><th>actor</th>"
			  "<th>action</th><th>reason</th></tr></thead><tbody>");
	if (store_delivery_events(c->store, r->id, wh_event_row, &sub))
		strbuf_addstr(sb, "<tr><td colspan=\"4\">The audit trail could not be read.</td></tr>");
	else if (!sub.found)
		strbuf_addstr(sb, "<tr><td colspan=\"4\" class=\"empty\">No operator action.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div></section>");

	strbuf_addstr(sb, "<section><h2>Payload</h2><details><summary>what the receiver gets"
			  "</summary><pre>");
	html_text(sb, r->payload);
	strbuf_addstr(sb, "</pre></details></section>");
	page_end(c);
	return 1;
}

void admin_webhook_delivery(struct call *c)
{
	struct query q = { 0 };
	struct delivery_page d = { c, &c->resp->body, 0, &q };
	char err[200];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return;
	}
	const char *id = query_get(&q, "id");
	if (!admin_webhook_id_valid(id)) {
		admin_error_page(c, 400, "That is not a delivery's webhook-id (msg_ and 24 letters, "
				 "digits, - and _).");
		goto cleanup;
	}
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	int rc = store_delivery_get(c->store, id, delivery_page_row, &d);
	if (rc)
		page_store_error(c, rc);
cleanup:
	query_release(&q);
}

/* ---- the JSON twins ---- */

static void json_time_or_null(struct jsonw *j, const char *key, int64_t at)
{
	if (at == TIME_NONE) {
		jsonw_key(j, key);
		jsonw_null(j);
	} else {
		resource_render_time(j, key, at);
	}
}

static void json_status(struct jsonw *j, const char *key, int status)
{
	jsonw_key(j, key);
	if (status)
		jsonw_int(j, status);
	else
		jsonw_null(j);
}

static int endpoint_item(void *ctx, const struct store_webhook_status *e)
{
	struct jsonw *j = ctx;
	jsonw_object_begin(j);
	jsonw_key(j, "id"); jsonw_int(j, e->id);
	jsonw_key(j, "owner"); jsonw_cstr(j, e->owner);
	jsonw_key(j, "name"); jsonw_cstr(j, e->name);
	jsonw_key(j, "url"); jsonw_cstr(j, e->url);
	jsonw_key(j, "events"); jsonw_cstr(j, e->events);
	jsonw_key(j, "enabled"); jsonw_bool(j, e->disabled_at == TIME_NONE);
	json_time_or_null(j, "disabled_at", e->disabled_at);
	json_time_or_null(j, "last_attempt_at", e->last_attempt_at);
	json_status(j, "last_status", e->last_status);
	jsonw_key(j, "last_error"); jsonw_cstr(j, e->last_error);
	jsonw_key(j, "failures"); jsonw_int(j, e->failures);
	jsonw_key(j, "pending"); jsonw_int(j, (long long)e->pending);
	jsonw_key(j, "dead"); jsonw_int(j, (long long)e->dead);
	jsonw_object_end(j);
	return 0;
}

void admin_api_webhooks(struct call *c)
{
	struct jsonw w;
	admin_api_list_begin(c, &w);
	int rc = store_webhook_status_list(c->store, ENDPOINTS_MAX, endpoint_item, &w);
	if (rc) {
		handler_store_problem(c, rc, "webhook endpoint");
		return;
	}
	admin_api_list_end(c, &w);
}

static int delivery_item(void *ctx, const struct store_delivery_row *r)
{
	struct jsonw *j = ctx;
	char ids[UUID_STR_LEN + 1];
	uuid_format(&r->request_id, ids);
	jsonw_object_begin(j);
	jsonw_key(j, "id"); jsonw_cstr(j, r->id);
	jsonw_key(j, "state"); jsonw_cstr(j, r->state);
	jsonw_key(j, "endpoint_id"); jsonw_int(j, r->endpoint_id);
	jsonw_key(j, "owner"); jsonw_cstr(j, r->owner);
	jsonw_key(j, "endpoint"); jsonw_cstr(j, r->name);
	jsonw_key(j, "event_type"); jsonw_cstr(j, r->event_type);
	jsonw_key(j, "request_id"); jsonw_cstr(j, ids);
	jsonw_key(j, "attempts"); jsonw_int(j, r->attempts);
	resource_render_time(j, "created_at", r->created_at);
	json_time_or_null(j, "last_attempt_at", r->last_attempt_at);
	json_status(j, "last_status", r->last_status);
	jsonw_key(j, "last_error"); jsonw_cstr(j, r->last_error);
	json_time_or_null(j, "next_attempt_at",
			  strcmp(r->state, "pending") ? TIME_NONE : r->next_attempt_at);
	jsonw_object_end(j);
	return 0;
}

void admin_api_webhook_deliveries(struct call *c)
{
	struct query q = { 0 };
	struct problem p;
	struct jsonw w;
	long long endpoint;
	const char *state;
	char err[200];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		handler_problem(c, problem_set(&p, 400, "invalid-query", "%s", err));
		return;
	}
	if (read_filter(c, &q, &endpoint, &state, 0) < 0)
		goto cleanup;
	admin_api_list_begin(c, &w);
	int rc = store_delivery_list(c->store, endpoint, state, DELIVERIES_MAX, delivery_item, &w);
	if (rc) {
		handler_store_problem(c, rc, "webhook delivery");
		goto cleanup;
	}
	admin_api_list_end(c, &w);
cleanup:
	query_release(&q);
}
