#include "build_config.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "admin/admin.h"
#include "admin/bulk.h"
#include "admin/detail.h"
#include "admin/html.h"
#include "admin/page.h"
#include "admin/queues.h"
#include "base/log.h"
#include "base/query.h"
#include "base/timeutil.h"
#include "model/resource.h"
#include "base/utf8.h"
#include "base/banned.h"

/*
 * The admin forms that change something: fail, cancel and retry of one
 * request, pause and resume of a queue, and the bulk cancel with its preview. Each post carries the CSRF
 * token of its page (read_form) and a reason for the audit trail.
 */

#define BULK_PREVIEW_MAX_AGE (24 * 3600 * US_PER_S)
#define ACTION_ID_LEN 32         /* hex characters */
#define BULK_ACTION "bulk-cancel" /* the bulk forms' actions, as their tokens name them */
#define BULK_RETRY_ACTION "bulk-retry"

static int is_form_type(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	return ct && !strncasecmp(ct, form, sizeof(form) - 1) &&
	       (ct[sizeof(form) - 1] == '\0' || ct[sizeof(form) - 1] == ';' ||
		ct[sizeof(form) - 1] == ' ');
}

static int check_form_token(struct call *c, struct query *q, const char *action,
			    const struct uuid *target);

/*
 * Reads the post of form `action` on `target` (NULL: none): body, fields,
 * CSRF token. 0 with *q filled (release it), or -1 with the answer set (403
 * without a live page session, or for a missing or wrong token). With
 * action NULL only the body and fields: check_form_token after.
 */

static int read_form(struct call *c, struct query *q, const char *action,
		     const struct uuid *target)
{
	struct problem p;
	char err[200];
	memset(q, 0, sizeof(*q));
	if (!is_form_type(http_param(c->req, "CONTENT_TYPE"))) {
		admin_error_page(c, 415, "The admin forms send application/x-www-form-urlencoded.");
		return -1;
	}
	if (http_read_body(c->req, c->cfg->max_body, &p) < 0) {
		admin_error_page(c, p.status, p.detail);
		return -1;
	}
	if (query_parse(c->req->body, q, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return -1;
	}
	if (c->session.state == CALL_SESSION_UNREAD) {
		query_release(q);
		page_store_error(c, STORE_UNAVAILABLE);
		return -1;
	}
	return action ? check_form_token(c, q, action, target) : 0;
}

/*
 * The session and CSRF checks of read_form, for a form whose action names a
 * field of its own body (read_form with action NULL first). 0, or -1 with
 * the answer set and *q released.
 */
static int check_form_token(struct call *c, struct query *q, const char *action,
			    const struct uuid *target)
{
	char err[200];
	if (!page_session_live(c)) {
		/* Signed out, expired, another browser's, or a cross-site post that
		 * SameSite kept the cookie from. */
		log_warn("admin form refused: no live page session (admin %s, %s)", c->admin, action);
		query_release(q);
		snprintf(err, sizeof(err), "Your admin session has ended (you signed out, or it is "
			 "over %d hours old), and this form's security token with it. Nothing was "
			 "changed: reload the page and try again.", ADMIN_SESSION_TTL_S / 3600);
		admin_error_page(c, 403, err);
		return -1;
	}
	if (query_count(q, "csrf_token") != 1 ||
	    page_form_token_valid(c, action, target, query_get(q, "csrf_token")) < 0) {
		log_warn("admin form refused: missing or wrong CSRF token (admin %s, %s)", c->admin,
			 action);
		query_release(q);
		admin_error_page(c, 403, "This form's security token is missing, wrong, expired or "
				 "for another form. Nothing was changed: reload the page and try again.");
		return -1;
	}
	return 0;
}

/* The reason field: 1..ADMIN_REASON_MAX bytes of text. NULL after answering 400. */
static const char *form_reason(struct call *c, const struct query *q)
{
	const char *reason = query_get(q, "reason");
	size_t n = reason ? strlen(reason) : 0;
	if (!n || n > ADMIN_REASON_MAX || !html_text_valid(reason, n)) {
		admin_error_page(c, 400, "Give a reason (up to 900 characters of text): it goes to the "
				 "audit trail. Nothing was changed.");
		return NULL;
	}
	return reason;
}

static void admin_action(struct call *c, enum store_admin_action action)
{
	static const char *const done[] = {
		[ADMIN_FAIL] = "failed", [ADMIN_CANCEL] = "cancelled", [ADMIN_RETRY] = "retried",
	};
	/* The form's action, as its token names it (detail.c's action_form). */
	static const char *const verb[] = {
		[ADMIN_FAIL] = "fail", [ADMIN_CANCEL] = "cancel", [ADMIN_RETRY] = "retry",
	};
	struct query q;
	struct gen_request r;
	enum gen_status expect;
	char actor[OWNER_MAX + 8], loc[96], ids[UUID_STR_LEN + 1], msg[256];

	gen_request_init(&r);
	if (read_form(c, &q, verb[action], &c->route.id) < 0)
		return;
	const char *reason = form_reason(c, &q);
	if (!reason)
		goto cleanup;
	const char *es = query_get(&q, "expect_status");
	int has_expect = es && *es && lifecycle_status_parse(es, &expect) == 0;
	snprintf(actor, sizeof(actor), "admin:%s", c->admin);
	int rc = store_admin_apply(c->store, &c->route.id, action, actor, reason,
				   has_expect ? &expect : NULL, &r);
	uuid_format(&c->route.id, ids);
	if (rc == STORE_OK) {
		log_info("%s: %s %s", actor, done[action], ids);
		snprintf(loc, sizeof(loc), "/admin/generations/%s?done=%s", ids, done[action]);
		page_redirect(c, loc);
		goto cleanup;
	}
	if (rc == STORE_CONFLICT || rc == STORE_DUPLICATE) {
		if (rc == STORE_DUPLICATE)
			snprintf(msg, sizeof(msg), "Not retried: the owner already has a pending or "
				 "processing %s request for this subject. Nothing was changed.",
				 r.entity_type);
		else
			snprintf(msg, sizeof(msg), "Nothing was changed: the request is %s now%s%s.",
				 lifecycle_status_name(r.status),
				 has_expect && expect != r.status ? ", not " : "",
				 has_expect && expect != r.status ? lifecycle_status_name(expect) : "");
		page_reset(c, 409);
		detail_page(c, &r, NULL, 0, msg);
		goto cleanup;
	}
	page_store_error(c, rc);
cleanup:
	gen_request_release(&r);
	query_release(&q);
}

void admin_fail(struct call *c)
{
	admin_action(c, ADMIN_FAIL);
}

void admin_cancel(struct call *c)
{
	admin_action(c, ADMIN_CANCEL);
}

void admin_retry(struct call *c)
{
	admin_action(c, ADMIN_RETRY);
}

/* ---- pause and resume a queue ---- */

/* The form of queues.c's cell_action; its token names the action and the type. */
static void queue_action(struct call *c, int pause)
{
	const char *verb = pause ? "pause" : "resume";
	const char *type = c->route.entity_type;
	struct query q;
	struct queue_state now;
	char what[PAGE_FORM_ACTION_MAX], actor[OWNER_MAX + 8], loc[128], msg[400];

	snprintf(what, sizeof(what), "%s %s", verb, type);
	if (read_form(c, &q, what, NULL) < 0)
		return;
	const char *reason = form_reason(c, &q);
	if (!reason)
		goto cleanup;
	snprintf(actor, sizeof(actor), "admin:%s", c->admin);
	int rc = pause ? store_queue_pause(c->store, type, actor, reason)
		 : store_queue_resume(c->store, type, actor, reason);
	if (rc == STORE_OK) {
		log_info("%s: %s queue %s", actor, pause ? "paused" : "resumed", type);
		snprintf(loc, sizeof(loc), "/admin/queues?done=%s&entity_type=%s",
			 pause ? "paused" : "resumed", type);
		page_redirect(c, loc);
		goto cleanup;
	}
	if (rc == STORE_CONFLICT) {
		/* Already so: the first pause's who, when and why stand. */
		if (pause && store_queue_get(c->store, type, &now) == STORE_OK && now.paused)
			utf8_snprintf(msg, sizeof(msg), "Nothing was changed: the %s queue was already "
				      "paused by %s.", type, now.paused_by);
		else
			snprintf(msg, sizeof(msg), "Nothing was changed: the %s queue is %s.", type,
				 pause ? "already paused" : "not paused");
		page_reset(c, 409);
		queues_page(c, NULL, NULL, 0, msg);
		goto cleanup;
	}
	page_store_error(c, rc);
cleanup:
	query_release(&q);
}

void admin_queue_pause(struct call *c)
{
	queue_action(c, 1);
}

void admin_queue_resume(struct call *c)
{
	queue_action(c, 0);
}

/* ---- bulk cancel ---- */

struct bulk {
	unsigned long long older_than;   /* minutes */
	const char *entity_type;
	int pending;                     /* scope=pending: every pending request of the type */
	struct store_stuck_filter f;
};

/*
 * older_than (minutes), entity_type and scope ("stuck", the default, or
 * "pending"), with the filter they make as of `as_of`.
 */
static int bulk_params(struct call *c, const struct query *q, int64_t as_of, struct bulk *b)
{
	const char *m = query_get(q, "older_than");
	const char *type = query_get(q, "entity_type");
	const char *scope = query_get(q, "scope");
	memset(b, 0, sizeof(*b));
	if (scope && *scope && strcmp(scope, "stuck") && strcmp(scope, "pending")) {
		admin_error_page(c, 400, "The scope is \xe2\x80\x9cstuck\xe2\x80\x9d or "
				 "\xe2\x80\x9cpending\xe2\x80\x9d.");
		return -1;
	}
	b->pending = scope && !strcmp(scope, "pending");
	if (b->pending && (!type || !*type)) {
		admin_error_page(c, 400, "Cancelling every pending request takes an entity type.");
		return -1;
	}
	if (!m || query_uint(m, 1, 525600, &b->older_than) < 0) {
		admin_error_page(c, 400, "\xe2\x80\x9colder than\xe2\x80\x9d takes minutes, 1 to 525600.");
		return -1;
	}
	if (type && *type) {
		if (!resource_entity_type_valid(type, strlen(type))) {
			admin_error_page(c, 400, "An entity type is [a-z][a-z0-9_]{0,63}.");
			return -1;
		}
		b->entity_type = type;
	}
	admin_stuck_filter(c->cfg, as_of, &b->f);
	b->f.age_cutoff = as_of - (int64_t)b->older_than * US_PER_MIN;
	b->f.entity_type = b->entity_type;
	if (b->pending) {
		/* The stuck filter narrowed to pending, without pending_timeout:
		 * every pending request of the type older than older_than. */
		b->f.has_status = 1;
		b->f.status = GEN_PENDING;
		b->f.pending_cutoff = as_of;
	}
	return 0;
}

static int preview_row(void *ctx, const struct gen_request *r)
{
	return page_request_row(ctx, r);
}

static void hidden_field(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_addf(sb, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	html_text(sb, value ? value : "");
	strbuf_addstr(sb, "\">");
}

/* The preview's table of the first PREVIEW_ROWS requests a bulk action will touch. */
#define PREVIEW_ROWS 10
static void preview_table_open(struct strbuf *sb)
{
	strbuf_addstr(sb, "<div class=\"table-wrap\"><table><thead><tr><th>id</th><th>status</th>"
			  PAGE_PRIORITY_TH "<th>entity type</th><th>owner</th><th>subject</th><th>requested</th>"
			  "<th>generated/failed</th><th>error</th></tr></thead><tbody>");
}

static void preview_table_close(struct strbuf *sb, unsigned long long n)
{
	strbuf_addstr(sb, "</tbody></table></div>");
	if (n > PREVIEW_ROWS)
		strbuf_addf(sb, "<p class=\"muted\">\xe2\x80\xa6" "and %llu more.</p>", n - PREVIEW_ROWS);
}

/*
 * The confirm form of a bulk action previewed with n requests, opened: its
 * CSRF token for csrf_action, a fresh action id (a double submit applies
 * once), and as_of and expected binding it to this preview. The caller adds
 * its filter's fields, the reason and the button, and closes it.
 */
static void confirm_form_open(struct call *c, const char *path, const char *csrf_action,
			      unsigned long long n)
{
	unsigned char raw[ACTION_ID_LEN / 2];
	char action_id[ACTION_ID_LEN + 1], token[CSRF_TOKEN_MAX];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(action_id, sizeof(action_id), raw, sizeof(raw));
	page_form_token(c, csrf_action, NULL, token);
	strbuf_addf(&c->resp->body,
		    "<form method=\"post\" action=\"%s\" class=\"action bulk-confirm\">"
		    "<input type=\"hidden\" name=\"csrf_token\" value=\"%s\">"
		    "<input type=\"hidden\" name=\"action_id\" value=\"%s\">"
		    "<input type=\"hidden\" name=\"as_of\" value=\"%lld\">"
		    "<input type=\"hidden\" name=\"expected\" value=\"%llu\">",
		    path, token, action_id, (long long)c->now, n);
}

void admin_bulk_preview(struct call *c)
{
	struct query q = { 0 };
	struct bulk b;
	struct strbuf *sb = &c->resp->body;
	unsigned long long n = 0;
	char err[160];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return;
	}
	if (bulk_params(c, &q, c->now, &b) < 0)
		goto cleanup;
	int rc = store_stuck_count(c->store, &b.f, &n);
	if (rc) {
		page_store_error(c, rc);
		goto cleanup;
	}
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	page_begin(c, "Bulk cancel");
	strbuf_addf(sb, "<p><a href=\"/admin/\">\xe2\x86\x90 Dashboard</a></p><h1>Cancel %s "
			"requests older than %llu minutes</h1>", b.pending ? "pending" : "stuck",
		    b.older_than);
	strbuf_addf(sb, "<p class=\"preview\">This will cancel <strong id=\"bulk-count\">%llu</strong> "
			"%s request%s", n, b.pending ? "pending" : "stuck", n == 1 ? "" : "s");
	if (b.entity_type) {
		strbuf_addstr(sb, " of type <code>");
		html_text(sb, b.entity_type);
		strbuf_addstr(sb, "</code>");
	}
	strbuf_addstr(sb, ", as they stand now. Requests that get stuck after this preview are not "
			  "touched.</p>");
	if (n > (unsigned long long)BULK_CAP)
		strbuf_addf(sb, "<p class=\"flash error\">One action cancels at most %d: preview again "
				"afterwards for the rest.</p>", BULK_CAP);
	if (n == 0) {
		strbuf_addstr(sb, "<p>Nothing to do.</p>");
		page_end(c);
		goto cleanup;
	}
	struct page_rows d = { .c = c, .sb = sb };
	struct store_stuck_filter first = b.f;
	first.limit = PREVIEW_ROWS;
	preview_table_open(sb);
	rc = store_stuck_list(c->store, &first, preview_row, &d);
	if (rc) {
		/* No confirm form (with its action id) under a table the store cut short. */
		page_store_error(c, rc);
		goto cleanup;
	}
	preview_table_close(sb, n);
	confirm_form_open(c, "/admin/bulk-cancel", BULK_ACTION, n);
	strbuf_addf(sb, "<input type=\"hidden\" name=\"older_than\" value=\"%llu\">", b.older_than);
	if (b.pending)
		strbuf_addstr(sb, "<input type=\"hidden\" name=\"scope\" value=\"pending\">");
	if (b.entity_type)
		hidden_field(sb, "entity_type", b.entity_type);
	strbuf_addf(sb, "<label>Reason <input type=\"text\" name=\"reason\" required maxlength=\"%d\" "
			"value=\"stuck; cancelled in bulk from the admin page\"></label> "
			"<button type=\"submit\" class=\"danger\">Cancel %llu request%s</button> "
			"<a href=\"/admin/\">Back</a></form>", ADMIN_REASON_MAX, n, n == 1 ? "" : "s");
	page_end(c);
cleanup:
	query_release(&q);
}

/* A signed integer field of digits only. */
static int field_ll(const struct query *q, const char *name, long long *out)
{
	const char *v = query_get(q, name);
	unsigned long long n;
	if (!v || query_uint(v, 0, 999999999999999999ULL, &n) < 0)
		return -1;
	*out = (long long)n;
	return 0;
}

/*
 * The fields every confirmed bulk form carries besides its filter: the
 * action id and the preview's time and count. 0, or -1 after answering.
 */
static int bulk_form_head(struct call *c, const struct query *q, const char **action_id,
			  long long *as_of, long long *expected)
{
	*action_id = query_get(q, "action_id");
	if (field_ll(q, "as_of", as_of) < 0 || field_ll(q, "expected", expected) < 0 ||
	    !*action_id || strlen(*action_id) != ACTION_ID_LEN ||
	    strspn(*action_id, "0123456789abcdef") != ACTION_ID_LEN) {
		admin_error_page(c, 400, "This is not a bulk form of this page: preview again.");
		return -1;
	}
	if (*as_of > c->now || c->now - *as_of > BULK_PREVIEW_MAX_AGE) {
		admin_error_page(c, 409, "This preview is too old: preview again. Nothing was changed.");
		return -1;
	}
	return 0;
}

/*
 * Runs a confirmed bulk form once per action id, `kind` ("bulk-cancel",
 * "bulk-retry") as admin_actions records it, and redirects to the dashboard
 * with done=<flash>, <flash>_capped, <flash>_repeat or bulk_running.
 */
static void bulk_post(struct call *c, const char *kind, const char *flash,
		      const struct bulk_source *src, enum store_admin_action action,
		      const char *action_id, const char *reason, long long expected)
{
	char actor[OWNER_MAX + 8], loc[96];
	unsigned done = 0;
	int capped = 0;

	snprintf(actor, sizeof(actor), "admin:%s", c->admin);
	long long before = -1;
	int rc = store_action_begin(c->store, action_id, actor, kind, c->now, &before);
	if (rc == STORE_DUPLICATE) {
		if (before < 0)
			snprintf(loc, sizeof(loc), "/admin/?done=bulk_running&n=0");
		else
			snprintf(loc, sizeof(loc), "/admin/?done=%s_repeat&n=%lld", flash, before);
		page_redirect(c, loc);
		return;
	}
	if (rc) {
		page_store_error(c, rc);
		return;
	}
	/*
	 * From here the action is recorded as running (affected NULL), and a
	 * submit of the same form says so. So it is finished whatever the run
	 * did: a run the store broke off is finished with what it changed,
	 * and the same form then reports that ("already applied, N
	 * changed"); a new preview does the rest. Only when the store also
	 * refuses the finish does the row stay unfinished: the admin gets the
	 * store's error page, not a success, and that form, whose preview
	 * expires in 24 h, says "running, or interrupted".
	 */
	rc = bulk_apply(c->store, src, action, actor, reason, (unsigned long long)expected,
			&done, &capped);
	int frc = store_action_finish(c->store, action_id, done);
	if (frc)
		log_error("%s: %s %s: %u changed, but the store did not record its end: %s",
			  actor, kind, action_id, done, store_last_error(c->store));
	if (rc) {
		log_warn("%s: %s %s broken off after %u changed", actor, kind, action_id, done);
		page_store_error(c, rc);
		return;
	}
	if (frc) {
		page_store_error(c, frc);
		return;
	}
	log_info("%s: %s of %u requests", actor, kind, done);
	snprintf(loc, sizeof(loc), "/admin/?done=%s%s&n=%u", flash, capped ? "_capped" : "", done);
	page_redirect(c, loc);
}

void admin_bulk_cancel(struct call *c)
{
	struct query q;
	struct bulk b;
	long long as_of, expected;
	const char *action_id;

	if (read_form(c, &q, BULK_ACTION, NULL) < 0)
		return;
	if (bulk_form_head(c, &q, &action_id, &as_of, &expected) < 0)
		goto cleanup;
	const char *reason = form_reason(c, &q);
	if (!reason || bulk_params(c, &q, as_of, &b) < 0)
		goto cleanup;
	struct bulk_source src = { bulk_pick_stuck, &b.f };
	bulk_post(c, "bulk-cancel", "bulk", &src, ADMIN_CANCEL, action_id, reason, expected);
cleanup:
	query_release(&q);
}

/* ---- bulk retry by filter ---- */

/* The bulk retry's filter from a query (form or URL); -1 after answering 400. */
static int retry_params(struct call *c, const struct query *q, struct store_finished_filter *f)
{
	char err[200];
	if (bulk_retry_filter(query_get(q, "entity_type"), query_get(q, "status"),
			      query_get(q, "failure_reason"), query_get(q, "finished_after"),
			      query_get(q, "finished_before"), f, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return -1;
	}
	return 0;
}

static void text_field(struct strbuf *sb, const char *label, const char *name, const char *value)
{
	strbuf_addf(sb, "<label>%s <input type=\"text\" name=\"%s\" value=\"", label, name);
	html_text(sb, value ? value : "");
	strbuf_addstr(sb, "\"></label> ");
}

/* The filter form, filled with what was asked (or the last day's failures). */
static void retry_filter_form(struct call *c, const struct query *q)
{
	struct strbuf *sb = &c->resp->body;
	const char *status = query_get(q, "status"), *fr = query_get(q, "failure_reason");
	const char *after = query_get(q, "finished_after"), *before = query_get(q, "finished_before");
	char day_ago[TIME_RFC3339_LEN + 1], now[TIME_RFC3339_LEN + 1];
	time_format_rfc3339(c->now - 24 * 3600 * US_PER_S, day_ago);
	time_format_rfc3339(c->now, now);
	strbuf_addstr(sb, "<form method=\"get\" action=\"/admin/bulk-retry\" class=\"bulk\">");
	text_field(sb, "Entity type", "entity_type", query_get(q, "entity_type"));
	strbuf_addf(sb, "<label>Status <select name=\"status\">"
			"<option value=\"failed\"%s>failed</option>"
			"<option value=\"partial\"%s>partial</option></select></label> ",
		    status && !strcmp(status, "partial") ? "" : " selected",
		    status && !strcmp(status, "partial") ? " selected" : "");
	strbuf_addf(sb, "<label>Failure reason <select name=\"failure_reason\">"
			"<option value=\"\">any</option>");
	for (int i = FAIL_NONE + 1; i < FAIL_COUNT; i++) {
		const char *code = lifecycle_failure_code((enum gen_failure)i);
		strbuf_addf(sb, "<option value=\"%s\"%s>%s</option>", code,
			    fr && !strcmp(fr, code) ? " selected" : "", code);
	}
	strbuf_addstr(sb, "</select></label> ");
	text_field(sb, "Finished after", "finished_after", after ? after : day_ago);
	text_field(sb, "and before", "finished_before", before ? before : now);
	strbuf_addstr(sb, "<button type=\"submit\">Preview</button></form>");
}

void admin_bulk_retry_preview(struct call *c)
{
	struct query q = { 0 };
	struct store_finished_filter f;
	struct strbuf *sb = &c->resp->body;
	unsigned long long n = 0;
	char err[160];

	if (query_parse(c->req->query, &q, err, sizeof(err)) < 0) {
		admin_error_page(c, 400, err);
		return;
	}
	/* No filter yet: the form alone. */
	int asked = query_get(&q, "entity_type") != NULL;
	if (asked && retry_params(c, &q, &f) < 0)
		goto cleanup;
	int rc = asked ? store_finished_count(c->store, &f, &n) : STORE_OK;
	if (rc) {
		page_store_error(c, rc);
		goto cleanup;
	}
	c->resp->status = 200;
	c->resp->content_type = PAGE_HTML_TYPE;
	page_begin(c, "Bulk retry");
	strbuf_addstr(sb, "<p><a href=\"/admin/\">\xe2\x86\x90 Dashboard</a></p><h1>Retry finished "
			  "requests by filter</h1>");
	retry_filter_form(c, &q);
	if (!asked) {
		page_end(c);
		goto cleanup;
	}
	strbuf_addf(sb, "<p class=\"preview\">This will retry <strong id=\"bulk-count\">%llu</strong> "
			"%s request%s of type <code>", n, lifecycle_status_name(f.status),
		    n == 1 ? "" : "s");
	html_text(sb, f.entity_type);
	strbuf_addstr(sb, "</code>, sending each back to pending with the entities it already "
			  "generated.</p>");
	if (n > (unsigned long long)BULK_CAP)
		strbuf_addf(sb, "<p class=\"flash error\">One action retries at most %d: preview again "
				"afterwards for the rest.</p>", BULK_CAP);
	if (n == 0) {
		strbuf_addstr(sb, "<p>Nothing to do.</p>");
		page_end(c);
		goto cleanup;
	}
	struct page_rows d = { .c = c, .sb = sb };
	struct store_finished_filter first = f;
	first.limit = PREVIEW_ROWS;
	preview_table_open(sb);
	rc = store_finished_list(c->store, &first, preview_row, &d);
	if (rc) {
		page_store_error(c, rc);
		goto cleanup;
	}
	preview_table_close(sb, n);
	confirm_form_open(c, "/admin/bulk-retry", BULK_RETRY_ACTION, n);
	hidden_field(sb, "entity_type", f.entity_type);
	hidden_field(sb, "status", lifecycle_status_name(f.status));
	hidden_field(sb, "failure_reason", f.failure_reason);
	hidden_field(sb, "finished_after", query_get(&q, "finished_after"));
	hidden_field(sb, "finished_before", query_get(&q, "finished_before"));
	strbuf_addf(sb, "<label>Reason <input type=\"text\" name=\"reason\" required maxlength=\"%d\" "
			"value=\"retried in bulk from the admin page\"></label> "
			"<button type=\"submit\" class=\"danger\">Retry %llu request%s</button> "
			"<a href=\"/admin/\">Back</a></form>", ADMIN_REASON_MAX, n, n == 1 ? "" : "s");
	page_end(c);
cleanup:
	query_release(&q);
}

void admin_bulk_retry(struct call *c)
{
	struct query q;
	struct store_finished_filter f;
	long long as_of, expected;
	const char *action_id;

	if (read_form(c, &q, BULK_RETRY_ACTION, NULL) < 0)
		return;
	if (bulk_form_head(c, &q, &action_id, &as_of, &expected) < 0)
		goto cleanup;
	const char *reason = form_reason(c, &q);
	if (!reason || retry_params(c, &q, &f) < 0)
		goto cleanup;
	struct bulk_source src = { bulk_pick_finished, &f };
	bulk_post(c, "bulk-retry", "bulk_retry", &src, ADMIN_RETRY, action_id, reason, expected);
cleanup:
	query_release(&q);
}

/* ---- webhooks: redeliver a delivery, re-enable an endpoint (webhooks.c's forms) ---- */

void admin_webhook_redeliver(struct call *c)
{
	struct query q;
	enum store_redeliver_refusal why;
	char what[PAGE_FORM_ACTION_MAX], actor[OWNER_MAX + 8], loc[128];

	if (read_form(c, &q, NULL, NULL) < 0)
		return;
	const char *id = query_get(&q, "id");
	if (query_count(&q, "id") != 1 || !admin_webhook_id_valid(id)) {
		/* No token can be checked for an action without its target. */
		log_warn("admin form refused: redeliver without a delivery id (admin %s)", c->admin);
		query_release(&q);
		admin_error_page(c, 400, "This form names no delivery. Nothing was changed.");
		return;
	}
	snprintf(what, sizeof(what), "redeliver %s", id);
	if (check_form_token(c, &q, what, NULL) < 0)
		return;
	const char *reason = form_reason(c, &q);
	if (!reason)
		goto cleanup;
	snprintf(actor, sizeof(actor), "admin:%s", c->admin);
	int rc = store_delivery_redeliver(c->store, id, actor, reason, &why);
	if (rc == STORE_OK) {
		log_info("%s: redelivered webhook %s", actor, id);
		snprintf(loc, sizeof(loc), "/admin/webhooks/delivery?id=%s&done=redelivered", id);
		page_redirect(c, loc);
		goto cleanup;
	}
	if (rc == STORE_CONFLICT || rc == STORE_INVALID) {
		admin_error_page(c, 409, why == REDELIVER_PENDING
				 ? "Nothing was changed: this delivery is waiting for its next attempt already."
				 : why == REDELIVER_REMOVED
				 ? "Nothing was changed: its endpoint was removed."
				 : "Nothing was changed: its endpoint is disabled (410 Gone). Re-enable it "
				   "on the Webhooks page first.");
		goto cleanup;
	}
	page_store_error(c, rc);
cleanup:
	query_release(&q);
}

void admin_webhook_enable(struct call *c)
{
	struct query q;
	char what[PAGE_FORM_ACTION_MAX], actor[OWNER_MAX + 8], *end = NULL;

	if (read_form(c, &q, NULL, NULL) < 0)
		return;
	const char *e = query_get(&q, "endpoint");
	long long id = e && *e && query_count(&q, "endpoint") == 1 ? strtoll(e, &end, 10) : 0;
	if (id <= 0 || !end || *end) {
		query_release(&q);
		admin_error_page(c, 400, "This form names no endpoint. Nothing was changed.");
		return;
	}
	snprintf(what, sizeof(what), "enable-webhook %lld", id);
	if (check_form_token(c, &q, what, NULL) < 0)
		return;
	const char *reason = form_reason(c, &q);
	if (!reason)
		goto cleanup;
	snprintf(actor, sizeof(actor), "admin:%s", c->admin);
	int rc = store_webhook_enable(c->store, id, actor, reason);
	if (rc == STORE_OK) {
		log_info("%s: enabled webhook endpoint %lld", actor, id);
		page_redirect(c, "/admin/webhooks?done=enabled");
		goto cleanup;
	}
	if (rc == STORE_CONFLICT) {
		admin_error_page(c, 409, "Nothing was changed: this endpoint is enabled.");
		goto cleanup;
	}
	page_store_error(c, rc);
cleanup:
	query_release(&q);
}
