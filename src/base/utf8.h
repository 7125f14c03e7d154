#ifndef GENTRACK_UTF8_H
#define GENTRACK_UTF8_H

#include <stdarg.h>
#include <stddef.h>

/*
 * UTF-8 checks for text that ends up inside JSON we write: problem details
 * that quote input or are cut at a byte limit, and generator error texts.
 * Valid means RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF.
 */

/* Length (1..4) of the valid character at s, looking at most `avail` bytes; 0 if none. */
size_t utf8_char_len(const unsigned char *s, size_t avail);
/* 1 when s (len bytes) is whole valid characters only, else 0. */
int utf8_valid(const char *s, size_t len);
/* In place, NUL-terminated: every byte that is not part of a valid character becomes '?'. */
void utf8_sanitize(char *text);
/*
 * Copies s (len bytes) into out (of size outlen >= 4) as valid UTF-8 of at most
 * outlen - 1 bytes: invalid bytes and control characters other than tab and
 * newline become '?', and a cut never splits a character. Returns the length.
 */
size_t utf8_sanitize_copy(const char *s, size_t len, char *out, size_t outlen);

/*
 * Cutting text at a byte limit without splitting a character: a half
 * character is not UTF-8, and MariaDB's utf8mb4 columns refuse it in strict
 * mode. A cut "splits" when it falls after a lead byte and before the
 * continuation bytes that lead byte announces; text that is not UTF-8 to
 * begin with is cut where it is (utf8_sanitize copes with that).
 */
/* The longest prefix of s (len bytes) of at most max bytes that ends on a character boundary. */
size_t utf8_prefix_len(const char *s, size_t len, size_t max);
/* len, less an incomplete character at the end of s (len bytes) that a cut left behind. */
size_t utf8_whole_len(const char *s, size_t len);
/*
 * The bytes (0..3) at the start of s (len bytes) that continue a character
 * begun before it: what to skip when only the tail of a text was kept.
 */
size_t utf8_partial_head(const char *s, size_t len);
/*
 * vsnprintf/snprintf that, when the text does not fit, drop the character
 * the cut would split. Same return value: the length the whole text needs.
 */
int utf8_vsnprintf(char *out, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int utf8_snprintf(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
