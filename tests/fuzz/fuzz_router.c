/*
 * router_match over the service's route table (src/bin/routes.c): the input
 * is "<method>\n<path>"; the method is a C string (a FastCGI param), the path
 * an unterminated buffer of its own length, as http.c hands it over (the
 * query string already split off). The handlers the table names are stubs
 * here: only the matcher runs.
 */
#include "build_config.h"

#include "fuzz.h"
#include "admin/admin.h"
#include "admin/admin_api.h"
#include "admin/throughput.h"
#include "api/api_client.h"
#include "api/api_events.h"
#include "api/api_openapi.h"
#include "api/api_worker.h"
#include "bin/routes.h"
#include "model/resource.h"
#include "web/router.h"
#include "base/uuid.h"

#define STUB(name) \
	void name(struct call *c) { (void)c; }
STUB(api_client_create) STUB(api_client_list) STUB(api_client_get) STUB(api_client_cancel)
STUB(api_client_events) STUB(api_openapi)
STUB(api_worker_claim) STUB(api_worker_heartbeat) STUB(api_worker_entities)
STUB(api_worker_complete) STUB(admin_api_healthz) STUB(admin_api_metrics)
STUB(admin_home) STUB(admin_detail) STUB(admin_fail) STUB(admin_cancel) STUB(admin_retry)
STUB(admin_bulk_preview) STUB(admin_bulk_cancel) STUB(admin_logout) STUB(admin_static_js)
STUB(admin_static_css) STUB(admin_static_favicon) STUB(admin_api_stuck) STUB(admin_api_fail)
STUB(admin_api_cancel) STUB(admin_api_retry) STUB(admin_queues) STUB(admin_queue_pause)
STUB(admin_queue_resume) STUB(admin_api_queues) STUB(admin_api_queue_pause)
STUB(admin_api_queue_resume) STUB(admin_bulk_retry_preview) STUB(admin_bulk_retry)
STUB(admin_workers) STUB(admin_api_bulk_retry) STUB(admin_api_workers) STUB(admin_api_charts)
STUB(admin_webhooks) STUB(admin_webhook_delivery) STUB(admin_webhook_redeliver)
STUB(admin_webhook_enable) STUB(admin_api_webhooks) STUB(admin_api_webhook_deliveries)
STUB(admin_api_webhook_redeliver)
void admin_refusal_page(struct call *c, int status, const char *sentence)
{
	(void)c; (void)status; (void)sentence;
}

static int method_in(const char *allow, const char *method)
{
	size_t mlen = strlen(method);
	for (const char *p = allow; *p;) {
		size_t tok = strcspn(p, ",");
		if (tok == mlen && !strncmp(p, method, mlen))
			return 1;
		p += tok;
		p += strspn(p, ", ");
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	char *method = fuzz_cstr(data, (size_t)(nl - data));
	size_t path_len = size - (size_t)(nl - data) - 1;
	char *path = fuzz_copy(nl + 1, path_len);
	struct route_match m;
	static const struct uuid zero;

	router_match(&routes_table, method, path, path_len, &m);
	FUZZ_ASSERT(m.status == 0 || m.status == 400 || m.status == 404 || m.status == 405);
	FUZZ_ASSERT(memchr(m.allow, '\0', sizeof(m.allow)) != NULL);
	if (m.status == 0 || m.status == 400) {
		/* The route matched, or the one whose credential comes before the 400. */
		FUZZ_ASSERT(m.route != NULL);
		FUZZ_ASSERT(m.route >= routes_table.routes &&
			    m.route < routes_table.routes + routes_table.count);
		/* The route of the method, or for HEAD the GET route of the path. */
		FUZZ_ASSERT(!strcmp(m.route->method, method) ||
			    (!strcmp(method, "HEAD") && !strcmp(m.route->method, "GET")));
		FUZZ_ASSERT((m.flags & m.route->flags) == m.route->flags);
		/* Every route starts with one of the three prefixes. */
		FUZZ_ASSERT(path_len > 0 && path[0] == '/');
	} else {
		FUZZ_ASSERT(m.route == NULL);
	}
	if (m.status == 0)
		FUZZ_ASSERT(m.allow[0] == '\0');
	else
		FUZZ_ASSERT(memcmp(&m.id, &zero, sizeof(zero)) == 0 && m.entity_type[0] == '\0');
	if (m.status == 400)
		FUZZ_ASSERT(strstr(m.route->pattern, "{id}") != NULL ||
			    strstr(m.route->pattern, "{type}") != NULL);
	/* A type came from a {type} segment, valid as the API checks it. */
	FUZZ_ASSERT(memchr(m.entity_type, '\0', sizeof(m.entity_type)) != NULL);
	if (m.entity_type[0]) {
		FUZZ_ASSERT(m.status == 0 && strstr(m.route->pattern, "{type}") != NULL);
		FUZZ_ASSERT(resource_entity_type_valid(m.entity_type, strlen(m.entity_type)));
	}
	if (m.status == 404) {
		/* No route: only the area of the path speaks. */
		int admin_area = path_len >= 7 && !memcmp(path, "/admin/", 7);
		FUZZ_ASSERT(m.allow[0] == '\0' && m.flags == (admin_area ? ROUTE_ADMIN_AREA : 0u));
	}
	if (m.status == 405) {
		FUZZ_ASSERT(m.allow[0] != '\0');
		FUZZ_ASSERT(!method_in(m.allow, method));
	}
	/* Wherever GET is allowed, HEAD is too, and never without it. */
	FUZZ_ASSERT(method_in(m.allow, "GET") == method_in(m.allow, "HEAD"));
	if (m.status == 400)
		FUZZ_ASSERT(method_in(m.allow, method));
	if (m.status == 0 && memcmp(&m.id, &zero, sizeof(zero)) != 0) {
		/* The id came from a 36-character segment of the path. */
		char s[UUID_STR_LEN + 1];
		struct uuid back;
		uuid_format(&m.id, s);
		FUZZ_ASSERT(uuid_parse(s, UUID_STR_LEN, &back) == 0);
		FUZZ_ASSERT(memcmp(&back, &m.id, sizeof(back)) == 0);
	}
	free(method);
	free(path);
	return 0;
}
