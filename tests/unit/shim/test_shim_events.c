// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_events.c - shim/task/events.c: events reach a (fake) containerd
 * Events.Forward in order, with a type URL and a timestamp; a containerd
 * that comes up late still gets them; a full queue drops, never blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim/task/events.h"
#include "tests/lib/shim_harness.h"
#include "tests/lib/unit.h"

static struct harness h;

static void setup(void)
{
	ck_assert_int_eq(harness_up(&h), 0);
}

static void teardown(void)
{
	harness_down(&h);
}

static int publish_start(struct shim_events *ev, const char *id, uint32_t pid)
{
	Containerd__Events__TaskStart st = CONTAINERD__EVENTS__TASK_START__INIT;

	st.container_id = (char *)id;
	st.pid = pid;
	return shim_events_publish(ev, "/tasks/start", &st.base);
}

START_TEST(forwarded_in_order)
{
	Containerd__Events__TaskStart *st;
	unsigned i;

	for (i = 0; i < 50; i++)
		ck_assert_int_eq(publish_start(h.ev, "c1", i), 0);
	ck_assert_int_eq(shim_events_flush(h.ev, 5000), 0);
	ck_assert(harness_wait_events(&h, 50, 1000));
	for (i = 0; i < 50; i++) {
		ck_assert_str_eq(h.events[i].topic, "/tasks/start");
		ck_assert_str_eq(h.events[i].type_url, "containerd.events.TaskStart");
		st = containerd__events__task_start__unpack(NULL, h.events[i].len,
							    h.events[i].value);
		ck_assert_ptr_nonnull(st);
		ck_assert_uint_eq(st->pid, i);
		containerd__events__task_start__free_unpacked(st, NULL);
	}
}
END_TEST

START_TEST(late_containerd_gets_retries)
{
	struct shim_events *ev;
	char late[160];

	/* Point a publisher at a socket that only appears later. */
	snprintf(late, sizeof(late), "%s/late.sock", h.dir);
	ck_assert_int_eq(shim_events_new(late, "default", 30, &ev, NULL), 0);
	ck_assert_int_eq(publish_start(ev, "c9", 7), 0);
	usleep(60 * 1000);
	ck_assert_int_eq(rename(h.ev_sock, late), 0);
	ck_assert_int_eq(shim_events_flush(ev, 5000), 0);
	ck_assert(harness_wait_events(&h, 1, 1000));
	ck_assert_str_eq(h.events[0].topic, "/tasks/start");
	shim_events_free(ev);
}
END_TEST

START_TEST(no_address_and_full_queue)
{
	struct shim_events *ev;
	unsigned i;
	int ret = 0;

	ck_assert_int_eq(shim_events_new(NULL, "default", 10, &ev, NULL), 0);
	ck_assert_int_eq(publish_start(ev, "c1", 1), 0);
	ck_assert_int_eq(shim_events_flush(ev, 100), 0);
	shim_events_free(ev);
	ck_assert_int_eq(publish_start(NULL, "c1", 1), 0);
	/* Nobody listens and retries are slow: the queue fills, then drops. */
	ck_assert_int_eq(shim_events_new("/nonexistent/x.sock", "default", 10000, &ev, NULL), 0);
	for (i = 0; i < SHIM_EVENTS_QUEUE_MAX + 2 && !ret; i++)
		ret = publish_start(ev, "c1", i);
	ck_assert_int_eq(ret, -ENOSPC);
	ck_assert_int_eq(shim_events_flush(ev, 10), -ETIMEDOUT);
	shim_events_free(ev); /* stops at once, drops the rest */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_events");
	TCase *tc = tcase_create("forward");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, forwarded_in_order);
	tcase_add_test(tc, late_containerd_gets_retries);
	tcase_add_test(tc, no_address_and_full_queue);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
