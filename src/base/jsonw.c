#include "build_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/banned.h"

void jsonw_init(struct jsonw *w, struct strbuf *sb)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
}

/* Places the comma that separates this value (or key) from the previous one. */
static void begin_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	if (!w->first[w->depth - 1])
		strbuf_addch(w->sb, ',');
	w->first[w->depth - 1] = 0;
}

static void open_container(struct jsonw *w, char c)
{
	if (w->depth >= JSONW_MAX_DEPTH) {
		w->error = 1;
		return;
	}
	begin_value(w);
	strbuf_addch(w->sb, c);
	w->first[w->depth++] = 1;
}

static void close_container(struct jsonw *w, char c)
{
	if (w->depth == 0 || w->after_key) {
		w->error = 1;
		return;
	}
	w->depth--;
	strbuf_addch(w->sb, c);
}

void jsonw_object_begin(struct jsonw *w)
{
	open_container(w, '{');
}

void jsonw_object_end(struct jsonw *w)
{
	close_container(w, '}');
}

void jsonw_array_begin(struct jsonw *w)
{
	open_container(w, '[');
}

void jsonw_array_end(struct jsonw *w)
{
	close_container(w, ']');
}

void jsonw_key(struct jsonw *w, const char *key)
{
	if (w->after_key || w->depth == 0) {
		w->error = 1;
		return;
	}
	begin_value(w);
	strbuf_addch(w->sb, '"');
	jsonw_escape_into(w->sb, key, strlen(key));
	strbuf_add(w->sb, "\":", 2);
	w->after_key = 1;
}

void jsonw_string(struct jsonw *w, const char *s, size_t len)
{
	begin_value(w);
	strbuf_addch(w->sb, '"');
	jsonw_escape_into(w->sb, s, len);
	strbuf_addch(w->sb, '"');
}

void jsonw_cstr(struct jsonw *w, const char *s)
{
	if (!s)
		jsonw_null(w);
	else
		jsonw_string(w, s, strlen(s));
}

void jsonw_int(struct jsonw *w, long long v)
{
	begin_value(w);
	strbuf_add_i64(w->sb, v);
}

void jsonw_double(struct jsonw *w, double v)
{
	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	/*
	 * The shortest %.*g that reads back as the same double: 0.6 prints as
	 * "0.6", not the "0.59999999999999998" that %.17g would give.
	 */
	char buf[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	begin_value(w);
	strbuf_addstr(w->sb, buf);
}

void jsonw_bool(struct jsonw *w, int v)
{
	begin_value(w);
	strbuf_addstr(w->sb, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	begin_value(w);
	strbuf_add(w->sb, "null", 4);
}

void jsonw_raw(struct jsonw *w, const char *json, size_t len)
{
	begin_value(w);
	strbuf_add(w->sb, json, len);
}

int jsonw_failed(const struct jsonw *w)
{
	return w->error || w->sb->oom;
}

void jsonw_escape_into(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0; /* start of the pending run of bytes that need no escape */

	if (len == 0)
		return;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		const char *esc = NULL;
		char ubuf[7];
		size_t skip = 1;

		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case 0xe2:
			/* U+2028 and U+2029 end a line in JavaScript. */
			if (i + 2 < len && p[i + 1] == 0x80 &&
			    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				esc = p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
				skip = 3;
			}
			break;
		default:
			/* '<', '>', '&' would let a string close a <script> in HTML. */
			if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				memcpy(ubuf, "\\u00", 4);
				ubuf[4] = hex[c >> 4];
				ubuf[5] = hex[c & 0xf];
				ubuf[6] = '\0';
				esc = ubuf;
			}
			break;
		}
		if (!esc)
			continue;
		strbuf_add(sb, s + run, i - run);
		strbuf_addstr(sb, esc);
		i += skip - 1;
		run = i + 1;
	}
	strbuf_add(sb, s + run, len - run);
}
