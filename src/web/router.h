#ifndef GENTRACK_ROUTER_H
#define GENTRACK_ROUTER_H

#include <stddef.h>
#include "base/limits.h"
#include "base/uuid.h"

/*
 * Maps a method and a raw request path (no query string) to an entry of a
 * route table. The table is given by the caller (src/bin/routes.c names the
 * handlers, so it sits above them); the matcher is pure: no I/O, so every
 * path and method is unit-tested and fuzzed. A HEAD is matched to the GET
 * route of its path (RFC 9110 9.3.2: the GET's answer without its body,
 * which web/http.c leaves out), and every Allow that lists GET lists HEAD.
 */
struct call;
/* A handler: answers the call in c->resp (never fails to answer). */
typedef void route_handler(struct call *c);
/*
 * The HTML page of a refusal on a route for people (ROUTE_HTML): a 401 sign-in
 * page or a 400 error page saying `sentence`. The dispatcher adds the
 * WWW-Authenticate challenge of a 401 after it.
 */
typedef void route_page(struct call *c, int status, const char *sentence);

/* The credential a route needs, checked by the dispatcher before its handler. */
enum route_auth {
	ROUTE_AUTH_NONE,          /* public: a static asset, the sign-out page */
	ROUTE_AUTH_CLIENT,        /* Bearer key of role client */
	ROUTE_AUTH_CLIENT_OR_TOKEN, /* a client key, or the status token of the request
	                           * in the path (SPEC "Status tokens") */
	ROUTE_AUTH_CLIENT_INLINE, /* the same; a key is checked by the handler in the
	                           * statement that reads the row (the status poll: one
	                           * round trip), a token by the dispatcher */
	ROUTE_AUTH_WORKER,        /* Bearer key of role worker */
	ROUTE_AUTH_ADMIN,         /* HTTP Basic, an admin account */
	ROUTE_AUTH_OPERATOR,      /* loopback (REMOTE_ADDR), or an admin's Basic credentials */
	ROUTE_AUTH_METRICS,       /* an admin's Basic credentials, the [metrics] token as a
	                           * Bearer, or loopback when [metrics] allow_loopback is on */
};

/* Per-route flags (bits of route.flags). */
enum route_flag {
	ROUTE_ADMIN_AREA = 1u << 0, /* every answer carries the admin pages' security headers */
	ROUTE_HTML = 1u << 1,       /* a page for people: refusals are the table's page, not
	                             * problem+json */
	ROUTE_CORS = 1u << 2,       /* a status token's route: cross-origin pages of
	                             * [http] cors_origins may call it (web/cors.h) */
};

struct route {
	const char *method;
	const char *pattern;        /* "{id}" stands for one path segment holding a UUID,
	                             * "{type}" for one holding an entity type (SPEC §3:
	                             * [a-z][a-z0-9_]{0,63}); one of them at most */
	enum route_auth auth;
	unsigned flags;             /* enum route_flag bits */
	route_handler *handler;
};

/* A path prefix whose every answer carries flags, a route matching or not. */
struct route_area {
	const char *prefix;         /* e.g. "/admin/" */
	unsigned flags;             /* enum route_flag bits */
};

struct route_table {
	const struct route *routes;
	size_t count;
	route_page *page;           /* for ROUTE_HTML refusals; NULL when no route has the flag */
	const struct route_area *areas;   /* so that a 404 inside an area keeps its headers */
	size_t area_count;
};

struct route_match {
	const struct route *route; /* status 0: the route (the GET one for a HEAD); 400: the
	                            * route whose {id} or {type} was bad;
	                            * NULL otherwise; borrowed from the table */
	int status;        /* 0 matched; 404 unknown path; 405 wrong method; 400 bad id or type */
	unsigned flags;    /* the flags of every route whose pattern the path matches and of
	                    * every area it is in, or-ed: a 404 or 405 still gets its area's
	                    * headers */
	char allow[64];    /* with 405: the Allow header value, e.g. "GET, HEAD, POST" */
	struct uuid id;    /* the {id} segment, when the route has one and status is 0 */
	char entity_type[ENTITY_TYPE_MAX + 1]; /* the {type} segment, likewise; else "" */
};

/* `path` is `path_len` bytes, need not be NUL-terminated. Fills *m. */
void router_match(const struct route_table *t, const char *method, const char *path,
		  size_t path_len, struct route_match *m);

#endif
