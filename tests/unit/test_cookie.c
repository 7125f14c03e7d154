/* cookie: one value out of a Cookie request header. */
#include "build_config.h"

#include <string.h>

#include "base/cookie.h"
#include "unit.h"

/* The value of name in header as a string, or "(none)". */
static const char *value_of(const char *header, const char *name)
{
	static char out[128];
	const char *v;
	size_t len;
	if (cookie_get(header, name, &v, &len) < 0) {
		CU_ASSERT_PTR_NULL(v);
		CU_ASSERT_EQUAL(len, 0);
		return "(none)";
	}
	CU_ASSERT_FATAL(len < sizeof(out));
	CU_ASSERT(v >= header && v + len <= header + strlen(header));
	memcpy(out, v, len);
	out[len] = '\0';
	return out;
}

static void test_found(void)
{
	CU_ASSERT_STRING_EQUAL(value_of("s=abc", "s"), "abc");
	CU_ASSERT_STRING_EQUAL(value_of("a=1; s=abc; b=2", "s"), "abc");
	CU_ASSERT_STRING_EQUAL(value_of("a=1;s=abc", "s"), "abc");
	CU_ASSERT_STRING_EQUAL(value_of("  s=abc  ", "s"), "abc");
	CU_ASSERT_STRING_EQUAL(value_of("s=\"abc\"", "s"), "abc");
	CU_ASSERT_STRING_EQUAL(value_of("s=", "s"), "");
	CU_ASSERT_STRING_EQUAL(value_of("s=a=b", "s"), "a=b");
	/* The first of two: the one with the longest path comes first (RFC 6265 5.4). */
	CU_ASSERT_STRING_EQUAL(value_of("s=first; s=second", "s"), "first");
}

static void test_not_found(void)
{
	CU_ASSERT_STRING_EQUAL(value_of(NULL, "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of(";;; ", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("ss=abc", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("xs=abc", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("S=abc", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("s", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("a=s=abc", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("s =abc", "s"), "(none)");
	CU_ASSERT_STRING_EQUAL(value_of("s=abc", ""), "(none)");
}

static const struct unit_case cases[] = {
	{ "a cookie by its exact name, first wins", test_found },
	{ "absent, longer, shorter or other-case names", test_not_found },
	{ NULL, NULL },
};

UNIT_MAIN("cookie", cases)
