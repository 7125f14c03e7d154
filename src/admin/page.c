#include "build_config.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "admin/admin.h"
#include "admin/page.h"
#include "web/admin_session.h"
#include "web/basic_auth.h"
#include "admin/html.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/banned.h"

void page_reset(struct call *c, int status)
{
	http_response_reset(c->resp);
	c->resp->status = status;
	c->resp->content_type = PAGE_HTML_TYPE;
}

/* The sign-in page of a 401; the caller adds the WWW-Authenticate challenge. */
static void sign_in_page(struct call *c, const char *sentence)
{
	page_reset(c, 401);
	strbuf_addstr(&c->resp->body,
		      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<title>gentrack admin: sign in</title>"
		      "<link rel=\"stylesheet\" href=\"/admin/static/admin.css\">"
		      PAGE_ICON_LINK "</head><body>"
		      "<main><h1>Sign in needed</h1><p>");
	html_text(&c->resp->body, sentence);
	strbuf_addstr(&c->resp->body,
		      "</p><p><a href=\"/admin/\">Sign in</a></p></main></body></html>\n");
}

void admin_refusal_page(struct call *c, int status, const char *sentence)
{
	if (status == 401)
		sign_in_page(c, sentence);
	else
		admin_error_page(c, status, sentence);
}

void admin_logout(struct call *c)
{
	/* The page session ends here, and with it every token of its forms. If
	 * the store cannot say so (logged), the browser still drops the cookie,
	 * without which no post of those forms is taken, and the row expires. */
	(void)admin_session_end(c);
	/* Another realm: browsers drop the cached credentials of the admin realm
	 * and, when the prompt is dismissed, show this page. */
	sign_in_page(c, "You are signed out. Close the prompt; sign in again when you need to.");
	http_add_header(c->resp, "WWW-Authenticate", "Basic realm=\"%s\", charset=\"UTF-8\"",
			BASIC_AUTH_REALM " (signed out)");
	admin_session_forget(c);
}

/* "retry 0192e4c1-...", or the action alone when it has no target. */
static void form_action(const char *action, const struct uuid *target,
			char out[PAGE_FORM_ACTION_MAX])
{
	char ids[UUID_STR_LEN + 1];
	if (!target) {
		snprintf(out, PAGE_FORM_ACTION_MAX, "%s", action);
		return;
	}
	uuid_format(target, ids);
	snprintf(out, PAGE_FORM_ACTION_MAX, "%s %s", action, ids);
}

/*
 * CSRF tokens of the signed-in admin, bound to the page session the
 * dispatcher loaded (c->session) and to the form's action. The key is
 * derived from the stored password hash the dispatcher checked
 * (c->admin_hash) each time it is needed, and wiped at once: no copy of it
 * outlives the call.
 */
void page_form_token(const struct call *c, const char *action, const struct uuid *target,
		     char token[CSRF_TOKEN_MAX])
{
	unsigned char key[CSRF_KEY_LEN];
	char what[PAGE_FORM_ACTION_MAX];
	if (c->session.state != CALL_SESSION_LIVE && c->session.state != CALL_SESSION_OPENED) {
		/* No session to bind it to: the post is refused, asking for a reload. */
		token[0] = '\0';
		return;
	}
	form_action(action, target, what);
	csrf_key_derive(c->admin_hash, key);
	csrf_make(key, c->session.id_hash, c->admin, what, c->session.expires / US_PER_S, token);
	sodium_memzero(key, sizeof(key));
}

int page_session_live(const struct call *c)
{
	return c->session.state == CALL_SESSION_LIVE;
}

int page_form_token_valid(const struct call *c, const char *action, const struct uuid *target,
			  const char *token)
{
	unsigned char key[CSRF_KEY_LEN];
	char what[PAGE_FORM_ACTION_MAX];
	if (!page_session_live(c))
		return -1;
	form_action(action, target, what);
	csrf_key_derive(c->admin_hash, key);
	int rc = csrf_verify(key, c->session.id_hash, c->admin, what, token, c->now / US_PER_S);
	sodium_memzero(key, sizeof(key));
	return rc;
}

void page_begin(struct call *c, const char *title)
{
	struct strbuf *sb = &c->resp->body;
	strbuf_addstr(sb, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			  "<title>");
	html_text(sb, title);
	strbuf_addstr(sb, " \xc2\xb7 gentrack admin</title>"
			  "<link rel=\"stylesheet\" href=\"/admin/static/admin.css\">"
			  PAGE_ICON_LINK
			  "<script src=\"/admin/static/admin.js\" defer></script></head><body>"
			  "<header><a class=\"brand\" href=\"/admin/\">gentrack admin</a>"
			  "<nav><a href=\"/admin/queues\">Queues</a> <a href=\"/admin/workers\">Workers</a> "
			  "<a href=\"/admin/webhooks\">Webhooks</a></nav>"
			  "<span class=\"who\">signed in as <b>");
	html_text(sb, c->admin);
	strbuf_addstr(sb, "</b> \xc2\xb7 <a href=\"/admin/logout\">Sign out</a></span></header><main>");
}

void page_end(struct call *c)
{
	strbuf_addstr(&c->resp->body, "</main></body></html>\n");
}

void page_flash(struct strbuf *sb, int ok, const char *text)
{
	strbuf_addf(sb, "<p class=\"flash %s\" role=\"status\">", ok ? "ok" : "error");
	html_text(sb, text);
	strbuf_addstr(sb, "</p>");
}

void admin_error_page(struct call *c, int status, const char *sentence)
{
	page_reset(c, status);
	page_begin(c, problem_status_title(status));
	strbuf_addf(&c->resp->body, "<h1>%d %s</h1>", status, problem_status_title(status));
	page_flash(&c->resp->body, 0, sentence);
	strbuf_addstr(&c->resp->body, "<p><a href=\"/admin/\">Back to the dashboard</a></p>");
	page_end(c);
}

void page_store_error(struct call *c, int rc)
{
	if (rc == STORE_NOT_FOUND) {
		admin_error_page(c, 404, "There is no request with that id.");
		return;
	}
	if (rc == STORE_UNAVAILABLE) {
		admin_error_page(c, 503, "The store is unavailable; try again in a few seconds.");
		http_add_header(c->resp, "Retry-After", "5");
		return;
	}
	log_error("admin page: %s", store_last_error(c->store));
	admin_error_page(c, 500, "Internal error; the details are in the service log.");
}

void page_status_badge(struct strbuf *sb, enum gen_status st)
{
	const char *name = lifecycle_status_name(st);
	strbuf_addf(sb, "<span class=\"st st-%s\">%s</span>", name, name);
}

void page_status_name_badge(struct strbuf *sb, const char *name)
{
	enum gen_status st;
	if (name && lifecycle_status_parse(name, &st) == 0)
		page_status_badge(sb, st);
	else
		html_text(sb, name ? name : "\xe2\x80\x94");
}

void page_id_link(struct strbuf *sb, const struct uuid *id)
{
	char ids[UUID_STR_LEN + 1];
	uuid_format(id, ids);
	strbuf_addf(sb, "<a class=\"id\" href=\"/admin/generations/%s\" title=\"%s\">%.8s\xe2\x80\xa6</a>",
		    ids, ids, ids);
}

void page_time(struct strbuf *sb, int64_t at, int64_t now, int exact_first)
{
	char exact[TIME_RFC3339_LEN + 1], age[48];
	if (at == TIME_NONE) {
		strbuf_addstr(sb, "\xe2\x80\x94");
		return;
	}
	time_format_rfc3339(at, exact);
	html_age(age, sizeof(age), now - at);
	if (exact_first)
		strbuf_addf(sb, "<time datetime=\"%s\">%s</time> <span class=\"muted\">(%s %s)</span>",
			    exact, exact, age, at <= now ? "ago" : "from now");
	else
		strbuf_addf(sb, "<time datetime=\"%s\" title=\"%s\">%s ago</time>", exact, exact,
			    age);
}

void page_when(struct strbuf *sb, int64_t at, int64_t now)
{
	page_time(sb, at, now, 0);
}

const struct queue_state *page_paused_queue(const struct page_rows *d, const char *entity_type)
{
	for (unsigned k = 0; d->queues && k < d->n_queues; k++)
		if (d->queues[k].paused && !strcmp(d->queues[k].entity_type, entity_type))
			return &d->queues[k];
	return NULL;
}

void page_paused_badge(struct strbuf *sb, const struct queue_state *q)
{
	char at[TIME_RFC3339_LEN + 1];
	time_format_rfc3339(q->paused_at, at);
	strbuf_addstr(sb, "<span class=\"st st-paused\" title=\"paused by ");
	html_text(sb, q->paused_by);
	strbuf_addf(sb, " at %.19s UTC: ", at);
	html_text(sb, q->pause_reason);
	strbuf_addstr(sb, "\">paused</span>");
}

void page_request_cells(struct strbuf *sb, const struct gen_request *r, const char *note,
			const struct queue_state *pause)
{
	strbuf_addstr(sb, "<tr><td>");
	page_id_link(sb, &r->id);
	strbuf_addstr(sb, "</td><td>");
	page_status_badge(sb, r->status);
	if (note) {
		strbuf_addstr(sb, " <span class=\"muted\">");
		html_text(sb, note);
		strbuf_addstr(sb, "</span>");
	}
	strbuf_addf(sb, "</td><td class=\"num\">%u</td><td>", r->priority);
	html_cut(sb, r->entity_type, PAGE_CUT_SHORT);
	if (pause) {
		strbuf_addstr(sb, " ");
		page_paused_badge(sb, pause);
	}
	strbuf_addstr(sb, "</td><td>");
	html_cut(sb, r->owner, PAGE_CUT_SHORT);
	strbuf_addstr(sb, "</td><td>");
	if (r->subject_key)
		html_cut(sb, r->subject_key, PAGE_CUT_SHORT);
}

void page_redirect(struct call *c, const char *location)
{
	http_response_reset(c->resp);
	c->resp->status = 303;
	c->resp->content_type = PAGE_HTML_TYPE;
	http_add_header(c->resp, "Location", "%s", location);
}

void page_done_message(struct strbuf *sb, const struct query *q)
{
	const char *done = query_get(q, "done");
	const char *n = query_get(q, "n");
	char text[200];
	if (!done)
		return;
	if (!n || strspn(n, "0123456789") != strlen(n) || strlen(n) > 9)
		n = "0";
	if (!strcmp(done, "failed"))
		page_flash(sb, 1, "Marked failed. The event is in the audit trail below.");
	else if (!strcmp(done, "cancelled"))
		page_flash(sb, 1, "Cancelled. The event is in the audit trail below.");
	else if (!strcmp(done, "retried"))
		page_flash(sb, 1, "Sent back to pending: the next worker claim generates what remains.");
	else if (!strcmp(done, "bulk") || !strcmp(done, "bulk_capped")) {
		snprintf(text, sizeof(text), "Bulk cancel done: %s request%s cancelled.%s", n,
			 strcmp(n, "1") ? "s" : "",
			 !strcmp(done, "bulk_capped") ? " The per-action cap was reached: preview again for the rest." : "");
		page_flash(sb, 1, text);
	} else if (!strcmp(done, "bulk_repeat")) {
		snprintf(text, sizeof(text),
			 "This bulk action was already applied (%s cancelled); nothing more was done.", n);
		page_flash(sb, 1, text);
	} else if (!strcmp(done, "bulk_retry") || !strcmp(done, "bulk_retry_capped")) {
		snprintf(text, sizeof(text), "Bulk retry done: %s request%s sent back to pending.%s", n,
			 strcmp(n, "1") ? "s" : "",
			 !strcmp(done, "bulk_retry_capped") ? " The per-action cap was reached: preview again for the rest." : "");
		page_flash(sb, 1, text);
	} else if (!strcmp(done, "bulk_retry_repeat")) {
		snprintf(text, sizeof(text),
			 "This bulk action was already applied (%s retried); nothing more was done.", n);
		page_flash(sb, 1, text);
	} else if (!strcmp(done, "bulk_running")) {
		page_flash(sb, 0, "This bulk action is still running, or a store failure interrupted it: "
			   "reload in a moment; if this stays, preview again for what is left.");
	} else if (!strcmp(done, "paused")) {
		page_flash(sb, 1, "Paused: workers get none of its requests until it is resumed. "
			   "The pause is in the list below.");
	} else if (!strcmp(done, "resumed")) {
		page_flash(sb, 1, "Resumed: workers claim its requests again.");
	} else if (!strcmp(done, "redelivered")) {
		page_flash(sb, 1, "Due again at once, with the same webhook-id: a deliverer sends it "
			   "within its next pass. The action is in the audit trail below.");
	} else if (!strcmp(done, "enabled")) {
		page_flash(sb, 1, "Enabled again: its owner's next requests that end are sent to it.");
	} else if (!strcmp(done, "notfound")) {
		page_flash(sb, 0, "No request has that id.");
	} else if (!strcmp(done, "badid")) {
		page_flash(sb, 0, "That is not a request id: paste the whole id (a UUID).");
	}
}

void page_request_counts(struct strbuf *sb, const struct gen_request *r)
{
	strbuf_addf(sb, "</td><td class=\"num\">%u/%u of %u</td><td>", r->generated_count,
		    r->failed_count, r->requested_count);
	if (r->error_message)
		html_cut(sb, r->error_message, PAGE_CUT_LONG);
	strbuf_addstr(sb, "</td></tr>");
}

int page_request_row(void *ctx, const struct gen_request *r)
{
	struct page_rows *d = ctx;
	struct strbuf *sb = d->sb;
	d->rows++;
	page_request_cells(sb, r, NULL, page_paused_queue(d, r->entity_type));
	strbuf_addstr(sb, "</td><td>");
	page_when(sb, r->requested_at, d->c->now);
	page_request_counts(sb, r);
	return 0;
}
