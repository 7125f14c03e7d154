/*
 * wclient: the backoff between retries, min(cap, base * 2^retry) with full
 * jitter, at least Retry-After (wclient.h), with the random value injected.
 * The rest of the client speaks HTTP: tests/e2e/worker.sh and faults.sh.
 */
#include "build_config.h"

#include <stdint.h>

#include "worker/wclient.h"
#include "unit.h"

#define BASE 500
#define CAP 30000
#define RND_MAX UINT32_MAX
#define RND_HALF (UINT32_C(1) << 31)

/* min(cap, base * 2^retry), computed the slow way. */
static int64_t ceiling(int retry, int base, int cap)
{
	int64_t c = base;
	for (int i = 0; i < retry; i++) {
		c *= 2;
		if (c >= cap)
			return cap;
	}
	return c < cap ? c : cap;
}

static void test_zero_random_is_zero(void)
{
	for (int retry = 0; retry < 40; retry++)
		CU_ASSERT_EQUAL(wclient_backoff_ms(retry, BASE, CAP, -1, 0), 0);
}

static void test_top_random_reaches_the_ceiling(void)
{
	CU_ASSERT_EQUAL(wclient_backoff_ms(0, BASE, CAP, -1, RND_MAX), BASE);
	CU_ASSERT_EQUAL(wclient_backoff_ms(1, BASE, CAP, -1, RND_MAX), 2 * BASE);
	CU_ASSERT_EQUAL(wclient_backoff_ms(2, BASE, CAP, -1, RND_MAX), 4 * BASE);
	CU_ASSERT_EQUAL(wclient_backoff_ms(5, BASE, CAP, -1, RND_MAX), 16000);
	/* 500 * 2^6 = 32000 is past the cap. */
	CU_ASSERT_EQUAL(wclient_backoff_ms(6, BASE, CAP, -1, RND_MAX), CAP);
	CU_ASSERT_EQUAL(wclient_backoff_ms(7, BASE, CAP, -1, RND_MAX), CAP);
}

static void test_doubles_until_the_cap(void)
{
	int64_t prev = 0;
	for (int retry = 0; retry < 12; retry++) {
		int64_t top = wclient_backoff_ms(retry, BASE, CAP, -1, RND_MAX);
		CU_ASSERT_EQUAL(top, ceiling(retry, BASE, CAP));
		if (retry > 0 && prev < CAP / 2)
			CU_ASSERT_EQUAL(top, 2 * prev);
		CU_ASSERT_TRUE(top >= prev);
		prev = top;
	}
}

static void test_jitter_is_uniform_over_the_ceiling(void)
{
	/* Half the random range is half the ceiling (within a millisecond). */
	for (int retry = 0; retry < 10; retry++) {
		int64_t top = ceiling(retry, BASE, CAP);
		int64_t mid = wclient_backoff_ms(retry, BASE, CAP, -1, RND_HALF);
		CU_ASSERT_TRUE(mid >= top / 2 - 1 && mid <= top / 2 + 1);
	}
	/* Monotonic in the random value, never past the ceiling. */
	int64_t prev = -1;
	for (uint64_t r = 0; r <= RND_MAX; r += UINT32_C(0x01000193)) {
		int64_t w = wclient_backoff_ms(3, BASE, CAP, -1, (uint32_t)r);
		CU_ASSERT_TRUE(w >= prev);
		CU_ASSERT_TRUE(w >= 0 && w <= ceiling(3, BASE, CAP));
		prev = w;
	}
}

static void test_huge_retry_counts_stay_capped(void)
{
	int retries[] = { 30, 31, 32, 63, 64, 1000, 1 << 30 };
	for (size_t i = 0; i < sizeof(retries) / sizeof(retries[0]); i++) {
		int64_t w = wclient_backoff_ms(retries[i], BASE, CAP, -1, RND_MAX);
		CU_ASSERT_EQUAL(w, CAP);
		w = wclient_backoff_ms(retries[i], BASE, CAP, -1, RND_HALF);
		CU_ASSERT_TRUE(w >= 0 && w <= CAP);
	}
}

static void test_retry_after_is_a_floor(void)
{
	/* A server's Retry-After wins over a shorter jittered wait... */
	CU_ASSERT_EQUAL(wclient_backoff_ms(0, BASE, CAP, 2000, 0), 2000);
	CU_ASSERT_EQUAL(wclient_backoff_ms(0, BASE, CAP, 2000, RND_MAX), 2000);
	/* ...even past the cap: the server knows when it will be back. */
	CU_ASSERT_EQUAL(wclient_backoff_ms(10, BASE, CAP, 120000, RND_MAX), 120000);
	/* A shorter one changes nothing; 0 and "none" (-1) neither. */
	CU_ASSERT_EQUAL(wclient_backoff_ms(4, BASE, CAP, 100, RND_MAX), 8000);
	CU_ASSERT_EQUAL(wclient_backoff_ms(4, BASE, CAP, 0, RND_MAX), 8000);
	CU_ASSERT_EQUAL(wclient_backoff_ms(4, BASE, CAP, -1, 0), 0);
}

static void test_other_base_and_cap(void)
{
	/* The worker loop's claim backoff: 1 s doubling to 30 s. */
	CU_ASSERT_EQUAL(wclient_backoff_ms(0, 1000, 30000, 0, RND_MAX), 1000);
	CU_ASSERT_EQUAL(wclient_backoff_ms(4, 1000, 30000, 0, RND_MAX), 16000);
	CU_ASSERT_EQUAL(wclient_backoff_ms(5, 1000, 30000, 0, RND_MAX), 30000);
	/* A cap below the base: the cap. */
	CU_ASSERT_EQUAL(wclient_backoff_ms(0, 800, 300, -1, RND_MAX), 300);
	CU_ASSERT_EQUAL(wclient_backoff_ms(3, 1, 1000000, -1, RND_MAX), 8);
}

static const struct unit_case cases[] = {
	{ "random 0 waits 0", test_zero_random_is_zero },
	{ "the top random value reaches the ceiling", test_top_random_reaches_the_ceiling },
	{ "the ceiling doubles until the cap", test_doubles_until_the_cap },
	{ "jitter spreads over 0..ceiling", test_jitter_is_uniform_over_the_ceiling },
	{ "huge retry counts stay capped", test_huge_retry_counts_stay_capped },
	{ "Retry-After is a floor", test_retry_after_is_a_floor },
	{ "other base and cap", test_other_base_and_cap },
	{ NULL, NULL },
};

UNIT_MAIN("wclient", cases)
