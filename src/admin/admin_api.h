#ifndef GENTRACK_ADMIN_API_H
#define GENTRACK_ADMIN_API_H

#include "web/handler.h"
#include "store/store.h"

/*
 * The JSON twins of the admin pages, for scripts: Basic auth like the pages,
 * no CSRF token, so they accept only what a cross-site HTML form cannot send:
 * Content-Type application/json and no Cookie header. Also /healthz and
 * /metrics, the operator's (loopback or an admin).
 */
void admin_api_stuck(struct call *c);
void admin_api_fail(struct call *c);
void admin_api_cancel(struct call *c);
void admin_api_retry(struct call *c);
/* POST /admin/api/bulk-retry {"entity_type", "status", "failure_reason",
 * "finished_after", "finished_before", "reason", "action_id"}: 200 with
 * {"retried": N, "repeat": false} (N may be 0), or {"retried": N of the
 * first, "repeat": true} for an action_id already applied; 400 for a bad
 * filter. */
void admin_api_bulk_retry(struct call *c);
/* GET /admin/api/queues: every queue with active requests or a pause. */
void admin_api_queues(struct call *c);
void admin_api_workers(struct call *c);  /* GET /admin/api/workers (workers.c) */
/* GET /admin/api/webhooks: every endpoint with its last result and counts;
 * GET /admin/api/webhooks/deliveries?endpoint=&state=: dead ones first (webhooks.c). */
void admin_api_webhooks(struct call *c);
void admin_api_webhook_deliveries(struct call *c);
/* POST /admin/api/webhooks/redeliver?id=ID {"reason"}: 200 with {"id", "state":
 * "pending"}; 409 when it is waiting already or its endpoint is disabled or removed. */
void admin_api_webhook_redeliver(struct call *c);
/* POST /admin/api/queues/{type}/pause|resume {"reason"}: 200 with the queue,
 * 409 when it is already paused (not paused). */
void admin_api_queue_pause(struct call *c);
void admin_api_queue_resume(struct call *c);
/*
 * What the list twins answer: {"as_of": now, "items": [...]}. _begin opens
 * it down to the items' array (the caller writes each item into *w), _end
 * closes it and sets the status 200. jsonw w is the caller's, on the body.
 */
struct jsonw;
void admin_api_list_begin(struct call *c, struct jsonw *w);
void admin_api_list_end(struct call *c, struct jsonw *w);
/* GET /healthz: 200 when the store answers, else 503. */
void admin_api_healthz(struct call *c);
/* GET /metrics: Prometheus text exposition of the store's counts and histograms. */
void admin_api_metrics(struct call *c);

#endif
