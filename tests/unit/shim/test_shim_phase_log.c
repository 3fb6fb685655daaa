// SPDX-License-Identifier: Apache-2.0
/* test_shim_phase_log.c - shim/base/phase_log.c: the exact line for given
 * timestamps (floored milliseconds whose differences add up to the total),
 * marks that go back in time, a lazy start, overflow and truncation. */
#include <string.h>

#include "shim/base/phase_log.h"
#include "tests/lib/unit.h"

#define MS 1000000ull
#define T0 (5000 * MS + 123) /* an arbitrary monotonic start */

static const char *line(const struct phase_log *pl, const char *title)
{
	static char buf[1024];
	size_t n = phase_log_format(pl, title, buf, sizeof(buf));

	ck_assert_uint_eq(n, strlen(buf));
	return buf;
}

START_TEST(deltas_of_floored_marks)
{
	struct phase_log pl;

	phase_log_start(&pl, T0);
	phase_log_mark_at(&pl, "spec", T0 + 1 * MS + 999999);	  /* 1.99 ms: 1 */
	phase_log_mark_at(&pl, "image", T0 + 4 * MS + 500000);	  /* 4.5: 3 more */
	phase_log_mark_at(&pl, "upper", T0 + 44 * MS);		  /* 44: 40 more */
	phase_log_mark_at(&pl, "start", T0 + 2100 * MS + 999999); /* 2100.99 */
	ck_assert_str_eq(line(&pl, "start phases of c1"),
			 "start phases of c1 (ms): spec 1, image 3, upper 40, start 2056; "
			 "total 2100");
}
END_TEST

START_TEST(a_mark_before_the_last_is_a_zero_phase)
{
	struct phase_log pl;

	phase_log_start(&pl, T0);
	phase_log_mark_at(&pl, "vm-start", T0 + 30 * MS);
	/* another thread's earlier timestamp: counts as at vm-start */
	phase_log_mark_at(&pl, "kernel", T0 + 20 * MS);
	phase_log_mark_at(&pl, "marker", T0 + 95 * MS);
	phase_log_mark_at(&pl, "never", 0); /* did not happen: no mark */
	phase_log_mark_at(&pl, "early", T0 - 7 * MS);
	ck_assert_str_eq(line(&pl, "p"), "p (ms): vm-start 30, kernel 0, marker 65, early 0; "
					 "total 95");
}
END_TEST

START_TEST(first_mark_starts_a_log_not_started)
{
	struct phase_log pl = { 0 };

	ck_assert(!phase_log_started(&pl));
	ck_assert_str_eq(line(&pl, "stop phases"), "stop phases (ms): total 0");
	phase_log_mark_at(&pl, "exit", T0);
	ck_assert(phase_log_started(&pl));
	phase_log_mark_at(&pl, "delete", T0 + 12 * MS);
	ck_assert_str_eq(line(&pl, "stop phases"), "stop phases (ms): exit 0, delete 12; total 12");
	phase_log_mark_at(NULL, "nothing", T0); /* a caller without a log */
	phase_log_start(&pl, T0);		/* a new start forgets the marks */
	ck_assert_str_eq(line(&pl, "s"), "s (ms): total 0");
}
END_TEST

START_TEST(marks_past_the_limit_are_counted)
{
	struct phase_log pl;
	char want[1024] = "x (ms): ";
	size_t i;

	phase_log_start(&pl, T0);
	for (i = 0; i < PHASE_LOG_MAX + 2; i++)
		phase_log_mark_at(&pl, "m", T0 + (i + 1) * MS);
	for (i = 0; i < PHASE_LOG_MAX; i++)
		strcat(want, i ? ", m 1" : "m 1");
	strcat(want, "; total 24; 2 marks dropped");
	ck_assert_uint_eq(PHASE_LOG_MAX, 24);
	ck_assert_str_eq(line(&pl, "x"), want);
}
END_TEST

START_TEST(a_short_buffer_truncates_and_says_how_long)
{
	struct phase_log pl;
	char buf[16];
	size_t n;

	phase_log_start(&pl, T0);
	phase_log_mark_at(&pl, "spec", T0 + 2 * MS);
	phase_log_mark_at(&pl, "start", T0 + 9 * MS);
	n = phase_log_format(&pl, "t", buf, sizeof(buf));
	ck_assert_str_eq(buf, "t (ms): spec 2,");
	ck_assert_uint_eq(n, strlen("t (ms): spec 2, start 7; total 9"));
	ck_assert_uint_eq(phase_log_format(&pl, "t", NULL, 0), n);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_phase_log");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, deltas_of_floored_marks);
	tcase_add_test(tc, a_mark_before_the_last_is_a_zero_phase);
	tcase_add_test(tc, first_mark_starts_a_log_not_started);
	tcase_add_test(tc, marks_past_the_limit_are_counted);
	tcase_add_test(tc, a_short_buffer_truncates_and_says_how_long);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
