#ifndef GENTRACK_ADMIN_API_H
#define GENTRACK_ADMIN_API_H

#include "web/app.h"
#include "store/store.h"

/*
 * The JSON twins of the admin pages, for scripts: Basic auth like the pages,
 * no CSRF token, so they accept only what a cross-site HTML form cannot send:
 * Content-Type application/json and no Cookie header. Also /metrics.
 */
void admin_api_stuck(struct app_call *c);
void admin_api_action(struct app_call *c, enum store_admin_action action);
/* Prometheus text exposition of the store's counts and histograms. */
void admin_api_metrics(struct app_call *c);

#endif
