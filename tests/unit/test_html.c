#include "build_config.h"

#include <string.h>

#include "admin/html.h"
#include "unit.h"

static void expect_escape(const char *in, size_t len, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	html_escape(&sb, in, len);
	CU_ASSERT_FALSE(sb.oom);
	CU_ASSERT_STRING_EQUAL(sb.buf, want);
	strbuf_release(&sb);
}

static void test_escape_markup(void)
{
	const char *s = "<script>alert('x') & \"y\"</script>";
	expect_escape(s, strlen(s),
		      "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	expect_escape("plain text", 10, "plain text");
	expect_escape("", 0, "");
	expect_escape("a\nb\tc", 5, "a\nb\tc");
}

static void test_escape_bad_bytes(void)
{
	/* NUL, other controls and invalid UTF-8 become U+FFFD; valid UTF-8 stays. */
	expect_escape("a\0b", 3, "a\xef\xbf\xbd" "b");
	expect_escape("\x01\x7f", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	expect_escape("\xff\xfe", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	expect_escape("\xc0\xbc", 2, "\xef\xbf\xbd\xef\xbf\xbd");      /* overlong '<' */
	expect_escape("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	expect_escape("\xe6\x97\xa5\xf0\x9f\x98\x80", 7, "\xe6\x97\xa5\xf0\x9f\x98\x80");
	expect_escape("\xe6\x97", 2, "\xef\xbf\xbd\xef\xbf\xbd");      /* truncated */
}

static void test_cut(void)
{
	struct strbuf sb = STRBUF_INIT;
	html_cut(&sb, "short", 10);
	CU_ASSERT_STRING_EQUAL(sb.buf, "short");
	strbuf_reset(&sb);
	html_cut(&sb, "abcdef<g>", 3);
	CU_ASSERT_STRING_EQUAL(sb.buf,
			       "<span class=\"cut\" title=\"abcdef&lt;g&gt;\">abc\xe2\x80\xa6</span>");
	strbuf_reset(&sb);
	/* Never inside a UTF-8 sequence: 2 characters of 3 bytes each. */
	html_cut(&sb, "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(sb.buf, ">\xe6\x97\xa5\xe6\x97\xa5\xe2\x80\xa6</span>"));
	strbuf_reset(&sb);
	html_cut(&sb, NULL, 3);
	CU_ASSERT_STRING_EQUAL(sb.buf, "");
	strbuf_release(&sb);
}

/*
 * Previews cut at a number of characters: a value of 2-, 3- or 4-byte
 * characters (after k ASCII ones) one shorter than, as long as and one
 * longer than the limit. Only the last is cut, after `max` whole characters.
 */
static void test_cut_multibyte_at_the_limit(void)
{
	static const char *const wide[] = { "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	struct strbuf sb = STRBUF_INIT;
	char value[64], want[160];
	const size_t max = 8;
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t k = 0; k <= 2; k++) {
			for (size_t chars = max - 1; chars <= max + 1; chars++) {
				size_t len = k;
				memset(value, 'a', k);
				for (size_t i = k; i < chars; i++, len += cl)
					memcpy(value + len, wide[w], cl);
				value[len] = '\0';
				strbuf_reset(&sb);
				html_cut(&sb, value, max);
				if (chars <= max)
					snprintf(want, sizeof(want), "%s", value);
				else
					snprintf(want, sizeof(want),
						 "<span class=\"cut\" title=\"%s\">%.*s\xe2\x80\xa6</span>",
						 value, (int)(len - cl), value);
				CU_ASSERT_STRING_EQUAL(sb.buf, want);
			}
		}
	}
	strbuf_release(&sb);
}

static void test_age(void)
{
	char out[48];
	html_age(out, sizeof(out), INT64_C(45) * 1000000);
	CU_ASSERT_STRING_EQUAL(out, "45 s");
	html_age(out, sizeof(out), INT64_C(12) * 60 * 1000000 + 5);
	CU_ASSERT_STRING_EQUAL(out, "12 min");
	html_age(out, sizeof(out), (int64_t)(3 * 3600 + 5 * 60) * 1000000);
	CU_ASSERT_STRING_EQUAL(out, "3 h 5 min");
	html_age(out, sizeof(out), (int64_t)(2 * 86400 + 4 * 3600) * 1000000);
	CU_ASSERT_STRING_EQUAL(out, "2 d 4 h");
	html_age(out, sizeof(out), -1);
	CU_ASSERT_STRING_EQUAL(out, "\xe2\x80\x93");
}

static void test_url_encode_and_valid(void)
{
	struct strbuf sb = STRBUF_INIT;
	html_url_encode(&sb, "a b&c=d/\xc3\xa9~");
	CU_ASSERT_STRING_EQUAL(sb.buf, "a%20b%26c%3Dd%2F%C3%A9~");
	strbuf_release(&sb);
	CU_ASSERT_TRUE(html_text_valid("why: it hung\n", 13));
	CU_ASSERT_FALSE(html_text_valid("a\0b", 3));
	CU_ASSERT_FALSE(html_text_valid("\xff", 1));
	CU_ASSERT_TRUE(html_text_valid("", 0));
}

static const struct unit_case cases[] = {
	{ "markup characters escaped", test_escape_markup },
	{ "control bytes and invalid UTF-8 replaced", test_escape_bad_bytes },
	{ "long values cut with the whole in title", test_cut },
	{ "a preview of 2-, 3-, 4-byte characters at its limit", test_cut_multibyte_at_the_limit },
	{ "relative ages", test_age },
	{ "URL encoding, text validity", test_url_encode_and_valid },
	{ NULL, NULL },
};

UNIT_MAIN("html", cases)
