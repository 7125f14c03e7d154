#ifndef GENTRACK_ADMIN_AUTH_H
#define GENTRACK_ADMIN_AUTH_H

#include "web/admin_cache.h"
#include "web/handler.h"
#include "web/login_limit.h"
#include "web/verify_turn.h"

/*
 * The admin accounts' side of authentication, below the handlers: HTTP Basic
 * credentials (web/basic_auth.h) checked against admin_users (Argon2id), as
 * the dispatcher does for ROUTE_AUTH_ADMIN and ROUTE_AUTH_OPERATOR routes.
 * The admin pages themselves (and their CSRF tokens) live in src/admin/.
 *
 * Argon2id costs about 140 ms and 64 MiB in the child that also serves the
 * API, so each child remembers the passwords it verified lately (admin_cache)
 * and the pool counts failed sign-ins (login_limit, shared by the children
 * when admin_auth_share was called, else per child): past
 * LOGIN_LIMIT_PER_ADDRESS failures of one address, or LOGIN_LIMIT_PER_USER of
 * one user name, within LOGIN_LIMIT_WINDOW_S, sign-ins from there or as that
 * user get 429 with Retry-After until the window ends, without Argon2id
 * being run. Only one child at a time runs Argon2id (verify_turn, shared by
 * the children when admin_auth_share was called): a sign-in with the same
 * credentials as the one being checked (another page of the same admin, on
 * another child, at the same moment) waits for that check's result, at most
 * ADMIN_VERIFY_LEASE_S; one with other credentials gets 429 with
 * Retry-After: 1.
 */
struct admin_auth {
	struct admin_cache cache;   /* verified passwords, as keyed digests */
	struct login_limit own;     /* this child's failure counts, when not shared */
	struct login_limit *limit;  /* &own, or the pool's shared table (borrowed) */
	struct verify_turn own_turn; /* this child's Argon2id turn, when not shared */
	struct verify_turn *turn;   /* &own_turn, or the pool's (borrowed) */
	unsigned per_address;       /* failures of one address before 429 */
	unsigned per_user;          /* failures of one user name before 429 */
};

/* This process' state, with the limits of base/limits.h. */
void admin_auth_init(struct admin_auth *a);
/*
 * Counts failures in `limit` (login_limit_new_shared) and takes turns to run
 * Argon2id in `turn` (verify_turn_new_shared) from now on; both borrowed,
 * either may be NULL (then this child's own).
 */
void admin_auth_share(struct admin_auth *a, struct login_limit *limit,
		      struct verify_turn *turn);
/* Wipes it (the cache and the turn hold secrets). */
void admin_auth_release(struct admin_auth *a);

/*
 * Checks the request's Basic credentials. 0 with c->admin and c->admin_hash
 * set; or -1 with the answer set: a 401 (see admin_auth_refuse) for missing,
 * malformed or wrong credentials, a 429 with Retry-After for an address or
 * user name past its failures, a store problem when the accounts cannot be
 * read. `page` renders HTML refusals (NULL: problem+json).
 */
int admin_auth_check(struct admin_auth *a, struct call *c, route_page *page);

/*
 * Answers 401 with a Basic challenge of `realm`: problem+json saying
 * `sentence` when page is NULL, else page(c, 401, sentence).
 */
void admin_auth_refuse(struct call *c, route_page *page, const char *realm,
		       const char *sentence);

#endif
