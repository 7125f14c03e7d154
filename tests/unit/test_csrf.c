#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "admin/csrf.h"
#include "unit.h"

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo"
#define NOW INT64_C(1800000000)
#define RETRY_X "retry 0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"
#define RETRY_Y "retry 0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e60"
#define CANCEL_X "cancel 0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f"

/* Two page sessions (the hashes of their ids), as two sign-ins would have. */
static unsigned char session_a[CSRF_SESSION_LEN], session_b[CSRF_SESSION_LEN];

static void test_round_trip(void)
{
	unsigned char key[CSRF_KEY_LEN];
	char token[CSRF_TOKEN_MAX];
	csrf_key_derive(HASH, key);
	csrf_make(key, session_a, "alice", RETRY_X, NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, token, NOW), 0);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, token, NOW + 3600), 0);
	csrf_make(key, session_a, "alice", "bulk-cancel", NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", "bulk-cancel", token, NOW), 0);
}

/* A token is for one form's action and target: the retry of X, not its cancel. */
static void test_other_action_refused(void)
{
	unsigned char key[CSRF_KEY_LEN];
	char token[CSRF_TOKEN_MAX];
	csrf_key_derive(HASH, key);
	csrf_make(key, session_a, "alice", RETRY_X, NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", CANCEL_X, token, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_Y, token, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", "retry", token, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", "bulk-cancel", token, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", "", token, NOW), -1);
	/* The fields cannot slide into each other: "alice" + "retry X" is not "alic" + "eretry X". */
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alic", "e" RETRY_X, token, NOW), -1);
}

/* A token of one sign-in is nothing in another, the same admin's included. */
static void test_other_session_refused(void)
{
	unsigned char key[CSRF_KEY_LEN];
	char token[CSRF_TOKEN_MAX];
	csrf_key_derive(HASH, key);
	csrf_make(key, session_a, "alice", RETRY_X, NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, session_b, "alice", RETRY_X, token, NOW), -1);
	csrf_make(key, session_b, "alice", RETRY_X, NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, session_b, "alice", RETRY_X, token, NOW), 0);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, token, NOW), -1);
}

static void test_expired_refused(void)
{
	unsigned char key[CSRF_KEY_LEN];
	char token[CSRF_TOKEN_MAX], later[CSRF_TOKEN_MAX];
	csrf_key_derive(HASH, key);
	csrf_make(key, session_a, "alice", RETRY_X, NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, token, NOW + 3601), -1);
	/* Its expiry moved on with the old MAC. */
	snprintf(later, sizeof(later), "%lld%s", (long long)(NOW + 7200), strchr(token, '.'));
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, later, NOW + 3601), -1);
}

static void test_refused(void)
{
	unsigned char key[CSRF_KEY_LEN], other[CSRF_KEY_LEN];
	char token[CSRF_TOKEN_MAX], bad[CSRF_TOKEN_MAX];
	csrf_key_derive(HASH, key);
	csrf_key_derive(HASH "x", other);   /* the password changed */
	csrf_make(key, session_a, "alice", RETRY_X, NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "bob", RETRY_X, token, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(other, session_a, "alice", RETRY_X, token, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, NULL, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, "", NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, ".", NOW), -1);
	/* A later expiry with the old MAC. */
	memcpy(bad, token, sizeof(bad));
	bad[0] = bad[0] == '9' ? '8' : (char)(bad[0] + 1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, bad, NOW), -1);
	/* One MAC character changed. */
	memcpy(bad, token, sizeof(bad));
	size_t n = strlen(bad);
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, bad, NOW), -1);
	/* Truncated, signed, or with trailing junk. */
	memcpy(bad, token, sizeof(bad));
	bad[n - 1] = '\0';
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, bad, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, "-1.AAAA", NOW), -1);
	char longer[CSRF_TOKEN_MAX + 2];
	memcpy(longer, token, n);
	memcpy(longer + n, "A", 2);
	CU_ASSERT_EQUAL(csrf_verify(key, session_a, "alice", RETRY_X, longer, NOW), -1);
}

static const struct unit_case cases[] = {
	{ "a made token verifies until it expires", test_round_trip },
	{ "a token for one action or target is refused for another", test_other_action_refused },
	{ "a token of one session is refused in another", test_other_session_refused },
	{ "an expired token is refused", test_expired_refused },
	{ "wrong user, key, expiry, MAC or shape refused", test_refused },
	{ NULL, NULL },
};

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	randombytes_buf(session_a, sizeof(session_a));
	randombytes_buf(session_b, sizeof(session_b));
	return unit_run("csrf", cases);
}
