#include "build_config.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/jsonw.h"
#include "web/problem.h"
#include "base/utf8.h"
#include "base/banned.h"

struct status_entry {
	int status;
	const char *slug;
	const char *title;
};

static const struct status_entry statuses[] = {
	{ 400, "invalid-request", "Bad Request" },
	{ 401, "unauthorized", "Unauthorized" },
	{ 403, "forbidden", "Forbidden" },
	{ 404, "not-found", "Not Found" },
	{ 405, "method-not-allowed", "Method Not Allowed" },
	{ 409, "conflict", "Conflict" },
	{ 413, "body-too-large", "Content Too Large" },
	{ 415, "unsupported-media-type", "Unsupported Media Type" },
	{ 422, "unprocessable", "Unprocessable Content" },
	{ 429, "too-many-requests", "Too Many Requests" },
	{ 500, "internal-error", "Internal Server Error" },
	{ 503, "store-unavailable", "Service Unavailable" },
};

static const struct status_entry *status_lookup(int status)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return &statuses[i];
	return NULL;
}

const char *problem_status_title(int status)
{
	const struct status_entry *e = status_lookup(status);
	return e ? e->title : "Error";
}

struct problem *problem_set(struct problem *p, int status, const char *slug,
			    const char *fmt, ...)
{
	va_list ap;
	p->status = status;
	p->slug = slug;
	p->extra_key = NULL;
	p->extra_value[0] = '\0';
	p->extra_int_key = NULL;
	p->extra_int = 0;
	va_start(ap, fmt);
	/* Details quote input and are cut at a byte limit: the cut drops the
	 * character it would split, and bytes of input that are not UTF-8
	 * become '?', or the body would not be JSON. */
	utf8_vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
	va_end(ap);
	utf8_sanitize(p->detail);
	return p;
}

void problem_render(const struct problem *p, struct strbuf *sb)
{
	const struct status_entry *e = status_lookup(p->status);
	const char *slug = p->slug ? p->slug : (e ? e->slug : "error");
	struct jsonw w;

	jsonw_init(&w, sb);
	jsonw_object_begin(&w);
	/* The slug is a static identifier of ours, never input: no escaping. */
	char type[96];
	int n = snprintf(type, sizeof(type), "\"urn:gentrack:problem:%s\"", slug);
	jsonw_key(&w, "type");
	jsonw_raw(&w, type, n > 0 && (size_t)n < sizeof(type) ? (size_t)n : 0);
	jsonw_key(&w, "title");
	jsonw_cstr(&w, e ? e->title : "Error");
	jsonw_key(&w, "status");
	jsonw_int(&w, p->status);
	jsonw_key(&w, "detail");
	jsonw_cstr(&w, p->detail);
	if (p->extra_key) {
		jsonw_key(&w, p->extra_key);
		jsonw_cstr(&w, p->extra_value);
	}
	if (p->extra_int_key) {
		jsonw_key(&w, p->extra_int_key);
		jsonw_int(&w, p->extra_int);
	}
	jsonw_object_end(&w);
}
