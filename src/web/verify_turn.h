#ifndef GENTRACK_VERIFY_TURN_H
#define GENTRACK_VERIFY_TURN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The pool's one turn to run Argon2id on an admin password (web/admin_auth.h),
 * so that a burst of guesses from many addresses cannot pin every child on
 * ~140 ms of CPU and 64 MiB each. The turn knows which credential it checks
 * and keeps the last one's result for a while, so that a second page load of
 * the same admin that lands on another child at the same moment is not
 * refused: it waits for the result (VERIFY_TURN_SAME) instead of a 429, and a
 * load just after the check takes the result without an Argon2id of its own.
 * A different credential meanwhile (a guesser, or another admin) is busy.
 *
 * A credential is a BLAKE2b-256 of "user NUL password NUL stored hash" (the
 * stored hash "" for an account that does not exist), keyed with a random key
 * of the pool drawn before the fork; never the password. Because the stored
 * hash is part of it, a result stops answering as soon as the password is
 * changed or the account deleted; and it answers at most `result_ttl_us`
 * after its check began, the per-child cache's rule (web/admin_cache.h).
 * Digests are compared with sodium_memcmp.
 *
 * Lives in anonymous shared memory (verify_turn_new_shared, before the fork)
 * for a pool; verify_turn_init makes one private to a process (one child
 * without shared memory, the tests), where the turn is never busy.
 */
#define VERIFY_TURN_DIGEST_LEN 32

enum verify_turn_answer {
	VERIFY_TURN_YOURS,     /* run Argon2id now, then call verify_turn_end */
	VERIFY_TURN_SAME,      /* this credential is being checked: ask again shortly */
	VERIFY_TURN_BUSY,      /* another credential is being checked: retry later */
	VERIFY_TURN_PASSED,    /* this credential was checked lately, and passed */
	VERIFY_TURN_FAILED,    /* this credential was checked lately, and failed */
};

struct verify_turn {
	unsigned char key[32];          /* the pool's digest key; a secret */
	int64_t result_ttl_us;          /* how long a result answers for its credential */
	int shared;                     /* in shared memory: `lock` is used */
	pthread_mutex_t lock;           /* process-shared, robust; when shared */
	int64_t until_us;               /* the holder runs Argon2id until then; 0: free */
	int64_t since_us;               /* when the holder began */
	unsigned char checking[VERIFY_TURN_DIGEST_LEN]; /* the holder's credential */
	unsigned char checked[VERIFY_TURN_DIGEST_LEN];  /* the last one checked */
	int checked_ok;                 /* its result */
	int64_t checked_at_us;          /* when its check began; 0: no result */
};

/*
 * A turn private to this process, with a fresh key; results answer for
 * result_ttl_us (<= 0: never). -1 when libsodium cannot draw a key: then
 * every credential gets the turn and no result is kept.
 */
int verify_turn_init(struct verify_turn *t, int64_t result_ttl_us);
/* Wipes t (its key, its digests). */
void verify_turn_release(struct verify_turn *t);
/*
 * A turn in anonymous shared memory, for the children forked after this
 * call; NULL when it cannot be made. Free it with verify_turn_free_shared,
 * which wipes it.
 */
struct verify_turn *verify_turn_new_shared(int64_t result_ttl_us);
void verify_turn_free_shared(struct verify_turn *t);

/* The digest of one sign-in (all borrowed; hash NULL: no such account). */
void verify_turn_digest(const struct verify_turn *t, const char *user, const char *password,
			size_t password_len, const char *hash,
			unsigned char out[VERIFY_TURN_DIGEST_LEN]);

/*
 * Asks for the turn to check `digest` at now_us. YOURS takes it for lease_us
 * (a holder that dies loses it when the lease runs out); PASSED and FAILED
 * set *checked_at_us (may be NULL) to when that check began.
 */
enum verify_turn_answer verify_turn_begin(struct verify_turn *t,
					  const unsigned char digest[VERIFY_TURN_DIGEST_LEN],
					  int64_t now_us, int64_t lease_us, int64_t *checked_at_us);
/*
 * Gives the turn back with the result of checking `digest` (ok: it passed).
 * A holder whose lease ran out and was taken over changes nothing.
 */
void verify_turn_end(struct verify_turn *t, const unsigned char digest[VERIFY_TURN_DIGEST_LEN],
		     int ok);

#endif
