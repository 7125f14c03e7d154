#include "build_config.h"

#include <stddef.h>

#include "base/number.h"
#include "base/banned.h"

int number_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int number_parse(const char *s, const struct number_unit *units, int64_t *out)
{
	int64_t v = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	int64_t scale = 1;
	if (*p != '\0') {
		const struct number_unit *u = units;
		while (u && u->suffix && u->suffix != *p)
			u++;
		if (!u || !u->suffix)
			return -1;
		scale = u->scale;
		p++;
	}
	if (*p != '\0' || v > INT64_MAX / scale)
		return -1;
	*out = v * scale;
	return 0;
}

size_t number_u64_format(uint64_t v, char *out)
{
	char rev[NUMBER_U64_DIGITS];
	size_t n = 0;
	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	return n;
}
