/*
 * Helpers shared by the libFuzzer targets: copies of the input in the shapes
 * the parsers take, and invariant checks that abort (libFuzzer then keeps the
 * input as a crash reproducer).
 */
#ifndef GENTRACK_FUZZ_H
#define GENTRACK_FUZZ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/problem.h"
#include "base/strbuf.h"
#include "base/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant that must hold for every input. */
#define FUZZ_ASSERT(cond)                                                          \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                                  \
			abort();                                                   \
		}                                                                  \
	} while (0)

/* An exact-size copy (no NUL after it): ASan sees any read past `size`. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	FUZZ_ASSERT(p);
	if (size)
		memcpy(p, data, size);
	return p;
}

/* A NUL-terminated copy, cut at the first NUL of the input (a C-string API
 * cannot see past it anyway, as FastCGI params cannot hold one). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t n = nul ? (size_t)(nul - data) : size;
	char *p = malloc(n + 1);
	FUZZ_ASSERT(p);
	memcpy(p, data, n);
	p[n] = '\0';
	return p;
}

/* Whether s[0..len) is valid UTF-8 (RFC 3629). */
static inline int fuzz_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_char_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * The problem a refused input produced: a 4xx/5xx status, a NUL-terminated
 * UTF-8 detail, and a rendering that jansson parses back as an object whose
 * "detail" and "status" are the ones set.
 */
static inline void fuzz_check_problem(const struct problem *p)
{
	FUZZ_ASSERT(p->status >= 400 && p->status <= 599);
	FUZZ_ASSERT(memchr(p->detail, '\0', sizeof(p->detail)) != NULL);
	FUZZ_ASSERT(fuzz_utf8_valid(p->detail, strlen(p->detail)));

	struct strbuf sb = STRBUF_INIT;
	problem_render(p, &sb);
	FUZZ_ASSERT(!sb.oom);
	json_error_t jerr;
	json_t *root = json_loadb(sb.buf, sb.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		fprintf(stderr, "problem body is not JSON: %s\n%s\n", jerr.text, sb.buf);
	FUZZ_ASSERT(root != NULL);
	FUZZ_ASSERT(json_is_object(root));
	FUZZ_ASSERT(json_integer_value(json_object_get(root, "status")) == p->status);
	const char *detail = json_string_value(json_object_get(root, "detail"));
	FUZZ_ASSERT(detail && strcmp(detail, p->detail) == 0);
	FUZZ_ASSERT(json_is_string(json_object_get(root, "type")));
	FUZZ_ASSERT(json_is_string(json_object_get(root, "title")));
	json_decref(root);
	strbuf_release(&sb);
}

/* Text a parser re-encoded as a compact JSON object parses back as one. */
static inline void fuzz_check_object_text(const char *text)
{
	FUZZ_ASSERT(text != NULL);
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_ASSERT(v && json_is_object(v));
	json_decref(v);
}

#endif
