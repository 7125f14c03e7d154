#ifndef GENTRACK_APP_H
#define GENTRACK_APP_H

#include <stdint.h>

#include "model/auth.h"
#include "base/config.h"
#include "web/http.h"
#include "model/queue_hint.h"
#include "web/router.h"
#include "store/store.h"
#include "base/uuid.h"

/*
 * One FastCGI child's application: routes a request, checks its credentials
 * and hands it to a handler. Holds no request state between requests (only a
 * second-old queue head for Retry-After hints).
 */
struct app {
	const struct config *cfg;     /* borrowed */
	struct store *store;          /* borrowed */
	struct uuid_gen ids;          /* this process' UUIDv7 sequence */
	int64_t (*clock)(void);       /* µs now; injectable for tests */
	struct queue_hint queues;     /* queue heads for pending requests' Retry-After */
};

/* One request being handled: what every handler receives. */
struct app_call {
	struct app *app;
	struct http_request *req;
	struct http_response *resp;
	struct route_match route;
	struct principal who;         /* set for authenticated API routes */
	char admin[OWNER_MAX + 1];    /* the admin's name, set for authenticated admin routes */
	unsigned char csrf_key[32];   /* that admin's CSRF token key (see csrf.h) */
	int64_t now;                  /* one clock reading per request */
};

void app_init(struct app *a, const struct config *cfg, struct store *store);
/* Handles one request, leaving the answer in resp (never fails to answer). */
void app_handle(struct app *a, struct http_request *req, struct http_response *resp);

/* Answers with a problem built from a store status (404/409/503/500). */
void app_store_problem(struct app_call *c, int store_rc, const char *what);
/*
 * The key in the request's Authorization header, as the hash it is stored
 * under. 0, or -1 with a 401 answer set.
 */
int app_bearer_hash(struct app_call *c, unsigned char hash[AUTH_HASH_LEN]);
/* 0 when c->who has `role`, or -1 with a 403 answer set. */
int app_require_role(struct app_call *c, enum auth_role role);
/* Answers 401 for a key that is unknown or revoked. */
void app_unknown_key(struct app_call *c);
/* Answers with problem p. */
void app_problem(struct app_call *c, const struct problem *p);

#endif
