/*
 * termtext: stored text as gentrackctl shows it on a terminal (issue 20
 * item 2). Control characters, C1 included, and bytes that are not UTF-8
 * become visible escapes; printable UTF-8 stays as it is.
 */
#include "build_config.h"

#include <string.h>

#include "base/termtext.h"
#include "unit.h"

/* The shown form of s (NUL-terminated), into out. */
static void shown(const char *s, unsigned flags, size_t max_cols, char *out, size_t size,
		  size_t *cols)
{
	struct strbuf sb = STRBUF_INIT;
	size_t c = termtext_add(&sb, s, strlen(s), flags, max_cols);
	CU_ASSERT_FALSE(sb.oom);
	snprintf(out, size, "%s", sb.buf);
	if (cols)
		*cols = c;
	strbuf_release(&sb);
}

#define SHOWN_EQ(in, flags, want)                                  \
	do {                                                       \
		char out_[512];                                    \
		shown((in), (flags), TERMTEXT_ALL, out_, sizeof(out_), NULL); \
		CU_ASSERT_STRING_EQUAL(out_, (want));              \
	} while (0)

static void test_printable_text_is_unchanged(void)
{
	SHOWN_EQ("topic-42", 0, "topic-42");
	SHOWN_EQ("", 0, "");
	SHOWN_EQ("gr\xc3\xbc\xc3\x9f dich, \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", 0,
		 "gr\xc3\xbc\xc3\x9f dich, \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
	/* U+00A0 and up are not controls. */
	SHOWN_EQ("\xc2\xa0\xc2\xa9", 0, "\xc2\xa0\xc2\xa9");
}

/* The sequences of the issue: a window title, erase-line + CR, cursor up. */
static void test_escape_sequences_become_visible(void)
{
	SHOWN_EQ("\x1b]0;pwned\x07", 0, "\\u001b]0;pwned\\u0007");
	SHOWN_EQ("\x1b[2K\r", 0, "\\u001b[2K\\r");
	SHOWN_EQ("\x1b[1Aadmin:root", 0, "\\u001b[1Aadmin:root");
	SHOWN_EQ("a\nb\tc", 0, "a\\nb\\tc");
	SHOWN_EQ("\x01\x1f\x7f", 0, "\\u0001\\u001f\\u007f");
}

static void test_c1_controls_become_visible(void)
{
	/* U+0080, U+009B (the 8-bit CSI), U+009F: two UTF-8 bytes each. */
	SHOWN_EQ("\xc2\x80" "x\xc2\x9b" "2J\xc2\x9f", 0, "\\u0080x\\u009b2J\\u009f");
}

static void test_invalid_utf8_becomes_hex(void)
{
	/* A lone 8-bit CSI byte, an overlong '/', a surrogate, a cut character. */
	SHOWN_EQ("\x9b" "2J", 0, "\\x9b2J");
	SHOWN_EQ("\xc0\xaf", 0, "\\xc0\\xaf");
	SHOWN_EQ("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");
	SHOWN_EQ("ab\xe6\x97", 0, "ab\\xe6\\x97");
	SHOWN_EQ("\xff", 0, "\\xff");
}

/* A stored "\u001b" (six characters) must not look like a stored ESC. */
static void test_backslash_is_doubled_in_plain_text(void)
{
	SHOWN_EQ("\\u001b", 0, "\\\\u001b");
	SHOWN_EQ("\\", 0, "\\\\");
}

/* JSON text keeps its own escapes; the same rules apply to what is raw in it. */
static void test_json_text_keeps_its_escapes(void)
{
	SHOWN_EQ("{\"k\":\"a\\u001b[1A\\\"\"}", TERMTEXT_JSON, "{\"k\":\"a\\u001b[1A\\\"\"}");
	/* jansson writes U+009B raw: shown as the JSON escape that means the same. */
	SHOWN_EQ("{\"k\":\"\xc2\x9b" "2J\"}", TERMTEXT_JSON, "{\"k\":\"\\u009b2J\"}");
	SHOWN_EQ("{\"k\":\"\xe6\x97\xa5\"}", TERMTEXT_JSON, "{\"k\":\"\xe6\x97\xa5\"}");
}

/* A cut counts columns, and never splits a character or an escape. */
static void test_cut_keeps_characters_and_escapes_whole(void)
{
	char out[64];
	size_t cols;
	shown("abcdef", 0, 4, out, sizeof(out), &cols);
	CU_ASSERT_STRING_EQUAL(out, "abcd");
	CU_ASSERT_EQUAL(cols, 4);
	/* Three 3-byte characters are three columns. */
	shown("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e!", 0, 3, out, sizeof(out), &cols);
	CU_ASSERT_STRING_EQUAL(out, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	CU_ASSERT_EQUAL(cols, 3);
	/* "ab" + \u001b (6 columns) does not fit 7: the escape is left out whole. */
	shown("ab\x1b" "c", 0, 7, out, sizeof(out), &cols);
	CU_ASSERT_STRING_EQUAL(out, "ab");
	CU_ASSERT_EQUAL(cols, 2);
	shown("ab\x1b" "c", 0, 8, out, sizeof(out), &cols);
	CU_ASSERT_STRING_EQUAL(out, "ab\\u001b");
	CU_ASSERT_EQUAL(cols, 8);
	shown("\xff\xff", 0, 5, out, sizeof(out), &cols);
	CU_ASSERT_STRING_EQUAL(out, "\\xff");
	CU_ASSERT_EQUAL(cols, 4);
}

/* termtext_cols agrees with what termtext_add appends, for alignment. */
static void test_cols_count_what_is_shown(void)
{
	static const char *const texts[] = {
		"", "plain", "\x1b[2K\r", "\xe6\x97\xa5\xe6\x9c\xac", "\xff\xc2\x9b", "a\\b",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct strbuf sb = STRBUF_INIT;
		size_t n = strlen(texts[i]);
		CU_ASSERT_EQUAL(termtext_cols(texts[i], n, 0), termtext_add(&sb, texts[i], n, 0, TERMTEXT_ALL));
		strbuf_release(&sb);
	}
	CU_ASSERT_EQUAL(termtext_cols("\x1b", 1, 0), 6);
	CU_ASSERT_EQUAL(termtext_cols("\xe6\x97\xa5", 3, 0), 1);
}

/* Every byte value: the output is valid UTF-8 with no control character left. */
static void test_every_byte_shows_no_control(void)
{
	for (unsigned b = 0; b < 256; b++) {
		char in[2] = { (char)b, 0 };
		struct strbuf sb = STRBUF_INIT;
		termtext_add(&sb, in, 1, 0, TERMTEXT_ALL);
		CU_ASSERT_FALSE(sb.oom);
		for (size_t i = 0; i < sb.len; i++) {
			unsigned char c = (unsigned char)sb.buf[i];
			CU_ASSERT_TRUE(c >= 0x20 && c < 0x7f);
		}
		strbuf_release(&sb);
	}
	/* ... and of every C1 character, as UTF-8. */
	for (unsigned cp = 0x80; cp <= 0x9f; cp++) {
		char in[2] = { (char)0xc2, (char)cp };
		struct strbuf sb = STRBUF_INIT;
		termtext_add(&sb, in, 2, 0, TERMTEXT_ALL);
		char want[8];
		snprintf(want, sizeof(want), "\\u%04x", cp);
		CU_ASSERT_STRING_EQUAL(sb.buf, want);
		strbuf_release(&sb);
	}
}

static const struct unit_case cases[] = {
	{ "printable text, UTF-8 included, is unchanged", test_printable_text_is_unchanged },
	{ "escape sequences become visible", test_escape_sequences_become_visible },
	{ "C1 controls become visible", test_c1_controls_become_visible },
	{ "invalid UTF-8 becomes \\xHH", test_invalid_utf8_becomes_hex },
	{ "a backslash is doubled in plain text", test_backslash_is_doubled_in_plain_text },
	{ "JSON text keeps its escapes", test_json_text_keeps_its_escapes },
	{ "a cut keeps characters and escapes whole", test_cut_keeps_characters_and_escapes_whole },
	{ "termtext_cols counts what is shown", test_cols_count_what_is_shown },
	{ "no byte shows as a control", test_every_byte_shows_no_control },
	{ NULL, NULL },
};

UNIT_MAIN("termtext", cases)
