#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
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
 * The queues page, GET /admin/queues: every entity type with pending or
 * processing requests, a pause, or requests finished in the last hour; its
 * depth and latency, its last hour (what finished, p50 and p95 times), the
 * workers serving it, and its pause or resume form; then the throughput
 * chart (throughput.c, ?hours= and ?type=) and the latest pauses and
 * resumes. ?entity_type= shows a type with nothing queued too, so it can be
 * paused before work arrives.
 */

#define QUEUE_EVENT_ROWS 20      /* pauses and resumes listed under the table */

void queues_load(struct call *c, struct queues_view *v, const char *also)
{
	memset(v, 0, sizeof(*v));
	/* One more slot than a page shows, for the `also` row. */
	v->rows = calloc(QUEUES_MAX + 1, sizeof(*v->rows));
	v->failed = v->rows ? store_queue_table(c->store, c->now, also, v->rows, QUEUES_MAX, &v->n)
		  : STORE_ERROR;
}

void queues_release(struct queues_view *v)
{
	free(v->rows);
	memset(v, 0, sizeof(*v));
}

/* ---- the table: a column is a heading and a cell writer ---- */

typedef void queue_cell(struct call *c, struct strbuf *sb, const struct queue_state *q);

static void cell_type(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	strbuf_addstr(sb, "<code>");
	html_text(sb, q->entity_type);
	strbuf_addstr(sb, "</code>");
}

static void cell_pending(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	strbuf_addf(sb, "%llu", q->pending);
}

static void cell_oldest(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	page_time(sb, q->oldest_pending_at, c->now, 0);
}

static void cell_processing(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	strbuf_addf(sb, "%llu", q->processing);
}

static void cell_completed(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	strbuf_addf(sb, "%llu", q->hour.completed);
}

static void cell_partial(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	strbuf_addf(sb, "%llu", q->hour.partial);
}

static void cell_failed(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	strbuf_addf(sb, "%llu", q->hour.failed);
}

/* A generation time: "12.5 s" below 100 s, "340 s" below 10 min, else as ages
 * read ("3 h 5 min"); to the millisecond on hover. */
static void duration(struct strbuf *sb, int64_t us)
{
	char text[48];
	if (us < 0) {
		strbuf_addstr(sb, "\xe2\x80\x94");
		return;
	}
	if (us < 100 * US_PER_S)
		snprintf(text, sizeof(text), "%.1f s", (double)us / US_PER_S);
	else if (us < 10 * US_PER_MIN)
		snprintf(text, sizeof(text), "%.0f s", (double)us / US_PER_S);
	else
		html_age(text, sizeof(text), us);
	strbuf_addf(sb, "<span title=\"%.3f s\">%s</span>", (double)us / US_PER_S, text);
}

static void cell_p50(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	duration(sb, q->hour.p50_us);
}

static void cell_p95(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	duration(sb, q->hour.p95_us);
}

static void cell_workers(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	(void)c;
	strbuf_addf(sb, "%u", q->hour.workers);
}

static void cell_state(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	if (!q->paused) {
		strbuf_addstr(sb, "<span class=\"muted\">running</span>");
		return;
	}
	page_paused_badge(sb, q);
	strbuf_addstr(sb, " <span class=\"muted\">by ");
	html_text(sb, q->paused_by);
	strbuf_addstr(sb, ", ");
	page_when(sb, q->paused_at, c->now);
	strbuf_addstr(sb, "</span><br>");
	html_cut(sb, q->pause_reason, PAGE_CUT_LONG);
}

/* The pause form of a running queue, the resume form of a paused one. */
static void cell_action(struct call *c, struct strbuf *sb, const struct queue_state *q)
{
	const char *verb = q->paused ? "resume" : "pause";
	char what[PAGE_FORM_ACTION_MAX], token[CSRF_TOKEN_MAX], confirm[200];
	snprintf(what, sizeof(what), "%s %s", verb, q->entity_type);
	page_form_token(c, what, NULL, token);
	if (q->paused)
		snprintf(confirm, sizeof(confirm), "Resume the %s queue? Workers claim its %llu "
			 "pending requests again.", q->entity_type, q->pending);
	else
		snprintf(confirm, sizeof(confirm), "Pause the %s queue? Workers get none of its "
			 "requests until it is resumed; creates are still accepted.", q->entity_type);
	strbuf_addstr(sb, "<form method=\"post\" action=\"/admin/queues/");
	html_text(sb, q->entity_type);
	strbuf_addf(sb, "/%s\" class=\"action action-%s\" data-confirm=\"", verb, verb);
	html_text(sb, confirm);
	strbuf_addf(sb, "\"><input type=\"hidden\" name=\"csrf_token\" value=\"%s\">"
			"<label>Reason <input type=\"text\" name=\"reason\" required maxlength=\"%d\" "
			"autocomplete=\"off\" placeholder=\"why, for the audit trail\"></label> "
			"<button type=\"submit\"%s>%s</button></form>", token, ADMIN_REASON_MAX,
		    q->paused ? "" : " class=\"danger\"", q->paused ? "Resume" : "Pause");
}

static const struct queue_column {
	const char *heading;
	int numeric;
	queue_cell *cell;
} columns[] = {
	{ "entity type", 0, cell_type },
	{ "pending", 1, cell_pending },
	{ "oldest pending", 0, cell_oldest },
	{ "processing", 1, cell_processing },
	{ "completed (1 h)", 1, cell_completed },
	{ "partial (1 h)", 1, cell_partial },
	{ "failed (1 h)", 1, cell_failed },
	{ "p50 time (1 h)", 1, cell_p50 },
	{ "p95 time (1 h)", 1, cell_p95 },
	{ "workers", 1, cell_workers },
	{ "state", 0, cell_state },
};

void queues_table(struct call *c, struct strbuf *sb, const struct queues_view *v, int forms)
{
	size_t ncol = sizeof(columns) / sizeof(columns[0]);
	/* "stack": on a phone each queue is a card of label: value lines
	 * (assets.c), its data-label the heading, so pending and the paused
	 * badge show without scrolling sideways past the pause form. */
	strbuf_addstr(sb, "<div class=\"table-wrap\"><table class=\"queues stack\"><thead><tr>");
	for (size_t k = 0; k < ncol; k++)
		strbuf_addf(sb, "<th%s>%s</th>", columns[k].numeric ? " class=\"num\"" : "",
			    columns[k].heading);
	if (forms)
		strbuf_addstr(sb, "<th>action</th>");
	strbuf_addstr(sb, "</tr></thead><tbody>");
	for (unsigned i = 0; i < v->n; i++) {
		const struct queue_state *q = &v->rows[i];
		strbuf_addstr(sb, "<tr id=\"queue-");
		html_text(sb, q->entity_type);
		strbuf_addf(sb, "\"%s>", q->paused ? " class=\"paused\"" : "");
		for (size_t k = 0; k < ncol; k++) {
			strbuf_addf(sb, "<td%s data-label=\"", columns[k].numeric ? " class=\"num\"" : "");
			html_text(sb, columns[k].heading);
			strbuf_addstr(sb, "\">");
			columns[k].cell(c, sb, q);
			strbuf_addstr(sb, "</td>");
		}
		if (forms) {
			strbuf_addstr(sb, "<td class=\"queue-actions\" data-label=\"action\">");
			cell_action(c, sb, q);
			strbuf_addstr(sb, "</td>");
		}
		strbuf_addstr(sb, "</tr>");
	}
	if (v->failed)
		strbuf_addf(sb, "<tr><td colspan=\"%zu\">The store could not be read.</td></tr>",
			    ncol + (forms ? 1 : 0));
	else if (!v->n)
		strbuf_addf(sb, "<tr><td colspan=\"%zu\" class=\"empty\">No queue has pending or "
				"processing requests, none finished any in the last hour, and none "
				"is paused.</td></tr>", ncol + (forms ? 1 : 0));
	strbuf_addstr(sb, "</tbody></table></div>");
	if (v->n >= QUEUES_MAX)
		strbuf_addf(sb, "<p class=\"muted\">The first %d entity types, by name.</p>", QUEUES_MAX);
}

static int event_row(void *ctx, const struct store_queue_event *e)
{
	struct page_rows *d = ctx;
	d->rows++;
	strbuf_addstr(d->sb, "<tr><td>");
	page_when(d->sb, e->at, d->c->now);
	strbuf_addstr(d->sb, "</td><td><code>");
	html_text(d->sb, e->entity_type);
	strbuf_addstr(d->sb, "</code></td><td>");
	html_text(d->sb, e->action);
	strbuf_addstr(d->sb, "</td><td>");
	html_cut(d->sb, e->actor, PAGE_CUT_SHORT);
	strbuf_addstr(d->sb, "</td><td>");
	if (e->reason)
		html_cut(d->sb, e->reason, PAGE_CUT_LONG);
	strbuf_addstr(d->sb, "</td></tr>");
	return 0;
}

static void events_table(struct call *c, struct strbuf *sb)
{
	struct page_rows d = { .c = c, .sb = sb };
	strbuf_addstr(sb, "<section><h2>Pauses and resumes</h2><div class=\"table-wrap\">"
			  "<table class=\"queue-events\"><thead><tr><th>when</th><th>entity type</th>"
			  "<th>action</th><th>actor</th><th>reason</th></tr></thead><tbody>");
	if (store_queue_events(c->store, QUEUE_EVENT_ROWS, event_row, &d))
		strbuf_addstr(sb, "<tr><td colspan=\"5\">The store could not be read.</td></tr>");
	else if (!d.rows)
		strbuf_addstr(sb, "<tr><td colspan=\"5\" class=\"empty\">None yet.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div></section>");
}

/* ?entity_type=T: T's row too when the list has none (an idle queue); NULL if none or bad. */
static const char *asked_type(struct strbuf *sb, const struct query *q)
{
	const char *type = q ? query_get(q, "entity_type") : NULL;
	if (!type || !*type)
		return NULL;
	if (!resource_entity_type_valid(type, strlen(type))) {
		page_flash(sb, 0, "An entity type is [a-z][a-z0-9_]{0,63}.");
		return NULL;
	}
	return type;
}

void queues_page(struct call *c, const struct query *q, const struct throughput_choice *ch,
		 int ok, const char *message)
{
	struct strbuf *sb = &c->resp->body;
	struct queues_view v;
	struct throughput_choice all = { THROUGHPUT_HOURS_SHORT, NULL };
	page_begin(c, "Queues");
	strbuf_addstr(sb, "<p><a href=\"/admin/\">\xe2\x86\x90 Dashboard</a></p><h1>Queues</h1>");
	if (q)
		page_done_message(sb, q);
	if (message)
		page_flash(sb, ok, message);
	strbuf_addstr(sb, "<section><p class=\"muted\">A paused queue hands nothing out: its "
			  "workers' claims answer 204 and its requests wait, pending; creates go "
			  "on. What is processing runs to its end. The reaper fails none of its "
			  "requests as never started while it is paused, and counts their "
			  "pending_timeout from the resume.</p>");
	queues_load(c, &v, asked_type(sb, q));
	queues_table(c, sb, &v, 1);
	strbuf_addstr(sb, "<form method=\"get\" action=\"/admin/queues\" class=\"filters\">"
			  "<label>Another entity type <input type=\"text\" name=\"entity_type\" "
			  "size=\"16\" autocomplete=\"off\" pattern=\"[a-z][a-z0-9_]{0,63}\" "
			  "required></label> <button type=\"submit\">Show</button></form></section>");
	struct throughput_types types = { v.rows, v.n };
	throughput_section(c, sb, ch ? ch : &all, "/admin/queues", &types);
	events_table(c, sb);
	page_end(c);
	queues_release(&v);
}

void admin_queues(struct call *c)
{
	struct query q = { 0 };
	struct throughput_choice ch;
	char err[200];
	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return;
	}
	if (throughput_choice_page(c, &q, &ch) < 0)
		goto cleanup;
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	queues_page(c, &q, &ch, 1, NULL);
cleanup:
	query_release(&q);
}
