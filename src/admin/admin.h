#ifndef GENTRACK_ADMIN_H
#define GENTRACK_ADMIN_H

#include <stdint.h>

#include "web/app.h"
#include "base/config.h"
#include "store/store.h"

/*
 * The admin recovery pages (SPEC §3 "Admin"): HTML for the on-call operator,
 * behind HTTP Basic auth checked here against admin_users (Argon2id). Every
 * state-changing form is a POST carrying a CSRF token (csrf.h); every value
 * is HTML-escaped (html.h); the pages load their script and style from
 * /admin/static/, so the Content-Security-Policy allows no inline script.
 */

/* Content-Security-Policy, X-Frame-Options, Referrer-Policy, Cache-Control... of every /admin/ answer. */
void admin_add_security_headers(struct http_response *resp);
/*
 * Checks the request's Basic credentials against the admin accounts. 0 with
 * c->admin and c->csrf_key set, or -1 with a 401 answer (problem+json when
 * json, else a short page) carrying WWW-Authenticate: Basic.
 */
int admin_authenticate(struct app_call *c, int json);
/* The stuck filter of the page at `now`, from stale_after and pending_timeout. */
void admin_stuck_filter(const struct config *cfg, int64_t now, struct store_stuck_filter *f);
/* "lease_expired", "running_long" or "not_picked_up": why r counts as stuck at now. */
const char *admin_stuck_reason(const struct config *cfg, const struct gen_request *r, int64_t now);
/* An HTML error page of `status` with a sentence and a link back. */
void admin_error_page(struct app_call *c, int status, const char *sentence);

void admin_logout(struct app_call *c);
void admin_static(struct app_call *c);
void admin_home(struct app_call *c);
void admin_detail(struct app_call *c);
void admin_action(struct app_call *c, enum store_admin_action action);
void admin_bulk_preview(struct app_call *c);
void admin_bulk_cancel(struct app_call *c);

/* The static files, in admin_assets.c. */
extern const char admin_js[];
extern const char admin_css[];

#endif
