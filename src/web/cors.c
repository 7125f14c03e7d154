#include "build_config.h"

#include <string.h>

#include "web/cors.h"
#include "base/banned.h"

/* What a token's page sends beyond a simple request, and reads back. */
#define ALLOWED_HEADERS "Authorization, Content-Type, If-None-Match, Last-Event-ID"
#define EXPOSED_HEADERS "ETag, Retry-After, Location"
#define PREFLIGHT_MAX_AGE_S 600

/* Whether `list`, words separated by any of `seps`, holds `word` exactly. */
static int word_listed(const char *list, const char *seps, const char *word)
{
	size_t len = word ? strlen(word) : 0;
	if (len == 0)
		return 0;
	for (const char *p = list; p && *p;) {
		p += strspn(p, seps);
		size_t n = strcspn(p, seps);
		if (n == len && memcmp(p, word, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

int cors_origin_allowed(const struct config *cfg, const char *origin)
{
	return word_listed(cfg->cors_origins, " \t", origin);
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
	/* allow is an Allow header's value: "GET, HEAD". */
	if (!word_listed(allow, ", ", method)) {
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
