/* number: the digit parsers under durations, sizes, query strings and UUIDs. */
#include "build_config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/number.h"
#include "unit.h"

static const struct number_unit units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'K', 1024 }, { '\0', 0 },
};

static void test_hex_digit(void)
{
	const char *digits = "0123456789abcdef";
	const char *upper = "0123456789ABCDEF";
	for (int i = 0; i < 16; i++) {
		CU_ASSERT_EQUAL(number_hex_digit(digits[i]), i);
		CU_ASSERT_EQUAL(number_hex_digit(upper[i]), i);
	}
	const char *not_hex = "gG/:@`xX -+\0";
	for (const char *p = not_hex; *p; p++)
		CU_ASSERT_EQUAL(number_hex_digit(*p), -1);
	CU_ASSERT_EQUAL(number_hex_digit('\0'), -1);
	CU_ASSERT_EQUAL(number_hex_digit((char)0xe9), -1);
}

static void test_parse_plain(void)
{
	int64_t v = -1;
	CU_ASSERT_EQUAL(number_parse("0", NULL, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(number_parse("007", NULL, &v), 0);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_EQUAL(number_parse("9223372036854775807", NULL, &v), 0);
	CU_ASSERT_EQUAL(v, INT64_MAX);
	/* A unit where none is allowed. */
	v = 42;
	CU_ASSERT_EQUAL(number_parse("5s", NULL, &v), -1);
	CU_ASSERT_EQUAL(v, 42);
}

static void test_parse_units(void)
{
	int64_t v = -1;
	CU_ASSERT_EQUAL(number_parse("90", units, &v), 0);
	CU_ASSERT_EQUAL(v, 90);
	CU_ASSERT_EQUAL(number_parse("90s", units, &v), 0);
	CU_ASSERT_EQUAL(v, 90);
	CU_ASSERT_EQUAL(number_parse("10m", units, &v), 0);
	CU_ASSERT_EQUAL(v, 600);
	CU_ASSERT_EQUAL(number_parse("64K", units, &v), 0);
	CU_ASSERT_EQUAL(v, 65536);
	CU_ASSERT_EQUAL(number_parse("153722867280912930m", units, &v), 0);
	CU_ASSERT_EQUAL(v, INT64_C(153722867280912930) * 60);
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "+1", "-1", "1.5", "0x10", "k", "64k", "5h", "5ss", "5s1",
		"9223372036854775808", "99999999999999999999", "153722867280912931m",
		"9007199254740993K",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 42;
		CU_ASSERT_EQUAL(number_parse(bad[i], units, &v), -1);
		CU_ASSERT_EQUAL(v, 42);
	}
}

/* What "%" PRIu64 prints, edges included. */
static void test_u64_format(void)
{
	static const uint64_t values[] = { 0, 1, 9, 10, 99, 100, 1234567890, UINT64_C(10000000000000000000),
					   UINT64_MAX };
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char want[32], got[NUMBER_U64_DIGITS + 1];
		snprintf(want, sizeof(want), "%" PRIu64, values[i]);
		size_t n = number_u64_format(values[i], got);
		got[n] = '\0';
		CU_ASSERT_EQUAL(n, strlen(want));
		CU_ASSERT_STRING_EQUAL(got, want);
	}
}

static const struct unit_case cases[] = {
	{ "hex digits", test_hex_digit },
	{ "u64 into digits", test_u64_format },
	{ "plain decimals", test_parse_plain },
	{ "decimals with a unit", test_parse_units },
	{ "rejects", test_parse_rejects },
	{ NULL, NULL },
};

UNIT_MAIN("number", cases)
