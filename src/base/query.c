#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/number.h"
#include "base/query.h"
#include "base/utf8.h"
#include "base/banned.h"

/*
 * Decodes s[0..len) into a new NUL-terminated string. NULL with *why set to a
 * reason when the encoding is refused, or with *why NULL on allocation failure.
 */
static char *decode(const char *s, size_t len, size_t *out_len, const char **why)
{
	*why = NULL;
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h = i + 1 < len ? number_hex_digit(s[i + 1]) : -1;
			int l = i + 2 < len ? number_hex_digit(s[i + 2]) : -1;
			if (h < 0 || l < 0) {
				*why = "bad percent-encoding";
				goto fail;
			}
			c = (char)(h << 4 | l);
			if (c == '\0') {
				*why = "encoded NUL byte (%00)";
				goto fail;
			}
			i += 2;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return out;
fail:
	free(out);
	return NULL;
}

int query_parse(const char *qs, struct query *out, char *err, size_t errlen)
{
	struct query q = { NULL, 0 };
	size_t pairs = 0;

	if (!qs)
		qs = "";
	for (const char *p = qs; *p; ) {
		size_t n = strcspn(p, "&");
		pairs += n > 0;
		p += n + (p[n] == '&');
	}
	if (pairs > QUERY_MAX_PARAMS) {
		snprintf(err, errlen, "too many query parameters (at most %d)",
			 QUERY_MAX_PARAMS);
		goto fail;
	}
	if (pairs) {
		q.params = calloc(pairs, sizeof(*q.params));
		if (!q.params) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}

	for (const char *p = qs; *p; ) {
		size_t n = strcspn(p, "&");
		const char *pair = p;
		p += n + (p[n] == '&');
		if (n == 0)
			continue;
		const char *eq = memchr(pair, '=', n);
		size_t name_len = eq ? (size_t)(eq - pair) : n;
		const char *value = eq ? eq + 1 : pair + n;
		size_t value_len = n - name_len - (eq != NULL);
		struct query_param *qp = &q.params[q.count];
		const char *why;

		qp->name = decode(pair, name_len, NULL, &why);
		if (qp->name)
			qp->value = decode(value, value_len, &qp->value_len, &why);
		if (!qp->name || !qp->value) {
			free(qp->name);
			if (!why) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			int shown = (int)utf8_prefix_len(pair, name_len, QUOTED_NAME_MAX);
			utf8_snprintf(err, errlen, "%s in query parameter '%.*s'", why, shown, pair);
			goto fail;
		}
		q.count++;
	}
	*out = q;
	return 0;
fail:
	query_release(&q);
	out->params = NULL;
	out->count = 0;
	return -1;
}

const char *query_get(const struct query *q, const char *name)
{
	for (size_t i = 0; i < q->count; i++) {
		if (strcmp(q->params[i].name, name) == 0)
			return q->params[i].value;
	}
	return NULL;
}

size_t query_count(const struct query *q, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < q->count; i++)
		n += strcmp(q->params[i].name, name) == 0;
	return n;
}

void query_release(struct query *q)
{
	for (size_t i = 0; i < q->count; i++) {
		free(q->params[i].name);
		free(q->params[i].value);
	}
	free(q->params);
	q->params = NULL;
	q->count = 0;
}

int query_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	size_t max_digits = 1, n = strlen(s);
	unsigned long long v = 0;

	for (unsigned long long m = max; m >= 10; m /= 10)
		max_digits++;
	/* Bounding the length first keeps the sum below from overflowing. */
	if (n == 0 || n > max_digits || strspn(s, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long long)(s[i] - '0');
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
