#ifndef GENTRACK_NUMBER_H
#define GENTRACK_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Digits into numbers for the parsers of base/ (durations, sizes, query
 * strings, UUIDs). Stricter than strtol & co on purpose: no locale, no sign,
 * no blanks, no base prefix, and overflow is an error rather than a clamp.
 */

/* 0..15 for [0-9a-fA-F], else -1. */
int number_hex_digit(char c);

/* A unit suffix and what it multiplies the number by. */
struct number_unit {
	char suffix;
	int64_t scale;
};

/*
 * A non-negative decimal integer with an optional one-character unit from
 * units (ended by an entry with suffix '\0'; NULL: no unit allowed) that
 * multiplies it: "600", "10m", "64k". Rejects an empty string, signs,
 * blanks, other suffixes, anything after the unit and results past
 * INT64_MAX. 0 with *out set, or -1 with *out untouched.
 */
int number_parse(const char *s, const struct number_unit *units, int64_t *out);

/* The most digits number_u64_format writes. */
#define NUMBER_U64_DIGITS 20

/*
 * v in decimal into out (room for NUMBER_U64_DIGITS), no NUL: the number of
 * digits written. What "%" PRIu64 prints, without printf's machinery on the
 * answers' hot path (headers, JSON numbers).
 */
size_t number_u64_format(uint64_t v, char *out);

#endif
