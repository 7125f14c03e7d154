#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "web/admin_cache.h"
#include "base/banned.h"

void admin_cache_init(struct admin_cache *ac, int64_t ttl_us)
{
	memset(ac, 0, sizeof(*ac));
	ac->ttl_us = ttl_us;
	/* Without libsodium's generator there is no key worth the name: no cache. */
	if (sodium_init() < 0) {
		ac->ttl_us = 0;
		return;
	}
	randombytes_buf(ac->key, sizeof(ac->key));
}

void admin_cache_release(struct admin_cache *ac)
{
	sodium_memzero(ac, sizeof(*ac));
}

/* The keyed digest of one sign-in; the NULs cannot occur in any of the three
 * (basic_auth_parse refuses control bytes), so no two inputs share one. */
static void digest(const struct admin_cache *ac, const char *user, const char *password,
		   size_t password_len, const char *hash, unsigned char out[ADMIN_CACHE_DIGEST_LEN])
{
	crypto_generichash_state st;
	static const unsigned char nul = 0;

	crypto_generichash_init(&st, ac->key, sizeof(ac->key), ADMIN_CACHE_DIGEST_LEN);
	crypto_generichash_update(&st, (const unsigned char *)user, strlen(user));
	crypto_generichash_update(&st, &nul, 1);
	crypto_generichash_update(&st, (const unsigned char *)password, password_len);
	crypto_generichash_update(&st, &nul, 1);
	crypto_generichash_update(&st, (const unsigned char *)hash, strlen(hash));
	crypto_generichash_final(&st, out, ADMIN_CACHE_DIGEST_LEN);
	sodium_memzero(&st, sizeof(st));
}

int admin_cache_hit(const struct admin_cache *ac, const char *user, const char *password,
		    size_t password_len, const char *hash, int64_t now_us)
{
	unsigned char d[ADMIN_CACHE_DIGEST_LEN];
	int hit = 0;

	if (ac->ttl_us <= 0 || !hash)
		return 0;
	digest(ac, user, password, password_len, hash, d);
	/* Every slot is compared, a hit or not: no early exit to time. */
	for (size_t i = 0; i < ADMIN_CACHE_SLOTS; i++) {
		int same = sodium_memcmp(ac->slots[i].digest, d, sizeof(d)) == 0;
		int live = ac->slots[i].expires_us > now_us;
		hit |= same & live;
	}
	sodium_memzero(d, sizeof(d));
	return hit;
}

void admin_cache_put(struct admin_cache *ac, const char *user, const char *password,
		     size_t password_len, const char *hash, int64_t now_us)
{
	unsigned char d[ADMIN_CACHE_DIGEST_LEN];
	size_t pick = ADMIN_CACHE_SLOTS, soonest = 0;

	if (ac->ttl_us <= 0 || !hash)
		return;
	digest(ac, user, password, password_len, hash, d);
	for (size_t i = 0; i < ADMIN_CACHE_SLOTS; i++) {
		if (sodium_memcmp(ac->slots[i].digest, d, sizeof(d)) == 0 &&
		    ac->slots[i].expires_us != 0) {
			pick = i;
			break;
		}
		if (ac->slots[i].expires_us <= now_us && pick == ADMIN_CACHE_SLOTS)
			pick = i;
		if (ac->slots[i].expires_us < ac->slots[soonest].expires_us)
			soonest = i;
	}
	if (pick == ADMIN_CACHE_SLOTS)
		pick = soonest;
	memcpy(ac->slots[pick].digest, d, sizeof(d));
	ac->slots[pick].expires_us = now_us + ac->ttl_us;
	sodium_memzero(d, sizeof(d));
}
