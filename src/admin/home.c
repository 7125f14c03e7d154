#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "admin/admin.h"
#include "admin/html.h"
#include "admin/page.h"
#include "admin/queues.h"
#include "admin/throughput.h"
#include "base/query.h"
#include "base/timeutil.h"
#include "model/resource.h"
#include "base/banned.h"

/*
 * The dashboard, GET /admin/: counts by status, the queues, what is stuck, the requests
 * of a filter, recent activity, and the search, filter and bulk forms. The
 * script refreshes its live part with ?partial=1; ?id= jumps to a request.
 */

#define FILTERED_ROWS 50         /* the dashboard's filtered request list */
#define ACTIVITY_ROWS 25         /* recent events on the dashboard */

/* How long a request has been in its current state: running, or waiting. */
static int64_t age_of(const struct gen_request *r, int64_t now)
{
	int64_t since = r->status == GEN_PROCESSING && r->started_at != TIME_NONE ? r->started_at
			: r->requested_at;
	return since == TIME_NONE ? -1 : now - since;
}

/*
 * Today's from the rows requested since midnight (an index range per
 * status); all time's from the counters every transition keeps
 * (sql/005_counters.sql, the same figures as /metrics), since counting the
 * rows would read all of them: about a second at a million requests
 * (bench/console.sh), on every refresh of the page.
 */
static void counts_table(struct call *c, struct strbuf *sb)
{
	unsigned long long today[GEN_STATUS_COUNT];
	struct store_request_counts all;
	struct civil_time ct;
	int64_t midnight;
	time_to_civil(c->now, &ct);
	ct.hour = ct.minute = ct.second = ct.micro = 0;
	if (time_from_civil(&ct, &midnight))
		midnight = c->now;
	if (store_status_counts(c->store, midnight, today) ||
	    store_metric_requests(c->store, &all)) {
		page_flash(sb, 0, "The counts could not be read from the store.");
		return;
	}
	strbuf_addstr(sb, "<section><h2>Requests by status</h2><div class=\"table-wrap\">"
			  "<table class=\"counts\"><thead><tr><th>status</th><th>today (UTC)</th>"
			  "<th>all time</th></tr></thead><tbody>");
	for (int st = 0; st < GEN_STATUS_COUNT; st++) {
		strbuf_addstr(sb, "<tr><td>");
		page_status_badge(sb, (enum gen_status)st);
		strbuf_addf(sb, "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td></tr>",
			    today[st], all.in_status[st]);
	}
	strbuf_addstr(sb, "</tbody></table></div></section>");
}

static int stuck_row(void *ctx, const struct gen_request *r)
{
	struct page_rows *d = ctx;
	struct strbuf *sb = d->sb;
	char age[48];
	d->rows++;
	page_request_cells(sb, r, admin_stuck_reason(d->c->cfg, r, d->c->now),
			   page_paused_queue(d, r->entity_type));
	int64_t a = age_of(r, d->c->now);
	html_age(age, sizeof(age), a);
	strbuf_addf(sb, "</td><td class=\"num\" title=\"%s\">%lld</td><td class=\"num\">%u</td><td>",
		    age, (long long)(a < 0 ? 0 : a / US_PER_MIN), r->attempt);
	if (r->worker_id)
		html_cut(sb, r->worker_id, PAGE_CUT_SHORT);
	page_request_counts(sb, r);
	return 0;
}

static void stuck_table(struct call *c, struct strbuf *sb, const struct store_stuck_filter *f,
			const struct queues_view *v)
{
	struct page_rows d = { .c = c, .sb = sb, .queues = v->rows, .n_queues = v->n };
	strbuf_addstr(sb, "<section><h2>Stuck</h2><p class=\"muted\">Processing past half of "
			  "stale_after or with an expired lease; pending past pending_timeout.</p>"
			  "<div class=\"table-wrap\"><table class=\"stuck\"><thead><tr><th>id</th>"
			  "<th>status</th>" PAGE_PRIORITY_TH "<th>entity type</th><th>owner</th><th>subject</th>"
			  "<th>age (min)</th><th>attempt</th><th>worker</th>"
			  "<th>generated/failed</th><th>error</th></tr></thead><tbody>");
	int rc = store_stuck_list(c->store, f, stuck_row, &d);
	if (rc)
		strbuf_addstr(sb, "<tr><td colspan=\"11\">The store could not be read.</td></tr>");
	else if (!d.rows)
		strbuf_addstr(sb, "<tr><td colspan=\"11\" class=\"empty\">Nothing is stuck.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div>");
	if (d.rows >= f->limit)
		strbuf_addf(sb, "<p class=\"muted\">Showing the oldest %u.</p>", f->limit);
	strbuf_addstr(sb, "</section>");
}

static void filtered_table(struct call *c, struct strbuf *sb, const struct store_stuck_filter *f,
			   const struct queues_view *v)
{
	struct store_list_filter lf = {
		.has_status = f->has_status, .status = f->status,
		.entity_type = f->entity_type, .has_priority = f->has_priority,
		.priority = f->priority, .limit = FILTERED_ROWS,
	};
	struct page_rows d = { .c = c, .sb = sb, .queues = v->rows, .n_queues = v->n };
	strbuf_addstr(sb, "<section><h2>Requests matching the filter</h2><div class=\"table-wrap\">"
			  "<table><thead><tr><th>id</th><th>status</th>" PAGE_PRIORITY_TH
			  "<th>entity type</th><th>owner</th><th>subject</th><th>requested</th><th>generated/failed</th>"
			  "<th>error</th></tr></thead><tbody>");
	int rc = store_request_list(c->store, &lf, page_request_row, &d);
	if (rc)
		strbuf_addstr(sb, "<tr><td colspan=\"9\">The store could not be read.</td></tr>");
	else if (!d.rows)
		strbuf_addstr(sb, "<tr><td colspan=\"9\" class=\"empty\">None.</td></tr>");
	strbuf_addf(sb, "</tbody></table></div><p class=\"muted\">The newest %d.</p></section>",
		    FILTERED_ROWS);
}

static void event_cells(struct strbuf *sb, const struct store_event *e, int64_t now)
{
	strbuf_addstr(sb, "<td>");
	page_when(sb, e->at, now);
	strbuf_addstr(sb, "</td><td>");
	html_cut(sb, e->actor, PAGE_CUT_SHORT);
	strbuf_addstr(sb, "</td><td class=\"nowrap\">");
	if (e->from_status) {
		page_status_name_badge(sb, e->from_status);
		strbuf_addstr(sb, " \xe2\x86\x92 ");
	} else {
		strbuf_addstr(sb, "created \xe2\x86\x92 ");
	}
	page_status_name_badge(sb, e->to_status);
	strbuf_addstr(sb, "</td><td>");
	if (e->message)
		html_cut(sb, e->message, PAGE_CUT_LONG);
	strbuf_addstr(sb, "</td>");
}

static int activity_row(void *ctx, const struct store_activity *a)
{
	struct page_rows *d = ctx;
	d->rows++;
	strbuf_addstr(d->sb, "<tr><td>");
	page_id_link(d->sb, &a->request_id);
	strbuf_addstr(d->sb, "</td><td>");
	html_cut(d->sb, a->entity_type, PAGE_CUT_SHORT);
	strbuf_addstr(d->sb, "</td>");
	event_cells(d->sb, &a->event, d->c->now);
	strbuf_addstr(d->sb, "</tr>");
	return 0;
}

static void activity_table(struct call *c, struct strbuf *sb)
{
	struct page_rows d = { .c = c, .sb = sb };
	strbuf_addstr(sb, "<section><h2>Recent activity</h2><div class=\"table-wrap\"><table>"
			  "<thead><tr><th>id</th><th>entity type</th><th>when</th><th>actor</th>"
			  "<th>transition</th><th>message</th></tr></thead><tbody>");
	if (store_recent_events(c->store, ACTIVITY_ROWS, activity_row, &d))
		strbuf_addstr(sb, "<tr><td colspan=\"6\">The store could not be read.</td></tr>");
	else if (!d.rows)
		strbuf_addstr(sb, "<tr><td colspan=\"6\" class=\"empty\">Nothing yet.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div></section>");
}

/* The part of the dashboard the script refreshes. */
static void live_sections(struct call *c, struct strbuf *sb, const struct store_stuck_filter *f,
			  const struct throughput_choice *ch)
{
	char at[TIME_RFC3339_LEN + 1];
	time_format_rfc3339(c->now, at);
	strbuf_addf(sb, "<p class=\"muted\" id=\"as-of\">As of <time datetime=\"%s\">%.19s UTC</time>"
			" \xc2\xb7 <span id=\"refreshed\">refreshes every 15 s</span></p>", at, at);
	struct queues_view v;
	/* Read once: the queue summary and the paused badges of the request rows. */
	queues_load(c, &v, NULL);
	counts_table(c, sb);
	strbuf_addstr(sb, "<section><h2>Queues</h2>");
	queues_table(c, sb, &v, 0);
	strbuf_addstr(sb, "<p><a href=\"/admin/queues\">Pause or resume a queue\xe2\x80\xa6</a></p>"
			  "</section>");
	struct throughput_types types = { v.rows, v.n };
	throughput_section(c, sb, ch, "/admin/", &types);
	stuck_table(c, sb, f, &v);
	if (f->has_status || f->entity_type || f->has_priority)
		filtered_table(c, sb, f, &v);
	activity_table(c, sb);
	queues_release(&v);
}

/*
 * Reads ?status=, ?entity_type= and ?priority= into f; an invalid one is
 * ignored with a message.
 */
static void read_filters(struct strbuf *sb, const struct query *q, struct store_stuck_filter *f)
{
	const char *st = query_get(q, "status");
	const char *type = query_get(q, "entity_type");
	const char *prio = query_get(q, "priority");
	unsigned long long n;
	if (st && *st) {
		if (lifecycle_status_parse(st, &f->status) == 0)
			f->has_status = 1;
		else if (sb)
			page_flash(sb, 0, "Unknown status filter: ignored.");
	}
	if (type && *type) {
		if (resource_entity_type_valid(type, strlen(type)))
			f->entity_type = type;
		else if (sb)
			page_flash(sb, 0, "An entity type is [a-z][a-z0-9_]{0,63}: filter ignored.");
	}
	if (prio && *prio) {
		if (query_uint(prio, PRIORITY_MIN, PRIORITY_MAX, &n) == 0) {
			f->has_priority = 1;
			f->priority = (unsigned)n;
		} else if (sb) {
			page_flash(sb, 0, "A priority is 0 to 9: filter ignored.");
		}
	}
}

/* ?id=: straight to that request's page, or back with a message. */
static int search(struct call *c, const char *id_text)
{
	struct uuid id;
	struct gen_request r;
	char loc[64], ids[UUID_STR_LEN + 1];
	size_t n = strlen(id_text);
	while (n && (id_text[n - 1] == ' ' || id_text[n - 1] == '\t'))
		n--;
	while (n && (*id_text == ' ' || *id_text == '\t')) {
		id_text++;
		n--;
	}
	if (uuid_parse(id_text, n, &id) < 0) {
		page_redirect(c, "/admin/?done=badid");
		return 0;
	}
	gen_request_init(&r);
	int rc = store_request_get(c->store, &id, NULL, &r);
	gen_request_release(&r);
	if (rc == STORE_NOT_FOUND) {
		page_redirect(c, "/admin/?done=notfound");
		return 0;
	}
	if (rc)
		return rc;
	uuid_format(&id, ids);
	snprintf(loc, sizeof(loc), "/admin/generations/%s", ids);
	page_redirect(c, loc);
	return 0;
}

static void filter_form(struct strbuf *sb, const struct store_stuck_filter *f)
{
	strbuf_addstr(sb, "<section class=\"tools\"><form method=\"get\" action=\"/admin/\" "
			  "class=\"search\" role=\"search\"><label>Find a request "
			  "<input type=\"search\" name=\"id\" placeholder=\"full request id\" "
			  "size=\"38\" autocomplete=\"off\" spellcheck=\"false\"></label> "
			  "<button type=\"submit\">Open</button></form>"
			  "<form method=\"get\" action=\"/admin/\" class=\"filters\"><label>Status "
			  "<select name=\"status\"><option value=\"\">any</option>");
	for (int st = 0; st < GEN_STATUS_COUNT; st++) {
		const char *name = lifecycle_status_name((enum gen_status)st);
		strbuf_addf(sb, "<option value=\"%s\"%s>%s</option>", name,
			    f->has_status && (int)f->status == st ? " selected" : "", name);
	}
	strbuf_addstr(sb, "</select></label> <label>Entity type <input type=\"text\" "
			  "name=\"entity_type\" size=\"16\" autocomplete=\"off\" value=\"");
	html_text(sb, f->entity_type);
	strbuf_addstr(sb, "\"></label> <label>Priority <select name=\"priority\">"
			  "<option value=\"\">any</option>");
	for (int p = PRIORITY_MAX; p >= PRIORITY_MIN; p--)
		strbuf_addf(sb, "<option value=\"%d\"%s>%d</option>", p,
			    f->has_priority && (int)f->priority == p ? " selected" : "", p);
	strbuf_addstr(sb, "</select></label> <button type=\"submit\">Filter</button> "
			  "<a href=\"/admin/\">clear</a></form>"
			  "<form method=\"get\" action=\"/admin/bulk-cancel\" class=\"bulk\">"
			  "<label>Cancel all stuck older than <input type=\"number\" "
			  "name=\"older_than\" min=\"1\" max=\"525600\" value=\"30\" required> "
			  "minutes</label>");
	if (f->entity_type) {
		strbuf_addstr(sb, "<input type=\"hidden\" name=\"entity_type\" value=\"");
		html_text(sb, f->entity_type);
		strbuf_addstr(sb, "\"> <span class=\"muted\">of type ");
		html_text(sb, f->entity_type);
		strbuf_addstr(sb, "</span>");
	}
	strbuf_addstr(sb, " <button type=\"submit\">Preview\xe2\x80\xa6</button></form>"
			  "<form method=\"get\" action=\"/admin/bulk-cancel\" class=\"bulk-pending\">"
			  "<input type=\"hidden\" name=\"scope\" value=\"pending\">"
			  "<label>Cancel every pending request of type <input type=\"text\" "
			  "name=\"entity_type\" size=\"16\" autocomplete=\"off\" required></label> "
			  "<label>older than <input type=\"number\" name=\"older_than\" min=\"1\" "
			  "max=\"525600\" value=\"30\" required> minutes</label> "
			  "<button type=\"submit\">Preview\xe2\x80\xa6</button></form>"
			  "<p><a href=\"/admin/bulk-retry\">Retry failed or partial requests by "
			  "filter\xe2\x80\xa6</a></p></section>");
}

void admin_home(struct call *c)
{
	struct query q = { 0 };
	struct store_stuck_filter f;
	struct throughput_choice ch;
	struct strbuf *sb = &c->resp->body;
	struct strbuf url = STRBUF_INIT;
	char err[200];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return;
	}
	const char *id = query_get(&q, "id");
	if (id && *id) {
		int rc = search(c, id);
		if (rc)
			page_store_error(c, rc);
		goto cleanup;
	}
	if (throughput_choice_page(c, &q, &ch) < 0)
		goto cleanup;
	admin_stuck_filter(c->cfg, c->now, &f);
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	if (query_get(&q, "partial")) {
		read_filters(NULL, &q, &f);
		live_sections(c, sb, &f, &ch);
		goto cleanup;
	}
	page_begin(c, "Dashboard");
	strbuf_addstr(sb, "<h1>What is stuck, and what to do about it</h1>");
	page_done_message(sb, &q);
	read_filters(sb, &q, &f);
	filter_form(sb, &f);
	/* The script fetches this URL every 15 s and replaces only #live. */
	strbuf_addstr(&url, "/admin/?partial=1");
	if (f.has_status)
		strbuf_addf(&url, "&status=%s", lifecycle_status_name(f.status));
	if (f.entity_type) {
		strbuf_addstr(&url, "&entity_type=");
		html_url_encode(&url, f.entity_type);
	}
	if (f.has_priority)
		strbuf_addf(&url, "&priority=%u", f.priority);
	/* The charts' choice too, so a refresh keeps the window and type shown. */
	strbuf_addf(&url, "&hours=%u", ch.hours);
	if (ch.type) {
		strbuf_addstr(&url, "&type=");
		html_url_encode(&url, ch.type);
	}
	strbuf_addstr(sb, "<div id=\"live\" data-refresh=\"");
	html_text(sb, url.buf);
	strbuf_addstr(sb, "\">");
	live_sections(c, sb, &f, &ch);
	strbuf_addstr(sb, "</div>");
	page_end(c);
cleanup:
	strbuf_release(&url);
	query_release(&q);
}
