#ifndef GENTRACK_LOGIN_LIMIT_H
#define GENTRACK_LOGIN_LIMIT_H

#include <pthread.h>
#include <stdint.h>

#include "base/limits.h"

/*
 * A FastCGI child's count of recent failed admin sign-ins, by a key such as
 * "a:<address>" or "u:<user name>" (public values, not secrets). Failures of
 * one key are counted in a window that starts at its first failure; once a
 * key reaches its threshold within the window, it must wait until the window
 * ends, and the dispatcher answers 429 without running Argon2id. A fixed
 * table: a new key takes an empty slot, or one whose window is over, or the
 * one whose window started first.
 *
 * The table may live in memory shared by the pool's children
 * (login_limit_new_shared, before the fork): then a limit is the pool's, not
 * each child's. (The one Argon2id at a time is web/verify_turn.h.)
 */
#define LOGIN_LIMIT_KEY_MAX 72      /* "u:" + OWNER_MAX, "a:" + an IPv6 address */

struct login_limit_entry {
	char key[LOGIN_LIMIT_KEY_MAX + 1]; /* "" when free; a longer key is cut */
	int64_t window_start_us;        /* the first failure of this window */
	unsigned failures;              /* within the window */
};

struct login_limit {
	int64_t window_us;              /* how long failures are counted */
	int shared;                     /* in shared memory: `lock` is used */
	pthread_mutex_t lock;           /* process-shared, robust; when shared */
	struct login_limit_entry entries[LOGIN_LIMIT_SLOTS];
};

/* Empties l, private to this process; failures counted over window_us. */
void login_limit_init(struct login_limit *l, int64_t window_us);
/*
 * A table in anonymous shared memory, for the children forked after this
 * call; NULL when it cannot be made (the caller then keeps per-child tables).
 * Free it with login_limit_free_shared.
 */
struct login_limit *login_limit_new_shared(int64_t window_us);
void login_limit_free_shared(struct login_limit *l);

/*
 * 0 when `key` may try to sign in at now_us, else how many µs it still has
 * to wait (> 0): it failed `max_failures` times or more in its current window.
 */
int64_t login_limit_wait(struct login_limit *l, const char *key, unsigned max_failures,
			 int64_t now_us);

/* Counts one failed sign-in of `key` at now_us. */
void login_limit_fail(struct login_limit *l, const char *key, int64_t now_us);

#endif
