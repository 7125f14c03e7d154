#include "build_config.h"

#include <string.h>

#include "unit.h"
#include "base/uuid.h"

#define MS_2026 INT64_C(1795516200123) /* 2026-11-24T10:30:00.123Z */

static int version_of(const struct uuid *u)
{
	return u->b[6] >> 4;
}

static int variant_of(const struct uuid *u)
{
	return u->b[8] >> 6;
}

static void test_v7_layout(void)
{
	struct uuid_gen g;
	struct uuid u;
	uuid_gen_init(&g);
	CU_ASSERT_EQUAL(g.last_ms, -1);
	CU_ASSERT_EQUAL_FATAL(uuid_v7_next(&g, MS_2026, &u), 0);
	CU_ASSERT_EQUAL(version_of(&u), 7);
	CU_ASSERT_EQUAL(variant_of(&u), 2);
	CU_ASSERT_EQUAL(uuid_v7_unix_ms(&u), MS_2026);
	/* The first 48 bits are the big-endian milliseconds. */
	static const unsigned char ts[6] = { 0x01, 0xa2, 0x0d, 0x1a, 0xf4, 0xbb };
	CU_ASSERT_EQUAL(memcmp(u.b, ts, 6), 0);
	char s[UUID_STR_LEN + 1];
	uuid_format(&u, s);
	CU_ASSERT_EQUAL(strncmp(s, "01a20d1a-f4bb-7", 15), 0);
	CU_ASSERT(strchr("89ab", s[19]) != NULL);
}

static void test_v7_random_differs(void)
{
	struct uuid_gen g1, g2;
	struct uuid a, b;
	uuid_gen_init(&g1);
	uuid_gen_init(&g2);
	uuid_v7_next(&g1, 1000, &a);
	uuid_v7_next(&g2, 1000, &b);
	/* Two generators in one millisecond: 74 random bits make a clash unthinkable. */
	CU_ASSERT_NOT_EQUAL(uuid_compare(&a, &b), 0);
	CU_ASSERT_EQUAL(memcmp(a.b, b.b, 6), 0);
}

static void test_v7_range(void)
{
	struct uuid_gen g;
	struct uuid u;
	uuid_gen_init(&g);
	CU_ASSERT_EQUAL(uuid_v7_next(&g, -1, &u), -1);
	CU_ASSERT_EQUAL(uuid_v7_next(&g, INT64_C(1) << 48, &u), -1);
	CU_ASSERT_EQUAL(g.last_ms, -1);
	CU_ASSERT_EQUAL(uuid_v7_next(&g, 0, &u), 0);
	CU_ASSERT_EQUAL(uuid_v7_unix_ms(&u), 0);
	CU_ASSERT_EQUAL(uuid_v7_next(&g, (INT64_C(1) << 48) - 1, &u), 0);
	CU_ASSERT_EQUAL(uuid_v7_unix_ms(&u), (INT64_C(1) << 48) - 1);
}

static void test_monotonic_same_ms(void)
{
	struct uuid_gen g;
	struct uuid prev, cur;
	uuid_gen_init(&g);
	CU_ASSERT_EQUAL_FATAL(uuid_v7_next(&g, MS_2026, &prev), 0);
	int ordered = 1, layout = 1, same_ms = 1;
	for (int i = 0; i < 10000; i++) {
		if (uuid_v7_next(&g, MS_2026, &cur) < 0) {
			ordered = 0;
			break;
		}
		ordered &= uuid_compare(&prev, &cur) < 0;
		layout &= version_of(&cur) == 7 && variant_of(&cur) == 2;
		same_ms &= uuid_v7_unix_ms(&cur) == MS_2026;
		prev = cur;
	}
	CU_ASSERT(ordered);
	CU_ASSERT(layout);
	CU_ASSERT(same_ms);
}

static void test_monotonic_clock_back(void)
{
	struct uuid_gen g;
	struct uuid a, b, c, d;
	uuid_gen_init(&g);
	uuid_v7_next(&g, MS_2026, &a);
	uuid_v7_next(&g, MS_2026 - 5000, &b); /* clock stepped back 5 s */
	CU_ASSERT(uuid_compare(&a, &b) < 0);
	CU_ASSERT_EQUAL(uuid_v7_unix_ms(&b), MS_2026);
	uuid_v7_next(&g, 0, &c);
	CU_ASSERT(uuid_compare(&b, &c) < 0);
	CU_ASSERT_EQUAL(version_of(&c), 7);
	CU_ASSERT_EQUAL(variant_of(&c), 2);
	/* Once the clock passes the old time, the new time is used again. */
	uuid_v7_next(&g, MS_2026 + 1, &d);
	CU_ASSERT(uuid_compare(&c, &d) < 0);
	CU_ASSERT_EQUAL(uuid_v7_unix_ms(&d), MS_2026 + 1);
}

static void test_counter_overflow_borrows_next_ms(void)
{
	struct uuid_gen g;
	struct uuid u;
	uuid_gen_init(&g);
	uuid_v7_next(&g, 5000, &u);
	/* All 74 counter bits set: the next increment cannot fit. */
	g.last.b[6] = 0x7f;
	memset(g.last.b + 7, 0xff, 9);
	g.last.b[8] = 0xbf;
	struct uuid saturated = g.last;
	CU_ASSERT_EQUAL_FATAL(uuid_v7_next(&g, 5000, &u), 0);
	CU_ASSERT(uuid_compare(&saturated, &u) < 0);
	CU_ASSERT_EQUAL(uuid_v7_unix_ms(&u), 5001);
	CU_ASSERT_EQUAL(version_of(&u), 7);
	CU_ASSERT_EQUAL(variant_of(&u), 2);

	/* At the last representable millisecond there is nowhere to go. */
	int64_t last = (INT64_C(1) << 48) - 1;
	uuid_v7_next(&g, last, &u);
	g.last.b[6] = 0x7f;
	memset(g.last.b + 7, 0xff, 9);
	g.last.b[8] = 0xbf;
	CU_ASSERT_EQUAL(uuid_v7_next(&g, last, &u), -1);
}

static void test_counter_carries_into_rand_a(void)
{
	struct uuid_gen g;
	struct uuid u;
	uuid_gen_init(&g);
	uuid_v7_next(&g, 5000, &u);
	/* rand_b all ones, rand_a zero: any step carries into rand_a. */
	g.last.b[6] = 0x70;
	g.last.b[7] = 0x00;
	g.last.b[8] = 0xbf;
	memset(g.last.b + 9, 0xff, 7);
	CU_ASSERT_EQUAL_FATAL(uuid_v7_next(&g, 5000, &u), 0);
	CU_ASSERT_EQUAL(uuid_v7_unix_ms(&u), 5000);
	CU_ASSERT_EQUAL(u.b[6], 0x70);
	CU_ASSERT_EQUAL(u.b[7], 0x01);
	CU_ASSERT_EQUAL(variant_of(&u), 2);
	/* step is 1..2^16, so rand_b wrapped to step - 1 < 2^16. */
	static const unsigned char zeros[5] = { 0 };
	CU_ASSERT_EQUAL(u.b[8], 0x80);
	CU_ASSERT_EQUAL(memcmp(u.b + 9, zeros, 5), 0);
}

static void test_format_parse_round_trip(void)
{
	struct uuid u, back;
	for (int i = 0; i < 16; i++)
		u.b[i] = (unsigned char)(i * 17 + 1);
	char s[UUID_STR_LEN + 1];
	uuid_format(&u, s);
	CU_ASSERT_STRING_EQUAL(s, "01122334-4556-6778-899a-abbccddeef00");
	CU_ASSERT_EQUAL(strlen(s), UUID_STR_LEN);
	CU_ASSERT_EQUAL(uuid_parse(s, strlen(s), &back), 0);
	CU_ASSERT_EQUAL(memcmp(u.b, back.b, 16), 0);
}

static void test_parse_spec_example_and_case(void)
{
	struct uuid a, b;
	const char *lower = "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f";
	const char *upper = "0192E4C1-7A1B-7C3D-8E9F-0A1B2C3D4E5F";
	CU_ASSERT_EQUAL_FATAL(uuid_parse(lower, 36, &a), 0);
	CU_ASSERT_EQUAL_FATAL(uuid_parse(upper, 36, &b), 0);
	CU_ASSERT_EQUAL(uuid_compare(&a, &b), 0);
	CU_ASSERT_EQUAL(a.b[0], 0x01);
	CU_ASSERT_EQUAL(a.b[15], 0x5f);
	char s[UUID_STR_LEN + 1];
	uuid_format(&b, s);
	CU_ASSERT_STRING_EQUAL(s, lower);
}

static void test_parse_not_nul_terminated(void)
{
	/* A path segment followed by more of the path. */
	const char *path = "0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f/cancel";
	struct uuid u;
	CU_ASSERT_EQUAL(uuid_parse(path, 36, &u), 0);
	CU_ASSERT_EQUAL(uuid_parse(path, strlen(path), &u), -1);
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5",   /* 35 */
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f0", /* 37 */
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5g",  /* non-hex */
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e 5",  /* space */
		"0192e4c117a1b-7c3d-8e9f-0a1b2c3d4e5f",  /* dash missing */
		"0192e4c1-7a1b17c3d-8e9f-0a1b2c3d4e5f",
		"0192e4c1-7a1b-7c3d18e9f-0a1b2c3d4e5f",
		"0192e4c1-7a1b-7c3d-8e9f10a1b2c3d4e5f",
		"0192e4c-17a1b-7c3d-8e9f-0a1b2c3d4e5f",  /* dash misplaced */
		"{192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5}",
		"0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e-f",
		"0192e4c1+7a1b-7c3d-8e9f-0a1b2c3d4e5f",
		"0x92e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e5f",
		"",
	};
	struct uuid u;
	memset(&u, 0xaa, sizeof(u));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(uuid_parse(bad[i], strlen(bad[i]), &u), -1);
	/* A 32-digit form without dashes is not canonical. */
	CU_ASSERT_EQUAL(uuid_parse("0192e4c17a1b7c3d8e9f0a1b2c3d4e5f", 32, &u), -1);
	/* An embedded NUL within the 36 bytes is not a digit. */
	CU_ASSERT_EQUAL(uuid_parse("0192e4c1-7a1b-7c3d-8e9f-0a1b2c3d4e\0f", 36, &u), -1);
	/* out untouched on failure */
	CU_ASSERT_EQUAL(u.b[0], 0xaa);
}

static void test_compare_is_time_order(void)
{
	struct uuid_gen g1, g2;
	struct uuid early, late;
	uuid_gen_init(&g1);
	uuid_gen_init(&g2);
	uuid_v7_next(&g1, 1000, &late);
	uuid_v7_next(&g2, 999, &early);
	CU_ASSERT(uuid_compare(&early, &late) < 0);
	CU_ASSERT(uuid_compare(&late, &early) > 0);
	CU_ASSERT_EQUAL(uuid_compare(&late, &late), 0);
}

static const struct unit_case cases[] = {
	{ "v7 layout", test_v7_layout },
	{ "v7 random bits differ", test_v7_random_differs },
	{ "v7 timestamp range", test_v7_range },
	{ "monotonic over 10000 ids in one ms", test_monotonic_same_ms },
	{ "monotonic when clock steps back", test_monotonic_clock_back },
	{ "counter overflow borrows next ms", test_counter_overflow_borrows_next_ms },
	{ "counter carries into rand_a", test_counter_carries_into_rand_a },
	{ "format/parse round trip", test_format_parse_round_trip },
	{ "parse spec example, either case", test_parse_spec_example_and_case },
	{ "parse with explicit length", test_parse_not_nul_terminated },
	{ "parse rejects", test_parse_rejects },
	{ "compare is time order", test_compare_is_time_order },
	{ NULL, NULL },
};

UNIT_MAIN("uuid", cases)
