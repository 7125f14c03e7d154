#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "model/resource.h"
#include "web/router.h"
#include "base/banned.h"

enum placeholder { PH_NONE, PH_ID, PH_TYPE };
static const char *const placeholders[] = { [PH_ID] = "{id}", [PH_TYPE] = "{type}" };

/* The placeholder at p, or PH_NONE. */
static enum placeholder placeholder_at(const char *p)
{
	for (int k = PH_ID; k <= PH_TYPE; k++)
		if (!strncmp(p, placeholders[k], strlen(placeholders[k])))
			return (enum placeholder)k;
	return PH_NONE;
}

/*
 * Compares path against pattern segment by segment. Returns 1 on a match and
 * points *seg at the segment of its placeholder ({id} or {type}, *kind says
 * which) if the pattern has one.
 */
static int pattern_matches(const char *pattern, const char *path, size_t path_len,
			   const char **seg, size_t *seg_len, enum placeholder *kind)
{
	const char *p = pattern;
	size_t i = 0;
	*seg = NULL;
	*seg_len = 0;
	*kind = PH_NONE;
	while (*p) {
		/* Every request walks the table: look for a placeholder only at its brace. */
		enum placeholder ph = *p == '{' ? placeholder_at(p) : PH_NONE;
		if (ph != PH_NONE) {
			size_t start = i;
			while (i < path_len && path[i] != '/')
				i++;
			if (i == start)
				return 0;
			*seg = path + start;
			*seg_len = i - start;
			*kind = ph;
			p += strlen(placeholders[ph]);
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
		enum placeholder kind;
		size_t seg_len;
		if (!pattern_matches(rt->pattern, path, path_len, &seg, &seg_len, &kind))
			continue;
		path_known = 1;
		m->flags |= rt->flags;
		allow_add(m->allow, sizeof(m->allow), rt->method);
		int same_method = route_serves(rt->method, method);
		int bad = 0;
		if (kind == PH_ID)
			bad = uuid_parse(seg, seg_len, &m->id) < 0;
		else if (kind == PH_TYPE && (bad = !resource_entity_type_valid(seg, seg_len)) == 0)
			snprintf(m->entity_type, sizeof(m->entity_type), "%.*s", (int)seg_len, seg);
		if (bad) {
			/* The first route of this method whose id (or type) is bad:
			 * its credential is checked before the 400 is answered. */
			if (same_method && !bad_id)
				bad_id = rt;
			continue;
		}
		if (!same_method)
			continue;
		m->route = rt;
		m->status = 0;
		m->allow[0] = '\0';
		/* Only this route's segment: nothing from a route tried before it. */
		if (kind != PH_ID)
			memset(&m->id, 0, sizeof(m->id));
		if (kind != PH_TYPE)
			m->entity_type[0] = '\0';
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
	m->entity_type[0] = '\0';
}
