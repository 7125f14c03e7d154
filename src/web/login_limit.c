#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "web/login_limit.h"
#include "base/banned.h"

void login_limit_init(struct login_limit *l, int64_t window_us)
{
	memset(l, 0, sizeof(*l));
	l->window_us = window_us;
}

/* The key as the table stores it (cut to LOGIN_LIMIT_KEY_MAX bytes). */
static void stored_key(const char *key, char out[LOGIN_LIMIT_KEY_MAX + 1])
{
	snprintf(out, LOGIN_LIMIT_KEY_MAX + 1, "%s", key);
}

static int window_over(const struct login_limit *l, const struct login_limit_entry *e,
		       int64_t now_us)
{
	return now_us - e->window_start_us >= l->window_us;
}

static const struct login_limit_entry *find(const struct login_limit *l, const char *k)
{
	for (size_t i = 0; i < LOGIN_LIMIT_SLOTS; i++)
		if (l->entries[i].key[0] && !strcmp(l->entries[i].key, k))
			return &l->entries[i];
	return NULL;
}

int64_t login_limit_wait(const struct login_limit *l, const char *key, unsigned max_failures,
			 int64_t now_us)
{
	char k[LOGIN_LIMIT_KEY_MAX + 1];

	stored_key(key, k);
	const struct login_limit_entry *e = find(l, k);
	if (!e || window_over(l, e, now_us) || e->failures < max_failures)
		return 0;
	return e->window_start_us + l->window_us - now_us;
}

void login_limit_fail(struct login_limit *l, const char *key, int64_t now_us)
{
	char k[LOGIN_LIMIT_KEY_MAX + 1];
	struct login_limit_entry *e = NULL, *oldest = &l->entries[0];

	stored_key(key, k);
	e = (struct login_limit_entry *)find(l, k);
	if (!e) {
		for (size_t i = 0; i < LOGIN_LIMIT_SLOTS && !e; i++) {
			struct login_limit_entry *c = &l->entries[i];
			if (!c->key[0] || window_over(l, c, now_us))
				e = c;
			else if (c->window_start_us < oldest->window_start_us)
				oldest = c;
		}
		if (!e)
			e = oldest;
		memcpy(e->key, k, sizeof(e->key));
		e->failures = 0;
		e->window_start_us = now_us;
	}
	if (window_over(l, e, now_us)) {
		e->failures = 0;
		e->window_start_us = now_us;
	}
	e->failures++;
}
