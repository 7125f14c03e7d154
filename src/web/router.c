#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "web/router.h"
#include "base/banned.h"

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
	/* Where GET is allowed, so is HEAD (RFC 9110 9.3.2): see route_serves. */
	if (!strcmp(method, "GET"))
		allow_add(allow, size, "HEAD");
}

/* Whether a route of `route_method` serves a request of `method`: HEAD is a GET without its body. */
static int route_serves(const char *route_method, const char *method)
{
	return !strcmp(method, route_method) ||
	       (!strcmp(method, "HEAD") && !strcmp(route_method, "GET"));
}

void router_match(const struct route_table *t, const char *method, const char *path,
		  size_t path_len, struct route_match *m)
{
	int path_known = 0;
	const struct route *bad_id = NULL;

	memset(m, 0, sizeof(*m));
	for (size_t a = 0; a < t->area_count; a++) {
		size_t plen = strlen(t->areas[a].prefix);
		if (path_len >= plen && !memcmp(path, t->areas[a].prefix, plen))
			m->flags |= t->areas[a].flags;
	}
	for (size_t r = 0; r < t->count; r++) {
		const struct route *rt = &t->routes[r];
		const char *seg;
		size_t seg_len;
		if (!pattern_matches(rt->pattern, path, path_len, &seg, &seg_len))
			continue;
		path_known = 1;
		m->flags |= rt->flags;
		allow_add(m->allow, sizeof(m->allow), rt->method);
		int same_method = route_serves(rt->method, method);
		if (seg && uuid_parse(seg, seg_len, &m->id) < 0) {
			/* The first route of this method whose id is bad: its
			 * credential is checked before the 400 is answered. */
			if (same_method && !bad_id)
				bad_id = rt;
			continue;
		}
		if (!same_method)
			continue;
		m->route = rt;
		m->status = 0;
		m->allow[0] = '\0';
		return;
	}
	if (!path_known) {
		m->status = 404;
	} else if (bad_id) {
		m->status = 400;
		m->route = bad_id;
	} else {
		m->status = 405;
	}
	memset(&m->id, 0, sizeof(m->id));
}
