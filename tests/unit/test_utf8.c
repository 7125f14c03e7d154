#include "build_config.h"

#include <string.h>

#include "unit.h"
#include "base/utf8.h"

static void test_char_len(void)
{
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"a", 1), 1);
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\xc3\xa9", 2), 2);
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	/* Truncated by `avail`, even when the bytes after would complete it. */
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\xe2\x82\xac", 2), 0);
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\xc0\xaf", 2), 0);      /* overlong */
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\xed\xa0\x80", 3), 0);  /* surrogate */
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"\x80", 1), 0);
	CU_ASSERT_EQUAL(utf8_char_len((const unsigned char *)"", 0), 0);
}

static void test_valid(void)
{
	CU_ASSERT_EQUAL(utf8_valid("", 0), 1);
	CU_ASSERT_EQUAL(utf8_valid("Zeit\xc3\xbc \xe6\x97\xa5 \xf0\x9f\x98\x80", 15), 1);
	CU_ASSERT_EQUAL(utf8_valid("\xc3", 1), 0);              /* a half character */
	CU_ASSERT_EQUAL(utf8_valid("a\xe6\x97", 3), 0);         /* cut before its last byte */
	CU_ASSERT_EQUAL(utf8_valid("\xc0\xaf", 2), 0);          /* overlong */
	CU_ASSERT_EQUAL(utf8_valid("\xed\xa0\x80", 3), 0);     /* a surrogate */
	CU_ASSERT_EQUAL(utf8_valid("ok\xffok", 5), 0);
}

static void test_sanitize_in_place(void)
{
	char text[32];
	memcpy(text, "a\xff\xc0\x80" "b\xed\xa0\x80\xc3", 10);
	text[10] = '\0';
	utf8_sanitize(text);
	CU_ASSERT_STRING_EQUAL(text, "a???b????");
	memcpy(text, "caf\xc3\xa9 \xe2\x82\xac\n", 10);
	text[10] = '\0';
	utf8_sanitize(text);
	/* Valid text, control characters included, is left alone. */
	CU_ASSERT_STRING_EQUAL(text, "caf\xc3\xa9 \xe2\x82\xac\n");
}

static void test_sanitize_copy(void)
{
	char out[16];
	CU_ASSERT_EQUAL(utf8_sanitize_copy("h\xc3\xa9llo", 6, out, sizeof(out)), 6);
	CU_ASSERT_STRING_EQUAL(out, "h\xc3\xa9llo");
	utf8_sanitize_copy("a\xff" "b\x01" "c", 5, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "a?b?c");
	/* A cut never splits a character: "ab" + 3-byte euro sign into 5 bytes. */
	CU_ASSERT_EQUAL(utf8_sanitize_copy("ab\xe2\x82\xac", 5, out, 5), 2);
	CU_ASSERT_STRING_EQUAL(out, "ab");
	/* Truncated sequence, surrogate, overlong. */
	utf8_sanitize_copy("\xe2\x82", 2, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "??");
	utf8_sanitize_copy("\xed\xa0\x80", 3, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "???");
	utf8_sanitize_copy("\xc0\xaf", 2, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "??");
	utf8_sanitize_copy("a\nb\tc", 5, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "a\nb\tc");
}

/* One character of each length beyond ASCII: ü, €, 😀. */
static const char *const wide[] = { "\xc3\xbc", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };

/* Whether s (len bytes) is whole UTF-8 characters only. */
static int all_whole(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

/* "aa…" (k bytes), then the character, then "bc": the limit falls before it,
 * on each of its bytes, and after it. */
static void test_prefix_len(void)
{
	char s[16];
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t k = 0; k <= 3; k++) {
			memset(s, 'a', k);
			memcpy(s + k, wide[w], cl);
			memcpy(s + k + cl, "bc", 3);
			size_t len = strlen(s);
			for (size_t max = k ? k - 1 : 0; max <= len + 1; max++) {
				size_t want = max >= len ? len : max > k && max < k + cl ? k : max;
				size_t got = utf8_prefix_len(s, len, max);
				CU_ASSERT_EQUAL(got, want);
				CU_ASSERT(all_whole(s, got));
			}
		}
	}
	/* Not UTF-8 to begin with: cut where asked. */
	CU_ASSERT_EQUAL(utf8_prefix_len("a\x80\x80\x80\x80" "b", 6, 3), 3);
	CU_ASSERT_EQUAL(utf8_prefix_len("\xff\xfe", 2, 1), 1);
}

static void test_whole_len(void)
{
	/* Each incomplete start of each character is dropped; a whole one stays. */
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		char s[8] = "xy";
		memcpy(s + 2, wide[w], cl);
		for (size_t part = 1; part < cl; part++)
			CU_ASSERT_EQUAL(utf8_whole_len(s, 2 + part), 2);
		CU_ASSERT_EQUAL(utf8_whole_len(s, 2 + cl), 2 + cl);
	}
	CU_ASSERT_EQUAL(utf8_whole_len("abc", 3), 3);
	CU_ASSERT_EQUAL(utf8_whole_len("", 0), 0);
	/* Stray continuation bytes are not a cut of ours: left alone. */
	CU_ASSERT_EQUAL(utf8_whole_len("a\x80\x80\x80\x80", 5), 5);
}

static void test_partial_head(void)
{
	/* The tail of a text kept from inside each character, and from its start. */
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		char s[8];
		memcpy(s, wide[w], cl);
		memcpy(s + cl, "z", 2);
		for (size_t from = 0; from < cl; from++)
			CU_ASSERT_EQUAL(utf8_partial_head(s + from, cl + 1 - from),
					from ? cl - from : 0);
	}
	CU_ASSERT_EQUAL(utf8_partial_head("abc", 3), 0);
	CU_ASSERT_EQUAL(utf8_partial_head("\x80\x80", 2), 2);
}

/* The formatted text is cut before the character a size would split. */
static void test_snprintf(void)
{
	char text[64], out[64];
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		/* "k=" then the character six times. */
		size_t len = 2 + 6 * cl;
		for (size_t size = 1; size <= len + 2; size++) {
			int n = utf8_snprintf(out, size, "k=%s%s%s%s%s%s", wide[w], wide[w], wide[w],
					      wide[w], wide[w], wide[w]);
			CU_ASSERT_EQUAL(n, (int)len);
			memcpy(text, "k=", 2);
			for (int i = 0; i < 6; i++)
				memcpy(text + 2 + i * cl, wide[w], cl);
			size_t want = utf8_prefix_len(text, len, size - 1);
			CU_ASSERT_EQUAL(strlen(out), want);
			CU_ASSERT(all_whole(out, strlen(out)));
			CU_ASSERT_NSTRING_EQUAL(out, text, want);
		}
	}
}

static const struct unit_case cases[] = {
	{ "the length of one character, and what is not one", test_char_len },
	{ "valid: whole characters only", test_valid },
	{ "in place: invalid bytes become '?'", test_sanitize_in_place },
	{ "copy: capped without splitting, control characters replaced", test_sanitize_copy },
	{ "prefix: a cut at, before and after each 2-, 3- and 4-byte character", test_prefix_len },
	{ "whole length: an incomplete last character is dropped", test_whole_len },
	{ "partial head: the rest of a character cut off in front", test_partial_head },
	{ "snprintf: a text too long is cut before the character it would split", test_snprintf },
	{ NULL, NULL },
};

UNIT_MAIN("utf8", cases)
