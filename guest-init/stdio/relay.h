/* SPDX-License-Identifier: Apache-2.0 */
/*
 * relay.h - a one-way, non-blocking byte pump between two fds (a process's
 * pipe or pty and a stdio connection). Each relay has its own buffer and
 * waits on its own fds, so a reader that stops reading stalls only its
 * own stream: the relay stops reading its source and the process blocks
 * in write(2), while the rest of husk-init carries on.
 */
#ifndef HUSK_INIT_RELAY_H
#define HUSK_INIT_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "agent-codec/agent_relay_msg.h"
#include "common/error.h"
#include "guest-init/system/loop.h"

#define RELAY_BUF   16384
#define RELAY_BURST 16 /* reads per wake-up, so no stream hogs the loop */

/* What a stream has done, kept by the relay's owner (struct streams). */
struct relay_count {
	uint64_t moved;	     /* bytes written to the destination */
	int64_t progress_ms; /* CLOCK_MONOTONIC: a byte last moved (or set-up) */
	bool ended;	     /* the relay finished */
};

struct relay {
	struct watch rw, ww; /* source readable, destination writable */
	int epfd;
	size_t off, len;
	bool eof;		   /* source ended (or was closed by request) */
	bool drain;		   /* destination gone: keep reading, drop data */
	bool drain_on_error;	   /* output relays drain; stdin relays stop */
	bool end_when_idle;	   /* the source ends once it has nothing ready */
	bool wait_dst;		   /* waiting for the destination (it said EAGAIN) */
	struct relay **owner;	   /* cleared when the relay ends */
	struct relay_count *count; /* the owner's; NULL once detached */
	char buf[RELAY_BUF];
};

/*
 * relay_new - pump @src to @dst (both become O_NONBLOCK and are owned by
 * the relay from now on, also on failure). *@owner points at the relay
 * until it ends: source at EOF and buffer flushed, or relay_close(). The
 * relay adds to *@count until it ends or is detached.
 */
int relay_new(int epfd, int src, int dst, bool drain_on_error, struct relay **owner,
	      struct relay_count *count, struct husk_error **e);

/* relay_state - what @r waits on now; *@buffered gets its unsent bytes. */
enum amsg_relay_state relay_state(const struct relay *r, uint64_t *buffered);

/*
 * relay_end_input - end the stream once the source has nothing more ready:
 * what was already sent (buffered here or in the socket) still arrives.
 */
void relay_end_input(struct relay *r);

/* relay_close - end now, dropping buffered bytes. */
void relay_close(struct relay *r);

/* relay_detach - the owner goes away; the relay runs on to its end. */
void relay_detach(struct relay *r);

#endif
