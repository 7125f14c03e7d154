/* bulk: the bulk retry's filter, and the JSON twin's action ids. */
#include "build_config.h"

#include <string.h>

#include "admin/bulk.h"
#include "unit.h"

#define A "2026-11-24T10:00:00Z"

static void test_filter_ok(void)
{
	struct store_finished_filter f;
	char err[200];
	CU_ASSERT_EQUAL(bulk_retry_filter("problem", "failed", "generator_failed", A,
					  "2026-11-24T12:00:00Z", &f, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(f.entity_type, "problem");
	CU_ASSERT_EQUAL(f.status, GEN_FAILED);
	CU_ASSERT_STRING_EQUAL(f.failure_reason, "generator_failed");
	CU_ASSERT_EQUAL(f.before - f.after, 2LL * 3600 * 1000000);
	/* partial, any reason (absent or empty) */
	CU_ASSERT_EQUAL(bulk_retry_filter("p_2", "partial", NULL, A, "2026-11-24T10:00:00.000001Z",
					  &f, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(f.status, GEN_PARTIAL);
	CU_ASSERT_PTR_NULL(f.failure_reason);
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", "", A, "2026-11-25T00:00:00Z", &f, err,
					  sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(f.failure_reason);
	static const char *const codes[] = { "lease_expired", "max_runtime_exceeded",
					     "never_started", "generator_failed", "operator_failed" };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", codes[i], A, "2026-11-25T00:00:00Z",
						  &f, err, sizeof(err)), 0);
}

static void test_filter_rejects(void)
{
	struct store_finished_filter f;
	char err[200];
	const char *later = "2026-11-25T00:00:00Z";
	CU_ASSERT_EQUAL(bulk_retry_filter(NULL, "failed", NULL, A, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "entity_type"));
	CU_ASSERT_EQUAL(bulk_retry_filter("Problem", "failed", NULL, A, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(bulk_retry_filter("9p", "failed", NULL, A, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(bulk_retry_filter("p", NULL, NULL, A, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "completed", NULL, A, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "cancelled", NULL, A, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "status"));
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", "timeout", A, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "failure_reason"));
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", NULL, NULL, later, &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", NULL, A, "tomorrow", &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", NULL, "2026-11-24 10:00", later, &f, err,
					  sizeof(err)), -1);
	/* A must come before B: equal or reversed is empty by mistake, not by data. */
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", NULL, A, A, &f, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", NULL, later, A, &f, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "before"));
	/* the same instant in another offset */
	CU_ASSERT_EQUAL(bulk_retry_filter("p", "failed", NULL, "2026-11-24T11:00:00+01:00", A, &f,
					  err, sizeof(err)), -1);
}

static void test_action_id(void)
{
	char long_id[66];
	CU_ASSERT(bulk_action_id_valid("a"));
	CU_ASSERT(bulk_action_id_valid("retry-2026-11-24_A"));
	memset(long_id, 'a', 64);
	long_id[64] = '\0';
	CU_ASSERT(bulk_action_id_valid(long_id));
	long_id[64] = 'a';
	long_id[65] = '\0';
	CU_ASSERT(!bulk_action_id_valid(long_id));
	CU_ASSERT(!bulk_action_id_valid(NULL));
	CU_ASSERT(!bulk_action_id_valid(""));
	CU_ASSERT(!bulk_action_id_valid("a b"));
	CU_ASSERT(!bulk_action_id_valid("a/b"));
	CU_ASSERT(!bulk_action_id_valid("\xc3\xa9"));
}

static const struct unit_case cases[] = {
	{ "a bulk retry filter", test_filter_ok },
	{ "bad filters, each with its reason", test_filter_rejects },
	{ "the JSON twin's action ids", test_action_id },
	{ NULL, NULL },
};

UNIT_MAIN("bulk", cases)
