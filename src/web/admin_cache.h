#ifndef GENTRACK_ADMIN_CACHE_H
#define GENTRACK_ADMIN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

/*
 * A FastCGI child's memory of admin passwords it verified lately, so that a
 * signed-in admin's pages cost one Argon2id a TTL rather than one a request
 * (SECURITY.md, "Admin sign-in"). No password is kept: a slot holds a
 * BLAKE2b-256 of "user NUL password NUL stored-hash", keyed with a random key
 * of this process, and when it expires. The stored hash is part of what is
 * hashed, so a changed password (a new hash) misses at once, and so does a
 * deleted account (no hash to look up). Compares are constant-time
 * (sodium_memcmp), over every slot.
 */
#define ADMIN_CACHE_DIGEST_LEN 32

struct admin_cache_slot {
	unsigned char digest[ADMIN_CACHE_DIGEST_LEN]; /* keyed BLAKE2b, above */
	int64_t expires_us;                 /* 0: empty */
};

struct admin_cache {
	unsigned char key[32];              /* random, this process' own; a secret */
	int64_t ttl_us;                     /* how long a verified password is remembered */
	struct admin_cache_slot slots[ADMIN_CACHE_SLOTS];
};

/* Empties ac and draws its key. ttl_us <= 0 disables the cache (never a hit). */
void admin_cache_init(struct admin_cache *ac, int64_t ttl_us);
/* Wipes the key and the slots. */
void admin_cache_release(struct admin_cache *ac);

/*
 * 1 when `user` signed in with this password against this stored hash
 * (all borrowed) less than the TTL before `now_us` (µs), else 0.
 */
int admin_cache_hit(const struct admin_cache *ac, const char *user, const char *password,
		    size_t password_len, const char *hash, int64_t now_us);
/*
 * Remembers a password just verified against `hash`, until now_us + TTL: in
 * its own slot if it has one, else an empty or expired one, else the one
 * that expires first.
 */
void admin_cache_put(struct admin_cache *ac, const char *user, const char *password,
		     size_t password_len, const char *hash, int64_t now_us);

#endif
