#ifndef GENTRACK_ROUTER_H
#define GENTRACK_ROUTER_H

#include <stddef.h>
#include "base/uuid.h"

/*
 * Maps a method and a raw request path (no query string) to a route. Pure:
 * no I/O, so every path and method is unit-tested.
 */
enum route {
	ROUTE_NONE = 0,
	ROUTE_REQUEST_CREATE,     /* POST /api/v1/generation-requests */
	ROUTE_REQUEST_LIST,       /* GET  /api/v1/generation-requests */
	ROUTE_REQUEST_GET,        /* GET  /api/v1/generation-requests/{id} */
	ROUTE_REQUEST_CANCEL,     /* POST /api/v1/generation-requests/{id}/cancel */
	ROUTE_WORKER_CLAIM,       /* POST /api/v1/worker/claim */
	ROUTE_WORKER_HEARTBEAT,   /* POST /api/v1/worker/generation-requests/{id}/heartbeat */
	ROUTE_WORKER_ENTITIES,    /* POST /api/v1/worker/generation-requests/{id}/entities */
	ROUTE_WORKER_COMPLETE,    /* POST /api/v1/worker/generation-requests/{id}/complete */
	ROUTE_HEALTHZ,            /* GET  /healthz */
	ROUTE_METRICS,            /* GET  /metrics */
	/* the admin pages (HTML, Basic auth, CSRF-checked forms) */
	ROUTE_ADMIN_HOME,         /* GET  /admin/ */
	ROUTE_ADMIN_DETAIL,       /* GET  /admin/generations/{id} */
	ROUTE_ADMIN_FAIL,         /* POST /admin/generations/{id}/fail */
	ROUTE_ADMIN_CANCEL,       /* POST /admin/generations/{id}/cancel */
	ROUTE_ADMIN_RETRY,        /* POST /admin/generations/{id}/retry */
	ROUTE_ADMIN_BULK_PREVIEW, /* GET  /admin/bulk-cancel */
	ROUTE_ADMIN_BULK_CANCEL,  /* POST /admin/bulk-cancel */
	ROUTE_ADMIN_LOGOUT,       /* GET  /admin/logout */
	ROUTE_ADMIN_JS,           /* GET  /admin/static/admin.js */
	ROUTE_ADMIN_CSS,          /* GET  /admin/static/admin.css */
	/* their JSON twins for scripts */
	ROUTE_ADMIN_API_STUCK,    /* GET  /admin/api/stuck */
	ROUTE_ADMIN_API_FAIL,     /* POST /admin/api/generations/{id}/fail */
	ROUTE_ADMIN_API_CANCEL,   /* POST /admin/api/generations/{id}/cancel */
	ROUTE_ADMIN_API_RETRY,    /* POST /admin/api/generations/{id}/retry */
};

struct route_match {
	enum route route;  /* ROUTE_NONE unless status is 0 */
	int status;        /* 0 matched; 404 unknown path; 405 wrong method; 400 bad id */
	char allow[64];    /* with 405: the Allow header value, e.g. "GET, POST" */
	struct uuid id;    /* the {id} segment, when the route has one */
};

/* `path` is `path_len` bytes, need not be NUL-terminated. Fills *m. */
void router_match(const char *method, const char *path, size_t path_len,
		  struct route_match *m);

#endif
