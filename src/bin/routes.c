#include "build_config.h"

#include "admin/admin.h"
#include "admin/admin_api.h"
#include "admin/throughput.h"
#include "api/api_client.h"
#include "api/api_events.h"
#include "api/api_openapi.h"
#include "api/api_worker.h"
#include "bin/routes.h"
#include "base/banned.h"

#define API "/api/v1/generation-requests"
#define WORKER "/api/v1/worker"
#define ADMIN "/admin"
#define PAGE (ROUTE_ADMIN_AREA | ROUTE_HTML)

/*
 * The order matters only for the Allow header of a 405, which lists the
 * methods of one path in this order.
 */
static const struct route routes[] = {
	/* the client API: Bearer client keys */
	{ "POST", API, ROUTE_AUTH_CLIENT, 0, api_client_create },
	{ "GET", API, ROUTE_AUTH_CLIENT, 0, api_client_list },
	{ "GET", API "/{id}", ROUTE_AUTH_CLIENT_INLINE, ROUTE_CORS, api_client_get },
	{ "POST", API "/{id}/cancel", ROUTE_AUTH_CLIENT_OR_TOKEN, ROUTE_CORS, api_client_cancel },
	{ "GET", API "/{id}/events", ROUTE_AUTH_CLIENT_OR_TOKEN, ROUTE_CORS, api_client_events },
	/* public: the OpenAPI document of the APIs below */
	{ "GET", "/api/v1/openapi.json", ROUTE_AUTH_NONE, 0, api_openapi },
	/* the worker API: Bearer worker keys */
	{ "POST", WORKER "/claim", ROUTE_AUTH_WORKER, 0, api_worker_claim },
	{ "POST", WORKER "/generation-requests/{id}/heartbeat", ROUTE_AUTH_WORKER, 0,
	  api_worker_heartbeat },
	{ "POST", WORKER "/generation-requests/{id}/entities", ROUTE_AUTH_WORKER, 0,
	  api_worker_entities },
	{ "POST", WORKER "/generation-requests/{id}/complete", ROUTE_AUTH_WORKER, 0,
	  api_worker_complete },
	/* the operator's: loopback, or an admin; /metrics also the [metrics] token, and
	 * loopback only with [metrics] allow_loopback */
	{ "GET", "/healthz", ROUTE_AUTH_OPERATOR, 0, admin_api_healthz },
	{ "GET", "/metrics", ROUTE_AUTH_METRICS, 0, admin_api_metrics },
	/* the admin pages (HTML, Basic auth, CSRF-checked forms) */
	{ "GET", ADMIN "/", ROUTE_AUTH_ADMIN, PAGE, admin_home },
	{ "GET", ADMIN "/generations/{id}", ROUTE_AUTH_ADMIN, PAGE, admin_detail },
	{ "POST", ADMIN "/generations/{id}/fail", ROUTE_AUTH_ADMIN, PAGE, admin_fail },
	{ "POST", ADMIN "/generations/{id}/cancel", ROUTE_AUTH_ADMIN, PAGE, admin_cancel },
	{ "POST", ADMIN "/generations/{id}/retry", ROUTE_AUTH_ADMIN, PAGE, admin_retry },
	{ "GET", ADMIN "/bulk-cancel", ROUTE_AUTH_ADMIN, PAGE, admin_bulk_preview },
	{ "POST", ADMIN "/bulk-cancel", ROUTE_AUTH_ADMIN, PAGE, admin_bulk_cancel },
	{ "GET", ADMIN "/bulk-retry", ROUTE_AUTH_ADMIN, PAGE, admin_bulk_retry_preview },
	{ "POST", ADMIN "/bulk-retry", ROUTE_AUTH_ADMIN, PAGE, admin_bulk_retry },
	{ "GET", ADMIN "/queues", ROUTE_AUTH_ADMIN, PAGE, admin_queues },
	{ "GET", ADMIN "/workers", ROUTE_AUTH_ADMIN, PAGE, admin_workers },
	{ "GET", ADMIN "/webhooks", ROUTE_AUTH_ADMIN, PAGE, admin_webhooks },
	{ "GET", ADMIN "/webhooks/delivery", ROUTE_AUTH_ADMIN, PAGE, admin_webhook_delivery },
	{ "POST", ADMIN "/webhooks/redeliver", ROUTE_AUTH_ADMIN, PAGE, admin_webhook_redeliver },
	{ "POST", ADMIN "/webhooks/enable", ROUTE_AUTH_ADMIN, PAGE, admin_webhook_enable },
	{ "POST", ADMIN "/queues/{type}/pause", ROUTE_AUTH_ADMIN, PAGE, admin_queue_pause },
	{ "POST", ADMIN "/queues/{type}/resume", ROUTE_AUTH_ADMIN, PAGE, admin_queue_resume },
	/* public: no data in them */
	{ "GET", ADMIN "/logout", ROUTE_AUTH_NONE, PAGE, admin_logout },
	{ "GET", ADMIN "/static/admin.js", ROUTE_AUTH_NONE, ROUTE_ADMIN_AREA, admin_static_js },
	{ "GET", ADMIN "/static/admin.css", ROUTE_AUTH_NONE, ROUTE_ADMIN_AREA, admin_static_css },
	{ "GET", ADMIN "/static/favicon.svg", ROUTE_AUTH_NONE, ROUTE_ADMIN_AREA, admin_static_favicon },
	/* the pages' JSON twins for scripts: Basic auth, problem+json refusals */
	{ "GET", ADMIN "/api/stuck", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA, admin_api_stuck },
	{ "POST", ADMIN "/api/generations/{id}/fail", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA,
	  admin_api_fail },
	{ "POST", ADMIN "/api/generations/{id}/cancel", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA,
	  admin_api_cancel },
	{ "POST", ADMIN "/api/generations/{id}/retry", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA,
	  admin_api_retry },
	{ "POST", ADMIN "/api/bulk-retry", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA, admin_api_bulk_retry },
	{ "GET", ADMIN "/api/queues", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA, admin_api_queues },
	{ "GET", ADMIN "/api/workers", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA, admin_api_workers },
	{ "GET", ADMIN "/api/charts", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA, admin_api_charts },
	{ "GET", ADMIN "/api/webhooks", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA, admin_api_webhooks },
	{ "GET", ADMIN "/api/webhooks/deliveries", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA,
	  admin_api_webhook_deliveries },
	{ "POST", ADMIN "/api/webhooks/redeliver", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA,
	  admin_api_webhook_redeliver },
	{ "POST", ADMIN "/api/queues/{type}/pause", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA,
	  admin_api_queue_pause },
	{ "POST", ADMIN "/api/queues/{type}/resume", ROUTE_AUTH_ADMIN, ROUTE_ADMIN_AREA,
	  admin_api_queue_resume },
};

/* An unknown path under /admin/ is answered with the area's headers too. */
static const struct route_area areas[] = {
	{ ADMIN "/", ROUTE_ADMIN_AREA },
};

const struct route_table routes_table = {
	routes, sizeof(routes) / sizeof(routes[0]), admin_refusal_page,
	areas, sizeof(areas) / sizeof(areas[0]),
};
