/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event_loop.h - one epoll thread for device I/O: ioeventfds, tap fds,
 * sockets, completion eventfds.
 *
 * Registration is thread-safe and may happen from a callback. After
 * event_loop_del() returns, the callback is not running and will not run
 * again (unless called from that very callback, which is fine). Callbacks
 * run on the loop thread with no loop lock held, so they may take device
 * locks; they must not block for long, since every device shares the
 * thread. One loop per VM; nothing global.
 */
#ifndef HUSK_VMM_BASE_EVENT_LOOP_H
#define HUSK_VMM_BASE_EVENT_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* @events: the EPOLL* bits that fired. */
typedef void (*event_fn)(void *opaque, uint32_t events);

struct event_source;

struct event_loop {
	int epfd;
	int stop_efd; /* wakes the thread for stop */
	pthread_t thread;
	bool running;
	bool stopping;		      /* atomic */
	pthread_mutex_t lock;	      /* the lists and busy counts */
	pthread_cond_t idle;	      /* a callback finished */
	struct event_source *sources; /* registered */
	struct event_source *dead;    /* deleted, freed between batches */
	pthread_t owner;	      /* thread inside a batch (loop or run_once) */
	bool in_batch;
	bool inited;  /* init ran: fini has work */
	bool seccomp; /* the thread installs its filter (vmm/seccomp/); set after init */
};

/* event_loop_init - epoll and stop eventfd; no thread yet. */
int event_loop_init(struct event_loop *el, struct husk_error **err);

/* event_loop_fini - stop if running, free everything; idempotent, and safe
 * on a zeroed struct. */
void event_loop_fini(struct event_loop *el);

/*
 * event_loop_add - watch @fd (not owned) for @events (EPOLLIN, ...);
 * @fn(@opaque, fired) runs on the loop thread. -EEXIST if @fd is watched.
 */
int event_loop_add(struct event_loop *el, int fd, uint32_t events, event_fn fn, void *opaque);

/* event_loop_mod - change the watched events of @fd (0: pause it). */
int event_loop_mod(struct event_loop *el, int fd, uint32_t events);

/* event_loop_del - stop watching @fd; see the top comment. -ENOENT if unknown. */
int event_loop_del(struct event_loop *el, int fd);

/* event_loop_start - run the loop on its own thread. */
int event_loop_start(struct event_loop *el, struct husk_error **err);

/* event_loop_stop - make the thread return and join it; idempotent. */
void event_loop_stop(struct event_loop *el);

/*
 * event_loop_run_once - dispatch one batch on the calling thread, waiting
 * up to @timeout_ms (-1: forever). For tests and for embedders with their
 * own loop; not while the loop thread runs. Returns events dispatched or -errno.
 */
int event_loop_run_once(struct event_loop *el, int timeout_ms);

#endif
