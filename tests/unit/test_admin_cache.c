#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "web/admin_cache.h"
#include "unit.h"

/* The cache of verified admin passwords, on an injected clock (µs). */

#define T0 INT64_C(1800000000000000)
#define TTL (60 * INT64_C(1000000))

static const char hash_a[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
static const char hash_b[] = "$argon2id$v=19$m=65536,t=2,p=1$b3RoZXJzYWx0MTI$b3RoZXJoYXNoMTI";
static const char pw[] = "correct horse battery staple";

static int hit(const struct admin_cache *ac, const char *user, const char *p, const char *h,
	       int64_t now)
{
	return admin_cache_hit(ac, user, p, strlen(p), h, now);
}

static void put(struct admin_cache *ac, const char *user, const char *p, const char *h,
		int64_t now)
{
	admin_cache_put(ac, user, p, strlen(p), h, now);
}

static void test_empty_misses(void)
{
	struct admin_cache ac;
	admin_cache_init(&ac, TTL);
	CU_ASSERT_EQUAL(hit(&ac, "alice", pw, hash_a, T0), 0);
	CU_ASSERT_EQUAL(hit(&ac, "alice", "", hash_a, T0), 0);
	admin_cache_release(&ac);
}

static void test_hit_until_ttl(void)
{
	struct admin_cache ac;
	admin_cache_init(&ac, TTL);
	put(&ac, "alice", pw, hash_a, T0);
	CU_ASSERT_EQUAL(hit(&ac, "alice", pw, hash_a, T0), 1);
	CU_ASSERT_EQUAL(hit(&ac, "alice", pw, hash_a, T0 + TTL - 1), 1);
	CU_ASSERT_EQUAL(hit(&ac, "alice", pw, hash_a, T0 + TTL), 0);
	CU_ASSERT_EQUAL(hit(&ac, "alice", pw, hash_a, T0 + 10 * TTL), 0);
	admin_cache_release(&ac);
}

/* A hit needs the same user, password and stored hash. */
static void test_every_part_counts(void)
{
	struct admin_cache ac;
	admin_cache_init(&ac, TTL);
	put(&ac, "alice", pw, hash_a, T0);
	CU_ASSERT_EQUAL(hit(&ac, "alice", "correct horse battery stapl", hash_a, T0), 0);
	CU_ASSERT_EQUAL(hit(&ac, "alice", "correct horse battery staple!", hash_a, T0), 0);
	CU_ASSERT_EQUAL(hit(&ac, "bob", pw, hash_a, T0), 0);
	CU_ASSERT_EQUAL(hit(&ac, "alic", pw, hash_a, T0), 0);
	/* A new password gives a new stored hash: the old one no longer passes. */
	CU_ASSERT_EQUAL(hit(&ac, "alice", pw, hash_b, T0), 0);
	/* No account (NULL hash) never hits, even for a password once cached. */
	CU_ASSERT_EQUAL(admin_cache_hit(&ac, "alice", pw, strlen(pw), NULL, T0), 0);
	/* The parts are separated: moving bytes from one to the other misses. */
	put(&ac, "ab", "c", hash_a, T0);
	CU_ASSERT_EQUAL(hit(&ac, "a", "bc", hash_a, T0), 0);
	CU_ASSERT_EQUAL(hit(&ac, "ab", "c", hash_a, T0), 1);
	admin_cache_release(&ac);
}

/* Two processes (two keys) make different digests; nothing holds the password. */
static void test_no_password_kept(void)
{
	struct admin_cache a, b;
	admin_cache_init(&a, TTL);
	admin_cache_init(&b, TTL);
	CU_ASSERT_NOT_EQUAL(memcmp(a.key, b.key, sizeof(a.key)), 0);
	put(&a, "alice", pw, hash_a, T0);
	put(&b, "alice", pw, hash_a, T0);
	CU_ASSERT_NOT_EQUAL(memcmp(a.slots[0].digest, b.slots[0].digest, ADMIN_CACHE_DIGEST_LEN), 0);
	const unsigned char *bytes = (const unsigned char *)&a;
	int found = 0;
	for (size_t i = 0; i + 8 <= sizeof(a); i++)
		found |= !memcmp(bytes + i, pw, 8);
	CU_ASSERT_EQUAL(found, 0);
	admin_cache_release(&a);
	admin_cache_release(&b);
}

/* A fixed number of slots: a full cache drops the entry that expires first. */
static void test_full_cache_evicts_soonest(void)
{
	struct admin_cache ac;
	char user[16];
	admin_cache_init(&ac, TTL);
	for (int i = 0; i < ADMIN_CACHE_SLOTS; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		put(&ac, user, pw, hash_a, T0 + i);
	}
	/* Putting one again refreshes its slot rather than taking another. */
	put(&ac, "user0", pw, hash_a, T0 + 100);
	put(&ac, "newcomer", pw, hash_a, T0 + 200);
	CU_ASSERT_EQUAL(hit(&ac, "newcomer", pw, hash_a, T0 + 300), 1);
	CU_ASSERT_EQUAL(hit(&ac, "user0", pw, hash_a, T0 + 300), 1);
	CU_ASSERT_EQUAL(hit(&ac, "user1", pw, hash_a, T0 + 300), 0);   /* expired first */
	for (int i = 2; i < ADMIN_CACHE_SLOTS; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		CU_ASSERT_EQUAL(hit(&ac, user, pw, hash_a, T0 + 300), 1);
	}
	/* An expired slot is taken before a live one. */
	put(&ac, "late", pw, hash_a, T0 + 100 + TTL);
	CU_ASSERT_EQUAL(hit(&ac, "late", pw, hash_a, T0 + 100 + TTL), 1);
	admin_cache_release(&ac);
}

static void test_disabled(void)
{
	struct admin_cache ac;
	admin_cache_init(&ac, 0);
	put(&ac, "alice", pw, hash_a, T0);
	CU_ASSERT_EQUAL(hit(&ac, "alice", pw, hash_a, T0), 0);
	admin_cache_release(&ac);
}

static const struct unit_case cases[] = {
	{ "an empty cache misses", test_empty_misses },
	{ "a verified password hits until its TTL", test_hit_until_ttl },
	{ "user, password and stored hash must all match", test_every_part_counts },
	{ "the cache keeps keyed digests, never the password", test_no_password_kept },
	{ "a full cache evicts what expires first", test_full_cache_evicts_soonest },
	{ "a TTL of 0 disables the cache", test_disabled },
	{ NULL, NULL },
};

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	return unit_run("admin_cache", cases);
}
