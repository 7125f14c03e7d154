#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json_indent.h"
#include "unit.h"

#define NO_CAP ((size_t)-1)

/* jansson's dump of text with `flags` (you own it). */
static char *jansson_dump(const char *text, size_t flags)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	char *s = json_dumps(j, flags | JSON_ENCODE_ANY);
	json_decref(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/*
 * The layout the admin page showed before, byte for byte, of what the store
 * holds: texts jansson wrote compactly (api/validate.c), whose numbers are
 * already in jansson's spelling.
 */
static void test_same_as_jansson(void)
{
	static const char *const texts[] = {
		"{}", "[]", "1", "\"s\"", "null", "true", "-1.5e+30",
		"{\"a\":1}",
		"{\"topic\":\"fractions\",\"tags\":[\"a\",\"b\"],\"level\":{\"min\":1,\"max\":3}}",
		"[[],{},[[]],{\"e\":{}},[1,[2,[3,[4]]]]]",
		"{\"q\":\"he said \\\"hi\\\" \\\\ [not, a: {bracket}]\",\"u\":\"\xc3\xa9\xe2\x82\xac\"}",
		"{\"html\":\"<script>alert(1)</script>\",\"n\":[0,-0.25,1e3,true,false,null]}",
	};
	for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
		struct strbuf sb = STRBUF_INIT;
		char *stored = jansson_dump(texts[k], JSON_COMPACT);
		char *want = jansson_dump(texts[k], JSON_INDENT(2));
		CU_ASSERT_EQUAL(json_indent(&sb, stored, strlen(stored), 32, NO_CAP), 0);
		CU_ASSERT_STRING_EQUAL(sb.buf, want);
		free(stored);
		free(want);
		strbuf_release(&sb);
	}
}

/* Blanks between tokens are the layout's; blanks inside strings are kept. */
static void test_blanks_between_tokens(void)
{
	struct strbuf sb = STRBUF_INIT;
	const char *text = " { \"a b\" :\t[ 1 ,\n2 ] , \"c\" : { } }\r\n";
	CU_ASSERT_EQUAL(json_indent(&sb, text, strlen(text), 32, NO_CAP), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "{\n  \"a b\": [\n    1,\n    2\n  ],\n  \"c\": {}\n}");
	strbuf_release(&sb);
}

/* A refusal leaves what the buffer held before, NUL-terminated. */
static void expect_refused(const char *text, size_t len, unsigned depth, size_t max_out)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "before|");
	int rc = json_indent(&sb, text, len, depth, max_out);
	if (rc != -1)
		fprintf(stderr, "not refused: %.80s\n", text);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(sb.buf, "before|");
	CU_ASSERT_EQUAL(sb.len, 7);
	strbuf_release(&sb);
}

static void test_not_well_nested(void)
{
	static const char *const texts[] = {
		"", "  ", "\"open", "[1,]", "[1}", "{\"a\"}", "{\"a\" 1}", "[1 2]", "1 2", "{}{}",
		"]", "[", ",", "[,1]", "[1:2]", "{\"a\":}", "{\"a\":1,}", "\"a\\\"", "{1:2}",
		"{\"a\":1,2}", "{\"a\":1:2}", "{[]:1}", "{\"a\"::1}", "\"k\":1",
	};
	for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
		expect_refused(texts[k], strlen(texts[k]), 32, NO_CAP);
}

/* "[[[...1...]]]" nested n deep (you own it). */
static char *nested(unsigned n)
{
	char *s = malloc(2 * (size_t)n + 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(s, '[', n);
	s[n] = '1';
	memset(s + n + 1, ']', n);
	s[2 * (size_t)n + 1] = '\0';
	return s;
}

static void test_depth_cap(void)
{
	char *ok = nested(5), *deep = nested(6);
	struct strbuf sb = STRBUF_INIT;
	CU_ASSERT_EQUAL(json_indent(&sb, ok, strlen(ok), 5, NO_CAP), 0);
	expect_refused(deep, strlen(deep), 5, NO_CAP);
	/* Empty containers open no level. */
	CU_ASSERT_EQUAL(json_indent(&sb, "[[[[[[]]]]]]", 12, 5, NO_CAP), 0);
	/* The cap never goes past the deepest level the blanks cover. */
	char *deepest = nested(JSON_INDENT_DEPTH_LIMIT), *past = nested(JSON_INDENT_DEPTH_LIMIT + 1);
	CU_ASSERT_EQUAL(json_indent(&sb, deepest, strlen(deepest), 1000, NO_CAP), 0);
	expect_refused(past, strlen(past), 1000, NO_CAP);
	free(ok);
	free(deep);
	free(deepest);
	free(past);
	strbuf_release(&sb);
}

static void test_output_cap(void)
{
	const char *text = "{\"a\":[1,2]}";
	const char *want = "{\n  \"a\": [\n    1,\n    2\n  ]\n}";
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "x");
	CU_ASSERT_EQUAL(json_indent(&sb, text, strlen(text), 32, strlen(want)), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf + 1, want);
	expect_refused(text, strlen(text), 32, strlen(want) - 1);
	strbuf_release(&sb);
}

/*
 * The case of issue 20: a 57 KB create of arrays nested 2,000 deep came out
 * of JSON_INDENT(2) as 117 MB. Refused before the cap, having written at
 * most the cap.
 */
static void test_deep_arrays_stay_small(void)
{
	struct strbuf text = STRBUF_INIT;
	char *one = nested(2000);
	strbuf_addch(&text, '[');
	for (int k = 0; k < 14; k++)
		strbuf_addf(&text, "%s%s", k ? "," : "", one);
	strbuf_addch(&text, ']');
	CU_ASSERT_FATAL(!text.oom && text.len > 56000);
	expect_refused(text.buf, text.len, 32, 8 * text.len);
	expect_refused(text.buf, text.len, JSON_INDENT_DEPTH_LIMIT, 8 * text.len);
	free(one);
	strbuf_release(&text);
}

static const struct unit_case cases[] = {
	{ "the layout of jansson's JSON_INDENT(2)", test_same_as_jansson },
	{ "blanks between tokens are dropped, inside strings kept", test_blanks_between_tokens },
	{ "what is not one well-nested value is refused, the buffer as it was", test_not_well_nested },
	{ "nesting deeper than the cap is refused", test_depth_cap },
	{ "an indented form longer than the cap is refused", test_output_cap },
	{ "57 KB of arrays nested 2,000 deep: refused, nothing written", test_deep_arrays_stay_small },
	{ NULL, NULL },
};

UNIT_MAIN("json_indent", cases)
