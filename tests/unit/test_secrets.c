#include "build_config.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "base/cookie.h"
#include "model/auth.h"
#include "web/admin_cache.h"
#include "web/verify_turn.h"
#include "web/basic_auth.h"
#include "web/metrics_token.h"
#include "admin/csrf.h"
#include "unit.h"

/*
 * No secret reaches memcmp, strcmp or their kin (SECURITY.md, "Constant-time
 * compares"): they stop at the first byte that differs, so the time a refusal
 * takes tells an attacker how much of a guess was right.
 *
 * A grep of the sources cannot tell a secret from a role name, so this
 * program watches instead. It links its own build of the modules that handle
 * secrets (auth.c, basic_auth.c, admin_cache.c, verify_turn.c, csrf.c, cookie.c,
 * metrics_token.c), compiled with -fno-builtin so that
 * no compare is inlined, and the linker wraps the libc compares
 * (-Wl,--wrap=memcmp,...: Makefile.am). Each wrapper looks at the bytes it is
 * asked to compare and counts a leak when they hold WINDOW or more
 * consecutive bytes of a secret the test registered. libsodium's own compares
 * (sodium_memcmp, crypto_pwhash_str_verify) are constant-time and not wrapped.
 */

#define WINDOW 8
#define MAX_SECRETS 8
#define SECRET_MAX 128

int __real_memcmp(const void *a, const void *b, size_t n);
int __real_bcmp(const void *a, const void *b, size_t n);
int __real_strcmp(const char *a, const char *b);
int __real_strncmp(const char *a, const char *b, size_t n);
int __real_strcasecmp(const char *a, const char *b);
int __real_strncasecmp(const char *a, const char *b, size_t n);
int __wrap_memcmp(const void *a, const void *b, size_t n);
int __wrap_bcmp(const void *a, const void *b, size_t n);
int __wrap_strcmp(const char *a, const char *b);
int __wrap_strncmp(const char *a, const char *b, size_t n);
int __wrap_strcasecmp(const char *a, const char *b);
int __wrap_strncasecmp(const char *a, const char *b, size_t n);

static struct {
	unsigned char bytes[SECRET_MAX];
	size_t len;
} secrets[MAX_SECRETS];
static size_t n_secrets;
static unsigned compares;   /* wrapped calls since reset() */
static unsigned leaks;      /* of which saw a secret */

static void reset(void)
{
	n_secrets = 0;
	compares = leaks = 0;
}

/* A copy of the secret: the code under test may wipe the original. */
static void secret(const void *p, size_t len)
{
	CU_ASSERT_FATAL(n_secrets < MAX_SECRETS && len >= WINDOW && len <= SECRET_MAX);
	memcpy(secrets[n_secrets].bytes, p, len);
	secrets[n_secrets++].len = len;
}

static int holds_secret(const void *region, size_t len)
{
	const unsigned char *r = region;
	for (size_t s = 0; s < n_secrets; s++)
		for (size_t i = 0; i + WINDOW <= secrets[s].len; i++)
			for (size_t j = 0; j + WINDOW <= len; j++)
				if (!__real_memcmp(r + j, secrets[s].bytes + i, WINDOW))
					return 1;
	return 0;
}

static void seen(const void *a, size_t a_len, const void *b, size_t b_len)
{
	compares++;
	if (holds_secret(a, a_len) || holds_secret(b, b_len))
		leaks++;
}

int __wrap_memcmp(const void *a, const void *b, size_t n)
{
	seen(a, n, b, n);
	return __real_memcmp(a, b, n);
}

int __wrap_bcmp(const void *a, const void *b, size_t n)
{
	seen(a, n, b, n);
	return __real_bcmp(a, b, n);
}

int __wrap_strcmp(const char *a, const char *b)
{
	seen(a, strlen(a), b, strlen(b));
	return __real_strcmp(a, b);
}

int __wrap_strncmp(const char *a, const char *b, size_t n)
{
	seen(a, strnlen(a, n), b, strnlen(b, n));
	return __real_strncmp(a, b, n);
}

int __wrap_strcasecmp(const char *a, const char *b)
{
	seen(a, strlen(a), b, strlen(b));
	return __real_strcasecmp(a, b);
}

int __wrap_strncasecmp(const char *a, const char *b, size_t n)
{
	seen(a, strnlen(a, n), b, strnlen(b, n));
	return __real_strncasecmp(a, b, n);
}

/* The watch works: it sees the library's compares, and it would catch a leak. */
static void test_watch_works(void)
{
	char header[] = "Bearer gtk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	const char *key;
	size_t len;

	reset();
	CU_ASSERT_EQUAL(auth_parse_bearer(header, &key, &len), 0);
	CU_ASSERT(compares > 0);   /* the scheme and the "gtk_" prefix */

	/* A naive password check, as a regression would write it. */
	const char stored[] = "correct horse battery staple";
	char guess[] = "correct horse battery stapler";
	reset();
	secret(stored, strlen(stored));
	CU_ASSERT_NOT_EQUAL(strcmp(guess, stored), 0);
	CU_ASSERT_EQUAL(leaks, 1);
}

static void test_bearer_key(void)
{
	char key[AUTH_KEY_LEN + 1], header[AUTH_KEY_LEN + 16];
	unsigned char hash[AUTH_HASH_LEN];
	const char *tok;
	size_t len;

	auth_key_generate(key);
	snprintf(header, sizeof(header), "Bearer %s", key);
	reset();
	/* The random part: the "gtk_" prefix is public and compared as such. */
	secret(key + strlen(AUTH_KEY_PREFIX), AUTH_KEY_LEN - strlen(AUTH_KEY_PREFIX));
	auth_key_hash(key, AUTH_KEY_LEN, hash);
	secret(hash, sizeof(hash));
	CU_ASSERT_EQUAL(auth_parse_bearer(header, &tok, &len), 0);
	auth_key_hash(tok, len, hash);
	CU_ASSERT(compares > 0);
	CU_ASSERT_EQUAL(leaks, 0);
}

static void test_admin_password(void)
{
	const char password[] = "correct horse battery staple";
	const char guess[] = "Tr0ub4dor&3";
	char hash[crypto_pwhash_STRBYTES], b64[128], header[160];
	char userpass[64];
	struct basic_credentials cred;

	CU_ASSERT_FATAL(auth_password_hash(password, strlen(password), hash, sizeof(hash)) == 0);
	snprintf(userpass, sizeof(userpass), "alice:%s", password);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)userpass, strlen(userpass),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(header, sizeof(header), "Basic %s", b64);
	reset();
	secret(password, strlen(password));
	secret(strrchr(hash, '$') + 1, strlen(strrchr(hash, '$') + 1));   /* the Argon2 tag */
	CU_ASSERT_FATAL(basic_auth_parse(header, &cred) == 0);
	CU_ASSERT_EQUAL(basic_auth_verify(hash, cred.password, cred.password_len), 0);
	CU_ASSERT_EQUAL(basic_auth_verify(hash, guess, strlen(guess)), -1);
	CU_ASSERT_EQUAL(basic_auth_verify(NULL, cred.password, cred.password_len), -1);
	basic_auth_clear(&cred);
	CU_ASSERT(compares > 0);   /* the scheme name */
	CU_ASSERT_EQUAL(leaks, 0);
}

static void test_csrf_token(void)
{
	const char hash[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
	const int64_t now = INT64_C(1800000000);
	unsigned char key[CSRF_KEY_LEN], mac[64], session[CSRF_SESSION_LEN];
	char token[CSRF_TOKEN_MAX], bad[CSRF_TOKEN_MAX];
	size_t mac_len = 0;

	randombytes_buf(session, sizeof(session));
	csrf_key_derive(hash, key);
	csrf_make(key, session, "alice", "retry x", now + 3600, token);
	const char *mac_text = strchr(token, '.') + 1;
	CU_ASSERT_FATAL(sodium_base642bin(mac, sizeof(mac), mac_text, strlen(mac_text), NULL,
					  &mac_len, NULL,
					  sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
	reset();
	secret(key, sizeof(key));
	secret(mac, mac_len);
	secret(mac_text, strlen(mac_text));
	secret(session, sizeof(session));
	CU_ASSERT_EQUAL(csrf_verify(key, session, "alice", "retry x", token, now), 0);
	/* Wrong in the first and in the last MAC character, and for another action. */
	memcpy(bad, token, sizeof(bad));
	size_t first = (size_t)(mac_text - token), last = strlen(token) - 2;
	bad[first] = bad[first] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(csrf_verify(key, session, "alice", "retry x", bad, now), -1);
	memcpy(bad, token, sizeof(bad));
	bad[last] = bad[last] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(csrf_verify(key, session, "alice", "retry x", bad, now), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session, "alice", "cancel x", token, now), -1);
	CU_ASSERT_EQUAL(leaks, 0);
}

/* The admin pages' session id, as the Cookie header carries it. */
static void test_session_cookie(void)
{
	const char id[] = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycA";
	char header[160];
	const char *v;
	size_t len;

	snprintf(header, sizeof(header), "theme=dark; gentrack_session=%s; lang=en", id);
	reset();
	secret(id, strlen(id));
	CU_ASSERT_EQUAL(cookie_get(header, "gentrack_session", &v, &len), 0);
	CU_ASSERT_EQUAL(len, strlen(id));
	CU_ASSERT_EQUAL(cookie_get(header, "lang", &v, &len), 0);
	CU_ASSERT_EQUAL(cookie_get(header, "gentrack_sessionx", &v, &len), -1);
	CU_ASSERT(compares > 0);   /* the names */
	CU_ASSERT_EQUAL(leaks, 0);
}

/* The sign-in cache: its key, the password, the stored hash, the digests. */
static void test_admin_cache(void)
{
	const char password[] = "correct horse battery staple";
	const char hash[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
	const char guess[] = "correct horse battery stapler";
	const int64_t now = INT64_C(1800000000000000);
	static struct admin_cache ac;

	admin_cache_init(&ac, 60 * INT64_C(1000000));
	reset();
	secret(ac.key, sizeof(ac.key));
	secret(password, strlen(password));
	secret(strrchr(hash, '$') + 1, strlen(strrchr(hash, '$') + 1));
	admin_cache_put(&ac, "alice", password, strlen(password), hash, now);
	secret(ac.slots[0].digest, sizeof(ac.slots[0].digest));
	CU_ASSERT_EQUAL(admin_cache_hit(&ac, "alice", password, strlen(password), hash, now), 1);
	CU_ASSERT_EQUAL(admin_cache_hit(&ac, "alice", guess, strlen(guess), hash, now), 0);
	admin_cache_put(&ac, "alice", password, strlen(password), hash, now + 1);
	CU_ASSERT_EQUAL(leaks, 0);
	admin_cache_release(&ac);
}

/* The pool's Argon2id turn: its key, the password, the stored hash, the digests. */
static void test_verify_turn(void)
{
	const char password[] = "correct horse battery staple";
	const char hash[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
	const char guess[] = "correct horse battery stapler";
	const int64_t now = INT64_C(1800000000000000), lease = 5 * INT64_C(1000000);
	unsigned char right[VERIFY_TURN_DIGEST_LEN], wrong[VERIFY_TURN_DIGEST_LEN];
	static struct verify_turn t;

	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&t, 60 * INT64_C(1000000)), 0);
	reset();
	secret(t.key, sizeof(t.key));
	secret(password, strlen(password));
	secret(strrchr(hash, '$') + 1, strlen(strrchr(hash, '$') + 1));
	verify_turn_digest(&t, "alice", password, strlen(password), hash, right);
	verify_turn_digest(&t, "alice", guess, strlen(guess), hash, wrong);
	secret(right, sizeof(right));
	CU_ASSERT_EQUAL(verify_turn_begin(&t, right, now, lease, NULL), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(verify_turn_begin(&t, right, now, lease, NULL), VERIFY_TURN_SAME);
	CU_ASSERT_EQUAL(verify_turn_begin(&t, wrong, now, lease, NULL), VERIFY_TURN_BUSY);
	verify_turn_end(&t, wrong, 0);
	verify_turn_end(&t, right, 1);
	CU_ASSERT_EQUAL(verify_turn_begin(&t, right, now, lease, NULL), VERIFY_TURN_PASSED);
	CU_ASSERT_EQUAL(verify_turn_begin(&t, wrong, now, lease, NULL), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(leaks, 0);
	verify_turn_release(&t);
}

/* The [metrics] token and its digest, presented right and one character off. */
static void test_metrics_token(void)
{
	static const char token[] = "3f9c0d1e7a5b4c2d9e8f7a6b5c4d3e2f1a0b9c8d";
	char header[96], wrong[96];
	struct metrics_token t;

	snprintf(header, sizeof(header), "Bearer %s", token);
	snprintf(wrong, sizeof(wrong), "Bearer %.*s0", (int)strlen(token) - 1, token);
	reset();
	secret(token, strlen(token));
	metrics_token_init(&t, token);
	secret(t.digest, sizeof(t.digest));
	CU_ASSERT_EQUAL(metrics_token_matches(&t, header), 1);
	CU_ASSERT_EQUAL(metrics_token_matches(&t, wrong), 0);
	CU_ASSERT(compares > 0);   /* the scheme */
	CU_ASSERT_EQUAL(leaks, 0);
}

static const struct unit_case cases[] = {
	{ "the watch sees the library's compares and catches a leak", test_watch_works },
	{ "a bearer key and its hash reach no libc compare", test_bearer_key },
	{ "an admin password and its hash reach no libc compare", test_admin_password },
	{ "a CSRF key and MAC reach no libc compare", test_csrf_token },
	{ "a session cookie's id reaches no libc compare", test_session_cookie },
	{ "the sign-in cache's key, password and digests reach no libc compare", test_admin_cache },
	{ "the metrics token and its digest reach no libc compare", test_metrics_token },
	{ "the Argon2id turn's key, password and digests reach no libc compare", test_verify_turn },
	{ NULL, NULL },
};

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	return unit_run("secrets", cases);
}
