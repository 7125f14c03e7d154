#include "build_config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/jsonw.h"
#include "unit.h"

/* Output of a writer session, checked for failure. */
struct session {
	struct strbuf sb;
	struct jsonw w;
};

static void start(struct session *s)
{
	strbuf_init(&s->sb);
	jsonw_init(&s->w, &s->sb);
}

static void finish(struct session *s)
{
	strbuf_release(&s->sb);
}

static void expect_escape(const char *in, size_t len, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	jsonw_escape_into(&sb, in, len);
	CU_ASSERT_STRING_EQUAL(sb.buf, want);
	strbuf_release(&sb);
}

static void test_header_example(void)
{
	struct session s;
	start(&s);
	jsonw_object_begin(&s.w);
	jsonw_key(&s.w, "id");
	jsonw_cstr(&s.w, "x");
	jsonw_object_end(&s.w);
	CU_ASSERT_STRING_EQUAL(s.sb.buf, "{\"id\":\"x\"}");
	CU_ASSERT_EQUAL(jsonw_failed(&s.w), 0);
	finish(&s);
}

static void test_nesting_and_commas(void)
{
	struct session s;
	start(&s);
	jsonw_object_begin(&s.w);
	jsonw_key(&s.w, "a");
	jsonw_int(&s.w, 1);
	jsonw_key(&s.w, "list");
	jsonw_array_begin(&s.w);
	jsonw_int(&s.w, -2);
	jsonw_array_begin(&s.w);
	jsonw_array_end(&s.w);
	jsonw_object_begin(&s.w);
	jsonw_object_end(&s.w);
	jsonw_object_begin(&s.w);
	jsonw_key(&s.w, "k");
	jsonw_null(&s.w);
	jsonw_key(&s.w, "t");
	jsonw_bool(&s.w, 1);
	jsonw_key(&s.w, "f");
	jsonw_bool(&s.w, 0);
	jsonw_object_end(&s.w);
	jsonw_cstr(&s.w, NULL);
	jsonw_array_end(&s.w);
	jsonw_key(&s.w, "raw");
	jsonw_raw(&s.w, "{\"x\":[1,2]}", 11);
	jsonw_key(&s.w, "z");
	jsonw_string(&s.w, "", 0);
	jsonw_object_end(&s.w);
	CU_ASSERT_STRING_EQUAL(s.sb.buf,
		"{\"a\":1,\"list\":[-2,[],{},{\"k\":null,\"t\":true,\"f\":false},null],"
		"\"raw\":{\"x\":[1,2]},\"z\":\"\"}");
	CU_ASSERT_EQUAL(jsonw_failed(&s.w), 0);
	CU_ASSERT_EQUAL(s.w.depth, 0);

	json_error_t jerr;
	json_t *j = json_loads(s.sb.buf, 0, &jerr);
	CU_ASSERT_PTR_NOT_NULL(j);
	json_decref(j);
	finish(&s);
}

static void test_int_extremes(void)
{
	struct session s;
	start(&s);
	jsonw_array_begin(&s.w);
	jsonw_int(&s.w, 0);
	jsonw_int(&s.w, 9223372036854775807LL);
	jsonw_int(&s.w, -9223372036854775807LL - 1);
	jsonw_array_end(&s.w);
	CU_ASSERT_STRING_EQUAL(s.sb.buf,
		"[0,9223372036854775807,-9223372036854775808]");
	finish(&s);
}

static void test_doubles(void)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0.6, "0.6" },
		{ 1.0, "1" },
		{ 0.0, "0" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 2.0 / 3.0, "0.6666666666666666" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ -2.5, "-2.5" },
		{ 1e21, "1e+21" },
		{ 5e-324, "5e-324" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct session s;
		start(&s);
		jsonw_double(&s.w, cases[i].v);
		CU_ASSERT_STRING_EQUAL(s.sb.buf, cases[i].want);
		/* Whatever the form, it must read back as the same double. */
		CU_ASSERT_EQUAL(strtod(s.sb.buf, NULL), cases[i].v);
		finish(&s);
	}
}

static void test_double_non_finite_is_null(void)
{
	struct session s;
	start(&s);
	jsonw_array_begin(&s.w);
	jsonw_double(&s.w, NAN);
	jsonw_double(&s.w, INFINITY);
	jsonw_double(&s.w, -INFINITY);
	jsonw_double(&s.w, 0.5);
	jsonw_array_end(&s.w);
	CU_ASSERT_STRING_EQUAL(s.sb.buf, "[null,null,null,0.5]");
	finish(&s);
}

static void test_escape_specials(void)
{
	expect_escape("a\"b\\c", 5, "a\\\"b\\\\c");
	expect_escape("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f");
	expect_escape("\x01\x1f\x7f", 3, "\\u0001\\u001f\x7f");
	expect_escape("a\0b", 3, "a\\u0000b");
	expect_escape("</script><!--&", 14,
		      "\\u003c/script\\u003e\\u003c!--\\u0026");
	expect_escape("plain text", 10, "plain text");
	expect_escape("", 0, "");
}

static void test_escape_line_separators(void)
{
	/* U+2028, U+2029 escaped; other E2 80 xx characters (U+2026 …) kept. */
	expect_escape("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", 9, "a\\u2028b\\u2029c");
	expect_escape("\xe2\x80\xa6", 3, "\xe2\x80\xa6");
	expect_escape("\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9");
	/* A truncated sequence at the end is copied, not overread. */
	expect_escape("x\xe2\x80", 3, "x\xe2\x80");
}

static void test_string_round_trip_through_jansson(void)
{
	const char in[] = "q\"\\/\n\x01<>&\xe2\x80\xa8\xc3\xa9\0end";
	size_t len = sizeof(in) - 1;
	struct session s;
	start(&s);
	jsonw_object_begin(&s.w);
	jsonw_key(&s.w, "k\"<");
	jsonw_string(&s.w, in, len);
	jsonw_object_end(&s.w);
	CU_ASSERT_PTR_NULL(strchr(s.sb.buf, '<'));

	json_error_t jerr;
	json_t *j = json_loads(s.sb.buf, JSON_ALLOW_NUL, &jerr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	json_t *v = json_object_get(j, "k\"<");
	CU_ASSERT_PTR_NOT_NULL(v);
	if (v) {
		CU_ASSERT_EQUAL(json_string_length(v), len);
		CU_ASSERT_EQUAL(memcmp(json_string_value(v), in, len), 0);
	}
	json_decref(j);
	finish(&s);
}

static void test_key_is_escaped(void)
{
	struct session s;
	start(&s);
	jsonw_object_begin(&s.w);
	jsonw_key(&s.w, "a\"b");
	jsonw_int(&s.w, 1);
	jsonw_object_end(&s.w);
	CU_ASSERT_STRING_EQUAL(s.sb.buf, "{\"a\\\"b\":1}");
	finish(&s);
}

static void test_max_depth(void)
{
	struct session s;
	start(&s);
	for (int i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_array_begin(&s.w);
	CU_ASSERT_EQUAL(jsonw_failed(&s.w), 0);
	for (int i = 0; i < JSONW_MAX_DEPTH; i++)
		jsonw_array_end(&s.w);
	CU_ASSERT_EQUAL(jsonw_failed(&s.w), 0);
	CU_ASSERT_EQUAL(s.sb.len, 2 * JSONW_MAX_DEPTH);

	strbuf_reset(&s.sb);
	jsonw_init(&s.w, &s.sb);
	for (int i = 0; i < JSONW_MAX_DEPTH + 1; i++)
		jsonw_object_begin(&s.w);
	CU_ASSERT_NOT_EQUAL(jsonw_failed(&s.w), 0);
	CU_ASSERT_EQUAL(s.w.depth, JSONW_MAX_DEPTH);
	finish(&s);
}

static void test_misuse_flags_error(void)
{
	struct session s;

	start(&s);
	jsonw_array_end(&s.w); /* nothing open */
	CU_ASSERT_NOT_EQUAL(jsonw_failed(&s.w), 0);
	finish(&s);

	start(&s);
	jsonw_key(&s.w, "top"); /* key outside an object */
	CU_ASSERT_NOT_EQUAL(jsonw_failed(&s.w), 0);
	finish(&s);

	start(&s);
	jsonw_object_begin(&s.w);
	jsonw_key(&s.w, "a");
	jsonw_key(&s.w, "b"); /* two keys in a row */
	CU_ASSERT_NOT_EQUAL(jsonw_failed(&s.w), 0);
	finish(&s);

	start(&s);
	jsonw_object_begin(&s.w);
	jsonw_key(&s.w, "a");
	jsonw_object_end(&s.w); /* key without a value */
	CU_ASSERT_NOT_EQUAL(jsonw_failed(&s.w), 0);
	finish(&s);
}

static void test_failed_reports_oom(void)
{
	struct session s;
	start(&s);
	jsonw_array_begin(&s.w);
	CU_ASSERT_EQUAL(jsonw_failed(&s.w), 0);
	s.sb.oom = 1; /* as after a refused allocation */
	CU_ASSERT_NOT_EQUAL(jsonw_failed(&s.w), 0);
	s.sb.oom = 0;
	finish(&s);
}

static void test_appends_to_existing_content(void)
{
	struct session s;
	start(&s);
	strbuf_addstr(&s.sb, "prefix:");
	jsonw_init(&s.w, &s.sb);
	jsonw_array_begin(&s.w);
	jsonw_cstr(&s.w, "a");
	jsonw_cstr(&s.w, "b");
	jsonw_array_end(&s.w);
	CU_ASSERT_STRING_EQUAL(s.sb.buf, "prefix:[\"a\",\"b\"]");
	finish(&s);
}

static const struct unit_case cases[] = {
	{ "header example", test_header_example },
	{ "nesting and commas", test_nesting_and_commas },
	{ "int extremes", test_int_extremes },
	{ "doubles shortest round trip", test_doubles },
	{ "non-finite double is null", test_double_non_finite_is_null },
	{ "escape quotes, controls, html", test_escape_specials },
	{ "escape U+2028 U+2029", test_escape_line_separators },
	{ "string round trip via jansson", test_string_round_trip_through_jansson },
	{ "key is escaped", test_key_is_escaped },
	{ "max depth", test_max_depth },
	{ "misuse flags error", test_misuse_flags_error },
	{ "failed reports oom", test_failed_reports_oom },
	{ "appends to existing content", test_appends_to_existing_content },
	{ NULL, NULL },
};

UNIT_MAIN("jsonw", cases)
