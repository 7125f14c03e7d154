#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_api.h"
#include "admin/html.h"
#include "admin/page.h"
#include "base/jsonw.h"
#include "base/timeutil.h"
#include "model/resource.h"
#include "base/banned.h"

/*
 * The workers page, GET /admin/workers, and its JSON twin GET
 * /admin/api/workers: every worker seen in the last hour (its row of
 * workers_seen, kept by the worker API), what it holds now, and whether it
 * went silent past its lease (lost) while holding a request: that request is
 * the one to look at, the reaper retries or fails it.
 */

#define WORKERS_MAX 200          /* rows a page shows, the most recently seen first */

static void cell_holds(struct call *c, struct strbuf *sb, const struct store_worker *w)
{
	if (!w->holds) {
		strbuf_addstr(sb, "<span class=\"muted\">nothing</span>");
		return;
	}
	page_id_link(sb, &w->held);
	strbuf_addf(sb, " <span class=\"muted\">attempt %u", w->held_attempt);
	if (w->held_index >= 0)
		strbuf_addf(sb, ", last index %lld", w->held_index);
	strbuf_addstr(sb, ", since ");
	page_when(sb, w->held_since, c->now);
	strbuf_addstr(sb, "</span> ");
	if (*w->held_status)
		page_status_name_badge(sb, w->held_status);
}

static int worker_row(void *ctx, const struct store_worker *w)
{
	struct page_rows *d = ctx;
	struct strbuf *sb = d->sb;
	d->rows++;
	strbuf_addf(sb, "<tr class=\"worker%s\"><td><code>", w->lost ? " lost" : "");
	html_text(sb, w->worker_id);
	strbuf_addstr(sb, "</code></td><td>");
	html_cut(sb, w->owner, PAGE_CUT_SHORT);
	strbuf_addstr(sb, "</td><td>");
	html_text(sb, w->entity_types);
	strbuf_addstr(sb, "</td><td>");
	if (w->lost)
		strbuf_addf(sb, "<span class=\"st st-lost\">lost</span> "
				"<span class=\"muted\">silent past its %llds lease</span>",
			    w->lease_seconds);
	else if (w->holds)
		strbuf_addstr(sb, "<span class=\"worker-state\">working</span>");
	else
		strbuf_addstr(sb, "<span class=\"muted worker-state\">idle</span>");
	strbuf_addstr(sb, "</td><td>");
	cell_holds(d->c, sb, w);
	strbuf_addstr(sb, "</td><td>");
	page_when(sb, w->last_seen, d->c->now);
	strbuf_addf(sb, "</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td></tr>",
		    w->done_hour, w->failed_hour);
	return 0;
}

void admin_workers(struct call *c)
{
	struct strbuf *sb = &c->resp->body;
	struct page_rows d = { .c = c, .sb = sb };
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	page_begin(c, "Workers");
	strbuf_addstr(sb, "<p><a href=\"/admin/\">\xe2\x86\x90 Dashboard</a></p><h1>Workers</h1>"
			  "<section><p class=\"muted\">Every worker seen in the last hour, from its "
			  "claims, heartbeats and entities. A worker holding a request and silent "
			  "past its lease is lost: it crashed or hangs; the reaper retries or fails "
			  "what it held. Done and failed count its completes of the last hour.</p>"
			  "<div class=\"table-wrap\"><table class=\"workers\"><thead><tr>"
			  "<th>worker</th><th>owner</th><th>entity types</th><th>state</th>"
			  "<th>holds</th><th>last seen</th><th class=\"num\">done 1 h</th>"
			  "<th class=\"num\">failed 1 h</th></tr></thead><tbody>");
	if (store_worker_list(c->store, WORKERS_MAX, worker_row, &d))
		strbuf_addstr(sb, "<tr><td colspan=\"8\">The store could not be read.</td></tr>");
	else if (!d.rows)
		strbuf_addstr(sb, "<tr><td colspan=\"8\" class=\"empty\">No worker was seen in the "
				  "last hour.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div>");
	if (d.rows >= WORKERS_MAX)
		strbuf_addf(sb, "<p class=\"muted\">The %d most recently seen.</p>", WORKERS_MAX);
	strbuf_addstr(sb, "</section>");
	page_end(c);
}

/* ---- the JSON twin ---- */

static int worker_item(void *ctx, const struct store_worker *w)
{
	struct jsonw *j = ctx;
	char id[UUID_STR_LEN + 1];
	jsonw_object_begin(j);
	jsonw_key(j, "worker_id");
	jsonw_cstr(j, w->worker_id);
	jsonw_key(j, "owner");
	jsonw_cstr(j, w->owner);
	jsonw_key(j, "entity_types");
	jsonw_array_begin(j);
	for (const char *p = w->entity_types; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		jsonw_string(j, p, n);
		p += n + (e ? 1 : 0);
	}
	jsonw_array_end(j);
	resource_render_time(j, "first_seen", w->first_seen);
	resource_render_time(j, "last_seen", w->last_seen);
	jsonw_key(j, "lease_seconds");
	jsonw_int(j, w->lease_seconds);
	jsonw_key(j, "lost");
	jsonw_bool(j, w->lost);
	jsonw_key(j, "holds");
	if (!w->holds) {
		jsonw_null(j);
	} else {
		uuid_format(&w->held, id);
		jsonw_object_begin(j);
		jsonw_key(j, "request_id");
		jsonw_cstr(j, id);
		jsonw_key(j, "attempt");
		jsonw_int(j, w->held_attempt);
		jsonw_key(j, "index");
		if (w->held_index >= 0)
			jsonw_int(j, w->held_index);
		else
			jsonw_null(j);
		resource_render_time(j, "since", w->held_since);
		jsonw_key(j, "status");
		jsonw_cstr(j, *w->held_status ? w->held_status : NULL);
		jsonw_object_end(j);
	}
	jsonw_key(j, "done_last_hour");
	jsonw_int(j, (long long)w->done_hour);
	jsonw_key(j, "failed_last_hour");
	jsonw_int(j, (long long)w->failed_hour);
	jsonw_object_end(j);
	return 0;
}

void admin_api_workers(struct call *c)
{
	struct jsonw w;
	admin_api_list_begin(c, &w);
	int rc = store_worker_list(c->store, WORKERS_MAX, worker_item, &w);
	if (rc) {
		handler_store_problem(c, rc, "worker");
		return;
	}
	admin_api_list_end(c, &w);
}
