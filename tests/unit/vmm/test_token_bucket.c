// SPDX-License-Identifier: Apache-2.0
/*
 * test_token_bucket.c - vmm/base/token_bucket.c with hand-picked clock
 * readings (every figure exact: refill, carried fractions, burst, debt of
 * an over-size take, zero = unlimited), and vmm/base/rate_limiter.c with
 * an injected clock and a real event loop: a refusal arms the timer, whose
 * expiry calls the owner back; limits out of range are refused.
 */
#include <errno.h>
#include <string.h>

#include "tests/lib/unit.h"
#include "vmm/base/rate_limiter.h"
#include "vmm/base/token_bucket.h"

#define MS 1000000ULL
#define S  1000000000ULL

START_TEST(starts_full_and_empties)
{
	struct token_bucket tb;

	token_bucket_init(&tb, 1000, 0, 5 * S);
	ck_assert(token_bucket_enabled(&tb));
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1000, 5 * S), 0);
	token_bucket_take(&tb, 1000);
	ck_assert_int_eq(token_bucket_available(&tb), 0);
	/* one token at 1000/s: 1 ms */
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, 5 * S), 1 * MS);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 250, 5 * S), 250 * MS);
}
END_TEST

START_TEST(refill_by_elapsed_time)
{
	struct token_bucket tb;

	token_bucket_init(&tb, 1000, 0, 0);
	token_bucket_take(&tb, 1000);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 100, 40 * MS), 60 * MS);
	ck_assert_int_eq(token_bucket_available(&tb), 40);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 100, 100 * MS), 0);
	token_bucket_take(&tb, 100);
	ck_assert_int_eq(token_bucket_available(&tb), 0);
	/* capped at one second's worth, however long the wait */
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, 3600 * S), 0);
	ck_assert_int_eq(token_bucket_available(&tb), 1000);
}
END_TEST

START_TEST(fractions_carried)
{
	struct token_bucket tb;
	uint64_t t = 0;
	int i;

	/* 3 tokens/s: a token every 333.33 ms; 1000 steps of 1 ms add exactly 3 */
	token_bucket_init(&tb, 3, 0, 0);
	token_bucket_take(&tb, 3);
	for (i = 0; i < 1000; i++) {
		t += MS;
		token_bucket_wait_ns(&tb, 3, t);
	}
	ck_assert_int_eq(token_bucket_available(&tb), 3);
	token_bucket_take(&tb, 3);
	/* the first token comes 333333333.3 ns after t: at t + S/6 (166666666 ns)
	 * the rest is 166666667.3 ns, rounded up */
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, t + S / 6), 166666668);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, t + S / 3), 1);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, t + S / 3 + 1), 0);
}
END_TEST

START_TEST(one_time_burst)
{
	struct token_bucket tb;

	token_bucket_init(&tb, 100, 250, 0);
	ck_assert_int_eq(token_bucket_available(&tb), 350);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 100, 0), 0);
	token_bucket_take(&tb, 100); /* from the burst */
	ck_assert_int_eq(token_bucket_available(&tb), 250);
	token_bucket_take(&tb, 200); /* 150 of burst, 50 refilled */
	ck_assert_int_eq(token_bucket_available(&tb), 50);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 100, 0), 500 * MS);
	/* the burst never comes back: after 10 s only one second's worth */
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, 10 * S), 0);
	ck_assert_int_eq(token_bucket_available(&tb), 100);
}
END_TEST

START_TEST(over_size_take_leaves_debt)
{
	struct token_bucket tb;

	token_bucket_init(&tb, 1000, 0, 0);
	token_bucket_take(&tb, 10);
	/* 3000 > size: waits for a full bucket (10 ms), not for 3000 tokens */
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 3000, 0), 10 * MS);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 3000, 10 * MS), 0);
	token_bucket_take(&tb, 3000);
	ck_assert_int_eq(token_bucket_available(&tb), -2000);
	/* the debt is paid first: 2 s until 0, 2.001 s until one token */
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, 10 * MS), 2001 * MS);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 3000, 10 * MS), 3000 * MS);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 3000, 3010 * MS), 0);
}
END_TEST

START_TEST(zero_is_unlimited)
{
	struct token_bucket tb;

	token_bucket_init(&tb, 0, 500, 0);
	ck_assert(!token_bucket_enabled(&tb));
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, UINT32_MAX, 0), 0);
	token_bucket_take(&tb, UINT32_MAX);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, UINT32_MAX, 0), 0);
}
END_TEST

START_TEST(clock_going_back_adds_nothing)
{
	struct token_bucket tb;

	token_bucket_init(&tb, 1000, 0, S);
	token_bucket_take(&tb, 1000);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, 0), 1 * MS);
	ck_assert_int_eq(token_bucket_available(&tb), 0);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, S + MS), 0);
}
END_TEST

START_TEST(largest_rate_no_overflow)
{
	struct token_bucket tb;

	token_bucket_init(&tb, TOKEN_BUCKET_MAX, TOKEN_BUCKET_MAX, 0);
	token_bucket_take(&tb, 2 * TOKEN_BUCKET_MAX);
	ck_assert_int_eq(token_bucket_available(&tb), 0);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, TOKEN_BUCKET_MAX, 0), S);
	ck_assert_uint_eq(token_bucket_wait_ns(&tb, 1, 1000000 * S), 0);
	ck_assert_int_eq(token_bucket_available(&tb), (int64_t)TOKEN_BUCKET_MAX);
}
END_TEST

/* ------------------------------------------------------------ rate_limiter */

static uint64_t fake_now;
static int resumed;

static uint64_t fake_clock(void *opaque)
{
	(void)opaque;
	return fake_now;
}

static void count_resume(void *opaque)
{
	(*(int *)opaque)++;
}

START_TEST(limiter_timer_resumes)
{
	struct husk_rate_limit lim = { .bandwidth = { .rate = 1000 }, .ops = { .rate = 2 } };
	struct rate_limiter rl;
	struct event_loop el = { 0 };
	int i;

	fake_now = 7 * S;
	resumed = 0;
	ck_assert_int_eq(event_loop_init(&el, NULL), 0);
	ck_assert_int_eq(rate_limiter_init(&rl, &lim, &el, count_resume, &resumed, fake_clock, NULL,
					   NULL),
			 0);
	ck_assert(rate_limiter_admit(&rl, 100));
	ck_assert(rate_limiter_admit(&rl, 100));
	ck_assert(!rate_limiter_admit(&rl, 100)); /* ops: 2 per second */
	ck_assert_uint_eq(rl.throttled, 1);
	ck_assert_int_eq(token_bucket_available(&rl.bytes), 800); /* a refusal takes nothing */
	/* the timer is armed for 500 ms of real time: it fires and calls back */
	for (i = 0; i < 50 && !resumed; i++)
		event_loop_run_once(&el, 100);
	ck_assert_int_eq(resumed, 1);
	ck_assert(!rate_limiter_admit(&rl, 100)); /* the fake clock stood still */
	fake_now += S / 2;
	ck_assert(rate_limiter_admit(&rl, 100));
	/* bytes limit too: 1000 bytes/s, 500 left after 0.5 s refill capped at 1000 */
	fake_now += 10 * S;
	ck_assert(rate_limiter_admit(&rl, 900));
	ck_assert(!rate_limiter_admit(&rl, 200));
	fake_now += 100 * MS;
	ck_assert(rate_limiter_admit(&rl, 200));
	rate_limiter_fini(&rl);
	event_loop_fini(&el);
}
END_TEST

START_TEST(limiter_unlimited_needs_no_loop)
{
	struct husk_rate_limit lim = { 0 };
	struct rate_limiter rl;
	int i;

	ck_assert_int_eq(rate_limiter_init(&rl, &lim, NULL, count_resume, &resumed, NULL, NULL,
					   NULL),
			 0);
	ck_assert_int_eq(rl.timer_fd, -1);
	for (i = 0; i < 1000; i++)
		ck_assert(rate_limiter_admit(&rl, 1 << 30));
	rate_limiter_fini(&rl);
}
END_TEST

START_TEST(limiter_bad_limits)
{
	struct husk_rate_limit lim = { .ops = { .one_time_burst = 5 } };
	struct husk_error *err = NULL;
	struct rate_limiter rl;
	struct event_loop el = { 0 };

	ck_assert_int_eq(rate_limit_check(&lim, "disk", &err), -EINVAL);
	ck_assert_str_eq(husk_error_message(err), "disk: ops: a burst needs a rate");
	husk_error_free(err);
	err = NULL;
	lim = (struct husk_rate_limit){ .bandwidth = { .rate = TOKEN_BUCKET_MAX + 1 } };
	ck_assert_int_eq(rate_limit_check(&lim, "disk", &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "disk: bandwidth: over "));
	husk_error_free(err);
	err = NULL;
	lim = (struct husk_rate_limit){ .ops = { .rate = 1 } };
	ck_assert_int_eq(rate_limiter_init(&rl, &lim, NULL, count_resume, &resumed, NULL, NULL,
					   &err),
			 -EINVAL);
	ck_assert_str_eq(husk_error_message(err), "rate limit: no event loop for its timer");
	husk_error_free(err);
	rate_limiter_fini(&rl);
	ck_assert_int_eq(event_loop_init(&el, NULL), 0);
	lim.ops.rate = TOKEN_BUCKET_MAX;
	ck_assert_int_eq(rate_limiter_init(&rl, &lim, &el, count_resume, &resumed, NULL, NULL,
					   NULL),
			 0);
	rate_limiter_fini(&rl);
	event_loop_fini(&el);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("token_bucket");
	TCase *tb = tcase_create("bucket");
	TCase *rl = tcase_create("limiter");

	tcase_add_test(tb, starts_full_and_empties);
	tcase_add_test(tb, refill_by_elapsed_time);
	tcase_add_test(tb, fractions_carried);
	tcase_add_test(tb, one_time_burst);
	tcase_add_test(tb, over_size_take_leaves_debt);
	tcase_add_test(tb, zero_is_unlimited);
	tcase_add_test(tb, clock_going_back_adds_nothing);
	tcase_add_test(tb, largest_rate_no_overflow);
	tcase_add_test(rl, limiter_timer_resumes);
	tcase_add_test(rl, limiter_unlimited_needs_no_loop);
	tcase_add_test(rl, limiter_bad_limits);
	tcase_set_timeout(rl, 30);
	suite_add_tcase(s, tb);
	suite_add_tcase(s, rl);
	return s;
}

UNIT_MAIN()
