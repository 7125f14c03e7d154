#ifndef GENTRACK_UUID_H
#define GENTRACK_UUID_H

#include <stddef.h>
#include <stdint.h>

/* A UUID as its 16 big-endian bytes: the form stored in BINARY(16) columns. */
struct uuid {
	unsigned char b[16];
};

#define UUID_STR_LEN 36 /* without the terminating NUL */

/*
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, 12-bit rand_a,
 * variant 10, 62-bit rand_b, random bits from libsodium.
 *
 * Monotonic within one generator (RFC 9562 §6.2 method 3-like): when `unix_ms`
 * is not after the previous call's, the previous timestamp is reused and the
 * 74 random bits are incremented by a random step in 1..2^16, so ids made by
 * one process always sort after each other even within one millisecond or if
 * the clock steps back. The clock is passed in so tests can fix it.
 */
struct uuid_gen {
	int64_t last_ms;     /* timestamp of the previous id, -1 before the first */
	struct uuid last;    /* the previous id */
};

void uuid_gen_init(struct uuid_gen *g);
/* Makes the next id. 0, or -1 when unix_ms is negative or past 2^48. */
int uuid_v7_next(struct uuid_gen *g, int64_t unix_ms, struct uuid *out);
/* Milliseconds of a v7 id's timestamp field. */
int64_t uuid_v7_unix_ms(const struct uuid *u);
/* Canonical lowercase 8-4-4-4-12 form; out has room for UUID_STR_LEN + 1. */
void uuid_format(const struct uuid *u, char out[UUID_STR_LEN + 1]);
/*
 * Parses exactly the canonical 36-character form (hex digits either case).
 * `len` is the length of s (s need not be NUL-terminated). 0, or -1 if not a UUID.
 */
int uuid_parse(const char *s, size_t len, struct uuid *out);
/* memcmp order, which for v7 ids is creation order. */
int uuid_compare(const struct uuid *a, const struct uuid *b);

#endif
