#include "build_config.h"

#include <string.h>

#include "base/cookie.h"
#include "base/banned.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int cookie_get(const char *header, const char *name, const char **value, size_t *len)
{
	size_t name_len = strlen(name);
	const char *p = header;

	*value = NULL;
	*len = 0;
	if (!p || !name_len)
		return -1;
	while (*p) {
		while (is_blank(*p) || *p == ';')
			p++;
		size_t pair = strcspn(p, ";");
		const char *eq = memchr(p, '=', pair);
		if (eq && (size_t)(eq - p) == name_len && !memcmp(p, name, name_len)) {
			const char *v = eq + 1;
			size_t n = pair - (size_t)(v - p);
			while (n && is_blank(v[n - 1]))
				n--;
			/* RFC 6265 allows a value in double quotes: they are not part of it. */
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			*value = v;
			*len = n;
			return 0;
		}
		p += pair;
	}
	return -1;
}
