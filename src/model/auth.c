#include "build_config.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "model/auth.h"
#include "base/banned.h"

#define KEY_RANDOM_BYTES 32

int auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* Both prefixes have the same length: the credentials differ by it alone. */
_Static_assert(sizeof(AUTH_KEY_PREFIX) == sizeof(AUTH_TOKEN_PREFIX), "prefix lengths");

static void generate_with_prefix(const char *prefix, char out[AUTH_KEY_LEN + 1])
{
	unsigned char raw[KEY_RANDOM_BYTES];
	size_t n = strlen(prefix);

	randombytes_buf(raw, sizeof(raw));
	memcpy(out, prefix, n);
	sodium_bin2base64(out + n, AUTH_KEY_LEN + 1 - n, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void auth_key_generate(char out[AUTH_KEY_LEN + 1])
{
	generate_with_prefix(AUTH_KEY_PREFIX, out);
}

void auth_status_token_generate(char out[AUTH_KEY_LEN + 1])
{
	generate_with_prefix(AUTH_TOKEN_PREFIX, out);
}

void auth_key_hash(const char *key, size_t len, unsigned char out[AUTH_HASH_LEN])
{
	crypto_generichash(out, AUTH_HASH_LEN, (const unsigned char *)key, len, NULL, 0);
}

static int is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int auth_scheme_token(const char *header, const char *scheme, const char **token, size_t *len)
{
	size_t scheme_len = strlen(scheme);
	if (!header || strncasecmp(header, scheme, scheme_len))
		return -1;
	header += scheme_len;
	if (*header != ' ')
		return -1;
	while (*header == ' ')
		header++;
	size_t n = strlen(header);
	while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == '\t'))
		n--;
	*token = header;
	*len = n;
	return 0;
}

enum auth_bearer auth_bearer_kind(const char *tok, size_t n)
{
	size_t prefix = sizeof(AUTH_KEY_PREFIX) - 1;
	if (n != AUTH_KEY_LEN)
		return BEARER_NONE;
	for (size_t i = prefix; i < n; i++)
		if (!is_b64url(tok[i]))
			return BEARER_NONE;
	if (!memcmp(tok, AUTH_KEY_PREFIX, prefix))
		return BEARER_KEY;
	if (!memcmp(tok, AUTH_TOKEN_PREFIX, prefix))
		return BEARER_STATUS_TOKEN;
	return BEARER_NONE;
}

int auth_parse_bearer(const char *header, const char **key, size_t *len)
{
	const char *tok;
	size_t n;

	if (auth_scheme_token(header, "Bearer", &tok, &n) < 0 ||
	    auth_bearer_kind(tok, n) != BEARER_KEY)
		return -1;
	*key = tok;
	*len = n;
	return 0;
}

const char *auth_role_name(enum auth_role role)
{
	return role == ROLE_WORKER ? "worker" : role == ROLE_STATUS_TOKEN ? "status-token" : "client";
}

int auth_role_parse(const char *name, enum auth_role *out)
{
	if (!strcmp(name, "client"))
		*out = ROLE_CLIENT;
	else if (!strcmp(name, "worker"))
		*out = ROLE_WORKER;
	else
		return -1;
	return 0;
}

int auth_name_valid(const char *name, size_t max)
{
	size_t n = strlen(name);
	if (n < 1 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int auth_owner_valid(const char *owner)
{
	return auth_name_valid(owner, OWNER_MAX);
}

int auth_password_hash(const char *password, size_t len, char *out, size_t out_size)
{
	if (out_size < crypto_pwhash_STRBYTES)
		return -1;
	return crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE) ? -1 : 0;
}
