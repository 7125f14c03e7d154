#ifndef GENTRACK_HANDLER_H
#define GENTRACK_HANDLER_H

#include <stdint.h>

#include "base/config.h"
#include "base/limits.h"
#include "base/uuid.h"
#include "model/auth.h"
#include "model/queue_hint.h"
#include "store/store.h"
#include "web/http.h"
#include "web/router.h"

/*
 * The handler API: what a handler of the route table receives and the
 * helpers it answers with. Below every handler and above nothing of them:
 * this header names no handler, and handlers need nothing else from web/
 * (no dispatcher, no other handler).
 */

/* An admin's stored password hash (a crypto_pwhash_str string) with its NUL. */
#define HANDLER_ADMIN_HASH_MAX 256
/* A session id as its cookie carries it (base64url, no padding) with its NUL. */
#define HANDLER_SESSION_COOKIE_MAX 48

/* The admin pages' session of a request (web/admin_session.h). */
enum call_session_state {
	CALL_SESSION_NONE,     /* none: not a page, or no live one */
	CALL_SESSION_UNREAD,   /* the store could not be asked */
	CALL_SESSION_LIVE,     /* the request's cookie names a live session of c->admin */
	CALL_SESSION_OPENED,   /* this request opened it: its cookie goes out with the answer */
};

struct call_session {
	enum call_session_state state;
	unsigned char id_hash[ADMIN_SESSION_HASH_LEN]; /* LIVE or OPENED: the hash of its id,
	                                                * what the forms' CSRF tokens are bound to */
	int64_t expires;             /* LIVE or OPENED: µs, the store's clock */
	char cookie[HANDLER_SESSION_COOKIE_MAX]; /* OPENED: the new id as the cookie carries it,
	                                          * a secret */
};

/* One request being handled. Everything borrowed lives until the handler returns. */
struct live;

struct call {
	struct http_request *req;     /* borrowed */
	struct http_response *resp;   /* the answer, empty when the handler starts */
	struct store *store;          /* borrowed: this child's connection */
	const struct config *cfg;     /* borrowed */
	struct uuid_gen *ids;         /* this process' UUIDv7 sequence */
	struct queue_hint *queues;    /* this process' queue heads for Retry-After hints */
	struct live *live;            /* live updates (live/publish.h), NULL without them */
	int64_t now;                  /* µs, one clock reading per request: the store's,
	                               * read with the key (or by the poll's statement,
	                               * or once for an admin page); this host's only
	                               * on a route that reads no store */
	struct route_match route;     /* the route and its {id} */
	struct principal who;         /* set for ROUTE_AUTH_CLIENT and _WORKER routes, and by
	                               * the handler of a ROUTE_AUTH_CLIENT_INLINE one */
	char admin[OWNER_MAX + 1];    /* the admin's name on a route an admin signed in to,
	                               * else "" (loopback on ROUTE_AUTH_OPERATOR) */
	/*
	 * That admin's stored password hash, a secret: the admin pages derive
	 * their CSRF key from it (admin/csrf.h), so changing the password voids
	 * the tokens. Wiped when the call ends.
	 */
	char admin_hash[HANDLER_ADMIN_HASH_MAX];
	/* The session of an admin page (ROUTE_HTML), loaded with the clock after
	 * the admin's credentials passed; empty elsewhere. Wiped when the call ends. */
	struct call_session session;
};

/* Answers with problem p. */
void handler_problem(struct call *c, const struct problem *p);
/* Answers with a problem built from a store status (404/409/503/500). */
void handler_store_problem(struct call *c, int store_rc, const char *what);
/*
 * The key in the request's Authorization header, as the hash it is stored
 * under. 0, or -1 with a 401 answer set.
 */
int handler_bearer_hash(struct call *c, unsigned char hash[AUTH_HASH_LEN]);
/*
 * The credential of a route that takes a client key or a status token: the
 * Authorization header's Bearer key or token, or else (for EventSource,
 * which cannot send headers) a token in the query as ?token=. Its kind and
 * hash; 0, or -1 with a 401 answer set.
 */
int handler_key_or_token_hash(struct call *c, enum auth_bearer *kind,
			      unsigned char hash[AUTH_HASH_LEN]);
/* Answers 401 for a key that is unknown or revoked. */
void handler_unknown_key(struct call *c);
/* 0 when c->who has `role`, or -1 with a 403 answer set. */
int handler_require_role(struct call *c, enum auth_role role);

#endif
