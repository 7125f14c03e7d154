#include "build_config.h"

#include <string.h>

#include "base/timeutil.h"
#include "unit.h"

/* Reference values computed independently (Python datetime). */
static const struct {
	int64_t us;
	const char *text;
} known[] = {
	{ 0, "1970-01-01T00:00:00.000000Z" },
	{ -1, "1969-12-31T23:59:59.999999Z" },
	{ INT64_C(1795516200123456), "2026-11-24T10:30:00.123456Z" },
	{ INT64_C(2147483648000000), "2038-01-19T03:14:08.000000Z" },
	{ INT64_C(951868799999999), "2000-02-29T23:59:59.999999Z" },
	{ INT64_C(4107542400000000), "2100-03-01T00:00:00.000000Z" },
	{ INT64_C(-2203891200000000), "1900-03-01T00:00:00.000000Z" },
	{ INT64_C(-62135596800000000), "0001-01-01T00:00:00.000000Z" },
	{ INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z" },
};

#define N_KNOWN (sizeof(known) / sizeof(known[0]))

static void test_format_known(void)
{
	char out[TIME_RFC3339_LEN + 1];
	for (size_t i = 0; i < N_KNOWN; i++) {
		time_format_rfc3339(known[i].us, out);
		CU_ASSERT_STRING_EQUAL(out, known[i].text);
		CU_ASSERT_EQUAL(strlen(out), TIME_RFC3339_LEN);
	}
}

static void test_parse_known(void)
{
	for (size_t i = 0; i < N_KNOWN; i++) {
		int64_t us = 42;
		CU_ASSERT_EQUAL(time_parse_rfc3339(known[i].text, &us), 0);
		CU_ASSERT_EQUAL(us, known[i].us);
	}
}

static void test_civil_fields(void)
{
	struct civil_time c;
	time_to_civil(INT64_C(1795516200123456), &c);
	CU_ASSERT_EQUAL(c.year, 2026);
	CU_ASSERT_EQUAL(c.month, 11);
	CU_ASSERT_EQUAL(c.day, 24);
	CU_ASSERT_EQUAL(c.hour, 10);
	CU_ASSERT_EQUAL(c.minute, 30);
	CU_ASSERT_EQUAL(c.second, 0);
	CU_ASSERT_EQUAL(c.micro, 123456);

	time_to_civil(-1, &c);
	CU_ASSERT_EQUAL(c.year, 1969);
	CU_ASSERT_EQUAL(c.month, 12);
	CU_ASSERT_EQUAL(c.day, 31);
	CU_ASSERT_EQUAL(c.hour, 23);
	CU_ASSERT_EQUAL(c.minute, 59);
	CU_ASSERT_EQUAL(c.second, 59);
	CU_ASSERT_EQUAL(c.micro, 999999);
}

static void test_civil_round_trip_every_day(void)
{
	/* Every day from 1600 to 2400 at a non-trivial time of day. */
	int64_t start, end;
	struct civil_time c = { 1600, 1, 1, 13, 7, 42, 654321 };
	CU_ASSERT_EQUAL_FATAL(time_from_civil(&c, &start), 0);
	c.year = 2400;
	CU_ASSERT_EQUAL_FATAL(time_from_civil(&c, &end), 0);
	int ok = 1, contiguous = 1;
	int prev_day = 0;
	for (int64_t us = start; us <= end; us += INT64_C(86400000000)) {
		struct civil_time back;
		int64_t again;
		time_to_civil(us, &back);
		ok &= time_from_civil(&back, &again) == 0 && again == us &&
		      back.hour == 13 && back.minute == 7 && back.second == 42 &&
		      back.micro == 654321;
		/* Days advance by one or restart at 1 in a new month. */
		contiguous &= prev_day == 0 || back.day == prev_day + 1 || back.day == 1;
		prev_day = back.day;
	}
	CU_ASSERT(ok);
	CU_ASSERT(contiguous);
}

static void test_leap_years(void)
{
	int64_t us;
	struct civil_time c = { 2024, 2, 29, 0, 0, 0, 0 };
	CU_ASSERT_EQUAL(time_from_civil(&c, &us), 0);
	c.year = 2000;
	CU_ASSERT_EQUAL(time_from_civil(&c, &us), 0);
	c.year = 1600;
	CU_ASSERT_EQUAL(time_from_civil(&c, &us), 0);
	c.year = 2023;
	CU_ASSERT_EQUAL(time_from_civil(&c, &us), -1);
	c.year = 1900;
	CU_ASSERT_EQUAL(time_from_civil(&c, &us), -1);
	c.year = 2100;
	CU_ASSERT_EQUAL(time_from_civil(&c, &us), -1);
	CU_ASSERT_EQUAL(time_parse_rfc3339("2023-02-29T00:00:00Z", &us), -1);
	CU_ASSERT_EQUAL(time_parse_rfc3339("2100-02-29T00:00:00Z", &us), -1);
	CU_ASSERT_EQUAL(time_parse_rfc3339("2024-02-29T00:00:00Z", &us), 0);
	/* The day after Feb 28 of a non-leap year is Mar 1. */
	c = (struct civil_time){ 2023, 2, 28, 0, 0, 0, 0 };
	CU_ASSERT_EQUAL_FATAL(time_from_civil(&c, &us), 0);
	time_to_civil(us + INT64_C(86400000000), &c);
	CU_ASSERT_EQUAL(c.month, 3);
	CU_ASSERT_EQUAL(c.day, 1);
}

static void test_from_civil_rejects(void)
{
	static const struct civil_time bad[] = {
		{ 2026, 0, 1, 0, 0, 0, 0 },
		{ 2026, 13, 1, 0, 0, 0, 0 },
		{ 2026, 1, 0, 0, 0, 0, 0 },
		{ 2026, 1, 32, 0, 0, 0, 0 },
		{ 2026, 2, 30, 0, 0, 0, 0 },
		{ 2026, 4, 31, 0, 0, 0, 0 },
		{ 2026, 1, 1, 24, 0, 0, 0 },
		{ 2026, 1, 1, -1, 0, 0, 0 },
		{ 2026, 1, 1, 0, 60, 0, 0 },
		{ 2026, 1, 1, 0, 0, 60, 0 },
		{ 2026, 1, 1, 0, 0, 0, 1000000 },
		{ 2026, 1, 1, 0, 0, 0, -1 },
		{ -1, 1, 1, 0, 0, 0, 0 },
		{ 10000, 1, 1, 0, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t us = 7;
		CU_ASSERT_EQUAL(time_from_civil(&bad[i], &us), -1);
		CU_ASSERT_EQUAL(us, 7);
	}
}

static void test_parse_offsets_and_fractions(void)
{
	static const struct {
		const char *text;
		int64_t us;
	} cases[] = {
		{ "2026-11-24T10:30:00Z", INT64_C(1795516200000000) },
		{ "2026-11-24t10:30:00z", INT64_C(1795516200000000) },
		{ "2026-11-24T11:30:00+01:00", INT64_C(1795516200000000) },
		{ "2026-11-24T05:00:00-05:30", INT64_C(1795516200000000) },
		{ "2026-11-24T10:30:00+00:00", INT64_C(1795516200000000) },
		{ "2026-11-24T10:30:00-00:00", INT64_C(1795516200000000) },
		{ "2026-11-24T10:30:00.1Z", INT64_C(1795516200100000) },
		{ "2026-11-24T10:30:00.123Z", INT64_C(1795516200123000) },
		{ "2026-11-24T10:30:00.123456Z", INT64_C(1795516200123456) },
		{ "2026-11-24T10:30:00.123456789Z", INT64_C(1795516200123456) },
		{ "2026-11-24T10:30:00.999999999+01:00", INT64_C(1795512600999999) },
		/* An offset that crosses midnight into the previous day. */
		{ "1970-01-01T00:00:00+01:00", INT64_C(-3600000000) },
		{ "1969-12-31T19:00:00-05:00", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t us = 42;
		CU_ASSERT_EQUAL(time_parse_rfc3339(cases[i].text, &us), 0);
		CU_ASSERT_EQUAL(us, cases[i].us);
	}
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
		"",
		"2026",
		"2026-11-24",
		"2026-11-24T10:30:00",          /* no zone */
		"2026-11-24 10:30:00Z",         /* space separator */
		"2026-11-24T10:30Z",            /* no seconds */
		"2026-11-24T10:30:00.Z",        /* empty fraction */
		"2026-11-24T10:30:00.1234567890Z", /* 10 fraction digits */
		"2026-11-24T10:30:60Z",         /* leap second */
		"2026-11-24T24:00:00Z",
		"2026-11-31T10:30:00Z",
		"2026-13-01T10:30:00Z",
		"2026-00-01T10:30:00Z",
		"2026-11-24T10:30:00+1:00",
		"2026-11-24T10:30:00+0100",
		"2026-11-24T10:30:00+24:00",
		"2026-11-24T10:30:00+01:60",
		"2026-11-24T10:30:00Zjunk",
		"2026-11-24T10:30:00+01:00 ",
		" 2026-11-24T10:30:00Z",
		"+2026-11-24T10:30:00Z",
		"26-11-24T10:30:00Z",
		"2026/11/24T10:30:00Z",
		"2026-1a-24T10:30:00Z",
		"2026-11-24T10:30:00UTC",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t us = 42;
		CU_ASSERT_EQUAL(time_parse_rfc3339(bad[i], &us), -1);
		CU_ASSERT_EQUAL(us, 42);
	}
}

static void test_format_parse_round_trip(void)
{
	static const int64_t values[] = {
		0, 1, -1, 999999, 1000000, INT64_C(1795516200123456),
		INT64_C(-86400000000), INT64_C(253402300799999999),
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char out[TIME_RFC3339_LEN + 1];
		int64_t back = 0;
		time_format_rfc3339(values[i], out);
		CU_ASSERT_EQUAL(time_parse_rfc3339(out, &back), 0);
		CU_ASSERT_EQUAL(back, values[i]);
	}
}

static void test_now_is_plausible(void)
{
	int64_t a = time_now_us();
	int64_t b = time_now_us();
	/* After 2024-01-01 and before 2100, and not going backwards between calls. */
	CU_ASSERT(a > INT64_C(1704067200000000));
	CU_ASSERT(a < INT64_C(4102444800000000));
	CU_ASSERT(b >= a);
}

static void test_duration(void)
{
	static const struct {
		const char *text;
		int64_t seconds;
	} ok[] = {
		{ "0", 0 }, { "600", 600 }, { "90s", 90 }, { "10m", 600 },
		{ "1h", 3600 }, { "7d", 604800 }, { "24h", 86400 }, { "007", 7 },
		{ "9223372036854775807", INT64_MAX },
		{ "153722867280912930m", INT64_C(153722867280912930) * 60 },
		{ "106751991167300d", INT64_C(106751991167300) * 86400 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t s = -5;
		CU_ASSERT_EQUAL(time_parse_duration(ok[i].text, &s), 0);
		CU_ASSERT_EQUAL(s, ok[i].seconds);
	}
}

static void test_duration_rejects(void)
{
	static const char *const bad[] = {
		"", "s", "-1", "+1", " 1", "1 ", "1 s", "1w", "1ms", "1S", "1H",
		"1.5h", "1hh", "10m5s", "0x10", "9223372036854775808",
		"106751991167301d", "153722867280912931m", "2562047788015216h",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t s = -5;
		CU_ASSERT_EQUAL(time_parse_duration(bad[i], &s), -1);
		CU_ASSERT_EQUAL(s, -5);
	}
}

static void test_mono_ms_moves_forward(void)
{
	int64_t a = time_mono_ms();
	CU_ASSERT_EQUAL(time_nap_ms(20, NULL), 0);
	int64_t b = time_mono_ms();
	CU_ASSERT_TRUE(b - a >= 20);
	/* Generous: a loaded machine of two cores may be slow, never early. */
	CU_ASSERT_TRUE(b - a < 2000);
}

static void test_nap_stops_early(void)
{
	volatile sig_atomic_t stop = 1;
	int64_t a = time_mono_ms();
	CU_ASSERT_EQUAL(time_nap_ms(5000, &stop), -1);
	CU_ASSERT_TRUE(time_mono_ms() - a < 1000);
	stop = 0;
	CU_ASSERT_EQUAL(time_nap_ms(0, &stop), 0);
	CU_ASSERT_EQUAL(time_nap_ms(-5, &stop), 0);
}

static const struct unit_case cases[] = {
	{ "format known instants", test_format_known },
	{ "parse known instants", test_parse_known },
	{ "civil fields", test_civil_fields },
	{ "civil round trip 1600..2400", test_civil_round_trip_every_day },
	{ "leap years", test_leap_years },
	{ "from_civil rejects", test_from_civil_rejects },
	{ "parse offsets and fractions", test_parse_offsets_and_fractions },
	{ "parse rejects", test_parse_rejects },
	{ "format/parse round trip", test_format_parse_round_trip },
	{ "now is plausible", test_now_is_plausible },
	{ "duration", test_duration },
	{ "duration rejects", test_duration_rejects },
	{ "monotonic ms and a nap", test_mono_ms_moves_forward },
	{ "a raised stop ends a nap", test_nap_stops_early },
	{ NULL, NULL },
};

UNIT_MAIN("timeutil", cases)
