#include "build_config.h"

#include <stdint.h>
#include <string.h>

#include "base/json_indent.h"
#include "base/banned.h"

/* A newline and the blanks of the deepest level, cut to the level at hand. */
static const char newline_blanks[] = "\n"
	"                                                                "
	"                                                                ";
_Static_assert(sizeof(newline_blanks) == 2 + 2 * JSON_INDENT_DEPTH_LIMIT,
	       "two blanks per level, up to the deepest");

struct indent {
	struct strbuf *out;
	size_t end_max;        /* out->len may not pass this */
	unsigned depth, max_depth;
	int after_value;       /* the last token ended a value or a key: no value may follow */
	int after_key;         /* ... and it was an object's key: ':' must follow */
	int want_key;          /* inside an object after '{' or ',': a key (a string) is next */
	char close[JSON_INDENT_DEPTH_LIMIT]; /* the bracket each open level waits for */
};

static int put(struct indent *in, const char *s, size_t n)
{
	if (n > in->end_max - in->out->len)
		return -1;
	return strbuf_add(in->out, s, n);
}

static int newline(struct indent *in)
{
	return put(in, newline_blanks, 1 + 2 * (size_t)in->depth);
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static size_t skip_blanks(const char *t, size_t i, size_t len)
{
	while (i < len && is_blank(t[i]))
		i++;
	return i;
}

/* Past the closing quote of the string opening at t[i], or 0 when it never closes. */
static size_t string_end(const char *t, size_t i, size_t len)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return 0;
}

/* Past a number or a literal (true, false, null) starting at t[i]. */
static size_t scalar_end(const char *t, size_t i, size_t len)
{
	while (i < len && !is_blank(t[i]) && !strchr(",:[]{}\"", t[i]))
		i++;
	return i;
}

/* The '{' or '[' at t[*i]: "{}" or "[]" when empty, else a new level. */
static int open_level(struct indent *in, const char *t, size_t *i, size_t len)
{
	char open = t[*i];
	char close = open == '{' ? '}' : ']';
	size_t next = skip_blanks(t, *i + 1, len);
	if (next < len && t[next] == close) {
		*i = next + 1;
		in->after_value = 1;
		return put(in, open == '{' ? "{}" : "[]", 2);
	}
	if (in->depth >= in->max_depth)
		return -1;
	in->close[in->depth++] = close;
	in->after_value = 0;
	in->want_key = open == '{';
	*i += 1;
	return put(in, &open, 1) < 0 ? -1 : newline(in);
}

static int close_level(struct indent *in, char close)
{
	if (!in->after_value || in->after_key || !in->depth || in->close[in->depth - 1] != close)
		return -1;
	in->depth--;
	return newline(in) < 0 ? -1 : put(in, &close, 1);
}

/* A ',' between two members of the level, or the ':' after an object's key. */
static int separator(struct indent *in, char ch)
{
	if (ch == ':') {
		if (!in->after_key)
			return -1;
		in->after_key = in->after_value = 0;
		return put(in, ": ", 2);
	}
	if (!in->after_value || in->after_key || !in->depth)
		return -1;
	in->after_value = 0;
	in->want_key = in->close[in->depth - 1] == '}';
	return put(in, ",", 1) < 0 ? -1 : newline(in);
}

/* One token at t[*i] (not a blank), written out; *i moves past it. */
static int token(struct indent *in, const char *t, size_t *i, size_t len)
{
	char ch = t[*i];
	if (ch == '}' || ch == ']') {
		*i += 1;
		return close_level(in, ch);
	}
	if (ch == ',' || ch == ':') {
		*i += 1;
		return separator(in, ch);
	}
	if (in->after_value || (in->want_key && ch != '"'))   /* two values in a row, a bad key */
		return -1;
	if (ch == '{' || ch == '[')
		return open_level(in, t, i, len);
	size_t end = ch == '"' ? string_end(t, *i, len) : scalar_end(t, *i, len);
	if (end <= *i)
		return -1;
	int rc = put(in, t + *i, end - *i);
	*i = end;
	in->after_value = 1;
	in->after_key = in->want_key;
	in->want_key = 0;
	return rc;
}

int json_indent(struct strbuf *out, const char *text, size_t len, unsigned max_depth,
		size_t max_out)
{
	size_t start = out->len;
	struct indent in = { .out = out, .max_depth = max_depth };
	if (in.max_depth > JSON_INDENT_DEPTH_LIMIT)
		in.max_depth = JSON_INDENT_DEPTH_LIMIT;
	in.end_max = max_out > SIZE_MAX - start ? SIZE_MAX : start + max_out;

	int rc = 0;
	size_t i = skip_blanks(text, 0, len);
	while (rc == 0 && i < len) {
		rc = token(&in, text, &i, len);
		i = skip_blanks(text, i, len);
	}
	if (rc == 0 && (in.depth || !in.after_value || in.after_key))
		rc = -1;
	if (rc < 0 || out->oom) {
		out->len = start;
		if (out->alloc)
			out->buf[start] = '\0';
		return -1;
	}
	return 0;
}
