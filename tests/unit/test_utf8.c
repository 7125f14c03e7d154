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

static const struct unit_case cases[] = {
	{ "the length of one character, and what is not one", test_char_len },
	{ "in place: invalid bytes become '?'", test_sanitize_in_place },
	{ "copy: capped without splitting, control characters replaced", test_sanitize_copy },
	{ NULL, NULL },
};

UNIT_MAIN("utf8", cases)
