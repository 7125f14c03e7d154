#ifndef GENTRACK_CSRF_H
#define GENTRACK_CSRF_H

#include <stddef.h>
#include <stdint.h>

/*
 * CSRF tokens of the admin forms, stateless: "<expiry>.<mac>" where mac is
 * keyed BLAKE2b of the admin's name and the expiry, keyed with a key
 * derived from that admin's password hash. Every pool child and every host
 * can check a token without shared state, and changing the password voids
 * the tokens made before. Browsers attach Basic credentials to cross-site
 * form posts, so these tokens are what stops a forged one.
 */
#define CSRF_KEY_LEN 32
#define CSRF_TOKEN_MAX 80           /* with the NUL */
#define CSRF_LIFETIME_S (12 * 3600)

/* The token key of an admin, from the stored password hash (a secret). */
void csrf_key_derive(const char *password_hash, unsigned char key[CSRF_KEY_LEN]);
/* A token for `user` valid until `expires` (Unix seconds) into out. */
void csrf_make(const unsigned char key[CSRF_KEY_LEN], const char *user, int64_t expires,
	       char out[CSRF_TOKEN_MAX]);
/* 0 when token is one csrf_make gave `user` and it has not expired at `now`; else -1. */
int csrf_verify(const unsigned char key[CSRF_KEY_LEN], const char *user, const char *token,
		int64_t now);

#endif
