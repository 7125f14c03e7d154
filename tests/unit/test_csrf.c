#include "build_config.h"

#include <sodium.h>
#include <string.h>

#include "admin/csrf.h"
#include "unit.h"

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo"
#define NOW INT64_C(1800000000)

static void test_round_trip(void)
{
	unsigned char key[CSRF_KEY_LEN];
	char token[CSRF_TOKEN_MAX];
	csrf_key_derive(HASH, key);
	csrf_make(key, "alice", NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", token, NOW), 0);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", token, NOW + 3600), 0);
}

static void test_refused(void)
{
	unsigned char key[CSRF_KEY_LEN], other[CSRF_KEY_LEN];
	char token[CSRF_TOKEN_MAX], bad[CSRF_TOKEN_MAX];
	csrf_key_derive(HASH, key);
	csrf_key_derive(HASH "x", other);   /* the password changed */
	csrf_make(key, "alice", NOW + 3600, token);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", token, NOW + 3601), -1);   /* expired */
	CU_ASSERT_EQUAL(csrf_verify(key, "bob", token, NOW), -1);            /* another admin */
	CU_ASSERT_EQUAL(csrf_verify(other, "alice", token, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", NULL, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", "", NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", ".", NOW), -1);
	/* A later expiry with the old MAC. */
	memcpy(bad, token, sizeof(bad));
	bad[0] = bad[0] == '9' ? '8' : (char)(bad[0] + 1);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", bad, NOW), -1);
	/* One MAC character changed. */
	memcpy(bad, token, sizeof(bad));
	size_t n = strlen(bad);
	bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", bad, NOW), -1);
	/* Truncated, signed, or with trailing junk. */
	memcpy(bad, token, sizeof(bad));
	bad[n - 1] = '\0';
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", bad, NOW), -1);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", "-1.AAAA", NOW), -1);
	char longer[CSRF_TOKEN_MAX + 2];
	memcpy(longer, token, n);
	memcpy(longer + n, "A", 2);
	CU_ASSERT_EQUAL(csrf_verify(key, "alice", longer, NOW), -1);
}

static const struct unit_case cases[] = {
	{ "a made token verifies until it expires", test_round_trip },
	{ "wrong user, key, expiry, MAC or shape refused", test_refused },
	{ NULL, NULL },
};

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	return unit_run("csrf", cases);
}
