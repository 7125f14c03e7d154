#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "model/auth.h"
#include "web/admin_auth.h"
#include "web/cors.h"
#include "web/admin_session.h"
#include "web/basic_auth.h"
#include "web/dispatch.h"
#include "web/handler.h"
#include "base/timeutil.h"
#include "base/banned.h"

void dispatch_init(struct dispatcher *d, const struct route_table *routes,
		   const struct config *cfg, struct store *store)
{
	memset(d, 0, sizeof(*d));   /* the queue heads start empty */
	d->routes = routes;
	d->cfg = cfg;
	d->store = store;
	d->clock = time_now_us;
	uuid_gen_init(&d->ids);
	admin_auth_init(&d->admin_auth);
	metrics_token_init(&d->metrics, cfg->metrics_token);
}

/* Checks the bearer key and its role. 0, or -1 with the answer set. */
static int authenticate(struct call *c, enum auth_role role)
{
	unsigned char hash[AUTH_HASH_LEN];

	if (handler_bearer_hash(c, hash) < 0)
		return -1;
	/* The store's clock comes with the key: c->now is never this host's. */
	int rc = store_key_lookup(c->store, hash, &c->who, &c->now);
	if (rc == STORE_NOT_FOUND) {
		handler_unknown_key(c);
		return -1;
	}
	if (rc) {
		handler_store_problem(c, rc, "key");
		return -1;
	}
	return handler_require_role(c, role);
}

/*
 * A client key, or the status token of the request in the path. A token
 * that does not belong to that request is answered as another owner's
 * request is: 404. 0, or -1 with the answer set; *kind says which it was.
 */
static int authenticate_key_or_token(struct call *c, enum auth_bearer *kind)
{
	struct problem p;
	unsigned char hash[AUTH_HASH_LEN];

	if (handler_key_or_token_hash(c, kind, hash) < 0)
		return -1;
	int rc = *kind == BEARER_KEY ? store_key_lookup(c->store, hash, &c->who, &c->now)
				     : store_status_token_lookup(c->store, hash, &c->who, &c->now);
	sodium_memzero(hash, sizeof(hash));
	if (rc == STORE_NOT_FOUND) {
		if (*kind == BEARER_KEY)
			handler_unknown_key(c);
		else
			handler_problem(c, problem_set(&p, 401, NULL, "unknown or expired status token"));
		return -1;
	}
	if (rc) {
		handler_store_problem(c, rc, "key");
		return -1;
	}
	if (*kind == BEARER_KEY)
		return handler_require_role(c, ROLE_CLIENT);
	if (c->route.status == 0 && uuid_compare(&c->who.token_request, &c->route.id) != 0) {
		handler_store_problem(c, STORE_NOT_FOUND, "generation request");
		return -1;
	}
	return 0;
}

/* The Authorization header has a client or worker key's shape. */
static int header_holds_key(const struct call *c)
{
	const char *key;
	size_t len;
	return auth_parse_bearer(http_param(c->req, "HTTP_AUTHORIZATION"), &key, &len) == 0;
}

/* /healthz and /metrics trust loopback (see SECURITY.md, "Loopback trust"). */
static int is_loopback(const char *addr)
{
	return addr && (!strncmp(addr, "127.", 4) || !strcmp(addr, "::1"));
}

/*
 * /metrics: loopback only where [metrics] allow_loopback says so, since a
 * TLS terminator or proxy on the same host makes every request loopback;
 * else the metrics token or an admin. A wrong token is refused like a
 * missing credential, not counted as a failed sign-in: it is at least
 * METRICS_TOKEN_MIN characters, nothing to guess.
 */
static int check_metrics(struct dispatcher *d, struct call *c)
{
	const char *header = http_param(c->req, "HTTP_AUTHORIZATION");
	const char *token;
	size_t len;

	if (d->cfg->metrics_allow_loopback && is_loopback(http_param(c->req, "REMOTE_ADDR")))
		return 0;
	if (metrics_token_matches(&d->metrics, header))
		return 0;
	if (!header || auth_scheme_token(header, "Bearer", &token, &len) == 0) {
		admin_auth_refuse(c, NULL, BASIC_AUTH_REALM,
				  "/metrics needs the metrics token (Authorization: Bearer) or an "
				  "admin's user name and password");
		return -1;
	}
	return admin_auth_check(&d->admin_auth, c, NULL);
}

/* The HTML page hook of a route for people, NULL for a JSON route. */
static route_page *page_of(const struct dispatcher *d, const struct route *r)
{
	return (r->flags & ROUTE_HTML) ? d->routes->page : NULL;
}

/*
 * The credential route r needs, before its body or the store is read for
 * the request itself. 0, or -1 with the answer set.
 */
static int check_credential(struct dispatcher *d, struct call *c, const struct route *r)
{
	enum auth_bearer kind;

	switch (r->auth) {
	case ROUTE_AUTH_NONE:
		return 0;
	case ROUTE_AUTH_CLIENT_INLINE:
		/* The status poll, the hot path, checks its key in the same
		 * statement that reads the request; with a bad id there is no
		 * statement, so the key is checked here first, as for any route.
		 * A status token is checked here. */
		if (c->route.status == 0 && header_holds_key(c))
			return 0;
		return authenticate_key_or_token(c, &kind);
	case ROUTE_AUTH_CLIENT_OR_TOKEN:
		return authenticate_key_or_token(c, &kind);
	case ROUTE_AUTH_CLIENT:
		return authenticate(c, ROLE_CLIENT);
	case ROUTE_AUTH_WORKER:
		return authenticate(c, ROLE_WORKER);
	case ROUTE_AUTH_ADMIN:
		if (admin_auth_check(&d->admin_auth, c, page_of(d, r)) < 0)
			return -1;
		/* The pages' stuck lists and ages compare with the store's clock;
		 * their transitions read it again under their lock. A page reads its
		 * session (its forms' CSRF tokens) in the same statement; a GET may
		 * open one, a form post never does. */
		if ((r->flags & ROUTE_HTML) ? admin_session_load(c, !strcmp(r->method, "GET"))
					    : store_now(c->store, &c->now))
			c->now = d->clock();
		return 0;
	case ROUTE_AUTH_OPERATOR:
		if (is_loopback(http_param(c->req, "REMOTE_ADDR")))
			return 0;
		return admin_auth_check(&d->admin_auth, c, page_of(d, r));
	case ROUTE_AUTH_METRICS:
		return check_metrics(d, c);
	}
	return -1;
}

static void dispatch(struct dispatcher *d, struct call *c)
{
	struct http_request *req = c->req;
	struct problem p;

	router_match(d->routes, req->method, req->path, req->path_len, &c->route);
	if (c->route.status == 404) {
		handler_problem(c, problem_set(&p, 404, NULL, "no such resource"));
		return;
	}
	if (c->route.status == 405 && (c->route.flags & ROUTE_CORS) &&
	    !strcmp(req->method, "OPTIONS")) {
		cors_preflight(c, c->route.allow);
		return;
	}
	if (c->route.status == 405) {
		handler_problem(c, problem_set(&p, 405, NULL, "method %.16s is not allowed here",
					       req->method));
		http_add_header(c->resp, "Allow", "%s", c->route.allow);
		return;
	}
	const struct route *r = c->route.route;
	/* Credentials before anything else, a bad id included. */
	if (check_credential(d, c, r) < 0)
		return;
	if (c->route.status == 400) {
		int type = strstr(r->pattern, "{type}") != NULL;
		route_page *page = page_of(d, r);
		if (page) {
			page(c, 400, type ? "That is not an entity type ([a-z][a-z0-9_]{0,63})."
				     : "That is not a request id (a UUID).");
			return;
		}
		if (type)
			handler_problem(c, problem_set(&p, 400, "invalid-entity-type",
						       "the entity type in the path must match "
						       "[a-z][a-z0-9_]{0,63}"));
		else
			handler_problem(c, problem_set(&p, 400, "invalid-id",
						       "the id in the path is not a UUID"));
		return;
	}
	r->handler(c);
}

/* The admin area's browser hardening (SECURITY.md, "Browser hardening"). */
static void add_admin_area_headers(struct http_response *resp)
{
	http_add_header(resp, "Content-Security-Policy",
			"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
			"base-uri 'none'");
	http_add_header(resp, "X-Frame-Options", "DENY");
	http_add_header(resp, "Referrer-Policy", "no-referrer");
	http_add_header(resp, "X-Content-Type-Options", "nosniff");
	http_add_header(resp, "Cache-Control", "no-store");
}

void dispatch_handle(struct dispatcher *d, struct http_request *req,
		     struct http_response *resp)
{
	struct call c = {
		.req = req, .resp = resp, .store = d->store, .cfg = d->cfg, .ids = &d->ids,
		.queues = &d->queues, .live = d->live,
	};

	http_response_reset(resp);
	c.now = d->clock();
	dispatch(d, &c);
	/* Whatever the answer (a page, a refusal, a redirect, a 405), the admin
	 * area's headers go on it: handlers may have reset the response on the way. */
	if (c.route.flags & ROUTE_ADMIN_AREA)
		add_admin_area_headers(resp);
	/* A token's route, its refusals too (a listed page may read why); a
	 * preflight carries its own. */
	if ((c.route.flags & ROUTE_CORS) && strcmp(req->method, "OPTIONS"))
		cors_add_headers(&c);
	/* After the handler for the same reason: a session this request opened. */
	admin_session_send(&c);
	sodium_memzero(c.admin_hash, sizeof(c.admin_hash));
	sodium_memzero(&c.session, sizeof(c.session));
}
