// SPDX-License-Identifier: Apache-2.0
/*
 * event_loop.c - an epoll thread dispatching fd readiness to callbacks.
 *
 * Sources live on a list under el->lock. A callback runs without the lock
 * (so it may take device locks in any order) with its source's busy count
 * raised; event_loop_del() from another thread waits for that count to
 * drop. Deleted sources are freed only between batches by the dispatching
 * thread, because epoll_wait may already have returned a pointer to them,
 * and only once no event_loop_del() still waits on them: a waiter wakes
 * after the batch that ran the callback has ended, and then reads the
 * source's busy count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/base/event_loop.h"
#include "vmm/seccomp/seccomp.h"

#define EVENT_LOOP_BATCH 32

struct event_source {
	int fd;
	event_fn fn;
	void *opaque;
	unsigned int busy;    /* callbacks running */
	unsigned int waiters; /* event_loop_del() calls waiting for busy to drop */
	bool dead;
	struct event_source *next;
};

int event_loop_init(struct event_loop *el, struct husk_error **err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int e;

	memset(el, 0, sizeof(*el));
	el->epfd = el->stop_efd = -1;
	pthread_mutex_init(&el->lock, NULL);
	pthread_cond_init(&el->idle, NULL);
	el->inited = true;
	el->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (el->epfd < 0)
		goto fail;
	el->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (el->stop_efd < 0 || epoll_ctl(el->epfd, EPOLL_CTL_ADD, el->stop_efd, &ev) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	event_loop_fini(el);
	return husk_err(err, e, "event loop: epoll/eventfd");
}

static void event_loop_free_list(struct event_source *s)
{
	while (s) {
		struct event_source *next = s->next;

		free(s);
		s = next;
	}
}

void event_loop_fini(struct event_loop *el)
{
	if (!el->inited)
		return;
	event_loop_stop(el);
	event_loop_free_list(el->sources);
	event_loop_free_list(el->dead);
	el->sources = el->dead = NULL;
	if (el->epfd >= 0)
		close(el->epfd);
	if (el->stop_efd >= 0)
		close(el->stop_efd);
	el->epfd = el->stop_efd = -1;
	pthread_mutex_destroy(&el->lock);
	pthread_cond_destroy(&el->idle);
	el->inited = false;
}

static struct event_source *event_loop_find(struct event_loop *el, int fd,
					    struct event_source ***link)
{
	struct event_source **pp;

	for (pp = &el->sources; *pp; pp = &(*pp)->next)
		if ((*pp)->fd == fd) {
			if (link)
				*link = pp;
			return *pp;
		}
	return NULL;
}

int event_loop_add(struct event_loop *el, int fd, uint32_t events, event_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct event_source *s;
	int ret = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct event_source){ .fd = fd, .fn = fn, .opaque = opaque };
	ev.data.ptr = s;
	pthread_mutex_lock(&el->lock);
	if (event_loop_find(el, fd, NULL))
		ret = -EEXIST;
	else if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		ret = -errno;
	if (ret == 0) {
		s->next = el->sources;
		el->sources = s;
	}
	pthread_mutex_unlock(&el->lock);
	if (ret < 0)
		free(s);
	return ret;
}

int event_loop_mod(struct event_loop *el, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	struct event_source *s;
	int ret = 0;

	pthread_mutex_lock(&el->lock);
	s = event_loop_find(el, fd, NULL);
	ev.data.ptr = s;
	if (!s)
		ret = -ENOENT;
	else if (epoll_ctl(el->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		ret = -errno;
	pthread_mutex_unlock(&el->lock);
	return ret;
}

static bool event_loop_on_owner(const struct event_loop *el)
{
	return el->in_batch && pthread_equal(el->owner, pthread_self());
}

int event_loop_del(struct event_loop *el, int fd)
{
	struct event_source *s, **link;

	pthread_mutex_lock(&el->lock);
	s = event_loop_find(el, fd, &link);
	if (!s) {
		pthread_mutex_unlock(&el->lock);
		return -ENOENT;
	}
	epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
	*link = s->next;
	s->dead = true;
	s->next = el->dead;
	el->dead = s;
	/* From a callback on the dispatching thread, waiting would deadlock. */
	s->waiters++;
	while (s->busy && !event_loop_on_owner(el))
		pthread_cond_wait(&el->idle, &el->lock);
	s->waiters--;
	pthread_mutex_unlock(&el->lock);
	return 0;
}

/* Free the deleted sources nobody waits on; keep the others for later. */
static void event_loop_reap(struct event_loop *el)
{
	struct event_source **pp = &el->dead, *s;

	while ((s = *pp)) {
		if (s->waiters) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		free(s);
	}
}

/* Run one source's callback without the lock; returns false on stop. */
static bool event_loop_dispatch(struct event_loop *el, const struct epoll_event *ev)
{
	struct event_source *s = ev->data.ptr;
	uint64_t v;

	if (!s) {
		if (read(el->stop_efd, &v, sizeof(v)) < 0)
			v = 0;
		return !__atomic_load_n(&el->stopping, __ATOMIC_ACQUIRE);
	}
	if (s->dead)
		return true;
	s->busy++;
	pthread_mutex_unlock(&el->lock);
	s->fn(s->opaque, ev->events);
	pthread_mutex_lock(&el->lock);
	s->busy--;
	pthread_cond_broadcast(&el->idle);
	return true;
}

static int event_loop_batch(struct event_loop *el, int timeout_ms, bool *stop)
{
	struct epoll_event evs[EVENT_LOOP_BATCH];
	int n, i;

	n = epoll_wait(el->epfd, evs, EVENT_LOOP_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	pthread_mutex_lock(&el->lock);
	el->owner = pthread_self();
	el->in_batch = true;
	for (i = 0; i < n; i++)
		if (!event_loop_dispatch(el, &evs[i]))
			*stop = true;
	el->in_batch = false;
	/* No pointer from this batch survives: the graveyard can go. */
	event_loop_reap(el);
	pthread_mutex_unlock(&el->lock);
	return n;
}

int event_loop_run_once(struct event_loop *el, int timeout_ms)
{
	bool stop = false;

	return event_loop_batch(el, timeout_ms, &stop);
}

static void *event_loop_thread(void *arg)
{
	struct event_loop *el = arg;
	bool stop = false;

	while (!stop && !__atomic_load_n(&el->stopping, __ATOMIC_ACQUIRE))
		if (event_loop_batch(el, -1, &stop) < 0)
			break;
	return NULL;
}

int event_loop_start(struct event_loop *el, struct husk_error **err)
{
	int ret;

	if (el->running)
		return 0;
	__atomic_store_n(&el->stopping, false, __ATOMIC_RELEASE);
	ret = seccomp_thread_create(&el->thread, event_loop_thread, el, el->seccomp,
				    SECCOMP_THREAD_EVENT_LOOP, err);
	if (ret < 0)
		return husk_err_wrap(err, "event loop thread");
	el->running = true;
	pthread_setname_np(el->thread, "husk-events");
	return 0;
}

void event_loop_stop(struct event_loop *el)
{
	uint64_t one = 1;

	if (!el->running)
		return;
	__atomic_store_n(&el->stopping, true, __ATOMIC_RELEASE);
	if (write(el->stop_efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the thread will wake. */
	}
	pthread_join(el->thread, NULL);
	el->running = false;
}
