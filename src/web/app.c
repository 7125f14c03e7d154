#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_api.h"
#include "api/api_client.h"
#include "api/api_worker.h"
#include "web/app.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/banned.h"

#define WORKER_PREFIX "/api/v1/worker/"
#define ADMIN_PREFIX "/admin/"
#define ADMIN_API_PREFIX "/admin/api/"

void app_init(struct app *a, const struct config *cfg, struct store *store)
{
	memset(a, 0, sizeof(*a));   /* the queue heads start empty */
	a->cfg = cfg;
	a->store = store;
	a->clock = time_now_us;
	uuid_gen_init(&a->ids);
}

void app_problem(struct app_call *c, const struct problem *p)
{
	http_set_problem(c->resp, p);
}

void app_store_problem(struct app_call *c, int rc, const char *what)
{
	struct problem p;
	switch (rc) {
	case STORE_NOT_FOUND:
		problem_set(&p, 404, NULL, "no %s with that id", what);
		break;
	case STORE_CONFLICT:
		problem_set(&p, 409, NULL, "the %s changed meanwhile; try again", what);
		break;
	case STORE_UNAVAILABLE:
		problem_set(&p, 503, NULL, "the store is unavailable; try again shortly");
		break;
	default:
		/* The detail goes to the log; the client gets no SQL text. */
		log_error("%s: %s", what, store_last_error(c->app->store));
		problem_set(&p, 500, NULL, "internal error");
		break;
	}
	http_set_problem(c->resp, &p);
}

int app_bearer_hash(struct app_call *c, unsigned char hash[AUTH_HASH_LEN])
{
	struct problem p;
	const char *header = http_param(c->req, "HTTP_AUTHORIZATION");
	const char *key;
	size_t len;

	if (!header || !*header) {
		app_problem(c, problem_set(&p, 401, NULL,
					   "an Authorization: Bearer <key> header is required"));
		return -1;
	}
	if (auth_parse_bearer(header, &key, &len) < 0) {
		app_problem(c, problem_set(&p, 401, NULL,
					   "the Authorization header is not a gentrack Bearer key"));
		return -1;
	}
	auth_key_hash(key, len, hash);
	return 0;
}

void app_unknown_key(struct app_call *c)
{
	struct problem p;
	app_problem(c, problem_set(&p, 401, NULL, "unknown or revoked key"));
}

int app_require_role(struct app_call *c, enum auth_role role)
{
	struct problem p;
	if (c->who.role == role)
		return 0;
	app_problem(c, problem_set(&p, 403, NULL, "this endpoint needs a %s key, not a %s key",
				   auth_role_name(role), auth_role_name(c->who.role)));
	return -1;
}

/* Checks the bearer key and its role. 0, or -1 with the answer set. */
static int authenticate(struct app_call *c, enum auth_role role)
{
	unsigned char hash[AUTH_HASH_LEN];

	if (app_bearer_hash(c, hash) < 0)
		return -1;
	int rc = store_key_lookup(c->app->store, hash, &c->who);
	if (rc == STORE_NOT_FOUND) {
		app_unknown_key(c);
		return -1;
	}
	if (rc) {
		app_store_problem(c, rc, "key");
		return -1;
	}
	return app_require_role(c, role);
}

/* /healthz and /metrics are for loopback, or an admin's Basic credentials. */
static int is_loopback(const char *addr)
{
	return addr && (!strncmp(addr, "127.", 4) || !strcmp(addr, "::1"));
}

static int operator_only(struct app_call *c)
{
	if (is_loopback(http_param(c->req, "REMOTE_ADDR")))
		return 0;
	return admin_authenticate(c, 1);
}

static void handle_healthz(struct app_call *c)
{
	struct problem p;
	int rc = store_ping(c->app->store);
	if (rc) {
		log_warn("healthz: %s", store_last_error(c->app->store));
		app_problem(c, problem_set(&p, 503, NULL, "the store is unreachable"));
		http_add_header(c->resp, "Cache-Control", "no-store");
		return;
	}
	http_add_header(c->resp, "Cache-Control", "no-store");
	c->resp->status = 200;
	strbuf_addstr(&c->resp->body, "{\"status\":\"ok\",\"store\":\"ok\"}");
}

/* The admin pages and their JSON twins, once the admin is known. */
static void dispatch_admin(struct app_call *c)
{
	struct problem p;
	int api = !strncmp(c->req->path, ADMIN_API_PREFIX, strlen(ADMIN_API_PREFIX));

	switch (c->route.route) {
	case ROUTE_ADMIN_JS:
	case ROUTE_ADMIN_CSS:
		admin_static(c);
		return;
	case ROUTE_ADMIN_LOGOUT:
		admin_logout(c);
		return;
	default:
		break;
	}
	if (admin_authenticate(c, api) < 0)
		return;
	if (c->route.status == 400) {
		if (api)
			app_problem(c, problem_set(&p, 400, "invalid-id",
						    "the id in the path is not a UUID"));
		else
			admin_error_page(c, 400, "That is not a request id (a UUID).");
		return;
	}
	switch (c->route.route) {
	case ROUTE_ADMIN_HOME: admin_home(c); break;
	case ROUTE_ADMIN_DETAIL: admin_detail(c); break;
	case ROUTE_ADMIN_FAIL: admin_action(c, ADMIN_FAIL); break;
	case ROUTE_ADMIN_CANCEL: admin_action(c, ADMIN_CANCEL); break;
	case ROUTE_ADMIN_RETRY: admin_action(c, ADMIN_RETRY); break;
	case ROUTE_ADMIN_BULK_PREVIEW: admin_bulk_preview(c); break;
	case ROUTE_ADMIN_BULK_CANCEL: admin_bulk_cancel(c); break;
	case ROUTE_ADMIN_API_STUCK: admin_api_stuck(c); break;
	case ROUTE_ADMIN_API_FAIL: admin_api_action(c, ADMIN_FAIL); break;
	case ROUTE_ADMIN_API_CANCEL: admin_api_action(c, ADMIN_CANCEL); break;
	case ROUTE_ADMIN_API_RETRY: admin_api_action(c, ADMIN_RETRY); break;
	default:
		app_problem(c, problem_set(&p, 404, NULL, "no such resource"));
		break;
	}
}

static void dispatch(struct app_call *c)
{
	struct http_request *req = c->req;
	struct problem p;

	router_match(req->method, req->path, req->path_len, &c->route);
	if (c->route.status == 404) {
		app_problem(c, problem_set(&p, 404, NULL, "no such resource"));
		return;
	}
	if (c->route.status == 405) {
		app_problem(c, problem_set(&p, 405, NULL, "method %.16s is not allowed here",
					   req->method));
		http_add_header(c->resp, "Allow", "%s", c->route.allow);
		return;
	}
	if (c->route.route == ROUTE_HEALTHZ || c->route.route == ROUTE_METRICS) {
		if (operator_only(c) < 0)
			return;
		if (c->route.route == ROUTE_HEALTHZ)
			handle_healthz(c);
		else
			admin_api_metrics(c);
		return;
	}
	if (!strncmp(req->path, ADMIN_PREFIX, strlen(ADMIN_PREFIX))) {
		dispatch_admin(c);
		return;
	}
	/* The status poll, the hot path, checks its key in the same statement
	 * that reads the request. */
	if (c->route.route == ROUTE_REQUEST_GET) {
		api_client_get(c);
		return;
	}
	/* Every remaining route is the API: credentials before anything else. */
	int worker_api = !strncmp(req->path, WORKER_PREFIX, strlen(WORKER_PREFIX));
	if (authenticate(c, worker_api ? ROLE_WORKER : ROLE_CLIENT) < 0)
		return;
	if (c->route.status == 400) {
		app_problem(c, problem_set(&p, 400, "invalid-id",
					   "the id in the path is not a UUID"));
		return;
	}
	switch (c->route.route) {
	case ROUTE_REQUEST_CREATE:
		api_client_create(c);
		break;
	case ROUTE_REQUEST_LIST:
		api_client_list(c);
		break;
	case ROUTE_REQUEST_CANCEL:
		api_client_cancel(c);
		break;
	case ROUTE_WORKER_CLAIM:
		api_worker_claim(c);
		break;
	case ROUTE_WORKER_HEARTBEAT:
		api_worker_heartbeat(c);
		break;
	case ROUTE_WORKER_ENTITIES:
		api_worker_entities(c);
		break;
	case ROUTE_WORKER_COMPLETE:
		api_worker_complete(c);
		break;
	default:
		app_problem(c, problem_set(&p, 404, NULL, "no such resource"));
		break;
	}
}

void app_handle(struct app *a, struct http_request *req, struct http_response *resp)
{
	struct app_call c = { .app = a, .req = req, .resp = resp };

	http_response_reset(resp);
	c.now = a->clock();
	dispatch(&c);
	/* Whatever the answer (a page, a refusal, a redirect), the admin area's
	 * headers go on it: handlers may have reset the response on the way. */
	if (!strncmp(req->path, ADMIN_PREFIX, strlen(ADMIN_PREFIX)))
		admin_add_security_headers(resp);
	sodium_memzero(c.csrf_key, sizeof(c.csrf_key));
}
