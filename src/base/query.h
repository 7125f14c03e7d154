#ifndef GENTRACK_QUERY_H
#define GENTRACK_QUERY_H

#include <stddef.h>

/*
 * Parses a URL query string (the part after '?', as in QUERY_STRING):
 * pairs separated by '&', name and value separated by the first '=' (a pair
 * without '=' has the value ""), '+' decodes to a space, %XX (either case) to
 * its byte. Empty pairs ("a=1&&b=2") are skipped.
 * Refused, with a message in err naming the parameter: a '%' not followed by
 * two hex digits, a decoded NUL byte (%00), and more than QUERY_MAX_PARAMS pairs.
 * Decoded bytes are not checked as UTF-8 here; handlers validate their values.
 */
#define QUERY_MAX_PARAMS 32

struct query_param {
	char *name;       /* decoded, NUL-terminated, owned by the query */
	char *value;      /* decoded, NUL-terminated, owned by the query */
	size_t value_len;
};

struct query {
	struct query_param *params; /* in order of appearance */
	size_t count;
};

/*
 * 0, or -1 with a message in err. qs may be NULL (no QUERY_STRING), meaning
 * no parameters. On failure *out holds nothing to release.
 */
int query_parse(const char *qs, struct query *out, char *err, size_t errlen);
/* The first value of `name`, or NULL. Borrowed from q. */
const char *query_get(const struct query *q, const char *name);
/* How many times `name` occurs (handlers refuse repeated parameters). */
size_t query_count(const struct query *q, const char *name);
void query_release(struct query *q);
/*
 * A parameter holding a whole number: digits only (no sign, no blank), no
 * more digits than `max` has, and within min..max (max below 10^19).
 * 0 with *out set, or -1.
 */
int query_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out);

#endif
