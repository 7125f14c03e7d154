#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "web/router.h"
#include "base/banned.h"

struct route_entry {
	const char *method;
	const char *pattern;   /* "{id}" stands for one path segment holding a UUID */
	enum route route;
};

static const struct route_entry routes[] = {
	{ "POST", "/api/v1/generation-requests", ROUTE_REQUEST_CREATE },
	{ "GET", "/api/v1/generation-requests", ROUTE_REQUEST_LIST },
	{ "GET", "/api/v1/generation-requests/{id}", ROUTE_REQUEST_GET },
	{ "POST", "/api/v1/generation-requests/{id}/cancel", ROUTE_REQUEST_CANCEL },
	{ "POST", "/api/v1/worker/claim", ROUTE_WORKER_CLAIM },
	{ "POST", "/api/v1/worker/generation-requests/{id}/heartbeat", ROUTE_WORKER_HEARTBEAT },
	{ "POST", "/api/v1/worker/generation-requests/{id}/entities", ROUTE_WORKER_ENTITIES },
	{ "POST", "/api/v1/worker/generation-requests/{id}/complete", ROUTE_WORKER_COMPLETE },
	{ "GET", "/healthz", ROUTE_HEALTHZ },
	{ "GET", "/metrics", ROUTE_METRICS },
	{ "GET", "/admin/", ROUTE_ADMIN_HOME },
	{ "GET", "/admin/generations/{id}", ROUTE_ADMIN_DETAIL },
	{ "POST", "/admin/generations/{id}/fail", ROUTE_ADMIN_FAIL },
	{ "POST", "/admin/generations/{id}/cancel", ROUTE_ADMIN_CANCEL },
	{ "POST", "/admin/generations/{id}/retry", ROUTE_ADMIN_RETRY },
	{ "GET", "/admin/bulk-cancel", ROUTE_ADMIN_BULK_PREVIEW },
	{ "POST", "/admin/bulk-cancel", ROUTE_ADMIN_BULK_CANCEL },
	{ "GET", "/admin/logout", ROUTE_ADMIN_LOGOUT },
	{ "GET", "/admin/static/admin.js", ROUTE_ADMIN_JS },
	{ "GET", "/admin/static/admin.css", ROUTE_ADMIN_CSS },
	{ "GET", "/admin/api/stuck", ROUTE_ADMIN_API_STUCK },
	{ "POST", "/admin/api/generations/{id}/fail", ROUTE_ADMIN_API_FAIL },
	{ "POST", "/admin/api/generations/{id}/cancel", ROUTE_ADMIN_API_CANCEL },
	{ "POST", "/admin/api/generations/{id}/retry", ROUTE_ADMIN_API_RETRY },
};

#define ID_PLACEHOLDER "{id}"

/*
 * Compares path against pattern segment by segment. Returns 1 on a match and
 * points *id_seg at the {id} segment (if the pattern has one).
 */
static int pattern_matches(const char *pattern, const char *path, size_t path_len,
			   const char **id_seg, size_t *id_len)
{
	const char *p = pattern;
	size_t i = 0;
	*id_seg = NULL;
	*id_len = 0;
	while (*p) {
		if (!strncmp(p, ID_PLACEHOLDER, strlen(ID_PLACEHOLDER))) {
			size_t start = i;
			while (i < path_len && path[i] != '/')
				i++;
			if (i == start)
				return 0;
			*id_seg = path + start;
			*id_len = i - start;
			p += strlen(ID_PLACEHOLDER);
			continue;
		}
		if (i >= path_len || path[i] != *p)
			return 0;
		i++;
		p++;
	}
	return i == path_len;
}

/* Whether the "GET, POST" list holds exactly this method. */
static int allow_has(const char *allow, const char *method)
{
	size_t mlen = strlen(method);
	for (const char *p = allow; *p; ) {
		size_t tok = strcspn(p, ",");
		if (tok == mlen && !strncmp(p, method, mlen))
			return 1;
		p += tok;
		p += strspn(p, ", ");
	}
	return 0;
}

static void allow_add(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow);
	if (allow_has(allow, method))
		return;
	snprintf(allow + len, size - len, "%s%s", len ? ", " : "", method);
}

void router_match(const char *method, const char *path, size_t path_len,
		  struct route_match *m)
{
	int path_known = 0;
	const char *bad_id = NULL;

	memset(m, 0, sizeof(*m));
	for (size_t r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
		const char *seg;
		size_t seg_len;
		if (!pattern_matches(routes[r].pattern, path, path_len, &seg, &seg_len))
			continue;
		path_known = 1;
		allow_add(m->allow, sizeof(m->allow), routes[r].method);
		if (seg && uuid_parse(seg, seg_len, &m->id) < 0) {
			bad_id = seg;
			continue;
		}
		if (strcmp(method, routes[r].method))
			continue;
		m->route = routes[r].route;
		m->status = 0;
		m->allow[0] = '\0';
		return;
	}
	if (!path_known)
		m->status = 404;
	else if (bad_id && allow_has(m->allow, method))
		m->status = 400;
	else
		m->status = 405;
	memset(&m->id, 0, sizeof(m->id));
}
