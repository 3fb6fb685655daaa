// SPDX-License-Identifier: Apache-2.0
/* loop.c - epoll registration and dispatch (see loop.h). */
#include <errno.h>
#include <sys/epoll.h>

#include "guest-init/system/loop.h"

int loop_open(void)
{
	return epoll_create1(EPOLL_CLOEXEC);
}

int loop_set(int epfd, struct watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	int op;

	if (events == w->events)
		return 0;
	if (!events)
		op = EPOLL_CTL_DEL;
	else
		op = w->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(epfd, op, w->fd, &ev) < 0 && op != EPOLL_CTL_DEL)
		return -errno;
	w->events = events;
	return 0;
}

int loop_once(int epfd, int timeout_ms)
{
	struct epoll_event ev;
	struct watch *w;
	int n;

	n = epoll_wait(epfd, &ev, 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	w = ev.data.ptr;
	w->fn(w, ev.events);
	return 1;
}
