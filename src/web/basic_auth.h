#ifndef GENTRACK_BASIC_AUTH_H
#define GENTRACK_BASIC_AUTH_H

#include <stddef.h>

/*
 * HTTP Basic credentials (RFC 7617) for the admin pages: parsing the
 * Authorization header, and checking a password against its Argon2id hash in
 * the same time whether the account exists or not.
 */
#define BASIC_AUTH_REALM "gentrack admin"
#define BASIC_AUTH_MAX 1100         /* decoded "user:password" bytes we accept */

struct basic_credentials {
	char buf[BASIC_AUTH_MAX + 1];   /* the decoded "user\0password\0" */
	const char *user;               /* into buf */
	const char *password;           /* into buf */
	size_t password_len;
};

/*
 * Parses "Basic <base64 of user:password>" (scheme case-insensitive, padding
 * optional). Refuses an empty user, a missing ':', NUL or control bytes and
 * anything longer than BASIC_AUTH_MAX decoded. 0 with *out filled, or -1.
 */
int basic_auth_parse(const char *header, struct basic_credentials *out);

/*
 * 0 when password matches `hash` (a libsodium crypto_pwhash_str string). With
 * hash NULL (no such account) a fixed dummy hash is checked instead, so an
 * unknown user costs the same time as a wrong password; the answer is -1.
 * The check runs on a thread of the lowest CPU priority (nice 19), so that
 * sign-ins, right or wrong, yield the cores to the API's requests.
 */
int basic_auth_verify(const char *hash, const char *password, size_t len);

/* Wipes the password out of c. */
void basic_auth_clear(struct basic_credentials *c);

#endif
