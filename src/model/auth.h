#ifndef GENTRACK_AUTH_H
#define GENTRACK_AUTH_H

#include <stddef.h>

#include "base/limits.h"
#include "base/uuid.h"

/*
 * API keys and admin passwords. Keys are "gtk_" + 43 base64url characters
 * (32 random bytes); the store keeps only their BLAKE2b-256 hash, so a leaked
 * database gives no usable key. Keys carry enough entropy that a fast hash is
 * right; admin passwords do not, so they get Argon2id.
 */
#define AUTH_KEY_PREFIX "gtk_"
#define AUTH_KEY_LEN 47            /* "gtk_" + 43 */
/* A status token (SPEC "Status tokens"): the same shape, its own prefix. It
 * reads one request (and cancels it), nothing else; stored as its hash too. */
#define AUTH_TOKEN_PREFIX "gtt_"
#define AUTH_KEY_SHOWN_PREFIX 12   /* characters shown by `key list` */
#define AUTH_HASH_LEN 32

enum auth_role { ROLE_CLIENT, ROLE_WORKER, ROLE_STATUS_TOKEN };

/* Who is calling, once a key (or a status token) checked out. */
struct principal {
	enum auth_role role;
	long long key_id;             /* 0 for a status token */
	char owner[OWNER_MAX + 1];    /* a token's: the owner of its request */
	struct uuid token_request;    /* ROLE_STATUS_TOKEN: the one request it reads */
};

/* What a bearer credential is, by its shape alone. */
enum auth_bearer { BEARER_NONE = -1, BEARER_KEY, BEARER_STATUS_TOKEN };

/* libsodium must be initialised once per process before anything here. */
int auth_init(void);
/* A fresh key into out (AUTH_KEY_LEN + 1 bytes). */
void auth_key_generate(char out[AUTH_KEY_LEN + 1]);
/* A fresh status token, the same way. */
void auth_status_token_generate(char out[AUTH_KEY_LEN + 1]);
/* A key's or a token's shape: prefix, length, alphabet. BEARER_NONE otherwise. */
enum auth_bearer auth_bearer_kind(const char *token, size_t len);
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
/* "client" / "worker" ("status-token" for the token's role, which no key
 * has: the parse returns -1 for it and anything else). */
const char *auth_role_name(enum auth_role role);
int auth_role_parse(const char *name, enum auth_role *out);
/* A name of 1..max of [A-Za-z0-9._-]: safe to print and to put in actors. */
int auth_name_valid(const char *name, size_t max);
/* Owner names: such a name of at most 64. */
int auth_owner_valid(const char *owner);

/* Argon2id (libsodium interactive limits) into out, at least crypto_pwhash_STRBYTES. */
int auth_password_hash(const char *password, size_t len, char *out, size_t out_size);

#endif
