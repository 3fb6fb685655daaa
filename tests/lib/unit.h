/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit.h - shared scaffolding for the Check unit suites in tests/unit/.
 *
 * Each suite file defines `Suite *suite(void)` and ends with UNIT_MAIN().
 * Check runs in fork mode (a crash fails one test, not the run); set
 * CK_FORK=no to debug a test under gdb. The summary line Check prints
 * ("100%: Checks: N, Failures: F, Errors: E") is what tests/run-unit counts.
 */
#ifndef HUSK_TESTS_UNIT_H
#define HUSK_TESTS_UNIT_H

#include <check.h>
#include <stdlib.h>

#define UNIT_MAIN() \
	int main(void) \
	{ \
		SRunner *sr = srunner_create(suite()); \
		int failed; \
		srunner_run_all(sr, CK_NORMAL); \
		failed = srunner_ntests_failed(sr); \
		srunner_free(sr); \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS; \
	}

#endif
