/* SPDX-License-Identifier: Apache-2.0 */
/*
 * duplex.h - a two-way, non-blocking byte pump between two stream sockets
 * (a PORT_CONNECT connection and its TCP socket). Each direction has its
 * own bounded buffer; a direction whose buffer is full stops reading its
 * source until the destination drains it, so a slow peer stalls only its
 * own forward, never husk-init. EOF in one direction becomes
 * shutdown(SHUT_WR) on the other socket; the sockets close when both
 * directions have ended, or at once on an error (a reset peer).
 */
#ifndef HUSK_INIT_DUPLEX_H
#define HUSK_INIT_DUPLEX_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "guest-init/system/loop.h"

#define DUPLEX_BUF   32768
#define DUPLEX_BURST 16 /* reads per direction per wake-up */

struct duplex_dir {
	size_t off, len; /* buf[off..len) waits for the destination */
	bool eof;	 /* the source ended */
	bool done;	 /* ...and the destination was shut down for writing */
	char buf[DUPLEX_BUF];
};

struct duplex {
	struct watch w[2];	/* the two sockets */
	struct duplex_dir d[2]; /* d[i] carries w[i] -> w[1 - i] */
	int epfd;
	int *live; /* decremented when the duplex ends */
};

/*
 * duplex_new - pump @a <-> @b (both become O_NONBLOCK and belong to the
 * duplex from now on, also on failure). *@live is decremented when it ends
 * (also when duplex_new fails).
 */
int duplex_new(int epfd, int a, int b, int *live, struct husk_error **e);

#endif
