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
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * unit_host_kvm - whether this host's /dev/kvm opens, for the suites'
 * "hostkvm" cases (tiny guests on the host's KVM). When it does not, the
 * one line tests/run-unit reports as not run is printed: "not run:
 * hostkvm: open /dev/kvm: REASON" and " (@what)" when given.
 */
static inline bool unit_host_kvm(const char *what)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	printf("not run: hostkvm: open /dev/kvm: %s%s%s%s\n", strerror(errno), what ? " (" : "",
	       what ? what : "", what ? ")" : "");
	fflush(stdout);
	return false;
}

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
