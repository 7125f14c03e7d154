#include "build_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/number.h"
#include "base/strbuf.h"
#include "base/banned.h"

/* Shared by every empty buffer, so an untouched strbuf costs no allocation. */
char strbuf_empty[1];

void strbuf_init(struct strbuf *sb)
{
	sb->buf = strbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	sb->oom = 0;
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	/* The static "" must never be written to. */
	if (sb->alloc)
		sb->buf[0] = '\0';
	sb->oom = 0;
}

int strbuf_grow(struct strbuf *sb, size_t extra)
{
	if (sb->oom)
		return -1;
	if (extra > SIZE_MAX - sb->len - 1)
		goto fail;
	size_t need = sb->len + extra + 1;
	if (need <= sb->alloc)
		return 0;
	size_t want = sb->alloc < 64 ? 64 : sb->alloc;
	while (want < need) {
		if (want > SIZE_MAX / 2) {
			want = need;
			break;
		}
		want *= 2;
	}
	char *p = realloc(sb->alloc ? sb->buf : NULL, want);
	if (!p)
		goto fail;
	if (!sb->alloc)
		p[0] = '\0';
	sb->buf = p;
	sb->alloc = want;
	return 0;
fail:
	sb->oom = 1;
	return -1;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (strbuf_grow(sb, len) < 0)
		return -1;
	/* memcpy with a NULL source is undefined even for 0 bytes. */
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, char c)
{
	return strbuf_add(sb, &c, 1);
}

int strbuf_add_u64(struct strbuf *sb, unsigned long long v)
{
	char digits[NUMBER_U64_DIGITS];
	return strbuf_add(sb, digits, number_u64_format(v, digits));
}

int strbuf_add_i64(struct strbuf *sb, long long v)
{
	char digits[NUMBER_U64_DIGITS + 1];
	size_t n = 0;
	/* The magnitude as unsigned: LLONG_MIN has no positive counterpart. */
	unsigned long long m = (unsigned long long)v;
	if (v < 0) {
		digits[n++] = '-';
		m = 0 - m;
	}
	n += number_u64_format(m, digits + n);
	return strbuf_add(sb, digits, n);
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

int strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	if (sb->oom)
		return -1;
	/* First try in the room we already have: most appends are short. */
	size_t avail = sb->alloc ? sb->alloc - sb->len : 0;
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(avail ? sb->buf + sb->len : NULL, avail, fmt, cp);
	va_end(cp);
	if (n < 0)
		goto fail;
	if ((size_t)n >= avail) {
		if (strbuf_grow(sb, (size_t)n) < 0)
			return -1;
		va_copy(cp, ap);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
		va_end(cp);
		if (n < 0)
			goto fail;
	}
	sb->len += (size_t)n;
	return 0;
fail:
	/* A failed vsnprintf may have scribbled past len. */
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
	sb->oom = 1;
	return -1;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *out = NULL;
	if (sb->oom)
		goto cleanup;
	if (!sb->alloc && strbuf_grow(sb, 0) < 0)
		goto cleanup;
	out = sb->buf;
	if (len)
		*len = sb->len;
	strbuf_init(sb);
	return out;
cleanup:
	strbuf_release(sb);
	if (len)
		*len = 0;
	return NULL;
}
