#ifndef GENTRACK_AUTH_H
#define GENTRACK_AUTH_H

#include <stddef.h>

#include "base/limits.h"

/*
 * API keys and admin passwords. Keys are "gtk_" + 43 base64url characters
 * (32 random bytes); the store keeps only their BLAKE2b-256 hash, so a leaked
 * database gives no usable key. Keys carry enough entropy that a fast hash is
 * right; admin passwords do not, so they get Argon2id.
 */
#define AUTH_KEY_PREFIX "gtk_"
#define AUTH_KEY_LEN 47            /* "gtk_" + 43 */
#define AUTH_KEY_SHOWN_PREFIX 12   /* characters shown by `key list` */
#define AUTH_HASH_LEN 32

enum auth_role { ROLE_CLIENT, ROLE_WORKER };

/* Who is calling, once a key checked out. */
struct principal {
	enum auth_role role;
	long long key_id;
	char owner[OWNER_MAX + 1];
};

/* libsodium must be initialised once per process before anything here. */
int auth_init(void);
/* A fresh key into out (AUTH_KEY_LEN + 1 bytes). */
void auth_key_generate(char out[AUTH_KEY_LEN + 1]);
void auth_key_hash(const char *key, size_t len, unsigned char out[AUTH_HASH_LEN]);
/*
 * The credentials part of an Authorization header "<Scheme> <token>": the
 * scheme matched case-insensitively, one or more spaces, trailing blanks
 * dropped. 0 with token/len pointing into header, or -1 for another scheme.
 */
int auth_scheme_token(const char *header, const char *scheme, const char **token, size_t *len);
/*
 * Extracts the token of "Bearer <token>" (scheme case-insensitive, one or more
 * spaces). The token must look like a key (prefix, length, alphabet): anything
 * else is refused before the store is asked. 0 with key and len set, or -1.
 */
int auth_parse_bearer(const char *header, const char **key, size_t *len);
/* "client" / "worker"; the parse returns -1 for anything else. */
const char *auth_role_name(enum auth_role role);
int auth_role_parse(const char *name, enum auth_role *out);
/* Owner names: [A-Za-z0-9._-]{1,64}, safe to print and to put in actors. */
int auth_owner_valid(const char *owner);

/* Argon2id (libsodium interactive limits) into out, at least crypto_pwhash_STRBYTES. */
int auth_password_hash(const char *password, size_t len, char *out, size_t out_size);

#endif
