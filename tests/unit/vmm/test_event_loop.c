// SPDX-License-Identifier: Apache-2.0
/* test_event_loop.c - vmm/base/event_loop.c: dispatch, mod, del, thread, stop. */
#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vmm/base/event_loop.h"
#include "tests/lib/unit.h"

struct counter {
	int fd;
	unsigned int hits;
	struct event_loop *el;
	bool self_delete;
};

static void on_event(void *opaque, uint32_t events)
{
	struct counter *c = opaque;
	uint64_t v;

	if (read(c->fd, &v, sizeof(v)) < 0)
		v = 0;
	__atomic_fetch_add(&c->hits, 1, __ATOMIC_SEQ_CST);
	if (c->self_delete)
		event_loop_del(c->el, c->fd);
}

static void kick(int fd)
{
	uint64_t one = 1;

	ck_assert_int_eq(write(fd, &one, sizeof(one)), 8);
}

START_TEST(dispatch_mod_del)
{
	struct event_loop el;
	struct counter c = { eventfd(0, EFD_NONBLOCK), 0, &el, false };

	ck_assert_int_eq(event_loop_init(&el, NULL), 0);
	ck_assert_int_eq(event_loop_add(&el, c.fd, EPOLLIN, on_event, &c), 0);
	ck_assert_int_eq(event_loop_add(&el, c.fd, EPOLLIN, on_event, &c), -EEXIST);
	kick(c.fd);
	ck_assert_int_eq(event_loop_run_once(&el, 1000), 1);
	ck_assert_uint_eq(c.hits, 1);
	ck_assert_int_eq(event_loop_mod(&el, c.fd, 0), 0);
	kick(c.fd);
	ck_assert_int_eq(event_loop_run_once(&el, 20), 0);
	ck_assert_int_eq(event_loop_mod(&el, c.fd, EPOLLIN), 0);
	ck_assert_int_eq(event_loop_run_once(&el, 1000), 1);
	ck_assert_int_eq(event_loop_del(&el, c.fd), 0);
	ck_assert_int_eq(event_loop_del(&el, c.fd), -ENOENT);
	ck_assert_int_eq(event_loop_mod(&el, c.fd, EPOLLIN), -ENOENT);
	event_loop_fini(&el);
	event_loop_fini(&el);
	close(c.fd);
}
END_TEST

/* A running loop with one source on @fd, which is then made readable. */
static void start_kicked(struct event_loop *el, int fd, event_fn fn, void *opaque)
{
	ck_assert_int_eq(event_loop_init(el, NULL), 0);
	ck_assert_int_eq(event_loop_add(el, fd, EPOLLIN, fn, opaque), 0);
	ck_assert_int_eq(event_loop_start(el, NULL), 0);
	kick(fd);
}

START_TEST(thread_and_self_delete)
{
	struct event_loop el;
	struct counter c = { eventfd(0, EFD_NONBLOCK), 0, &el, true };
	struct timespec ts = { 0, 1000000 };
	int i;

	start_kicked(&el, c.fd, on_event, &c);
	for (i = 0; i < 2000 && !__atomic_load_n(&c.hits, __ATOMIC_SEQ_CST); i++)
		nanosleep(&ts, NULL);
	ck_assert_uint_eq(c.hits, 1);
	ck_assert_int_eq(event_loop_del(&el, c.fd), -ENOENT); /* it removed itself */
	event_loop_stop(&el);
	event_loop_stop(&el);
	event_loop_fini(&el);
	close(c.fd);
}
END_TEST

/* A callback that holds its source busy until the test lets it go. */
struct slow {
	int fd, release_fd;
	int entered, deleting, deleted;
	struct event_loop *el;
};

static void on_slow_event(void *opaque, uint32_t events)
{
	struct slow *w = opaque;
	uint64_t v;

	(void)events;
	if (read(w->fd, &v, sizeof(v)) < 0)
		v = 0;
	__atomic_store_n(&w->entered, 1, __ATOMIC_SEQ_CST);
	/* Blocks: release_fd is a blocking eventfd the test writes to. */
	if (read(w->release_fd, &v, sizeof(v)) < 0)
		v = 0;
}

static void *delete_slow(void *arg)
{
	struct slow *w = arg;

	__atomic_store_n(&w->deleting, 1, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(event_loop_del(w->el, w->fd), 0);
	__atomic_store_n(&w->deleted, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static bool wait_flag(int *flag)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000 && !__atomic_load_n(flag, __ATOMIC_SEQ_CST); i++)
		nanosleep(&ts, NULL);
	return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}

/*
 * event_loop_del() from another thread while the source's callback runs:
 * it returns only after the callback has, and the source it waited on is
 * still its to read when it wakes (the dispatching thread frees deleted
 * sources after its batch, and must not free one a deleter still waits
 * on: under ASan that was a use after free).
 */
START_TEST(delete_waits_for_running_callback)
{
	struct event_loop el;
	struct slow w = { eventfd(0, EFD_NONBLOCK), eventfd(0, 0), 0, 0, 0, &el };
	struct timespec settle = { 0, 50000000 };
	pthread_t t;

	start_kicked(&el, w.fd, on_slow_event, &w);
	ck_assert(wait_flag(&w.entered));
	ck_assert_int_eq(pthread_create(&t, NULL, delete_slow, &w), 0);
	ck_assert(wait_flag(&w.deleting));
	/* Give the deleter time to block; it must not return while busy. */
	nanosleep(&settle, NULL);
	ck_assert_int_eq(__atomic_load_n(&w.deleted, __ATOMIC_SEQ_CST), 0);
	kick(w.release_fd);
	ck_assert(wait_flag(&w.deleted));
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(event_loop_del(&el, w.fd), -ENOENT);
	event_loop_stop(&el);
	event_loop_fini(&el);
	close(w.fd);
	close(w.release_fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("event_loop");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, dispatch_mod_del);
	tcase_add_test(tc, thread_and_self_delete);
	tcase_add_test(tc, delete_waits_for_running_callback);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
