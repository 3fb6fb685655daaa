/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.h - the single-threaded epoll loop of husk-init. A watch is an fd
 * plus a callback; loop_set() moves its registration to the wanted event
 * mask (0 removes it), so owners only say what they want now.
 */
#ifndef HUSK_INIT_LOOP_H
#define HUSK_INIT_LOOP_H

#include <stdint.h>

struct watch {
	int fd;
	uint32_t events; /* what epoll holds now; 0 = not registered */
	void (*fn)(struct watch *w, uint32_t events);
};

int loop_open(void);
int loop_set(int epfd, struct watch *w, uint32_t events);

/*
 * loop_once - wait up to @timeout_ms and dispatch one ready watch. One at
 * a time: a callback may free other watches, and no stale event for them
 * can then be waiting in a batch.
 */
int loop_once(int epfd, int timeout_ms);

#endif
