#include "build_config.h"

#include <sodium.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "web/verify_turn.h"
#include "unit.h"

/* The pool's Argon2id turn and its last result, on an injected clock (µs). */

#define T0 INT64_C(1800000000000000)
#define S INT64_C(1000000)
#define TTL (60 * S)
#define LEASE (5 * S)

static const char hash_a[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo";
static const char hash_b[] = "$argon2id$v=19$m=65536,t=2,p=1$b3RoZXJzYWx0MTI$b3RoZXJoYXNoMTI";
static const char pw[] = "correct horse battery staple";

struct cred {
	unsigned char d[VERIFY_TURN_DIGEST_LEN];
};

static struct cred cred(const struct verify_turn *t, const char *user, const char *p,
			const char *hash)
{
	struct cred c;
	verify_turn_digest(t, user, p, strlen(p), hash, c.d);
	return c;
}

static enum verify_turn_answer ask(struct verify_turn *t, struct cred c, int64_t now)
{
	return verify_turn_begin(t, c.d, now, LEASE, NULL);
}

/* The same credential meanwhile waits, then takes the result; another is busy. */
static void test_same_waits_other_busy(void)
{
	struct verify_turn t;
	int64_t at = 0;
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&t, TTL), 0);
	struct cred alice = cred(&t, "alice", pw, hash_a);
	struct cred guess = cred(&t, "alice", "123456", hash_a);

	CU_ASSERT_EQUAL(ask(&t, alice, T0), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + 1), VERIFY_TURN_SAME);
	CU_ASSERT_EQUAL(ask(&t, guess, T0 + 1), VERIFY_TURN_BUSY);
	CU_ASSERT_EQUAL(ask(&t, cred(&t, "bob", pw, hash_b), T0 + 1), VERIFY_TURN_BUSY);
	verify_turn_end(&t, alice.d, 1);
	CU_ASSERT_EQUAL(verify_turn_begin(&t, alice.d, T0 + S, LEASE, &at), VERIFY_TURN_PASSED);
	CU_ASSERT_EQUAL(at, T0);   /* when the check began: the TTL counts from there */
	/* The turn is free again for anyone else. */
	CU_ASSERT_EQUAL(ask(&t, guess, T0 + S), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + S), VERIFY_TURN_PASSED);
	verify_turn_release(&t);
}

/* A failure is shared the same way: the caller counts it as its own. */
static void test_failure_shared(void)
{
	struct verify_turn t;
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&t, TTL), 0);
	struct cred guess = cred(&t, "alice", "123456", hash_a);
	CU_ASSERT_EQUAL(ask(&t, guess, T0), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(ask(&t, guess, T0 + 1), VERIFY_TURN_SAME);
	verify_turn_end(&t, guess.d, 0);
	CU_ASSERT_EQUAL(ask(&t, guess, T0 + 2), VERIFY_TURN_FAILED);
	CU_ASSERT_EQUAL(ask(&t, cred(&t, "alice", pw, hash_a), T0 + 2), VERIFY_TURN_YOURS);
	verify_turn_release(&t);
}

/* A result answers for the TTL after its check began, not after. */
static void test_result_expires(void)
{
	struct verify_turn t;
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&t, TTL), 0);
	struct cred alice = cred(&t, "alice", pw, hash_a);
	CU_ASSERT_EQUAL(ask(&t, alice, T0), VERIFY_TURN_YOURS);
	verify_turn_end(&t, alice.d, 1);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + TTL - 1), VERIFY_TURN_PASSED);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + TTL), VERIFY_TURN_YOURS);
	verify_turn_end(&t, alice.d, 1);
	/* A clock that went back does not make an old result new. */
	CU_ASSERT_EQUAL(ask(&t, alice, T0), VERIFY_TURN_YOURS);
	verify_turn_release(&t);
}

/* A changed password (a new stored hash) or a deleted account is another credential. */
static void test_changed_hash_not_matched(void)
{
	struct verify_turn t;
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&t, TTL), 0);
	struct cred old = cred(&t, "alice", pw, hash_a);
	struct cred changed = cred(&t, "alice", pw, hash_b);
	struct cred deleted = cred(&t, "alice", pw, NULL);

	CU_ASSERT_NOT_EQUAL(memcmp(old.d, changed.d, sizeof(old.d)), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(old.d, deleted.d, sizeof(old.d)), 0);
	CU_ASSERT_EQUAL(ask(&t, old, T0), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(ask(&t, changed, T0 + 1), VERIFY_TURN_BUSY);
	CU_ASSERT_EQUAL(ask(&t, deleted, T0 + 1), VERIFY_TURN_BUSY);
	verify_turn_end(&t, old.d, 1);
	CU_ASSERT_EQUAL(ask(&t, changed, T0 + 2), VERIFY_TURN_YOURS);
	verify_turn_end(&t, changed.d, 0);
	CU_ASSERT_EQUAL(ask(&t, deleted, T0 + 3), VERIFY_TURN_YOURS);
	/* The parts are separated: moving bytes from one to the other differs. */
	struct cred ab = cred(&t, "ab", "c", hash_a), a_bc = cred(&t, "a", "bc", hash_a);
	CU_ASSERT_NOT_EQUAL(memcmp(ab.d, a_bc.d, sizeof(ab.d)), 0);
	verify_turn_release(&t);
}

/* A holder that died loses the turn when its lease runs out; its late end
 * does not take the turn from the next holder. */
static void test_lease_runs_out(void)
{
	struct verify_turn t;
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&t, TTL), 0);
	struct cred alice = cred(&t, "alice", pw, hash_a);
	struct cred bob = cred(&t, "bob", pw, hash_b);
	CU_ASSERT_EQUAL(ask(&t, alice, T0), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + LEASE - 1), VERIFY_TURN_SAME);
	CU_ASSERT_EQUAL(ask(&t, bob, T0 + LEASE - 1), VERIFY_TURN_BUSY);
	CU_ASSERT_EQUAL(ask(&t, bob, T0 + LEASE), VERIFY_TURN_YOURS);
	verify_turn_end(&t, alice.d, 1);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + LEASE + 1), VERIFY_TURN_BUSY);
	verify_turn_end(&t, bob.d, 1);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + LEASE + 2), VERIFY_TURN_YOURS);
	verify_turn_release(&t);
}

/* A TTL of 0 keeps no result: only the one-at-a-time turn. */
static void test_no_results_without_ttl(void)
{
	struct verify_turn t;
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&t, 0), 0);
	struct cred alice = cred(&t, "alice", pw, hash_a);
	CU_ASSERT_EQUAL(ask(&t, alice, T0), VERIFY_TURN_YOURS);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + 1), VERIFY_TURN_SAME);
	verify_turn_end(&t, alice.d, 1);
	CU_ASSERT_EQUAL(ask(&t, alice, T0 + 2), VERIFY_TURN_YOURS);
	verify_turn_release(&t);
}

/* Two pools (two keys) make different digests; nothing holds the password. */
static void test_no_password_kept(void)
{
	struct verify_turn a, b;
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&a, TTL), 0);
	CU_ASSERT_EQUAL_FATAL(verify_turn_init(&b, TTL), 0);
	struct cred ca = cred(&a, "alice", pw, hash_a), cb = cred(&b, "alice", pw, hash_a);
	CU_ASSERT_NOT_EQUAL(memcmp(ca.d, cb.d, sizeof(ca.d)), 0);
	CU_ASSERT_EQUAL(ask(&a, ca, T0), VERIFY_TURN_YOURS);
	verify_turn_end(&a, ca.d, 1);
	const unsigned char *bytes = (const unsigned char *)&a;
	int found = 0;
	for (size_t i = 0; i + 8 <= sizeof(a); i++)
		found |= !memcmp(bytes + i, pw, 8);
	CU_ASSERT_EQUAL(found, 0);
	verify_turn_release(&a);
	verify_turn_release(&b);
}

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/*
 * Shared by forked children, as the pool's: a child asking while the parent
 * checks the same credential is told to wait, and then gets the parent's
 * result; a child with another credential is busy.
 */
static void test_shared_across_fork(void)
{
	struct verify_turn *t = verify_turn_new_shared(TTL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	struct cred alice = cred(t, "alice", pw, hash_a);
	struct cred guess = cred(t, "alice", "123456", hash_a);
	CU_ASSERT_EQUAL(ask(t, alice, T0), VERIFY_TURN_YOURS);

	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		if (ask(t, guess, T0 + 1) != VERIFY_TURN_BUSY || ask(t, alice, T0 + 1) != VERIFY_TURN_SAME)
			_exit(1);
		for (int i = 0; i < 500; i++) {
			enum verify_turn_answer a = ask(t, alice, T0 + 2);
			if (a != VERIFY_TURN_SAME)
				_exit(a == VERIFY_TURN_PASSED ? 0 : 2);
			nap_ms(10);
		}
		_exit(3);
	}
	nap_ms(50);
	verify_turn_end(t, alice.d, 1);
	int status = 0;
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	verify_turn_free_shared(t);
}

static const struct unit_case cases[] = {
	{ "the same credential waits and takes the result; another is busy",
	  test_same_waits_other_busy },
	{ "a failure is shared too", test_failure_shared },
	{ "a result is not used past its TTL", test_result_expires },
	{ "a changed stored hash or a deleted account does not match",
	  test_changed_hash_not_matched },
	{ "a dead holder's lease runs out", test_lease_runs_out },
	{ "a TTL of 0 keeps no result", test_no_results_without_ttl },
	{ "keyed digests only, never the password", test_no_password_kept },
	{ "shared by forked children: wait, then the holder's result",
	  test_shared_across_fork },
	{ NULL, NULL },
};

int main(void)
{
	if (sodium_init() < 0)
		return 99;
	return unit_run("verify_turn", cases);
}
