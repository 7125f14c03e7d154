#ifndef GENTRACK_ADMIN_PAGE_H
#define GENTRACK_ADMIN_PAGE_H

#include <stdint.h>

#include "admin/csrf.h"
#include "base/query.h"
#include "base/strbuf.h"
#include "web/handler.h"

/*
 * The page kit of the admin pages, internal to src/admin/: the frame every
 * page is written in, the error and sign-in pages, the small parts several
 * pages show, and the CSRF tokens of their forms. Every value written goes
 * through html.h.
 */

#define PAGE_HTML_TYPE "text/html; charset=utf-8"
/* In every page's <head>: the tab icon, so browsers do not ask for /favicon.ico. */
#define PAGE_ICON_LINK "<link rel=\"icon\" type=\"image/svg+xml\" href=\"/admin/static/favicon.svg\">"
#define PAGE_CUT_SHORT 24        /* characters of a short value in a table cell */
#define PAGE_CUT_LONG 60         /* of a message in a table cell */

/* Empties the answer and makes it an HTML page of `status`. */
void page_reset(struct call *c, int status);
/* The page's head, header and <main> of a page titled `title`. */
void page_begin(struct call *c, const char *title);
/* Closes what page_begin opened. */
void page_end(struct call *c);
/* A status message, styled as a success when ok, else as an error. */
void page_flash(struct strbuf *sb, int ok, const char *text);
/* The flash of a redirect back, from ?done= and ?n= (codes only: no text from the URL). */
void page_done_message(struct strbuf *sb, const struct query *q);
/* The error page of a store status: 404, 503 with Retry-After, else a logged 500. */
void page_store_error(struct call *c, int rc);
/* Answers 303 to `location`, a path of ours. */
void page_redirect(struct call *c, const char *location);

/* A status as a badge styled by its name. */
void page_status_badge(struct strbuf *sb, enum gen_status st);
/* The badge of a status by name; an unknown name as text, NULL as a dash. */
void page_status_name_badge(struct strbuf *sb, const char *name);
/* A link to id's request page showing its first 8 characters, the whole id on hover. */
void page_id_link(struct strbuf *sb, const struct uuid *id);
/* "12 min ago" with the exact time on hover; a dash for TIME_NONE. */
void page_when(struct strbuf *sb, int64_t at, int64_t now);
/*
 * A time as page_when does, or, with exact_first, the exact time followed by
 * "(12 min ago)" / "(3 min from now)" as the detail page lists its times.
 */
void page_time(struct strbuf *sb, int64_t at, int64_t now, int exact_first);
/*
 * A request's row up to its subject: "<tr>", the id link, the status badge
 * (with `note` after it, unless NULL), the priority, entity type (with the
 * paused badge of `pause`, unless NULL), owner, subject, each cut short and
 * escaped. The caller closes the subject's cell.
 */
void page_request_cells(struct strbuf *sb, const struct gen_request *r, const char *note,
			const struct queue_state *pause);
/* The heading of the priority's column of page_request_cells: a narrow "P". */
#define PAGE_PRIORITY_TH "<th class=\"num\" title=\"priority: 0 to 9, higher is claimed first\">P</th>"
/* The end of a request's row: closes the open cell, then generated/failed and the error. */
void page_request_counts(struct strbuf *sb, const struct gen_request *r);

/* The context of a table of requests: page_request_row counts its rows. */
struct page_rows {
	struct call *c;     /* borrowed */
	struct strbuf *sb;  /* borrowed: where the rows go */
	unsigned rows;
	/* borrowed, may be NULL: the queues the page read, so a row of a paused
	 * type shows the paused badge */
	const struct queue_state *queues;
	unsigned n_queues;
};
/* The queue of entity_type among d's when it is paused, else NULL. */
const struct queue_state *page_paused_queue(const struct page_rows *d, const char *entity_type);
/* The "paused" badge of paused queue q: who paused it, when and why on hover. */
void page_paused_badge(struct strbuf *sb, const struct queue_state *q);
/* One <tr> of a request list (a store row callback; ctx is a struct page_rows). */
int page_request_row(void *ctx, const struct gen_request *r);

/* A form's action as its CSRF token names it: "retry " and an id, "bulk-cancel",
 * or "pause " and an entity type. */
#define PAGE_FORM_ACTION_MAX 80
/*
 * The CSRF token of the signed-in admin's form `action` ("fail", "cancel",
 * "retry", "bulk-cancel", "pause problem") on `target` (NULL for none), for this page's
 * session; "" when the page has no session (its post will be refused).
 */
void page_form_token(const struct call *c, const char *action, const struct uuid *target,
		     char token[CSRF_TOKEN_MAX]);
/* Whether the request came with a live page session: a form post needs one. */
int page_session_live(const struct call *c);
/*
 * 0 when token is one page_form_token made for this admin's `action` on
 * `target` in the request's live session, and it has not expired; else -1.
 */
int page_form_token_valid(const struct call *c, const char *action, const struct uuid *target,
			  const char *token);

#endif
