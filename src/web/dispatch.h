#ifndef GENTRACK_DISPATCH_H
#define GENTRACK_DISPATCH_H

#include <stdint.h>

#include "base/config.h"
#include "base/uuid.h"
#include "model/queue_hint.h"
#include "store/store.h"
#include "web/admin_auth.h"
#include "web/http.h"
#include "web/metrics_token.h"
#include "web/router.h"

/*
 * One FastCGI child's application: matches a request against the route
 * table it is given, checks the credential the route needs, and only then
 * calls the route's handler. Holds no request state between requests (only a
 * second-old queue head for Retry-After hints, and the admin sign-ins of
 * web/admin_auth.h: passwords verified lately, failures counted).
 */
struct live;

struct dispatcher {
	const struct route_table *routes; /* borrowed; src/bin/routes.c in the service */
	const struct config *cfg;     /* borrowed */
	struct store *store;          /* borrowed */
	struct uuid_gen ids;          /* this process' UUIDv7 sequence */
	int64_t (*clock)(void);       /* µs now; injectable for tests */
	struct queue_hint queues;     /* queue heads for pending requests' Retry-After */
	struct admin_auth admin_auth; /* this process' sign-in cache and failure counts */
	struct live *live;            /* borrowed: live updates, NULL without them */
	struct metrics_token metrics; /* the [metrics] token's digest, if one is configured */
};

void dispatch_init(struct dispatcher *d, const struct route_table *routes,
		   const struct config *cfg, struct store *store);
/* Handles one request, leaving the answer in resp (never fails to answer). */
void dispatch_handle(struct dispatcher *d, struct http_request *req,
		     struct http_response *resp);

#endif
