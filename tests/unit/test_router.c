#include "build_config.h"

#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_api.h"
#include "api/api_client.h"
#include "api/api_openapi.h"
#include "api/api_worker.h"
#include "bin/routes.h"
#include "web/router.h"
#include "unit.h"

#define COLLECTION "/api/v1/generation-requests"
#define ID_TEXT "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"
#define ONE COLLECTION "/" ID_TEXT
#define CANCEL ONE "/cancel"

static const unsigned char id_bytes[16] = {
	0x01, 0x92, 0xe4, 0xc1, 0x7a, 0x1b, 0x7c, 0x3d,
	0x8e, 0x9f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f,
};

/*
 * Matches a copy of `path` in a buffer of exactly `len` bytes with no NUL after
 * it, so a router that reads past path_len trips the sanitizers.
 */
static void match_len(const char *method, const char *path, size_t len,
		      struct route_match *m)
{
	char *copy = malloc(len ? len : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, path, len);
	memset(m, 0x5a, sizeof(*m)); /* garbage in: the router must fill every field */
	router_match(&routes_table, method, copy, len, m);
	free(copy);
}

static void match(const char *method, const char *path, struct route_match *m)
{
	match_len(method, path, strlen(path), m);
}

static void expect_route(const char *method, const char *path, route_handler *want)
{
	struct route_match m;
	match(method, path, &m);
	CU_ASSERT_EQUAL(m.status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m.route);
	CU_ASSERT_PTR_EQUAL(m.route->handler, want);
	CU_ASSERT_STRING_EQUAL(m.route->method, method);
}

static void expect_status(const char *method, const char *path, int status)
{
	struct route_match m;
	match(method, path, &m);
	CU_ASSERT_EQUAL(m.status, status);
	/* A bad id names the route whose credential is checked before the 400. */
	if (status == 400) {
		CU_ASSERT_PTR_NOT_NULL(m.route);
	} else {
		CU_ASSERT_PTR_NULL(m.route);
	}
}

static void expect_405(const char *method, const char *path, const char *allow)
{
	struct route_match m;
	match(method, path, &m);
	CU_ASSERT_EQUAL(m.status, 405);
	CU_ASSERT_PTR_NULL(m.route);
	CU_ASSERT_STRING_EQUAL(m.allow, allow);
}

static void test_every_route(void)
{
	expect_route("POST", COLLECTION, api_client_create);
	expect_route("GET", COLLECTION, api_client_list);
	expect_route("GET", ONE, api_client_get);
	expect_route("POST", CANCEL, api_client_cancel);
	expect_route("GET", "/healthz", admin_api_healthz);
	expect_route("GET", "/api/v1/openapi.json", api_openapi);
	expect_status("GET", "/api/v1/openapi.json/", 404);
}

#define ADMIN_ONE "/admin/generations/" ID_TEXT
#define ADMIN_API_ONE "/admin/api/generations/" ID_TEXT

static void test_admin_routes(void)
{
	expect_route("GET", "/metrics", admin_api_metrics);
	expect_route("GET", "/admin/", admin_home);
	expect_route("GET", ADMIN_ONE, admin_detail);
	expect_route("POST", ADMIN_ONE "/fail", admin_fail);
	expect_route("POST", ADMIN_ONE "/cancel", admin_cancel);
	expect_route("POST", ADMIN_ONE "/retry", admin_retry);
	expect_route("GET", "/admin/bulk-cancel", admin_bulk_preview);
	expect_route("POST", "/admin/bulk-cancel", admin_bulk_cancel);
	expect_route("GET", "/admin/logout", admin_logout);
	expect_route("GET", "/admin/static/admin.js", admin_static_js);
	expect_route("GET", "/admin/static/admin.css", admin_static_css);
	expect_route("GET", "/admin/api/stuck", admin_api_stuck);
	expect_route("POST", ADMIN_API_ONE "/fail", admin_api_fail);
	expect_route("POST", ADMIN_API_ONE "/cancel", admin_api_cancel);
	expect_route("POST", ADMIN_API_ONE "/retry", admin_api_retry);
	/* Actions are POST only: a link or a prefetch never changes anything. */
	expect_405("GET", ADMIN_ONE "/fail", "POST");
	expect_405("GET", ADMIN_API_ONE "/retry", "POST");
	expect_405("POST", "/admin/", "GET, HEAD");
	expect_405("DELETE", "/admin/bulk-cancel", "GET, HEAD, POST");
	expect_405("HEAD", ADMIN_ONE "/fail", "POST");
	expect_status("GET", "/admin/generations/not-a-uuid", 400);
	expect_status("POST", "/admin/generations/not-a-uuid/fail", 400);
}

/* Queues are named by their entity type in the path, checked as SPEC §3 says. */
static void test_queue_routes(void)
{
	struct route_match m;
	char longest[128];
	expect_route("GET", "/admin/queues", admin_queues);
	expect_route("POST", "/admin/queues/problem/pause", admin_queue_pause);
	expect_route("POST", "/admin/queues/problem/resume", admin_queue_resume);
	expect_route("GET", "/admin/api/queues", admin_api_queues);
	expect_route("POST", "/admin/api/queues/problem/pause", admin_api_queue_pause);
	expect_route("POST", "/admin/api/queues/problem/resume", admin_api_queue_resume);
	match("POST", "/admin/queues/quiz_2/pause", &m);
	CU_ASSERT_STRING_EQUAL(m.entity_type, "quiz_2");
	snprintf(longest, sizeof(longest), "/admin/api/queues/a%063d/resume", 0);
	match("POST", longest, &m);
	CU_ASSERT_EQUAL(m.status, 0);
	CU_ASSERT_EQUAL(strlen(m.entity_type), 64);
	snprintf(longest, sizeof(longest), "/admin/api/queues/a%064d/resume", 0);
	expect_status("POST", longest, 400);
	expect_status("POST", "/admin/queues/Problem/pause", 400);
	expect_status("POST", "/admin/queues/9lives/pause", 400);
	expect_status("POST", "/admin/api/queues/a-b/pause", 400);
	expect_status("POST", "/admin/queues//pause", 404);
	expect_405("GET", "/admin/queues/problem/pause", "POST");
	/* A route without {type} leaves it empty. */
	match("GET", "/admin/queues", &m);
	CU_ASSERT_STRING_EQUAL(m.entity_type, "");
}

#define WORKER_ONE "/api/v1/worker/generation-requests/" ID_TEXT

static void test_worker_routes(void)
{
	struct route_match m;
	expect_route("POST", "/api/v1/worker/claim", api_worker_claim);
	expect_route("POST", WORKER_ONE "/heartbeat", api_worker_heartbeat);
	expect_route("POST", WORKER_ONE "/entities", api_worker_entities);
	expect_route("POST", WORKER_ONE "/complete", api_worker_complete);
	match("POST", WORKER_ONE "/entities", &m);
	CU_ASSERT_EQUAL(memcmp(m.id.b, id_bytes, 16), 0);
	expect_405("GET", "/api/v1/worker/claim", "POST");
	expect_405("GET", WORKER_ONE "/heartbeat", "POST");
	expect_status("POST", "/api/v1/worker/generation-requests/nope/complete", 400);
	expect_status("POST", WORKER_ONE, 404);
	expect_status("POST", WORKER_ONE "/retry", 404);
	expect_status("POST", "/api/v1/worker", 404);
	expect_status("POST", "/api/v1/worker/claim/", 404);
}

static void test_id_bytes(void)
{
	struct route_match m;
	match("GET", ONE, &m);
	CU_ASSERT_EQUAL_FATAL(m.status, 0);
	CU_ASSERT_EQUAL(memcmp(m.id.b, id_bytes, 16), 0);

	match("POST", CANCEL, &m);
	CU_ASSERT_EQUAL_FATAL(m.status, 0);
	CU_ASSERT_EQUAL(m.id.b[0], 0x01);
	CU_ASSERT_EQUAL(memcmp(m.id.b, id_bytes, 16), 0);

	/* Upper-case hex is the same id. */
	match("GET", COLLECTION "/0192E4C1-7A1B-7C3D-8E9F-0A1B2C3D4E5F", &m);
	CU_ASSERT_EQUAL_FATAL(m.status, 0);
	CU_ASSERT_PTR_EQUAL(m.route->handler, api_client_get);
	CU_ASSERT_EQUAL(memcmp(m.id.b, id_bytes, 16), 0);

	/* Another id gives other bytes: nothing is cached between calls. */
	match("GET", COLLECTION "/ffffffff-ffff-7fff-bfff-ffffffffffff", &m);
	CU_ASSERT_EQUAL_FATAL(m.status, 0);
	CU_ASSERT_EQUAL(m.id.b[0], 0xff);
	CU_ASSERT_EQUAL(m.id.b[8], 0xbf);
	CU_ASSERT_EQUAL(m.id.b[15], 0xff);
}

static void test_unknown_paths(void)
{
	static const char *const paths[] = {
		"",
		"/",
		"/api",
		"/api/",
		"/api/v1",
		"/api/v1/",
		"/api/v1/generation-request",          /* prefix of the collection */
		"/api/v1/generation-requestsX",
		COLLECTION "/",                         /* trailing slash */
		ONE "/",
		CANCEL "/",
		CANCEL "/x",
		ONE "/cancelx",
		ONE "/cance",
		ONE "/retry",
		COLLECTION "//cancel",                  /* empty id segment */
		COLLECTION "/" ID_TEXT "/" ID_TEXT,
		"/api/v2/generation-requests",
		"/API/V1/GENERATION-REQUESTS",
		"api/v1/generation-requests",           /* no leading slash */
		"//api/v1/generation-requests",
		"/healthz/",
		"/healthzz",
		"/health",
		"/admin",
		"/admin/generations",
		"/admin/api/generations/" ID_TEXT,
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		expect_status("GET", paths[i], 404);
		expect_status("POST", paths[i], 404);
	}
	/* A bad id under an unknown path is still an unknown path. */
	expect_status("GET", COLLECTION "/nope/extra", 404);
	expect_status("POST", COLLECTION "/nope/cancel/x", 404);
}

static void test_method_not_allowed(void)
{
	expect_405("DELETE", COLLECTION, "POST, GET, HEAD");
	expect_405("PUT", COLLECTION, "POST, GET, HEAD");
	expect_405("PATCH", COLLECTION, "POST, GET, HEAD");
	expect_405("POST", ONE, "GET, HEAD");
	expect_405("DELETE", ONE, "GET, HEAD");
	expect_405("GET", CANCEL, "POST");
	expect_405("PUT", CANCEL, "POST");
	expect_405("HEAD", CANCEL, "POST");
	expect_405("POST", "/healthz", "GET, HEAD");
	/* Methods are case-sensitive (RFC 9110 §9.1). */
	expect_405("get", COLLECTION, "POST, GET, HEAD");
	expect_405("head", "/healthz", "GET, HEAD");
	expect_405("post", CANCEL, "POST");
	expect_405("", "/healthz", "GET, HEAD");
}

static void test_bad_id(void)
{
	static const char *const bad[] = {
		"not-a-uuid",
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5",     /* 35 */
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f0",   /* 37 */
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5g",
		"0192e4c17a1b7c3d8e9f0a1b2c3d4e5f",
		"1",
		"%30192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[128];
		struct route_match m;

		snprintf(path, sizeof(path), "%s/%s", COLLECTION, bad[i]);
		match("GET", path, &m);
		CU_ASSERT_EQUAL(m.status, 400);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m.route);
		CU_ASSERT_PTR_EQUAL(m.route->handler, api_client_get);
		/* Not allowed here whatever the id: 405, not 400. */
		match("HEAD", path, &m);
		CU_ASSERT_EQUAL(m.status, 400);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m.route);
		CU_ASSERT_PTR_EQUAL(m.route->handler, api_client_get);
		match("POST", path, &m);
		CU_ASSERT_EQUAL(m.status, 405);
		CU_ASSERT_STRING_EQUAL(m.allow, "GET, HEAD");
		match("DELETE", path, &m);
		CU_ASSERT_EQUAL(m.status, 405);
		CU_ASSERT_STRING_EQUAL(m.allow, "GET, HEAD");

		snprintf(path, sizeof(path), "%s/%s/cancel", COLLECTION, bad[i]);
		match("POST", path, &m);
		CU_ASSERT_EQUAL(m.status, 400);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m.route);
		CU_ASSERT_PTR_EQUAL(m.route->handler, api_client_cancel);
		match("GET", path, &m);
		CU_ASSERT_EQUAL(m.status, 405);
		CU_ASSERT_STRING_EQUAL(m.allow, "POST");
	}
}

/* HEAD is served by the GET route of its path, with the GET's id (RFC 9110 9.3.2). */
static void expect_head(const char *path, route_handler *want)
{
	struct route_match m;
	match("HEAD", path, &m);
	CU_ASSERT_EQUAL(m.status, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m.route);
	CU_ASSERT_PTR_EQUAL(m.route->handler, want);
	CU_ASSERT_STRING_EQUAL(m.route->method, "GET");
	CU_ASSERT_STRING_EQUAL(m.allow, "");
}

static void test_head(void)
{
	struct route_match m;
	expect_head(COLLECTION, api_client_list);
	expect_head(ONE, api_client_get);
	expect_head("/healthz", admin_api_healthz);
	expect_head("/metrics", admin_api_metrics);
	expect_head("/admin/", admin_home);
	expect_head(ADMIN_ONE, admin_detail);
	expect_head("/admin/bulk-cancel", admin_bulk_preview);
	expect_head("/admin/logout", admin_logout);
	expect_head("/admin/static/admin.js", admin_static_js);
	expect_head("/admin/api/stuck", admin_api_stuck);
	match("HEAD", ONE, &m);
	CU_ASSERT_EQUAL(memcmp(m.id.b, id_bytes, 16), 0);
	/* Only where a GET is: never a POST route. */
	expect_405("HEAD", "/api/v1/worker/claim", "POST");
	expect_405("HEAD", ADMIN_API_ONE "/retry", "POST");
	expect_status("HEAD", "/nowhere", 404);
	expect_status("HEAD", "/admin/generations/not-a-uuid", 400);
}

static void test_length_shorter_than_string(void)
{
	struct route_match m;
	const char *healthz = "/healthz?verbose=1";
	match_len("GET", healthz, 8, &m);
	CU_ASSERT_EQUAL(m.status, 0);
	CU_ASSERT_PTR_EQUAL(m.route->handler, admin_api_healthz);

	/* The cancel path cut right after the id is the GET of that id. */
	match_len("GET", CANCEL, strlen(ONE), &m);
	CU_ASSERT_EQUAL(m.status, 0);
	CU_ASSERT_PTR_EQUAL(m.route->handler, api_client_get);
	CU_ASSERT_EQUAL(memcmp(m.id.b, id_bytes, 16), 0);

	/* Cut in the middle of the id: 35 hex-and-dash bytes are a bad id. */
	match_len("GET", CANCEL, strlen(ONE) - 1, &m);
	CU_ASSERT_EQUAL(m.status, 400);

	/* Cut after the slash that follows the id. */
	match_len("POST", CANCEL, strlen(ONE) + 1, &m);
	CU_ASSERT_EQUAL(m.status, 404);

	match_len("POST", COLLECTION "/whatever", strlen(COLLECTION), &m);
	CU_ASSERT_EQUAL(m.status, 0);
	CU_ASSERT_PTR_EQUAL(m.route->handler, api_client_create);

	/* Length zero is the empty path, whatever follows in memory. */
	match_len("GET", "/healthz", 0, &m);
	CU_ASSERT_EQUAL(m.status, 404);

	/* An embedded NUL inside the given length is part of the path. */
	match_len("GET", "/healthz\0x", 10, &m);
	CU_ASSERT_EQUAL(m.status, 404);
}

static void test_match_clears_allow(void)
{
	struct route_match m;
	/* A 405 then a match on the same struct: no stale Allow or status. */
	router_match(&routes_table, "DELETE", COLLECTION, strlen(COLLECTION), &m);
	CU_ASSERT_EQUAL(m.status, 405);
	router_match(&routes_table, "GET", COLLECTION, strlen(COLLECTION), &m);
	CU_ASSERT_EQUAL(m.status, 0);
	CU_ASSERT_PTR_EQUAL(m.route->handler, api_client_list);
	router_match(&routes_table, "GET", "/nowhere", 8, &m);
	CU_ASSERT_EQUAL(m.status, 404);
	CU_ASSERT_PTR_NULL(m.route);
}

/* A 404 inside /admin/ still carries the area's headers; outside it, none. */
static void test_area_of_unknown_paths(void)
{
	struct route_match m;
	router_match(&routes_table, "GET", "/admin/nowhere", 14, &m);
	CU_ASSERT_EQUAL(m.status, 404);
	CU_ASSERT(m.flags & ROUTE_ADMIN_AREA);
	router_match(&routes_table, "GET", "/admin/api/nowhere", 18, &m);
	CU_ASSERT_EQUAL(m.status, 404);
	CU_ASSERT(m.flags & ROUTE_ADMIN_AREA);
	router_match(&routes_table, "GET", "/administrator", 14, &m);
	CU_ASSERT_EQUAL(m.status, 404);
	CU_ASSERT_EQUAL(m.flags, 0);
	router_match(&routes_table, "GET", "/api/v1/nowhere", 15, &m);
	CU_ASSERT_EQUAL(m.status, 404);
	CU_ASSERT_EQUAL(m.flags, 0);
	/* a path shorter than the prefix is outside it */
	router_match(&routes_table, "GET", "/admin/", 6, &m);
	CU_ASSERT_EQUAL(m.flags, 0);
}

/*
 * What the dispatcher once derived from path prefixes is now written on each
 * route: check that the table still says what the prefixes said.
 */
static void test_table_shape(void)
{
	const struct route_table *t = &routes_table;
	CU_ASSERT_FATAL(t->count > 0);
	CU_ASSERT_PTR_NOT_NULL(t->page);
	for (size_t i = 0; i < t->count; i++) {
		const struct route *r = &t->routes[i];
		int admin_area = !strncmp(r->pattern, "/admin/", 7);
		int has_id = strstr(r->pattern, "{id}") != NULL;
		CU_ASSERT_PTR_NOT_NULL(r->handler);
		CU_ASSERT(!strcmp(r->method, "GET") || !strcmp(r->method, "POST"));
		/* the admin pages' headers on every answer under /admin/, nowhere else */
		CU_ASSERT_EQUAL(!!(r->flags & ROUTE_ADMIN_AREA), admin_area);
		/* HTML refusals for the pages only, never for the JSON twins */
		if (r->flags & ROUTE_HTML)
			CU_ASSERT(admin_area && strncmp(r->pattern, "/admin/api/", 11));
		if (!strncmp(r->pattern, "/api/v1/worker/", 15)) {
			CU_ASSERT_EQUAL(r->auth, ROUTE_AUTH_WORKER);
		} else if (!strcmp(r->pattern, "/api/v1/openapi.json")) {
			/* the API's description: public, no data */
			CU_ASSERT(r->auth == ROUTE_AUTH_NONE && !strcmp(r->method, "GET"));
		} else if (!strncmp(r->pattern, "/api/", 5)) {
			/* a client key; on one request's read, stream and cancel also its status token */
			CU_ASSERT(r->auth == ROUTE_AUTH_CLIENT || r->auth == ROUTE_AUTH_CLIENT_INLINE ||
				  (r->auth == ROUTE_AUTH_CLIENT_OR_TOKEN && strstr(r->pattern, "/{id}/")));
		} else if (!strcmp(r->pattern, "/healthz")) {
			CU_ASSERT_EQUAL(r->auth, ROUTE_AUTH_OPERATOR);
		} else if (!strcmp(r->pattern, "/metrics")) {
			CU_ASSERT_EQUAL(r->auth, ROUTE_AUTH_METRICS);
		} else if (r->auth == ROUTE_AUTH_NONE) {
			/* public: static, no data, no id */
			CU_ASSERT(admin_area && !has_id && !strcmp(r->method, "GET"));
		} else {
			CU_ASSERT(admin_area && r->auth == ROUTE_AUTH_ADMIN);
		}
		/* a route and its handler, one to one */
		for (size_t j = 0; j < i; j++)
			CU_ASSERT(t->routes[j].handler != r->handler);
	}
}

static const struct unit_case cases[] = {
	{ "the table: credentials and flags by area", test_table_shape },
	{ "an unknown path keeps its area's flags", test_area_of_unknown_paths },
	{ "worker routes, their ids and methods", test_worker_routes },
	{ "every route with its method", test_every_route },
	{ "admin, metrics: routes, methods, ids", test_admin_routes },
	{ "queues: routes and the entity type in the path", test_queue_routes },
	{ "parsed id bytes", test_id_bytes },
	{ "404 for unknown paths", test_unknown_paths },
	{ "405 with the exact Allow", test_method_not_allowed },
	{ "HEAD where GET is, and in Allow with it", test_head },
	{ "400 bad id, 405 when method not allowed", test_bad_id },
	{ "path length shorter than the string", test_length_shorter_than_string },
	{ "reusing a match struct", test_match_clears_allow },
	{ NULL, NULL },
};

UNIT_MAIN("router", cases)
