#include "build_config.h"

/*
 * The route table x every kind of credential -> the expected status (issue
 * 11): one data table, one row per route of src/bin/routes.c, one column per
 * credential. Credentials are checked against the store, so this runs the
 * real dispatcher against the real MariaDB its wrapper started
 * (tests/integration/routes.sh, $GENTRACK_CONFIG), with requests made here
 * (struct http_request with our own parameters: no FastCGI connection).
 *
 * A row's statuses are what the credential leads to: a refusal (401, 403)
 * from the dispatcher, or else what the handler answers a request without a
 * body for an id nobody has (415, 404, 200...), which proves the credential
 * was let through. Every route of the table must have its row, and every row
 * its route: a route added without a row fails here.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "bin/routes.h"
#include "model/auth.h"
#include "web/dispatch.h"
#include "base/timeutil.h"
#include "itest.h"
#include "unit.h"

/* The credentials every route is tried with. */
enum cred {
	CRED_NONE,          /* no Authorization header, from a remote address */
	CRED_MALFORMED,     /* an Authorization header that is neither a key nor Basic */
	CRED_CLIENT,        /* Bearer, an active client key */
	CRED_WORKER,        /* Bearer, an active worker key */
	CRED_REVOKED,       /* Bearer, a revoked client key */
	CRED_ADMIN,         /* Basic, an admin's right password */
	CRED_ADMIN_WRONG,   /* Basic, the same admin, a wrong password */
	CRED_LOOPBACK,      /* no Authorization header, from 127.0.0.1 */
	CRED_METRICS_TOKEN, /* Bearer, the [metrics] token, from a remote address */
	CRED_COUNT,
};

static const char *const cred_names[CRED_COUNT] = {
	"none", "malformed", "client key", "worker key", "revoked key", "admin",
	"admin, wrong password", "loopback, none", "metrics token",
};

struct row {
	const char *method;
	const char *pattern;         /* as in the table */
	int want[CRED_COUNT];        /* in enum cred order */
};

/* The refusals of a route that takes a key of one role, by column. */
#define CLIENT_ROUTE(ok) { 401, 401, ok, 403, 401, 401, 401, 401, 401 }
#define WORKER_ROUTE(ok) { 401, 401, 403, ok, 401, 401, 401, 401, 401 }
#define ADMIN_ROUTE(ok) { 401, 401, 401, 401, 401, ok, 401, 401, 401 }
#define OPERATOR_ROUTE(ok) { 401, 401, 401, 401, 401, ok, 401, ok, 401 }
/* With [metrics] allow_loopback off, as the production sample has it. */
#define METRICS_ROUTE(ok) { 401, 401, 401, 401, 401, ok, 401, 401, ok }
#define PUBLIC_ROUTE(ok) { ok, ok, ok, ok, ok, ok, ok, ok, ok }

#define API "/api/v1/generation-requests"
#define WORKER "/api/v1/worker/generation-requests/{id}"

/*
 * With the credential let through, each handler answers a request with no
 * body, no query and an unknown id: 415 where a JSON or form body is
 * required, 400 where a query is (the bulk preview's filter), 404 for the
 * unknown id, 200 for what lists or shows, 501 for live updates (not set up).
 */
static const struct row rows[] = {
	{ "POST", API, CLIENT_ROUTE(415) },
	{ "GET", API, CLIENT_ROUTE(200) },
	{ "GET", API "/{id}", CLIENT_ROUTE(404) },
	{ "POST", API "/{id}/cancel", CLIENT_ROUTE(404) },
	/* without [live] nchan_socket (this test's dispatcher has none) */
	{ "GET", API "/{id}/events", CLIENT_ROUTE(501) },
	{ "GET", "/api/v1/openapi.json", PUBLIC_ROUTE(200) },
	{ "POST", "/api/v1/worker/claim", WORKER_ROUTE(415) },
	{ "POST", WORKER "/heartbeat", WORKER_ROUTE(415) },
	{ "POST", WORKER "/entities", WORKER_ROUTE(415) },
	{ "POST", WORKER "/complete", WORKER_ROUTE(415) },
	{ "GET", "/healthz", OPERATOR_ROUTE(200) },
	{ "GET", "/metrics", METRICS_ROUTE(200) },
	{ "GET", "/admin/", ADMIN_ROUTE(200) },
	{ "GET", "/admin/generations/{id}", ADMIN_ROUTE(404) },
	{ "POST", "/admin/generations/{id}/fail", ADMIN_ROUTE(415) },
	{ "POST", "/admin/generations/{id}/cancel", ADMIN_ROUTE(415) },
	{ "POST", "/admin/generations/{id}/retry", ADMIN_ROUTE(415) },
	{ "GET", "/admin/bulk-cancel", ADMIN_ROUTE(400) },
	{ "POST", "/admin/bulk-cancel", ADMIN_ROUTE(415) },
	/* no filter yet: the filter form alone */
	{ "GET", "/admin/bulk-retry", ADMIN_ROUTE(200) },
	{ "POST", "/admin/bulk-retry", ADMIN_ROUTE(415) },
	{ "GET", "/admin/queues", ADMIN_ROUTE(200) },
	{ "GET", "/admin/workers", ADMIN_ROUTE(200) },
	{ "GET", "/admin/webhooks", ADMIN_ROUTE(200) },
	/* no ?id=: not a delivery */
	{ "GET", "/admin/webhooks/delivery", ADMIN_ROUTE(400) },
	{ "POST", "/admin/webhooks/redeliver", ADMIN_ROUTE(415) },
	{ "POST", "/admin/webhooks/enable", ADMIN_ROUTE(415) },
	{ "POST", "/admin/queues/{type}/pause", ADMIN_ROUTE(415) },
	{ "POST", "/admin/queues/{type}/resume", ADMIN_ROUTE(415) },
	/* signing out is a 401 whoever asks: that is how browsers forget */
	{ "GET", "/admin/logout", PUBLIC_ROUTE(401) },
	{ "GET", "/admin/static/admin.js", PUBLIC_ROUTE(200) },
	{ "GET", "/admin/static/admin.css", PUBLIC_ROUTE(200) },
	{ "GET", "/admin/static/favicon.svg", PUBLIC_ROUTE(200) },
	{ "GET", "/admin/api/stuck", ADMIN_ROUTE(200) },
	{ "POST", "/admin/api/generations/{id}/fail", ADMIN_ROUTE(415) },
	{ "POST", "/admin/api/generations/{id}/cancel", ADMIN_ROUTE(415) },
	{ "POST", "/admin/api/generations/{id}/retry", ADMIN_ROUTE(415) },
	{ "POST", "/admin/api/bulk-retry", ADMIN_ROUTE(415) },
	{ "GET", "/admin/api/queues", ADMIN_ROUTE(200) },
	{ "GET", "/admin/api/workers", ADMIN_ROUTE(200) },
	{ "GET", "/admin/api/charts", ADMIN_ROUTE(200) },
	{ "GET", "/admin/api/webhooks", ADMIN_ROUTE(200) },
	{ "GET", "/admin/api/webhooks/deliveries", ADMIN_ROUTE(200) },
	/* no ?id=: not a delivery, before the body is read */
	{ "POST", "/admin/api/webhooks/redeliver", ADMIN_ROUTE(400) },
	{ "POST", "/admin/api/queues/{type}/pause", ADMIN_ROUTE(415) },
	{ "POST", "/admin/api/queues/{type}/resume", ADMIN_ROUTE(415) },
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

#define UNKNOWN_ID "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"
#define BAD_ID "not-a-uuid"
#define ADMIN_PASSWORD "correct horse battery staple"
#define METRICS_TOKEN "routes-metrics-token-0123456789abcdef"

static struct config cfg;
static struct store *st;
static struct dispatcher disp;
static char run_tag[16];
static char admin_name[OWNER_MAX + 1];
static char client_owner[OWNER_MAX + 1];
/* The Authorization header of each credential ("" for none). */
static char authorization[CRED_COUNT][256];
static unsigned cases_run;

static void make_key(enum auth_role role, const char *owner, char *header, size_t size,
		     long long *id)
{
	char key[AUTH_KEY_LEN + 1];
	unsigned char hash[AUTH_HASH_LEN];
	auth_key_generate(key);
	auth_key_hash(key, AUTH_KEY_LEN, hash);
	if (store_key_insert(st, hash, "gtk_routes", role, owner, time_now_us(), id))
		itest_fatal("key insert", store_last_error(st));
	snprintf(header, size, "Bearer %s", key);
}

static void basic_header(const char *user, const char *password, char *header, size_t size)
{
	char plain[160];
	char b64[sodium_base64_ENCODED_LEN(sizeof(plain), sodium_base64_VARIANT_ORIGINAL)];
	int n = snprintf(plain, sizeof(plain), "%s:%s", user, password);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)plain, (size_t)n,
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(header, size, "Basic %s", b64);
}

static void setup(void)
{
	char *owner = client_owner, hash[crypto_pwhash_STRBYTES];
	long long id;

	itest_open("test_routes", &cfg, &st);
	if (auth_init() < 0)
		itest_fatal("libsodium", "init");
	snprintf(run_tag, sizeof(run_tag), "%llx",
		 (unsigned long long)(time_now_us() % 0xffffffffffLL));
	snprintf(owner, sizeof(client_owner), "routes-%s", run_tag);
	snprintf(admin_name, sizeof(admin_name), "routes-admin-%s", run_tag);

	snprintf(authorization[CRED_MALFORMED], sizeof(authorization[0]), "Bearer not-a-key");
	make_key(ROLE_CLIENT, owner, authorization[CRED_CLIENT], sizeof(authorization[0]), &id);
	make_key(ROLE_WORKER, owner, authorization[CRED_WORKER], sizeof(authorization[0]), &id);
	make_key(ROLE_CLIENT, owner, authorization[CRED_REVOKED], sizeof(authorization[0]), &id);
	if (store_key_revoke(st, id, time_now_us()))
		itest_fatal("key revoke", store_last_error(st));
	if (auth_password_hash(ADMIN_PASSWORD, strlen(ADMIN_PASSWORD), hash, sizeof(hash)) < 0 ||
	    store_admin_user_set(st, admin_name, hash, time_now_us()))
		itest_fatal("admin user", store_last_error(st));
	basic_header(admin_name, ADMIN_PASSWORD, authorization[CRED_ADMIN],
		     sizeof(authorization[0]));
	basic_header(admin_name, "not the password", authorization[CRED_ADMIN_WRONG],
		     sizeof(authorization[0]));
	/* /metrics as in production: no loopback, a token (the stack's config
	 * opens loopback, as ./dev's does). */
	free(cfg.metrics_token);
	cfg.metrics_token = strdup(METRICS_TOKEN);
	if (!cfg.metrics_token)
		itest_fatal("metrics token", "out of memory");
	cfg.metrics_allow_loopback = 0;
	snprintf(authorization[CRED_METRICS_TOKEN], sizeof(authorization[0]), "Bearer %s",
		 METRICS_TOKEN);
	dispatch_init(&disp, &routes_table, &cfg, st);
	/* Every admin route gets a wrong password here: this table checks who
	 * may call what, not the failed sign-in limits (tests/unit/test_login_limit). */
	disp.admin_auth.per_address = disp.admin_auth.per_user = UINT_MAX;
}

/* The row of route r, or NULL. */
static const struct row *row_of(const struct route *r)
{
	for (size_t i = 0; i < N_ROWS; i++)
		if (!strcmp(rows[i].method, r->method) && !strcmp(rows[i].pattern, r->pattern))
			return &rows[i];
	return NULL;
}

/* The pattern with its {id} replaced by `id`, or its {type} by `type`. */
static void path_of(const char *pattern, const char *id, const char *type, char *out,
		    size_t size)
{
	const char *at = strstr(pattern, "{id}");
	if (at) {
		snprintf(out, size, "%.*s%s%s", (int)(at - pattern), pattern, id, at + 4);
		return;
	}
	at = strstr(pattern, "{type}");
	if (at) {
		snprintf(out, size, "%.*s%s%s", (int)(at - pattern), pattern, type, at + 6);
		return;
	}
	snprintf(out, size, "%s", pattern);
}

static int has_header(const struct http_response *resp, const char *line)
{
	return resp->headers.buf && strstr(resp->headers.buf, line) != NULL;
}

/*
 * One request through the dispatcher into resp (initialised by the caller),
 * with `extra` ("NAME=value", or NULL) among its parameters.
 */
static void request(const char *method, const char *path, enum cred cred, const char *extra,
		    struct http_response *resp)
{
	char auth_param[300], method_param[32], addr_param[32];
	char *envp[5];
	int n = 0;
	struct http_request req = { 0 };

	snprintf(method_param, sizeof(method_param), "REQUEST_METHOD=%s", method);
	snprintf(addr_param, sizeof(addr_param), "REMOTE_ADDR=%s",
		 cred == CRED_LOOPBACK ? "127.0.0.1" : "192.0.2.7");
	envp[n++] = method_param;
	envp[n++] = addr_param;
	if (*authorization[cred]) {
		snprintf(auth_param, sizeof(auth_param), "HTTP_AUTHORIZATION=%s", authorization[cred]);
		envp[n++] = auth_param;
	}
	if (extra)
		envp[n++] = (char *)extra;
	envp[n] = NULL;
	req.envp = envp;
	req.method = method;
	req.path = strdup(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(req.path);
	req.path_len = strlen(path);
	req.query = "";

	dispatch_handle(&disp, &req, resp);
	free(req.path);
	free(req.body);
}

/* The value of header `name` in resp into out ("" when absent). */
static void header_value(const struct http_response *resp, const char *name, char *out,
			 size_t size)
{
	char line[64];
	const char *at;
	snprintf(line, sizeof(line), "%s: ", name);
	out[0] = '\0';
	if (!resp->headers.buf || !(at = strstr(resp->headers.buf, line)))
		return;
	at += strlen(line);
	snprintf(out, size, "%.*s", (int)strcspn(at, "\r"), at);
}

/* Whether the Allow list holds exactly this method. */
static int allow_lists(const char *allow, const char *method)
{
	size_t n = strlen(method);
	for (const char *p = allow; *p; p += strspn(p, ", ")) {
		size_t tok = strcspn(p, ",");
		if (tok == n && !strncmp(p, method, n))
			return 1;
		p += tok;
	}
	return 0;
}

/*
 * One request through the dispatcher; checks its status, and what any
 * answer of that path must carry whatever the table says: the admin area's
 * headers under /admin/, a 401's challenge and form by the path's kind, and
 * HEAD in a 405's Allow wherever GET is.
 */
static void run_case(const char *method, const char *path, enum cred cred, int want)
{
	struct http_response resp;
	char allow[64];

	http_response_init(&resp);
	request(method, path, cred, NULL, &resp);
	cases_run++;
	if (resp.status != want) {
		fprintf(stderr, "FAIL: %s %s with %s: %d, expected %d: %.200s\n", method, path,
			cred_names[cred], resp.status, want, resp.body.buf ? resp.body.buf : "");
		CU_FAIL("status");
	}
	int admin_area = !strncmp(path, "/admin/", 7);
	CU_ASSERT_EQUAL(has_header(&resp, "X-Frame-Options: DENY\r\n"), admin_area);
	if (resp.status == 401) {
		int basic = admin_area || !strncmp(path, "/healthz", 8) ||
			    !strncmp(path, "/metrics", 8);
		int page = admin_area && strncmp(path, "/admin/api/", 11);
		CU_ASSERT(has_header(&resp, basic ? "WWW-Authenticate: Basic " :
				     "WWW-Authenticate: Bearer "));
		CU_ASSERT_STRING_EQUAL(resp.content_type,
				       page ? "text/html; charset=utf-8" : PROBLEM_CONTENT_TYPE);
	}
	/* A page session's cookie: only from the admin pages, to an admin who signed in,
	 * on a page (a form post never opens one); and the sign-out's, dropping it. */
	if (has_header(&resp, "Set-Cookie: ")) {
		int page = admin_area && strncmp(path, "/admin/api/", 11) &&
			   strncmp(path, "/admin/static/", 14);
		int logout = !strcmp(path, "/admin/logout");
		CU_ASSERT(page && (logout || (cred == CRED_ADMIN && strcmp(method, "POST"))));
	}
	if (resp.status == 405) {
		header_value(&resp, "Allow", allow, sizeof(allow));
		CU_ASSERT(allow[0] != '\0');
		CU_ASSERT_EQUAL(allow_lists(allow, "GET"), allow_lists(allow, "HEAD"));
	}
	http_response_release(&resp);
}

/* The names of resp's extra headers, in order, as "Name\nName\n". */
static void header_names(const struct http_response *resp, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = resp->headers.buf; p && *p; ) {
		size_t line = strcspn(p, "\n");
		size_t name = strcspn(p, ":");
		if (name < line && used < size)
			used += (size_t)snprintf(out + used, size - used, "%.*s\n", (int)name, p);
		p += line + (p[line] == '\n');
	}
}

/*
 * A HEAD where a GET is: the handler of the GET answers it, so its status,
 * content type and headers (by name: a value such as a fresh cookie may
 * differ between two requests) are the GET's, with a body rendered for its
 * Content-Length (web/http.c leaves the body out when it writes the answer).
 */
static void run_head_like_get(const char *path, enum cred cred)
{
	struct http_response get, head;
	char get_names[1024], head_names[1024];

	http_response_init(&get);
	http_response_init(&head);
	request("GET", path, cred, NULL, &get);
	request("HEAD", path, cred, NULL, &head);
	cases_run += 2;
	if (head.status != get.status) {
		fprintf(stderr, "FAIL: HEAD %s with %s: %d, but GET %d\n", path, cred_names[cred],
			head.status, get.status);
		CU_FAIL("HEAD status");
	}
	CU_ASSERT_STRING_EQUAL(head.content_type ? head.content_type : "",
			       get.content_type ? get.content_type : "");
	header_names(&get, get_names, sizeof(get_names));
	header_names(&head, head_names, sizeof(head_names));
	CU_ASSERT_STRING_EQUAL(head_names, get_names);
	CU_ASSERT_EQUAL(head.body.len > 0, get.body.len > 0);
	http_response_release(&get);
	http_response_release(&head);
}

/* Every route has its row and every row its route. */
static void test_rows_cover_the_table(void)
{
	for (size_t i = 0; i < routes_table.count; i++) {
		const struct route *r = &routes_table.routes[i];
		if (!row_of(r)) {
			fprintf(stderr, "FAIL: route %s %s has no row in tests/integration/"
				"test_routes.c\n", r->method, r->pattern);
			CU_FAIL("a route without a row");
		}
	}
	for (size_t i = 0; i < N_ROWS; i++) {
		int found = 0;
		for (size_t j = 0; j < routes_table.count; j++)
			found |= !strcmp(rows[i].method, routes_table.routes[j].method) &&
				 !strcmp(rows[i].pattern, routes_table.routes[j].pattern);
		if (!found) {
			fprintf(stderr, "FAIL: row %s %s names no route\n", rows[i].method,
				rows[i].pattern);
			CU_FAIL("a row without a route");
		}
	}
}

/*
 * Every route x every credential. A route with an {id} is also asked with a
 * bad id: refused the same (credentials come first), else 400.
 */
static void test_route_by_credential(void)
{
	char path[256];
	for (size_t i = 0; i < routes_table.count; i++) {
		const struct route *r = &routes_table.routes[i];
		const struct row *row = row_of(r);
		if (!row)
			continue; /* test_rows_cover_the_table says so */
		int is_get = !strcmp(r->method, "GET");
		for (int cred = 0; cred < CRED_COUNT; cred++) {
			int want = row->want[cred];
			path_of(r->pattern, UNKNOWN_ID, "route_test", path, sizeof(path));
			run_case(r->method, path, (enum cred)cred, want);
			/* HEAD is answered wherever GET is, as the GET is (RFC 9110 9.3.2). */
			if (is_get) {
				run_case("HEAD", path, (enum cred)cred, want);
				run_head_like_get(path, (enum cred)cred);
			}
			if (!strstr(r->pattern, "{id}") && !strstr(r->pattern, "{type}"))
				continue;
			/* An entity type may not start with a digit nor hold capitals. */
			path_of(r->pattern, BAD_ID, "9Bad", path, sizeof(path));
			run_case(r->method, path, (enum cred)cred,
				 want == 401 || want == 403 ? want : 400);
			if (is_get)
				run_case("HEAD", path, (enum cred)cred,
					 want == 401 || want == 403 ? want : 400);
		}
	}
	/* No route at all: a 404, with the admin headers only inside /admin/. */
	run_case("GET", "/admin/nowhere", CRED_NONE, 404);
	run_case("POST", "/admin/api/nowhere", CRED_NONE, 404);
	run_case("GET", "/nowhere", CRED_NONE, 404);
	run_case("HEAD", "/nowhere", CRED_NONE, 404);
	printf("%u requests: %zu routes x %d credentials, and a bad id where a route has one; "
	       "HEAD where GET is\n", cases_run, routes_table.count, CRED_COUNT);
}

/* The status of method on path, with Allow into allow (NULL: not wanted). */
static int status_of(const char *method, const char *path, enum cred cred, char *allow,
		     size_t size)
{
	struct http_response resp;
	http_response_init(&resp);
	request(method, path, cred, NULL, &resp);
	if (allow)
		header_value(&resp, "Allow", allow, size);
	int status = resp.status;
	http_response_release(&resp);
	return status;
}

/* HEAD of a route that only posts is 405; the Allow of a GET path lists HEAD. */
static void test_head_allow(void)
{
	char allow[64];
	CU_ASSERT_EQUAL(status_of("HEAD", "/admin/bulk-cancel", CRED_ADMIN, NULL, 0), 400);
	CU_ASSERT_EQUAL(status_of("DELETE", "/admin/bulk-cancel", CRED_ADMIN, allow,
				  sizeof(allow)), 405);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD, POST");
	CU_ASSERT_EQUAL(status_of("POST", "/healthz", CRED_LOOPBACK, allow, sizeof(allow)), 405);
	CU_ASSERT_STRING_EQUAL(allow, "GET, HEAD");
	CU_ASSERT_EQUAL(status_of("HEAD", "/api/v1/worker/claim", CRED_WORKER, allow,
				  sizeof(allow)), 405);
	CU_ASSERT_STRING_EQUAL(allow, "POST");
}

/* A pending request of the routes' client, for the status poll. */
static void make_request(struct uuid *id)
{
	struct uuid_gen gen;
	uuid_gen_init(&gen);
	struct itest_pending p = { .owner = client_owner, .entity_type = "routes_head", .count = 2,
				   .priority = PRIORITY_DEFAULT, .at = time_now_us(),
				   .actor = "client:routes" };
	*id = itest_create_pending(st, &gen, &p);
}

/*
 * The status poll's HEAD: the GET's ETag, Retry-After and Cache-Control and a
 * body of the GET's length; with If-None-Match of that ETag, a 304 as for GET.
 */
static void test_head_of_a_poll(void)
{
	struct uuid id;
	struct http_response get, head, cond;
	char ids[UUID_STR_LEN + 1], path[128], v_get[128], v_head[128], inm[160];
	static const char *const names[] = { "ETag", "Retry-After", "Cache-Control" };

	make_request(&id);
	uuid_format(&id, ids);
	snprintf(path, sizeof(path), API "/%s", ids);
	http_response_init(&get);
	http_response_init(&head);
	http_response_init(&cond);
	request("GET", path, CRED_CLIENT, NULL, &get);
	request("HEAD", path, CRED_CLIENT, NULL, &head);
	CU_ASSERT_EQUAL(get.status, 200);
	CU_ASSERT_EQUAL(head.status, 200);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		header_value(&get, names[i], v_get, sizeof(v_get));
		header_value(&head, names[i], v_head, sizeof(v_head));
		CU_ASSERT(v_get[0] != '\0');
		CU_ASSERT_STRING_EQUAL(v_head, v_get);
	}
	CU_ASSERT(get.body.len > 0);
	CU_ASSERT_EQUAL(head.body.len, get.body.len);
	header_value(&get, "ETag", v_get, sizeof(v_get));
	snprintf(inm, sizeof(inm), "HTTP_IF_NONE_MATCH=%s", v_get);
	request("HEAD", path, CRED_CLIENT, inm, &cond);
	CU_ASSERT_EQUAL(cond.status, 304);
	header_value(&cond, "ETag", v_head, sizeof(v_head));
	CU_ASSERT_STRING_EQUAL(v_head, v_get);
	CU_ASSERT_EQUAL(cond.body.len, 0);
	http_response_release(&get);
	http_response_release(&head);
	http_response_release(&cond);
}

/*
 * /healthz and /metrics from an address other than loopback take an admin's
 * credentials, and with them the failed sign-in limit: the 6th failure of
 * one address is a 429, a right password from there too; loopback needs no
 * credential and is not refused.
 */
static void test_operator_sign_in_limit(void)
{
	admin_auth_init(&disp.admin_auth);   /* the limits of base/limits.h, no counts */
	for (unsigned i = 0; i < LOGIN_LIMIT_PER_ADDRESS; i++)
		run_case("GET", i % 2 ? "/metrics" : "/healthz", CRED_ADMIN_WRONG, 401);
	run_case("GET", "/healthz", CRED_ADMIN_WRONG, 429);
	run_case("GET", "/metrics", CRED_ADMIN, 429);
	run_case("GET", "/admin/api/stuck", CRED_ADMIN, 429);
	run_case("GET", "/healthz", CRED_LOOPBACK, 200);
	disp.admin_auth.per_address = disp.admin_auth.per_user = UINT_MAX;
}

/*
 * /metrics from loopback (issue 20): a TLS terminator on the same host makes
 * everyone loopback, so loopback passes only with [metrics] allow_loopback;
 * the token and an admin pass either way, a wrong token never.
 */
static void test_metrics_loopback_switch(void)
{
	char saved[256];
	run_case("GET", "/metrics", CRED_LOOPBACK, 401);
	run_case("GET", "/healthz", CRED_LOOPBACK, 200);
	cfg.metrics_allow_loopback = 1;
	run_case("GET", "/metrics", CRED_LOOPBACK, 200);
	run_case("GET", "/metrics", CRED_NONE, 401);
	cfg.metrics_allow_loopback = 0;
	run_case("GET", "/metrics", CRED_METRICS_TOKEN, 200);
	run_case("GET", "/metrics", CRED_ADMIN, 200);
	/* One character off, or one more: refused. */
	snprintf(saved, sizeof(saved), "%s", authorization[CRED_METRICS_TOKEN]);
	authorization[CRED_METRICS_TOKEN][strlen(saved) - 1] ^= 1;
	run_case("GET", "/metrics", CRED_METRICS_TOKEN, 401);
	snprintf(authorization[CRED_METRICS_TOKEN], sizeof(authorization[0]), "%sx", saved);
	run_case("GET", "/metrics", CRED_METRICS_TOKEN, 401);
	snprintf(authorization[CRED_METRICS_TOKEN], sizeof(authorization[0]), "bearer   %s",
		 METRICS_TOKEN);
	run_case("GET", "/metrics", CRED_METRICS_TOKEN, 200);
	snprintf(authorization[CRED_METRICS_TOKEN], sizeof(authorization[0]), "%s", saved);
	/* With no token configured, nothing is the token, not even an empty one. */
	struct metrics_token none;
	metrics_token_init(&none, "");
	CU_ASSERT_EQUAL(metrics_token_matches(&none, "Bearer "), 0);
	CU_ASSERT_EQUAL(metrics_token_matches(&none, saved), 0);
	CU_ASSERT_EQUAL(metrics_token_matches(&disp.metrics, saved), 1);
	CU_ASSERT_EQUAL(metrics_token_matches(&disp.metrics, NULL), 0);
}

static const struct unit_case cases[] = {
	{ "every route of the table has its row", test_rows_cover_the_table },
	{ "every route x every credential: the expected status", test_route_by_credential },
	{ "HEAD: 405 where only POST is, listed in Allow beside GET", test_head_allow },
	{ "HEAD of a status poll: the GET's headers; If-None-Match gives 304",
	  test_head_of_a_poll },
	{ "/healthz and /metrics off loopback: failed sign-ins get 429",
	  test_operator_sign_in_limit },
	{ "/metrics from loopback only with [metrics] allow_loopback; the token",
	  test_metrics_loopback_switch },
	{ NULL, NULL },
};

int main(void)
{
	setup();
	int rc = unit_run("routes", cases);
	itest_close(&cfg, st);
	return rc;
}
