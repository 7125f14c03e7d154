#ifndef GENTRACK_CSRF_H
#define GENTRACK_CSRF_H

#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

/*
 * CSRF tokens of the admin forms: "<expiry>.<mac>" where mac is keyed
 * BLAKE2b of the page session's id hash (web/admin_session.h), the admin's
 * name, the form's action (e.g. "retry 0192e4c1-...", "bulk-cancel") and the
 * expiry, keyed with a key derived from that admin's password hash. Checking
 * one needs no state but the session the dispatcher looked up: a token is
 * good for one action on one target, in the session it was made for, until
 * the session expires or ends (/admin/logout); changing the password voids
 * every token made before. Browsers attach Basic credentials to cross-site
 * form posts, so these tokens are what stops a forged one.
 */
#define CSRF_KEY_LEN 32
#define CSRF_SESSION_LEN ADMIN_SESSION_HASH_LEN
#define CSRF_TOKEN_MAX 80           /* with the NUL */

/* The token key of an admin, from the stored password hash (a secret). */
void csrf_key_derive(const char *password_hash, unsigned char key[CSRF_KEY_LEN]);
/*
 * A token for `user`'s form `action` in session `session` (its id hash),
 * valid until `expires` (Unix seconds), into out.
 */
void csrf_make(const unsigned char key[CSRF_KEY_LEN], const unsigned char session[CSRF_SESSION_LEN],
	       const char *user, const char *action, int64_t expires, char out[CSRF_TOKEN_MAX]);
/*
 * 0 when token is one csrf_make gave `user` for `action` in `session` and it
 * has not expired at `now`; else -1.
 */
int csrf_verify(const unsigned char key[CSRF_KEY_LEN], const unsigned char session[CSRF_SESSION_LEN],
		const char *user, const char *action, const char *token, int64_t now);

#endif
