#ifndef GENTRACK_TESTS_UNIT_H
#define GENTRACK_TESTS_UNIT_H

/*
 * Shared main() for the CUnit programs: each test file lists its cases in a
 * `static const struct unit_case cases[]` and ends with UNIT_MAIN("module", cases).
 * The exit status comes from CUnit's failure counts, because
 * CU_basic_run_tests() returns success even when assertions fail.
 */
#include <CUnit/Basic.h>
#include <stdio.h>

struct unit_case {
	const char *name;
	void (*fn)(void);
};

static inline int unit_run(const char *suite_name, const struct unit_case *cases)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
	if (!suite) {
		CU_cleanup_registry();
		return 99;
	}
	for (const struct unit_case *c = cases; c->name; c++) {
		if (!CU_add_test(suite, c->name, c->fn)) {
			CU_cleanup_registry();
			return 99;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failures = CU_get_number_of_failures() +
			    CU_get_number_of_tests_failed() +
			    CU_get_number_of_suites_failed();
	unsigned run = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (run == 0)
		return 99;
	return failures ? 1 : 0;
}

#define UNIT_MAIN(suite_name, cases) \
	int main(void) { return unit_run((suite_name), (cases)); }

#endif
