#include "build_config.h"

#include <string.h>

#include "web/cors.h"
#include "base/banned.h"

/* What a token's page sends beyond a simple request, and reads back. */
#define ALLOWED_HEADERS "Authorization, Content-Type, If-None-Match, Last-Event-ID"
#define EXPOSED_HEADERS "ETag, Retry-After, Location"
#define PREFLIGHT_MAX_AGE_S 600

int cors_origin_allowed(const struct config *cfg, const char *origin)
{
	size_t len = origin ? strlen(origin) : 0;
	if (len == 0)
		return 0;
	for (const char *p = cfg->cors_origins; p && *p;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t");
		if (n == len && memcmp(p, origin, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* Whether the comma-separated list `allow` names `method`. */
static int method_listed(const char *allow, const char *method)
{
	size_t mlen = strlen(method);
	for (const char *p = allow; *p;) {
		p += strspn(p, ", ");
		size_t n = strcspn(p, ",");
		if (n == mlen && memcmp(p, method, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

void cors_preflight(struct call *c, const char *allow)
{
	struct problem p;
	const char *origin = http_param(c->req, "HTTP_ORIGIN");
	const char *method = http_param(c->req, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");

	if (!cors_origin_allowed(c->cfg, origin)) {
		handler_problem(c, problem_set(&p, 403, "origin-not-allowed",
					       "this origin is not in [http] cors_origins"));
		return;
	}
	if (!method || !method_listed(allow, method)) {
		handler_problem(c, problem_set(&p, 403, "method-not-allowed-cross-origin",
					       "a cross-origin page may send only %s here", allow));
		return;
	}
	c->resp->status = 204;
	http_add_header(c->resp, "Access-Control-Allow-Origin", "%s", origin);
	http_add_header(c->resp, "Access-Control-Allow-Methods", "%s", allow);
	http_add_header(c->resp, "Access-Control-Allow-Headers", ALLOWED_HEADERS);
	http_add_header(c->resp, "Access-Control-Max-Age", "%d", PREFLIGHT_MAX_AGE_S);
	http_add_header(c->resp, "Vary", "Origin");
}

void cors_add_headers(struct call *c)
{
	const char *origin = http_param(c->req, "HTTP_ORIGIN");
	/* Vary on every answer: a cache must not hand one origin's to another. */
	http_add_header(c->resp, "Vary", "Origin");
	if (!cors_origin_allowed(c->cfg, origin))
		return;
	http_add_header(c->resp, "Access-Control-Allow-Origin", "%s", origin);
	http_add_header(c->resp, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
}
