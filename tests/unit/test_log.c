/* log: one line per message, cut to its buffer without splitting a character. */
#include "build_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/utf8.h"
#include "unit.h"

static char seen[4096];

static void capture(enum log_level level, const char *line)
{
	(void)level;
	snprintf(seen, sizeof(seen), "%s", line);
}

/* Whether s is whole UTF-8 characters only. */
static int whole_utf8(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void test_short_line_whole(void)
{
	log_set_sink(capture);
	log_info("entity %d failed: %s", 3, "Zeit\xc3\xbc" "berschreitung");
	CU_ASSERT_PTR_NOT_NULL(strstr(seen, " info: entity 3 failed: Zeit\xc3\xbc" "berschreitung"));
	log_set_sink(NULL);
}

/*
 * Issue 20: a message longer than the line, of 2-, 3- and 4-byte characters,
 * with 0..3 ASCII bytes in front so the cut falls on each byte of one. The
 * line keeps every character that fits whole, and no part of the next.
 */
static void test_long_line_cut_between_characters(void)
{
	static const char *const wide[] = { "\xc3\xbc", "\xe6\x97\xa5", "\xf0\x9f\x98\x80" };
	char msg[3000];
	log_set_sink(capture);
	for (size_t w = 0; w < 3; w++) {
		size_t cl = strlen(wide[w]);
		for (size_t k = 0; k < cl; k++) {
			size_t len = k;
			memset(msg, 'x', k);
			while (len + cl < sizeof(msg))
				memcpy(msg + len, wide[w], cl), len += cl;
			msg[len] = '\0';
			seen[0] = '\0';
			log_warn("%s", msg);
			size_t got = strlen(seen);
			CU_ASSERT(whole_utf8(seen));
			/* The line's buffer is 2048 bytes, one of them for the newline. */
			CU_ASSERT(got <= 2046 && got > 2046 - cl);
			const char *body = strstr(seen, " warn: ");
			CU_ASSERT_PTR_NOT_NULL_FATAL(body);
			body += 7;
			CU_ASSERT_NSTRING_EQUAL(body, msg, strlen(body));
		}
	}
	log_set_sink(NULL);
}

static const struct unit_case cases[] = {
	{ "a short line is written whole", test_short_line_whole },
	{ "a long line of 2-, 3-, 4-byte characters is cut between them", test_long_line_cut_between_characters },
	{ NULL, NULL },
};

UNIT_MAIN("log", cases)
