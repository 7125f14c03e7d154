#include "build_config.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "web/login_limit.h"
#include "unit.h"

/* Failed sign-in counts on an injected clock (µs): no sleeping. */

#define T0 INT64_C(1800000000000000)
#define S INT64_C(1000000)
#define WINDOW (60 * S)

static void fail_n(struct login_limit *l, const char *key, int n, int64_t now)
{
	for (int i = 0; i < n; i++)
		login_limit_fail(l, key, now);
}

static void test_threshold(void)
{
	static struct login_limit l;
	login_limit_init(&l, WINDOW);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.7", 5, T0), 0);
	fail_n(&l, "a:192.0.2.7", 4, T0);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.7", 5, T0 + S), 0);
	login_limit_fail(&l, "a:192.0.2.7", T0 + 2 * S);
	/* Five in the window that began at T0: wait until it ends. */
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.7", 5, T0 + 2 * S), WINDOW - 2 * S);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.7", 5, T0 + WINDOW - 1), 1);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.7", 5, T0 + WINDOW), 0);
	/* The threshold is the caller's: a user name may get more tries. */
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.7", 10, T0 + 2 * S), 0);
}

/* Keys are counted apart. */
static void test_keys_apart(void)
{
	static struct login_limit l;
	login_limit_init(&l, WINDOW);
	fail_n(&l, "a:192.0.2.7", 5, T0);
	CU_ASSERT(login_limit_wait(&l, "a:192.0.2.7", 5, T0) > 0);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.8", 5, T0), 0);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "u:192.0.2.7", 5, T0), 0);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:192.0.2.70", 5, T0), 0);
}

/* Failures after a window ended start a new window: no carry-over. */
static void test_new_window(void)
{
	static struct login_limit l;
	login_limit_init(&l, WINDOW);
	fail_n(&l, "u:admin", 4, T0);
	fail_n(&l, "u:admin", 4, T0 + WINDOW);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "u:admin", 5, T0 + WINDOW), 0);
	login_limit_fail(&l, "u:admin", T0 + WINDOW + 5 * S);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "u:admin", 5, T0 + WINDOW + 5 * S), WINDOW - 5 * S);
	/* Blocked is not extended by more failures (a guesser that keeps
	 * knocking does not lock the key out for ever). */
	fail_n(&l, "u:admin", 20, T0 + WINDOW + 30 * S);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "u:admin", 5, T0 + 2 * WINDOW), 0);
}

/* A full table reuses an expired slot first, then the oldest window. */
static void test_full_table(void)
{
	static struct login_limit l;
	char key[32];
	login_limit_init(&l, WINDOW);
	fail_n(&l, "a:old", 5, T0);
	for (int i = 1; i < LOGIN_LIMIT_SLOTS; i++) {
		snprintf(key, sizeof(key), "a:10.0.%d.%d", i / 256, i % 256);
		fail_n(&l, key, 5, T0 + S);
	}
	CU_ASSERT(login_limit_wait(&l, "a:old", 5, T0 + 2 * S) > 0);
	/* The table is full: a newcomer takes the oldest window's slot. */
	fail_n(&l, "a:new", 5, T0 + 2 * S);
	CU_ASSERT(login_limit_wait(&l, "a:new", 5, T0 + 2 * S) > 0);
	CU_ASSERT_EQUAL(login_limit_wait(&l, "a:old", 5, T0 + 2 * S), 0);
	snprintf(key, sizeof(key), "a:10.0.%d.%d", 1 / 256, 1 % 256);
	CU_ASSERT(login_limit_wait(&l, key, 5, T0 + 2 * S) > 0);
}

/* A key longer than the table's is cut, consistently. */
static void test_long_key(void)
{
	static struct login_limit l;
	char key[200];
	login_limit_init(&l, WINDOW);
	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	key[0] = 'u';
	key[1] = ':';
	fail_n(&l, key, 5, T0);
	CU_ASSERT(login_limit_wait(&l, key, 5, T0) > 0);
}

/* A shared table: failures counted in a forked child count in the parent. */
static void test_shared_across_fork(void)
{
	struct login_limit *l = login_limit_new_shared(WINDOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		fail_n(l, "u:admin", 5, T0);
		_exit(0);
	}
	int status = 0;
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT(login_limit_wait(l, "u:admin", 5, T0 + S) > 0);
	login_limit_free_shared(l);
}

static const struct unit_case cases[] = {
	{ "after N failures in a window, wait until it ends", test_threshold },
	{ "each key is counted apart", test_keys_apart },
	{ "a new window starts afresh and is not extended", test_new_window },
	{ "a full table reuses the oldest window", test_full_table },
	{ "a long key is cut consistently", test_long_key },
	{ "a shared table counts the failures of forked children", test_shared_across_fork },
	{ NULL, NULL },
};

UNIT_MAIN("login_limit", cases)
