#ifndef GENTRACK_JSONW_H
#define GENTRACK_JSONW_H

#include <stddef.h>
#include "base/strbuf.h"

/*
 * A streaming JSON text writer into a strbuf: compact output, commas placed
 * automatically. Used for responses, where building a jansson tree and dumping
 * it would allocate per value on the hot path.
 *
 *	struct jsonw w; jsonw_init(&w, &sb);
 *	jsonw_object_begin(&w);
 *	jsonw_key(&w, "id"); jsonw_cstr(&w, "x");
 *	jsonw_object_end(&w);           -> {"id":"x"}
 *
 * Strings are assumed to be valid UTF-8 (the service only writes what it
 * validated or made itself); quote, backslash and control characters are
 * escaped (\", \\, \n, \r, \t, \b, \f, else \u00XX), and so are U+2028/U+2029
 * and '<', '>' and '&' (as \u003c etc.) so output is safe to embed in HTML.
 * Errors (nesting deeper than JSONW_MAX_DEPTH, allocation, an end without a
 * begin, a key outside an object or without a value) surface as sb->oom
 * or w->error; check once at the end with jsonw_failed().
 */
#define JSONW_MAX_DEPTH 32

struct jsonw {
	struct strbuf *sb;                   /* borrowed output buffer */
	int depth;                           /* current nesting level */
	unsigned char first[JSONW_MAX_DEPTH]; /* 1 while no value yet at a level */
	int after_key;                       /* a key was written, value is next */
	int error;                           /* misuse such as overflowing depth */
};

void jsonw_init(struct jsonw *w, struct strbuf *sb);
void jsonw_object_begin(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array_begin(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* Writes "key": (escaped) inside an object. */
void jsonw_key(struct jsonw *w, const char *key);
/* A string value of `len` bytes (may contain NUL, written as \u0000). */
void jsonw_string(struct jsonw *w, const char *s, size_t len);
/* A NUL-terminated string value, or null when s is NULL. */
void jsonw_cstr(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, long long v);
/* A finite double in shortest round-trip form ("0.6", "1", "0.3333333333333333"); non-finite becomes null. */
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* An already-encoded JSON value, copied verbatim (caller guarantees validity). */
void jsonw_raw(struct jsonw *w, const char *json, size_t len);
/* Non-zero when anything failed (allocation or misuse). */
int jsonw_failed(const struct jsonw *w);
/* Appends `s` (len bytes) to sb as the *inside* of a JSON string (no quotes). */
void jsonw_escape_into(struct strbuf *sb, const char *s, size_t len);

#endif
