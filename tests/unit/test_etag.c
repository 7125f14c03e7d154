#include "build_config.h"

#include <stdint.h>
#include <string.h>

#include "web/etag.h"
#include "unit.h"

static void test_format(void)
{
	char out[ETAG_MAX_LEN];
	etag_format(42, out);
	CU_ASSERT_STRING_EQUAL(out, "\"v42\"");
	etag_format(0, out);
	CU_ASSERT_STRING_EQUAL(out, "\"v0\"");
	etag_format(UINT64_MAX, out);
	CU_ASSERT_STRING_EQUAL(out, "\"v18446744073709551615\"");
	CU_ASSERT(strlen(out) < ETAG_MAX_LEN);
}

static void test_single_tag(void)
{
	CU_ASSERT_EQUAL(etag_none_match("\"v42\"", "\"v42\""), 1);
	CU_ASSERT_EQUAL(etag_none_match("\"v43\"", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("\"v4\"", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("\"v420\"", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("\"V42\"", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("  \"v42\"\t", "\"v42\""), 1);
}

static void test_weak_comparison(void)
{
	CU_ASSERT_EQUAL(etag_none_match("W/\"v42\"", "\"v42\""), 1);
	CU_ASSERT_EQUAL(etag_none_match("\"v42\"", "W/\"v42\""), 1);
	CU_ASSERT_EQUAL(etag_none_match("W/\"v41\"", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("w/\"v42\"", "\"v42\""), 0); /* W is case-sensitive */
}

static void test_lists(void)
{
	const char *tag = "\"v42\"";
	CU_ASSERT_EQUAL(etag_none_match("\"v1\", \"v42\"", tag), 1);
	CU_ASSERT_EQUAL(etag_none_match("\"v42\",\"v1\"", tag), 1);
	CU_ASSERT_EQUAL(etag_none_match("\"v1\" , W/\"v42\" ,\"v3\"", tag), 1);
	CU_ASSERT_EQUAL(etag_none_match("\"v1\", \"v2\", \"v3\"", tag), 0);
	/* Empty list elements are allowed (RFC 9110 §5.6.1). */
	CU_ASSERT_EQUAL(etag_none_match(", ,\"v42\",,", tag), 1);
	CU_ASSERT_EQUAL(etag_none_match(",", tag), 0);
	/* Commas may sit inside an opaque tag. */
	CU_ASSERT_EQUAL(etag_none_match("\"a,\"v42\"\"", tag), 0);
	CU_ASSERT_EQUAL(etag_none_match("\"x,y\", \"v42\"", tag), 1);
}

static void test_star(void)
{
	CU_ASSERT_EQUAL(etag_none_match("*", "\"v42\""), 1);
	CU_ASSERT_EQUAL(etag_none_match(" * ", "\"v1\""), 1);
	/* "*" is only valid alone. */
	CU_ASSERT_EQUAL(etag_none_match("*, \"v42\"", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("\"v42\", *", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("**", "\"v42\""), 0);
}

static void test_single_version(void)
{
	CU_ASSERT_EQUAL(etag_single_version("\"v42\""), 42);
	CU_ASSERT_EQUAL(etag_single_version(" W/\"v7\"\t"), 7);
	CU_ASSERT_EQUAL(etag_single_version("\"v999999999999999999\""), 999999999999999999LL);
	/* Anything that is not exactly one tag we hand out names no version. */
	CU_ASSERT_EQUAL(etag_single_version(NULL), -1);
	CU_ASSERT_EQUAL(etag_single_version(""), -1);
	CU_ASSERT_EQUAL(etag_single_version("*"), -1);
	CU_ASSERT_EQUAL(etag_single_version("\"v1\", \"v2\""), -1);
	CU_ASSERT_EQUAL(etag_single_version("\"v042\""), -1);
	CU_ASSERT_EQUAL(etag_single_version("\"v\""), -1);
	CU_ASSERT_EQUAL(etag_single_version("\"x42\""), -1);
	CU_ASSERT_EQUAL(etag_single_version("\"v4a\""), -1);
	CU_ASSERT_EQUAL(etag_single_version("\"v9999999999999999999\""), -1);
	CU_ASSERT_EQUAL(etag_single_version("v42"), -1);
}

static void test_malformed_matches_nothing(void)
{
	static const char *const bad[] = {
		"v42",                   /* unquoted */
		"\"v42",                 /* unterminated */
		"v42\"",
		"\"v42\" \"v42\"",       /* missing comma */
		"\"v42\";q=1",
		"W/ \"v42\"",            /* space after W/ */
		"W\"v42\"",
		"\"v 42\"",              /* space is not an etagc */
		"\"v42\", v43",          /* later garbage spoils the list */
		"\"v42\", \"v43",
		"\"v\00142\"",         /* control character */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(etag_none_match(bad[i], "\"v42\""), 0);
}

static void test_absent_and_empty(void)
{
	CU_ASSERT_EQUAL(etag_none_match(NULL, "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("", "\"v42\""), 0);
	CU_ASSERT_EQUAL(etag_none_match("   ", "\"v42\""), 0);
}

static void test_round_trip_with_format(void)
{
	char tag[ETAG_MAX_LEN], other[ETAG_MAX_LEN];
	char header[3 * ETAG_MAX_LEN];
	etag_format(7, tag);
	etag_format(8, other);
	CU_ASSERT_EQUAL(etag_none_match(tag, tag), 1);
	CU_ASSERT_EQUAL(etag_none_match(other, tag), 0);
	CU_ASSERT(strlen(other) + strlen(tag) + 5 < sizeof(header));
	memcpy(header, "W/", 2);
	memcpy(header + 2, other, strlen(other));
	memcpy(header + 2 + strlen(other), ", ", 2);
	memcpy(header + 4 + strlen(other), tag, strlen(tag) + 1);
	CU_ASSERT_EQUAL(etag_none_match(header, tag), 1);
	CU_ASSERT_EQUAL(etag_none_match(header, other), 1);
}

static const struct unit_case cases[] = {
	{ "format", test_format },
	{ "single tag", test_single_tag },
	{ "weak comparison", test_weak_comparison },
	{ "lists", test_lists },
	{ "star", test_star },
	{ "single version for the poll", test_single_version },
	{ "malformed matches nothing", test_malformed_matches_nothing },
	{ "absent and empty header", test_absent_and_empty },
	{ "round trip with etag_format", test_round_trip_with_format },
	{ NULL, NULL },
};

UNIT_MAIN("etag", cases)
