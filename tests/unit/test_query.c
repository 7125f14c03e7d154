#include "build_config.h"

#include <stdio.h>
#include <string.h>

#include "base/query.h"
#include "unit.h"

static void test_basic_pairs(void)
{
	struct query q;
	char err[128] = "";
	CU_ASSERT_EQUAL_FATAL(query_parse("status=pending&limit=20&entity_type=problem",
					  &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.count, 3);
	CU_ASSERT_STRING_EQUAL(q.params[0].name, "status");
	CU_ASSERT_STRING_EQUAL(q.params[0].value, "pending");
	CU_ASSERT_EQUAL(q.params[0].value_len, 7);
	CU_ASSERT_STRING_EQUAL(q.params[2].name, "entity_type");
	CU_ASSERT_STRING_EQUAL(query_get(&q, "limit"), "20");
	CU_ASSERT_STRING_EQUAL(query_get(&q, "entity_type"), "problem");
	CU_ASSERT_PTR_NULL(query_get(&q, "cursor"));
	CU_ASSERT_PTR_NULL(query_get(&q, "STATUS")); /* names are case-sensitive */
	CU_ASSERT_EQUAL(query_count(&q, "status"), 1);
	CU_ASSERT_EQUAL(query_count(&q, "cursor"), 0);
	query_release(&q);
	CU_ASSERT_EQUAL(q.count, 0);
	CU_ASSERT_PTR_NULL(q.params);
}

static void test_empty_and_null(void)
{
	struct query q;
	char err[128];
	CU_ASSERT_EQUAL(query_parse("", &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.count, 0);
	CU_ASSERT_PTR_NULL(query_get(&q, "a"));
	CU_ASSERT_EQUAL(query_count(&q, "a"), 0);
	query_release(&q);
	CU_ASSERT_EQUAL(query_parse(NULL, &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.count, 0);
	query_release(&q);
	CU_ASSERT_EQUAL(query_parse("&&&", &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.count, 0);
	query_release(&q);
}

static void test_empty_pairs_skipped(void)
{
	struct query q;
	char err[128];
	CU_ASSERT_EQUAL_FATAL(query_parse("&a=1&&b=2&", &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.count, 2);
	CU_ASSERT_STRING_EQUAL(q.params[0].name, "a");
	CU_ASSERT_STRING_EQUAL(q.params[1].name, "b");
	CU_ASSERT_STRING_EQUAL(q.params[1].value, "2");
	query_release(&q);
}

static void test_missing_equals_and_empty_value(void)
{
	struct query q;
	char err[128];
	CU_ASSERT_EQUAL_FATAL(query_parse("flag&x=&=v&a=b=c", &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(q.count, 4);
	CU_ASSERT_STRING_EQUAL(q.params[0].name, "flag");
	CU_ASSERT_STRING_EQUAL(q.params[0].value, "");
	CU_ASSERT_EQUAL(q.params[0].value_len, 0);
	CU_ASSERT_STRING_EQUAL(q.params[1].name, "x");
	CU_ASSERT_STRING_EQUAL(q.params[1].value, "");
	CU_ASSERT_STRING_EQUAL(q.params[2].name, "");
	CU_ASSERT_STRING_EQUAL(q.params[2].value, "v");
	/* Only the first '=' separates. */
	CU_ASSERT_STRING_EQUAL(q.params[3].name, "a");
	CU_ASSERT_STRING_EQUAL(q.params[3].value, "b=c");
	CU_ASSERT_EQUAL(q.params[3].value_len, 3);
	query_release(&q);
}

static void test_decoding(void)
{
	struct query q;
	char err[128];
	CU_ASSERT_EQUAL_FATAL(query_parse("subject_key=topic+42%2Fa%2fb&n%61me=%C3%A9&amp=%26%3D%2B",
					  &q, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(query_get(&q, "subject_key"), "topic 42/a/b");
	CU_ASSERT_EQUAL(q.params[0].value_len, 12);
	CU_ASSERT_STRING_EQUAL(query_get(&q, "name"), "\xc3\xa9");
	CU_ASSERT_EQUAL(q.params[1].value_len, 2);
	CU_ASSERT_STRING_EQUAL(query_get(&q, "amp"), "&=+");
	query_release(&q);
}

static void test_repeated_names(void)
{
	struct query q;
	char err[128];
	CU_ASSERT_EQUAL_FATAL(query_parse("status=a&limit=1&status=b&status=", &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(query_count(&q, "status"), 3);
	CU_ASSERT_EQUAL(query_count(&q, "limit"), 1);
	CU_ASSERT_STRING_EQUAL(query_get(&q, "status"), "a"); /* the first */
	CU_ASSERT_STRING_EQUAL(q.params[2].value, "b");
	query_release(&q);
}

static void expect_refused(const char *qs, const char *needle)
{
	struct query q;
	char err[128] = "";
	q.count = 99;
	CU_ASSERT_EQUAL(query_parse(qs, &q, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(q.count, 0);
	CU_ASSERT_PTR_NULL(q.params);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
}

static void test_bad_percent(void)
{
	expect_refused("a=1&limit=%zz", "bad percent-encoding in query parameter 'limit'");
	expect_refused("limit=5%", "'limit'");
	expect_refused("limit=5%4", "'limit'");
	expect_refused("limit=%4&b=1", "'limit'");
	expect_refused("limit=%g1", "'limit'");
	expect_refused("li%ZZmit=1", "'li%ZZmit'");
	expect_refused("x%=1", "bad percent-encoding");
}

/*
 * Issue 20: the refused parameter's name is quoted up to 64 bytes, cut
 * between characters: k ASCII bytes in front of 2-, 3- and 4-byte ones move
 * the limit across each byte of one.
 */
static void test_refused_name_cut_between_characters(void)
{
	static const char *const wide[] = { "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	char qs[256], needle[96];
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t k = 0; k < cl; k++) {
			size_t len = k;
			memset(qs, 'a', k);
			for (int i = 0; i < 40; i++, len += cl)
				memcpy(qs + len, wide[w], cl);
			memcpy(qs + len, "=%zz", 5);
			/* Every whole character within 64 bytes, nothing of the next. */
			size_t shown = k + (64 - k) / cl * cl;
			snprintf(needle, sizeof(needle), "in query parameter '%.*s'", (int)shown, qs);
			expect_refused(qs, needle);
		}
	}
}

static void test_nul_refused(void)
{
	expect_refused("a=1&cursor=ab%00cd", "in query parameter 'cursor'");
	expect_refused("a=1&cursor=ab%00cd", "%00");
	expect_refused("na%00me=1", "%00");
}

static void test_too_many(void)
{
	char qs[512] = "";
	size_t len = 0;
	struct query q;
	char err[128];
	for (int i = 0; i < QUERY_MAX_PARAMS; i++)
		len += (size_t)snprintf(qs + len, sizeof(qs) - len, "p%d=%d&", i, i);
	CU_ASSERT_EQUAL_FATAL(query_parse(qs, &q, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(q.count, QUERY_MAX_PARAMS);
	CU_ASSERT_STRING_EQUAL(query_get(&q, "p31"), "31");
	query_release(&q);
	/* Empty pairs do not count towards the limit. */
	snprintf(qs + len, sizeof(qs) - len, "&&&");
	CU_ASSERT_EQUAL(query_parse(qs, &q, err, sizeof(err)), 0);
	query_release(&q);
	snprintf(qs + len, sizeof(qs) - len, "one=more");
	expect_refused(qs, "too many query parameters");
}

static void test_error_message_bounded(void)
{
	/* A long name is quoted only in part, and a small err buffer is respected. */
	char qs[400];
	memset(qs, 'n', 300);
	memcpy(qs + 300, "=%zz", 5);
	struct query q;
	char err[200];
	CU_ASSERT_EQUAL(query_parse(qs, &q, err, sizeof(err)), -1);
	CU_ASSERT(strlen(err) < 120);
	char tiny[8];
	CU_ASSERT_EQUAL(query_parse("a=%zz", &q, tiny, sizeof(tiny)), -1);
	CU_ASSERT_EQUAL(strlen(tiny), sizeof(tiny) - 1);
}

static void test_uint(void)
{
	unsigned long long v = 7;
	CU_ASSERT_EQUAL(query_uint("20", 1, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 20);
	CU_ASSERT_EQUAL(query_uint("1", 1, 100, &v), 0);
	CU_ASSERT_EQUAL(query_uint("100", 1, 100, &v), 0);
	CU_ASSERT_EQUAL(v, 100);
	CU_ASSERT_EQUAL(query_uint("050", 1, 100, &v), 0); /* three digits, like 100 */
	CU_ASSERT_EQUAL(v, 50);
	v = 7;
	/* Refused, and *out untouched: out of range, too many digits, not digits. */
	static const char *const bad[] = { "0", "101", "0100", "", "-5", "+5", " 5", "5 ", "5x",
					   "1e2", "0x10", "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(query_uint(bad[i], 1, 100, &v), -1);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_EQUAL(query_uint("999999999999999999", 0, 999999999999999999ULL, &v), 0);
	CU_ASSERT_EQUAL(v, 999999999999999999ULL);
	CU_ASSERT_EQUAL(query_uint("0", 0, 9, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
}

static const struct unit_case cases[] = {
	{ "whole numbers: digits only, bounded in length and value", test_uint },
	{ "basic pairs", test_basic_pairs },
	{ "empty and NULL query", test_empty_and_null },
	{ "empty pairs skipped", test_empty_pairs_skipped },
	{ "missing '=' and empty value", test_missing_equals_and_empty_value },
	{ "decoding of + and %XX", test_decoding },
	{ "repeated names", test_repeated_names },
	{ "bad percent-encoding", test_bad_percent },
	{ "a refused name is quoted cut between characters", test_refused_name_cut_between_characters },
	{ "%00 refused", test_nul_refused },
	{ "too many params", test_too_many },
	{ "error message bounded", test_error_message_bounded },
	{ NULL, NULL },
};

UNIT_MAIN("query", cases)
