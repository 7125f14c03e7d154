#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "admin/html.h"
#include "base/banned.h"


/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2; cp = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; cp = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; cp = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void html_escape(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		size_t run = i;
		/* Copy the plain stretch at once; stop at anything that needs care. */
		while (run < len && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '&' &&
		       p[run] != '<' && p[run] != '>' && p[run] != '"' && p[run] != '\'')
			run++;
		strbuf_add(sb, s + i, run - i);
		i = run;
		if (i >= len)
			break;
		switch (p[i]) {
		case '&': strbuf_addstr(sb, "&amp;"); i++; continue;
		case '<': strbuf_addstr(sb, "&lt;"); i++; continue;
		case '>': strbuf_addstr(sb, "&gt;"); i++; continue;
		case '"': strbuf_addstr(sb, "&quot;"); i++; continue;
		case '\'': strbuf_addstr(sb, "&#39;"); i++; continue;
		case '\n': case '\t': case '\r': strbuf_addch(sb, (char)p[i]); i++; continue;
		default: break;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			i++;
			continue;
		}
		size_t n = utf8_seq(p + i, len - i);
		if (n == 0) {
			strbuf_addstr(sb, "\xef\xbf\xbd");
			i++;
		} else {
			strbuf_add(sb, s + i, n);
			i += n;
		}
	}
}

void html_text(struct strbuf *sb, const char *s)
{
	if (s)
		html_escape(sb, s, strlen(s));
}

void html_cut(struct strbuf *sb, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, i = 0, chars = 0;
	if (!s)
		return;
	len = strlen(s);
	while (i < len && chars < max) {
		size_t n = utf8_seq(p + i, len - i);
		i += n ? n : 1;
		chars++;
	}
	if (i >= len) {
		html_escape(sb, s, len);
		return;
	}
	strbuf_addstr(sb, "<span class=\"cut\" title=\"");
	html_escape(sb, s, len);
	strbuf_addstr(sb, "\">");
	html_escape(sb, s, i);
	strbuf_addstr(sb, "\xe2\x80\xa6</span>");
}

void html_age(char *out, size_t size, int64_t age_us)
{
	if (age_us < 0) {
		snprintf(out, size, "\xe2\x80\x93");
		return;
	}
	long long s = (long long)(age_us / US_PER_S);
	if (s < 60)
		snprintf(out, size, "%lld s", s);
	else if (s < 3600)
		snprintf(out, size, "%lld min", s / 60);
	else if (s < 86400)
		snprintf(out, size, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(out, size, "%lld d %lld h", s / 86400, s % 86400 / 3600);
}

void html_url_encode(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			strbuf_addch(sb, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			strbuf_add(sb, e, 3);
		}
	}
}

int html_text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t') || p[i] == 0x7f)
			return 0;
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}
