/*
 * The request headers the application parses itself, each a C string (a
 * FastCGI param): Authorization as a Bearer key (auth_parse_bearer, via
 * auth_scheme_token) and as Basic credentials (basic_auth_parse),
 * Idempotency-Key (validate_idempotency_key), If-None-Match (etag_none_match,
 * etag_single_version), and Cookie (cookie_get, for the admin pages' session).
 * Every target sees every input.
 */
#include "build_config.h"

#include <sodium.h>
#include <strings.h>

#include "base/cookie.h"
#include "model/auth.h"
#include "web/basic_auth.h"
#include "web/etag.h"
#include "fuzz.h"
#include "api/validate.h"

static int b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void check_bearer(const char *h)
{
	const char *key = NULL;
	size_t len = 0;
	if (auth_parse_bearer(h, &key, &len) < 0)
		return;
	size_t hlen = strlen(h);
	FUZZ_ASSERT(key >= h && key + len <= h + hlen);
	FUZZ_ASSERT(len == AUTH_KEY_LEN);
	FUZZ_ASSERT(!memcmp(key, AUTH_KEY_PREFIX, strlen(AUTH_KEY_PREFIX)));
	for (size_t i = strlen(AUTH_KEY_PREFIX); i < len; i++)
		FUZZ_ASSERT(b64url(key[i]));
	/* What authenticate() does next. */
	unsigned char hash[AUTH_HASH_LEN];
	auth_key_hash(key, len, hash);
}

static void check_scheme(const char *h, const char *scheme)
{
	const char *tok = NULL;
	size_t len = 0;
	if (auth_scheme_token(h, scheme, &tok, &len) < 0)
		return;
	size_t hlen = strlen(h);
	FUZZ_ASSERT(tok > h && tok + len <= h + hlen);
	FUZZ_ASSERT(!strncasecmp(h, scheme, strlen(scheme)));
	FUZZ_ASSERT(len == 0 || (tok[0] != ' ' && tok[len - 1] != ' ' && tok[len - 1] != '\t'));
}

static void check_basic(const char *h)
{
	struct basic_credentials c;
	if (basic_auth_parse(h, &c) < 0) {
		FUZZ_ASSERT(c.user == NULL && c.password == NULL && c.password_len == 0);
		return;
	}
	FUZZ_ASSERT(c.user == c.buf);
	FUZZ_ASSERT(c.user[0] != '\0');
	FUZZ_ASSERT(strchr(c.user, ':') == NULL);
	FUZZ_ASSERT(c.password == c.user + strlen(c.user) + 1);
	FUZZ_ASSERT(strlen(c.password) == c.password_len);
	FUZZ_ASSERT(c.password + c.password_len <= c.buf + BASIC_AUTH_MAX);
	for (const char *s = c.user; *s; s++)
		FUZZ_ASSERT((unsigned char)*s >= 0x20 && *s != 0x7f);
	for (const char *s = c.password; *s; s++)
		FUZZ_ASSERT((unsigned char)*s >= 0x20 && *s != 0x7f);
	/* admin_auth_check checks the user name before asking the store. */
	(void)auth_owner_valid(c.user);
	basic_auth_clear(&c);
	FUZZ_ASSERT(c.user == NULL && c.password == NULL);
}

static void check_idempotency(const char *h)
{
	const char *key = NULL;
	size_t len = 0;
	struct problem p;
	memset(&p, 0, sizeof(p));
	if (validate_idempotency_key(h, &key, &len, &p) < 0) {
		fuzz_check_problem(&p);
		return;
	}
	FUZZ_ASSERT(len >= 1 && len <= 255);
	FUZZ_ASSERT(key >= h && key + len <= h + strlen(h));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		FUZZ_ASSERT(c >= 0x21 && c <= 0x7e && c != '"' && c != '\\');
	}
}

/* The poll skips reading entities for the version a header names: that
 * version's own tag must match the header, or the client would get a 200
 * without its entities. */
static void check_if_none_match(const char *h)
{
	char tag[ETAG_MAX_LEN];
	long long v = etag_single_version(h);
	FUZZ_ASSERT(v >= -1);
	if (v >= 0) {
		etag_format((uint64_t)v, tag);
		FUZZ_ASSERT(etag_none_match(h, tag) == 1);
	}
	(void)etag_none_match(h, "\"v1\"");
}

/* A cookie's value lies inside the header, right after its "name=". */
static void check_cookie(const char *h, const char *name)
{
	const char *v = NULL;
	size_t len = 0;
	if (cookie_get(h, name, &v, &len) < 0) {
		FUZZ_ASSERT(v == NULL && len == 0);
		return;
	}
	size_t hlen = strlen(h), nlen = strlen(name);
	FUZZ_ASSERT(v > h && v + len <= h + hlen);
	FUZZ_ASSERT(memchr(v, ';', len) == NULL);
	const char *eq = v[-1] == '"' ? v - 2 : v - 1;
	FUZZ_ASSERT(eq >= h + nlen && *eq == '=' && !memcmp(eq - nlen, name, nlen));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		FUZZ_ASSERT(auth_init() == 0);
		ready = 1;
	}
	char *h = fuzz_cstr(data, size);
	check_bearer(h);
	check_scheme(h, "Bearer");
	check_scheme(h, "Basic");
	check_basic(h);
	check_idempotency(h);
	check_if_none_match(h);
	check_cookie(h, "gentrack_session");
	check_cookie(h, "s");
	free(h);
	return 0;
}
