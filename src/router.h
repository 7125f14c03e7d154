#ifndef GENTRACK_ROUTER_H
#define GENTRACK_ROUTER_H

#include <stddef.h>
#include "uuid.h"

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
