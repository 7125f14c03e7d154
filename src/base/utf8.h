#ifndef GENTRACK_UTF8_H
#define GENTRACK_UTF8_H

#include <stddef.h>

/*
 * UTF-8 checks for text that ends up inside JSON we write: problem details
 * that quote input or are cut at a byte limit, and generator error texts.
 * Valid means RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF.
 */

/* Length (1..4) of the valid character at s, looking at most `avail` bytes; 0 if none. */
size_t utf8_char_len(const unsigned char *s, size_t avail);
/* In place, NUL-terminated: every byte that is not part of a valid character becomes '?'. */
void utf8_sanitize(char *text);
/*
 * Copies s (len bytes) into out (of size outlen >= 4) as valid UTF-8 of at most
 * outlen - 1 bytes: invalid bytes and control characters other than tab and
 * newline become '?', and a cut never splits a character. Returns the length.
 */
size_t utf8_sanitize_copy(const char *s, size_t len, char *out, size_t outlen);

#endif
