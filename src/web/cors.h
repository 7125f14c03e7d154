#ifndef GENTRACK_CORS_H
#define GENTRACK_CORS_H

#include "web/handler.h"

/*
 * Cross-origin browsers on the routes a status token opens (the request's
 * read, stream and cancel: route flag ROUTE_CORS), from the exact origins of
 * [http] cors_origins only (none by default). A page on a listed origin may
 * then read the answers; any other origin gets no CORS header, so its
 * browser keeps the answer from it, and its preflights are refused.
 */

/* Whether origin is one of cfg's [http] cors_origins, exactly. */
int cors_origin_allowed(const struct config *cfg, const char *origin);
/*
 * An OPTIONS preflight for a path whose methods are `allow` ("GET, HEAD"):
 * 204 with what the origin may send, or 403 problem+json for an origin not
 * listed or a method the path does not take.
 */
void cors_preflight(struct call *c, const char *allow);
/* On any other answer of a ROUTE_CORS route: the headers a listed origin needs. */
void cors_add_headers(struct call *c);

#endif
