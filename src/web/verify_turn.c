#include "build_config.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/mman.h>

#include "web/verify_turn.h"
#include "base/banned.h"

int verify_turn_init(struct verify_turn *t, int64_t result_ttl_us)
{
	memset(t, 0, sizeof(*t));
	t->result_ttl_us = result_ttl_us;
	/* Without libsodium's generator the digests would be guessable: keep
	 * no result, so nothing is ever answered from one. */
	if (sodium_init() < 0) {
		t->result_ttl_us = 0;
		return -1;
	}
	randombytes_buf(t->key, sizeof(t->key));
	return 0;
}

void verify_turn_release(struct verify_turn *t)
{
	sodium_memzero(t, sizeof(*t));
}

struct verify_turn *verify_turn_new_shared(int64_t result_ttl_us)
{
	pthread_mutexattr_t attr;
	struct verify_turn *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	if (verify_turn_init(t, result_ttl_us) < 0)
		goto fail;
	/* Robust: a child killed while it holds the lock does not wedge the pool. */
	if (pthread_mutexattr_init(&attr))
		goto fail;
	if (pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) ||
	    pthread_mutex_init(&t->lock, &attr)) {
		pthread_mutexattr_destroy(&attr);
		goto fail;
	}
	pthread_mutexattr_destroy(&attr);
	t->shared = 1;
	return t;
fail:
	verify_turn_release(t);
	munmap(t, sizeof(*t));
	return NULL;
}

void verify_turn_free_shared(struct verify_turn *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	verify_turn_release(t);
	munmap(t, sizeof(*t));
}

static void lock(struct verify_turn *t)
{
	/* A child died holding the lock: the fields are each written whole,
	 * at worst a result is missing, which only costs an Argon2id. */
	if (t->shared && pthread_mutex_lock(&t->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&t->lock);
}

static void unlock(struct verify_turn *t)
{
	if (t->shared)
		pthread_mutex_unlock(&t->lock);
}

/* The NULs cannot occur in any of the three (basic_auth_parse refuses
 * control bytes), so no two sign-ins share a digest. */
void verify_turn_digest(const struct verify_turn *t, const char *user, const char *password,
			size_t password_len, const char *hash,
			unsigned char out[VERIFY_TURN_DIGEST_LEN])
{
	crypto_generichash_state st;
	static const unsigned char nul = 0;

	if (!hash)
		hash = "";
	crypto_generichash_init(&st, t->key, sizeof(t->key), VERIFY_TURN_DIGEST_LEN);
	crypto_generichash_update(&st, (const unsigned char *)user, strlen(user));
	crypto_generichash_update(&st, &nul, 1);
	crypto_generichash_update(&st, (const unsigned char *)password, password_len);
	crypto_generichash_update(&st, &nul, 1);
	crypto_generichash_update(&st, (const unsigned char *)hash, strlen(hash));
	crypto_generichash_final(&st, out, VERIFY_TURN_DIGEST_LEN);
	sodium_memzero(&st, sizeof(st));
}

static int same(const unsigned char a[VERIFY_TURN_DIGEST_LEN],
		const unsigned char b[VERIFY_TURN_DIGEST_LEN])
{
	return sodium_memcmp(a, b, VERIFY_TURN_DIGEST_LEN) == 0;
}

enum verify_turn_answer verify_turn_begin(struct verify_turn *t,
					  const unsigned char digest[VERIFY_TURN_DIGEST_LEN],
					  int64_t now_us, int64_t lease_us, int64_t *checked_at_us)
{
	enum verify_turn_answer answer;

	lock(t);
	int fresh = t->checked_at_us != 0 && now_us >= t->checked_at_us &&
		    now_us - t->checked_at_us < t->result_ttl_us;
	if (fresh && same(t->checked, digest)) {
		answer = t->checked_ok ? VERIFY_TURN_PASSED : VERIFY_TURN_FAILED;
		if (checked_at_us)
			*checked_at_us = t->checked_at_us;
	} else if (t->until_us > now_us) {
		answer = same(t->checking, digest) ? VERIFY_TURN_SAME : VERIFY_TURN_BUSY;
	} else {
		t->until_us = now_us + lease_us;
		t->since_us = now_us;
		memcpy(t->checking, digest, VERIFY_TURN_DIGEST_LEN);
		answer = VERIFY_TURN_YOURS;
	}
	unlock(t);
	return answer;
}

void verify_turn_end(struct verify_turn *t, const unsigned char digest[VERIFY_TURN_DIGEST_LEN],
		     int ok)
{
	lock(t);
	if (t->until_us != 0 && same(t->checking, digest)) {
		memcpy(t->checked, digest, VERIFY_TURN_DIGEST_LEN);
		t->checked_ok = ok != 0;
		t->checked_at_us = t->result_ttl_us > 0 ? t->since_us : 0;
		t->until_us = 0;
		sodium_memzero(t->checking, sizeof(t->checking));
	}
	unlock(t);
}
