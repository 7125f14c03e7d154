#ifndef GENTRACK_COOKIE_H
#define GENTRACK_COOKIE_H

#include <stddef.h>

/*
 * The value of one cookie in a Cookie request header (RFC 6265 5.4:
 * "name=value" pairs separated by "; "), as a FastCGI param hands it over.
 * Pure and bounded by the header: fuzzed in tests/fuzz/fuzz_headers.c.
 */

/*
 * Finds the first pair named exactly `name` (case-sensitive, blanks around
 * pairs skipped) in `header` (NULL: no header). 0 with *value pointing into
 * header and *len its length (double quotes around it dropped); -1 when
 * there is no such pair.
 */
int cookie_get(const char *header, const char *name, const char **value, size_t *len);

#endif
