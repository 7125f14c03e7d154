#ifndef GENTRACK_ADMIN_H
#define GENTRACK_ADMIN_H

#include <stdint.h>

#include "web/handler.h"
#include "base/config.h"
#include "store/store.h"

/*
 * The admin recovery pages (SPEC §3 "Admin"): HTML for the on-call operator.
 * The dispatcher has checked the admin's HTTP Basic credentials before any
 * of these runs (web/admin_auth.h), c->admin names the admin. Every
 * state-changing form is a POST carrying a CSRF token (csrf.h); every value
 * is HTML-escaped (html.h); the pages load their script and style from
 * /admin/static/, so the Content-Security-Policy allows no inline script.
 */

/* stuck.c: what counts as stuck, for the pages and the JSON twins. */
/* The stuck filter of the page at `now`, from stale_after and pending_timeout. */
void admin_stuck_filter(const struct config *cfg, int64_t now, struct store_stuck_filter *f);
/* "lease_expired", "running_long" or "not_picked_up": why r counts as stuck at now. */
const char *admin_stuck_reason(const struct config *cfg, const struct gen_request *r, int64_t now);

/* page.c: the error, sign-in and sign-out pages. */
/* An HTML error page of `status` with a sentence and a link back. */
void admin_error_page(struct call *c, int status, const char *sentence);
/*
 * The route table's page for the refusals of the pages (route_page): the
 * sign-in page for a 401, else admin_error_page.
 */
void admin_refusal_page(struct call *c, int status, const char *sentence);

/* The handlers of the route table (src/bin/routes.c). */
void admin_logout(struct call *c);        /* page.c */
void admin_static_js(struct call *c);     /* assets.c */
void admin_static_css(struct call *c);
void admin_static_favicon(struct call *c); /* the tab icon (SVG) */
void admin_home(struct call *c);          /* home.c */
void admin_detail(struct call *c);        /* detail.c */
void admin_fail(struct call *c);          /* actions.c */
void admin_cancel(struct call *c);
void admin_retry(struct call *c);
void admin_bulk_preview(struct call *c);
void admin_bulk_cancel(struct call *c);
/* GET /admin/bulk-retry: the filter form, and with a filter its preview and
 * confirm form; POST /admin/bulk-retry: retries what the preview counted,
 * once per action id. */
void admin_bulk_retry_preview(struct call *c);
void admin_bulk_retry(struct call *c);
void admin_queue_pause(struct call *c);   /* POST /admin/queues/{type}/pause */
void admin_queue_resume(struct call *c);
void admin_queues(struct call *c);        /* queues.c */
void admin_workers(struct call *c);       /* workers.c */
/* webhooks.c: GET /admin/webhooks (endpoints, deliveries dead first; ?endpoint=ID
 * &state=dead|pending|delivered) and GET /admin/webhooks/delivery?id=ID (its
 * attempts, audit trail and the redeliver form). */
void admin_webhooks(struct call *c);
void admin_webhook_delivery(struct call *c);
/* Whether id is a delivery's webhook-id as the outbox writes them (msg_ and
 * base64url: letters, digits, - and _): checked before it reaches the store or a token. */
int admin_webhook_id_valid(const char *id);
/* The request page's "Webhooks" section: request id's deliveries, each
 * linked to its page; nothing when it has none. */
void admin_webhook_request_section(struct call *c, struct strbuf *sb, const struct uuid *id);
/* actions.c: POST /admin/webhooks/redeliver (id, reason, csrf_token): a dead or
 * delivered delivery due again at once, same webhook-id; POST
 * /admin/webhooks/enable (endpoint, reason, csrf_token) after a 410. */
void admin_webhook_redeliver(struct call *c);
void admin_webhook_enable(struct call *c);

#endif
