#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_indent.h"
#include "base/limits.h"
#include "admin/admin.h"
#include "admin/detail.h"
#include "admin/html.h"
#include "admin/page.h"
#include "base/timeutil.h"
#include "base/banned.h"

/*
 * A stored JSON text, indented for people; as it is stored when it does not
 * parse, nests deeper than ADMIN_JSON_INDENT_DEPTH or its indented form
 * would pass ADMIN_JSON_INDENT_GROWTH times its size: indenting costs the
 * square of the depth, and a page must not cost more than the create did.
 */
static void pretty_json(struct strbuf *sb, const char *text, size_t len)
{
	struct strbuf indented = STRBUF_INIT;
	size_t max_out = len * ADMIN_JSON_INDENT_GROWTH + ADMIN_JSON_INDENT_SLACK;
	strbuf_addstr(sb, "<pre class=\"json\">");
	if (json_indent(&indented, text, len, ADMIN_JSON_INDENT_DEPTH, max_out) == 0)
		html_escape(sb, indented.buf, indented.len);
	else
		html_escape(sb, text, len);
	strbuf_addstr(sb, "</pre>");
	strbuf_release(&indented);
}

static void field_row(struct strbuf *sb, const char *name)
{
	strbuf_addstr(sb, "<tr><th scope=\"row\">");
	html_text(sb, name);
	strbuf_addstr(sb, "</th><td>");
}

static void fields_table(struct call *c, struct strbuf *sb, const struct gen_request *r)
{
	char ids[UUID_STR_LEN + 1];
	uuid_format(&r->id, ids);
	strbuf_addstr(sb, "<section><h2>Fields</h2><div class=\"table-wrap\"><table class=\"fields\">");
	field_row(sb, "request_id");
	strbuf_addf(sb, "<code>%s</code></td></tr>", ids);
	field_row(sb, "status");
	page_status_badge(sb, r->status);
	strbuf_addstr(sb, "</td></tr>");
	field_row(sb, "owner");
	html_text(sb, r->owner);
	strbuf_addstr(sb, "</td></tr>");
	field_row(sb, "entity_type");
	html_text(sb, r->entity_type);
	/* Why a pending request waits: its queue is paused (who, when, why on hover). */
	struct queue_state q;
	if (r->status == GEN_PENDING && store_queue_get(c->store, r->entity_type, &q) == STORE_OK &&
	    q.paused) {
		strbuf_addstr(sb, " ");
		page_paused_badge(sb, &q);
	}
	strbuf_addstr(sb, "</td></tr>");
	field_row(sb, "subject_key");
	if (r->subject_key)
		html_escape(sb, r->subject_key, r->subject_key_len);
	else
		strbuf_addstr(sb, "<span class=\"muted\">none</span>");
	strbuf_addstr(sb, "</td></tr>");
	field_row(sb, "requested / generated / failed");
	strbuf_addf(sb, "%u / %u / %u (progress %.0f%%)</td></tr>", r->requested_count,
		    r->generated_count, r->failed_count,
		    100.0 * lifecycle_progress(r->generated_count, r->failed_count, r->requested_count));
	field_row(sb, "priority");
	strbuf_addf(sb, "%u</td></tr>", r->priority);
	field_row(sb, "attempt");
	strbuf_addf(sb, "%u of at most %d</td></tr>", r->attempt, c->cfg->max_attempts);
	field_row(sb, "version");
	strbuf_addf(sb, "%llu</td></tr>", (unsigned long long)r->version);
	field_row(sb, "worker_id");
	html_text(sb, r->worker_id ? r->worker_id : "\xe2\x80\x94");
	strbuf_addstr(sb, "</td></tr>");
	const struct { const char *name; int64_t at; } times[] = {
		{ "lease_expires_at", r->lease_expires_at }, { "requested_at", r->requested_at },
		{ "started_at", r->started_at }, { "completed_at", r->completed_at },
		{ "cancelled_at", r->cancelled_at }, { "updated_at", r->updated_at },
	};
	for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
		field_row(sb, times[k].name);
		page_time(sb, times[k].at, c->now, 1);
		strbuf_addstr(sb, "</td></tr>");
	}
	field_row(sb, "failure_reason");
	html_text(sb, r->failure_reason[0] ? r->failure_reason : "\xe2\x80\x94");
	strbuf_addstr(sb, "</td></tr>");
	field_row(sb, "error_message");
	html_text(sb, r->error_message ? r->error_message : "\xe2\x80\x94");
	strbuf_addstr(sb, "</td></tr>");
	field_row(sb, "constraints");
	pretty_json(sb, r->constraints_json ? r->constraints_json : "{}",
		    r->constraints_json ? strlen(r->constraints_json) : 2);
	strbuf_addstr(sb, "</td></tr>");
	field_row(sb, "metadata");
	pretty_json(sb, r->metadata_json ? r->metadata_json : "{}",
		    r->metadata_json ? strlen(r->metadata_json) : 2);
	strbuf_addstr(sb, "</td></tr></table></div></section>");
}

struct trail {
	struct strbuf *sb;
	int64_t now;
	unsigned rows;
};

static int trail_row(void *ctx, const struct store_event *e)
{
	struct trail *t = ctx;
	char exact[TIME_RFC3339_LEN + 1];
	t->rows++;
	time_format_rfc3339(e->at, exact);
	strbuf_addf(t->sb, "<tr><td class=\"nowrap\"><time datetime=\"%s\">%.10s %.15s</time></td><td>",
		    exact, exact, exact + 11);
	html_text(t->sb, e->actor);
	strbuf_addstr(t->sb, "</td><td class=\"nowrap\">");
	if (e->from_status) {
		page_status_name_badge(t->sb, e->from_status);
		strbuf_addstr(t->sb, " \xe2\x86\x92 ");
	} else {
		strbuf_addstr(t->sb, "created \xe2\x86\x92 ");
	}
	page_status_name_badge(t->sb, e->to_status);
	strbuf_addstr(t->sb, "</td><td>");
	html_text(t->sb, e->message ? e->message : "");
	strbuf_addstr(t->sb, "</td></tr>");
	return 0;
}

static void action_form(struct call *c, struct strbuf *sb, const struct gen_request *r,
			const char *verb, const char *label, const char *confirm, const char *hint)
{
	char ids[UUID_STR_LEN + 1], token[CSRF_TOKEN_MAX];
	uuid_format(&r->id, ids);
	page_form_token(c, verb, &r->id, token);
	strbuf_addf(sb, "<form method=\"post\" action=\"/admin/generations/%s/%s\" class=\"action "
			"action-%s\" data-confirm=\"", ids, verb, verb);
	html_text(sb, confirm);
	strbuf_addf(sb, "\"><input type=\"hidden\" name=\"csrf_token\" value=\"%s\">"
			"<input type=\"hidden\" name=\"expect_status\" value=\"%s\">"
			"<label>Reason <input type=\"text\" name=\"reason\" required maxlength=\"%d\" "
			"autocomplete=\"off\" placeholder=\"", token, lifecycle_status_name(r->status),
		    ADMIN_REASON_MAX);
	html_text(sb, hint);
	strbuf_addf(sb, "\"></label> <button type=\"submit\" name=\"action\" value=\"%s\">", verb);
	html_text(sb, label);
	strbuf_addstr(sb, "</button></form>");
}

static void actions_section(struct call *c, struct strbuf *sb, const struct gen_request *r)
{
	int active = r->status == GEN_PENDING || r->status == GEN_PROCESSING;
	strbuf_addstr(sb, "<section class=\"actions\"><h2>Actions</h2>");
	if (active) {
		action_form(c, sb, r, "fail", "Mark failed",
			    "Mark this request failed? Its worker will be told to stop.",
			    "why, for the audit trail");
		action_form(c, sb, r, "cancel", "Cancel",
			    "Cancel this request? Its worker will be told to stop.",
			    "why, for the audit trail");
	} else if (lifecycle_can_transition(r->status, GEN_PENDING, ACTOR_ADMIN)) {
		char hint[96];
		snprintf(hint, sizeof(hint), "why; keeps %u generated, %u remain", r->generated_count,
			 r->requested_count > r->generated_count
			 ? r->requested_count - r->generated_count : 0);
		action_form(c, sb, r, "retry", "Retry",
			    "Send this request back to pending for another attempt?", hint);
	} else {
		strbuf_addstr(sb, "<p class=\"muted\">Completed: nothing to do.</p>");
	}
	strbuf_addstr(sb, "</section>");
}

void detail_page(struct call *c, const struct gen_request *r, const struct query *q,
			int ok, const char *message)
{
	struct strbuf *sb = &c->resp->body;
	struct gen_entity_list entities = { 0 };
	struct trail t = { sb, c->now, 0 };
	char ids[UUID_STR_LEN + 1], title[64];

	uuid_format(&r->id, ids);
	snprintf(title, sizeof(title), "Request %.8s", ids);
	page_begin(c, title);
	strbuf_addf(sb, "<p><a href=\"/admin/\">\xe2\x86\x90 Dashboard</a></p><h1>Request "
			"<code>%s</code> ", ids);
	page_status_badge(sb, r->status);
	strbuf_addstr(sb, "</h1>");
	if (q)
		page_done_message(sb, q);
	if (message)
		page_flash(sb, ok, message);
	actions_section(c, sb, r);
	fields_table(c, sb, r);

	strbuf_addstr(sb, "<section><h2>Entities</h2>");
	int rc = store_request_entities(c->store, &r->id, &entities);
	if (rc)
		strbuf_addstr(sb, "<p>The entities could not be read.</p>");
	else if (!entities.count)
		strbuf_addstr(sb, "<p class=\"muted\">None generated yet.</p>");
	for (size_t i = 0; i < entities.count; i++) {
		strbuf_addf(sb, "<details%s><summary>entity #%u</summary>", entities.count <= 3 ? " open" : "",
			    entities.items[i].idx);
		pretty_json(sb, entities.items[i].json, entities.items[i].json_len);
		strbuf_addstr(sb, "</details>");
	}
	strbuf_addstr(sb, "</section>");
	admin_webhook_request_section(c, sb, &r->id);
	strbuf_addstr(sb, "<section><h2>Audit trail</h2><div class=\"table-wrap\">"
			  "<table class=\"trail\"><thead><tr><th>time (UTC)</th><th>actor</th>"
			  "<th>from \xe2\x86\x92 to</th><th>message</th></tr></thead><tbody>");
	if (store_request_events(c->store, &r->id, trail_row, &t))
		strbuf_addstr(sb, "<tr><td colspan=\"4\">The audit trail could not be read.</td></tr>");
	strbuf_addstr(sb, "</tbody></table></div></section>");
	page_end(c);
	gen_entity_list_release(&entities);
}

void admin_detail(struct call *c)
{
	struct gen_request r;
	struct query q = { 0 };
	char err[160];

	gen_request_init(&r);
	/* Operator reads change nothing: no lazy timeout here (SPEC §2). */
	int rc = store_request_get(c->store, &c->route.id, NULL, &r);
	if (rc) {
		page_store_error(c, rc);
		goto cleanup;
	}
	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0)
		memset(&q, 0, sizeof(q));
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	detail_page(c, &r, &q, 1, NULL);
cleanup:
	query_release(&q);
	gen_request_release(&r);
}
