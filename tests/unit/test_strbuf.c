#include "build_config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "unit.h"

static void test_init_is_empty(void)
{
	struct strbuf a = STRBUF_INIT;
	struct strbuf b;
	strbuf_init(&b);
	CU_ASSERT_STRING_EQUAL(a.buf, "");
	CU_ASSERT_EQUAL(a.len, 0);
	CU_ASSERT_EQUAL(a.alloc, 0);
	CU_ASSERT_EQUAL(a.oom, 0);
	CU_ASSERT_PTR_EQUAL(b.buf, strbuf_empty);
	CU_ASSERT_EQUAL(b.len, 0);
	/* Releasing a never-used buffer must not free the static "". */
	strbuf_release(&a);
	strbuf_release(&b);
	CU_ASSERT_PTR_EQUAL(a.buf, strbuf_empty);
}

static void test_add_variants(void)
{
	struct strbuf sb = STRBUF_INIT;
	CU_ASSERT_EQUAL(strbuf_addstr(&sb, "abc"), 0);
	CU_ASSERT_EQUAL(strbuf_addch(&sb, '-'), 0);
	CU_ASSERT_EQUAL(strbuf_add(&sb, "xyz123", 3), 0);
	CU_ASSERT_EQUAL(strbuf_addf(&sb, "[%d|%s|%5.2f]", 42, "q", 3.14159), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "abc-xyz[42|q| 3.14]");
	CU_ASSERT_EQUAL(sb.len, strlen("abc-xyz[42|q| 3.14]"));
	CU_ASSERT(sb.alloc > sb.len);
	CU_ASSERT_EQUAL(sb.oom, 0);
	strbuf_release(&sb);
}

/* The integer adders write what %lld / %llu would. */
static void test_add_integers(void)
{
	static const long long values[] = { 0, 7, -7, 10, -10, 1234567, LLONG_MAX, LLONG_MIN };
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
		strbuf_add_i64(&got, values[i]);
		strbuf_addf(&want, "%lld", values[i]);
		CU_ASSERT_STRING_EQUAL(got.buf, want.buf);
		CU_ASSERT_EQUAL(got.len, want.len);
		strbuf_release(&got);
		strbuf_release(&want);
	}
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_u64(&sb, ULLONG_MAX);
	CU_ASSERT_STRING_EQUAL(sb.buf, "18446744073709551615");
	strbuf_release(&sb);
}

static void test_add_embedded_nul(void)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_add(&sb, "a\0b", 3);
	CU_ASSERT_EQUAL(sb.len, 3);
	CU_ASSERT_EQUAL(memcmp(sb.buf, "a\0b", 4), 0);
	strbuf_release(&sb);
}

static void test_add_empty_keeps_static(void)
{
	struct strbuf sb = STRBUF_INIT;
	CU_ASSERT_EQUAL(strbuf_add(&sb, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "");
	CU_ASSERT_EQUAL(sb.len, 0);
	strbuf_release(&sb);
}

static void test_growth_large(void)
{
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 10000; i++)
		strbuf_addf(&sb, "%04d,", i % 10000);
	CU_ASSERT_EQUAL(sb.oom, 0);
	CU_ASSERT_EQUAL(sb.len, 50000);
	CU_ASSERT_EQUAL(strncmp(sb.buf, "0000,0001,", 10), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf + sb.len - 5, "9999,");
	CU_ASSERT_EQUAL(sb.buf[sb.len], '\0');
	strbuf_release(&sb);
}

static void test_addf_longer_than_room(void)
{
	struct strbuf sb = STRBUF_INIT;
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addstr(&sb, "a");
	/* Forces the retry path: the first vsnprintf does not fit. */
	CU_ASSERT_EQUAL(strbuf_addf(&sb, "<%s>", big), 0);
	CU_ASSERT_EQUAL(sb.len, 1 + 2 + 999);
	CU_ASSERT_EQUAL(sb.buf[1], '<');
	CU_ASSERT_EQUAL(sb.buf[sb.len - 1], '>');
	CU_ASSERT_EQUAL(sb.buf[sb.len], '\0');
	strbuf_release(&sb);
}

static void test_reset_keeps_storage(void)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "hello world");
	char *before = sb.buf;
	size_t alloc = sb.alloc;
	strbuf_reset(&sb);
	CU_ASSERT_EQUAL(sb.len, 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "");
	CU_ASSERT_PTR_EQUAL(sb.buf, before);
	CU_ASSERT_EQUAL(sb.alloc, alloc);
	strbuf_addstr(&sb, "again");
	CU_ASSERT_STRING_EQUAL(sb.buf, "again");
	strbuf_release(&sb);

	struct strbuf fresh = STRBUF_INIT;
	strbuf_reset(&fresh); /* must not write into the static "" */
	CU_ASSERT_PTR_EQUAL(fresh.buf, strbuf_empty);
}

static void test_detach(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = 99;
	strbuf_addstr(&sb, "owned");
	char *s = strbuf_detach(&sb, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "owned");
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(sb.len, 0);
	CU_ASSERT_EQUAL(sb.alloc, 0);
	CU_ASSERT_PTR_EQUAL(sb.buf, strbuf_empty);
	free(s);
}

static void test_detach_empty_is_freeable(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = strbuf_detach(&sb, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "");
	CU_ASSERT_PTR_NOT_EQUAL(s, strbuf_empty);
	free(s);
}

static void test_oom_is_sticky(void)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "kept");
	/* An impossible size fails the way a refused allocation does. */
	CU_ASSERT_EQUAL(strbuf_grow(&sb, SIZE_MAX - 2), -1);
	CU_ASSERT_NOT_EQUAL(sb.oom, 0);
	CU_ASSERT_EQUAL(strbuf_addstr(&sb, "more"), -1);
	CU_ASSERT_EQUAL(strbuf_addch(&sb, 'x'), -1);
	CU_ASSERT_EQUAL(strbuf_addf(&sb, "%d", 1), -1);
	CU_ASSERT_EQUAL(strbuf_grow(&sb, 1), -1);
	/* Appends after the failure are no-ops: the content is what it was. */
	CU_ASSERT_STRING_EQUAL(sb.buf, "kept");
	size_t len = 7;
	CU_ASSERT_PTR_NULL(strbuf_detach(&sb, &len));
	CU_ASSERT_EQUAL(len, 0);
	/* detach of an oom buffer frees it and leaves it usable. */
	CU_ASSERT_EQUAL(sb.oom, 0);
	CU_ASSERT_EQUAL(strbuf_addstr(&sb, "ok"), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "ok");
	strbuf_release(&sb);
}

static void test_reset_clears_oom(void)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_grow(&sb, SIZE_MAX);
	CU_ASSERT_NOT_EQUAL(sb.oom, 0);
	strbuf_reset(&sb);
	CU_ASSERT_EQUAL(sb.oom, 0);
	CU_ASSERT_EQUAL(strbuf_addstr(&sb, "x"), 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "x");
	strbuf_release(&sb);
}

static void test_grow_reserves(void)
{
	struct strbuf sb = STRBUF_INIT;
	CU_ASSERT_EQUAL(strbuf_grow(&sb, 1000), 0);
	CU_ASSERT(sb.alloc >= 1001);
	CU_ASSERT_EQUAL(sb.len, 0);
	CU_ASSERT_STRING_EQUAL(sb.buf, "");
	char *p = sb.buf;
	for (int i = 0; i < 1000; i++)
		strbuf_addch(&sb, 'a');
	CU_ASSERT_PTR_EQUAL(sb.buf, p); /* no reallocation was needed */
	CU_ASSERT_EQUAL(sb.len, 1000);
	strbuf_release(&sb);
}

static const struct unit_case cases[] = {
	{ "init is empty", test_init_is_empty },
	{ "add, addstr, addch, addf", test_add_variants },
	{ "add_i64, add_u64", test_add_integers },
	{ "add with embedded NUL", test_add_embedded_nul },
	{ "add of nothing keeps static", test_add_empty_keeps_static },
	{ "growth to 50000 bytes", test_growth_large },
	{ "addf longer than free room", test_addf_longer_than_room },
	{ "reset keeps storage", test_reset_keeps_storage },
	{ "detach hands over storage", test_detach },
	{ "detach of empty buffer", test_detach_empty_is_freeable },
	{ "oom is sticky", test_oom_is_sticky },
	{ "reset clears oom", test_reset_clears_oom },
	{ "grow reserves room", test_grow_reserves },
	{ NULL, NULL },
};

UNIT_MAIN("strbuf", cases)
