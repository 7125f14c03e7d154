#ifndef GENTRACK_STRBUF_H
#define GENTRACK_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A growable byte buffer, always NUL-terminated after `len` bytes.
 *
 * Allocation failure is sticky: once an append fails, `oom` is set, every
 * later append is a no-op, and the caller checks `oom` once at the end instead
 * of after every call. A zero-initialised struct (STRBUF_INIT) is valid and
 * empty; `buf` then points at a static "" until the first append.
 */
struct strbuf {
	char *buf;    /* the bytes; never NULL */
	size_t len;   /* bytes used, excluding the terminating NUL */
	size_t alloc; /* bytes allocated; 0 while buf is the static "" */
	int oom;      /* non-zero once an allocation has failed */
};

extern char strbuf_empty[];
#define STRBUF_INIT { strbuf_empty, 0, 0, 0 }

void strbuf_init(struct strbuf *sb);
/* Frees the storage and leaves an empty, reusable buffer. */
void strbuf_release(struct strbuf *sb);
/*
 * Empties the buffer but keeps its storage (for reuse across requests); also
 * clears oom, since the failed content is gone.
 */
void strbuf_reset(struct strbuf *sb);
/* Makes room for `extra` more bytes. 0, or -1 (and oom set). */
int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, char c);
/* A decimal integer, as "%lld" / "%llu" would add it, without printf. */
int strbuf_add_i64(struct strbuf *sb, long long v);
int strbuf_add_u64(struct strbuf *sb, unsigned long long v);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/*
 * Hands the storage to the caller (you now own it; free() it) and leaves an
 * empty buffer. Returns NULL when the buffer is oom (the storage is then
 * freed and the buffer left empty and usable). `len` may be NULL.
 */
char *strbuf_detach(struct strbuf *sb, size_t *len);

#endif
