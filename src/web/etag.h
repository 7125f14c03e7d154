#ifndef GENTRACK_ETAG_H
#define GENTRACK_ETAG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Entity tags of the request resource. A request row carries a `version`
 * that every change increments, so the tag is the version, quoted:
 * "\"v42\"". Strong tags: the same version is byte-for-byte the same body.
 */
#define ETAG_MAX_LEN 32

/* Writes "\"v<version>\"" into out (ETAG_MAX_LEN bytes). */
void etag_format(uint64_t version, char out[ETAG_MAX_LEN]);
/*
 * True (1) when an If-None-Match header value matches `etag` under the weak
 * comparison of RFC 9110 §13.1.2: "*", or a comma-separated list of entity
 * tags with optional W/ prefixes and optional whitespace. A malformed header
 * matches nothing (0). header may be NULL.
 */
int etag_none_match(const char *header, const char *etag);
/*
 * The version named by an If-None-Match value that is exactly one of our
 * tags ("\"v42\"", optionally W/ and surrounded by whitespace), so a poll can
 * skip reading what the client already has; -1 for anything else.
 */
long long etag_single_version(const char *header);

#endif
