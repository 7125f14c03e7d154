#include "build_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/utf8.h"
#include "base/banned.h"

size_t utf8_char_len(const unsigned char *s, size_t avail)
{
	size_t n;
	unsigned min, cp;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2; min = 0x80; cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3; min = 0x800; cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4; min = 0x10000; cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len((const unsigned char *)s + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

void utf8_sanitize(char *text)
{
	unsigned char *s = (unsigned char *)text;
	size_t left = strlen(text);
	while (left) {
		size_t n = utf8_char_len(s, left);
		if (n == 0) {
			*s = '?';
			n = 1;
		}
		s += n;
		left -= n;
	}
}

size_t utf8_sanitize_copy(const char *s, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;
	while (i < len) {
		size_t n = utf8_char_len(p + i, len - i);
		if (n == 0) {
			/* One invalid byte becomes one '?'. */
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n >= outlen)
			break;
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f) && p[i] != '\n' && p[i] != '\t')
			out[o++] = '?';
		else
			memcpy(out + o, p + i, n), o += n;
		i += n;
	}
	out[o] = '\0';
	return o;
}

static int is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* How many bytes the character that lead byte c starts says it has; 1 for anything else. */
static size_t announced_len(unsigned char c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 1;
}

size_t utf8_whole_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t lead = len;
	/* Back over at most 3 continuation bytes to the byte that began them. */
	while (lead > 0 && len - lead < 3 && is_continuation(p[lead - 1]))
		lead--;
	if (lead == 0)
		return len;
	lead--;
	return lead + announced_len(p[lead]) > len ? lead : len;
}

size_t utf8_prefix_len(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	/* A cut before a lead byte (or ASCII) splits nothing. */
	if (!is_continuation((unsigned char)s[max]))
		return max;
	return utf8_whole_len(s, max);
}

size_t utf8_partial_head(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	while (n < len && n < 3 && is_continuation(p[n]))
		n++;
	return n;
}

int utf8_vsnprintf(char *out, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(out, size, fmt, ap);
	if (n >= 0 && size > 0 && (size_t)n >= size)
		out[utf8_whole_len(out, size - 1)] = '\0';
	return n;
}

int utf8_snprintf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = utf8_vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return n;
}
