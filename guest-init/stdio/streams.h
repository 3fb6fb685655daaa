/* SPDX-License-Identifier: Apache-2.0 */
/*
 * streams.h - a process's stdin, stdout and stderr: pipes made before the
 * fork (or one pty, made by the child in the container and its master
 * passed back), whose far ends the child takes as fds 0-2 and
 * whose near ends wait until the host binds a connection to each
 * (STDIO_BIND), which starts a relay. Each stream's counts (bytes moved,
 * last progress) stay here after its relay ended, for RELAY_STATUS.
 */
#ifndef HUSK_INIT_STREAMS_H
#define HUSK_INIT_STREAMS_H

#include <stdbool.h>

#include "common/error.h"
#include "guest-init/stdio/relay.h"

enum { STREAM_IN, STREAM_OUT, STREAM_ERR, STREAM_N };

struct amsg_stdio;

struct streams {
	bool want[STREAM_N];
	bool bound[STREAM_N];
	bool tty;
	int far[STREAM_N];	 /* the child's ends; -1 = /dev/null */
	int near[STREAM_N];	 /* ours, until bound; -1 */
	int master;		 /* pty master (for resizing), or -1 */
	unsigned int rows, cols; /* the pty's first size */
	struct relay *relay[STREAM_N];
	struct relay_count count[STREAM_N];
};

void streams_init(struct streams *s);
int streams_prepare(struct streams *s, const struct amsg_stdio *want, bool tty, unsigned int rows,
		    unsigned int cols, struct husk_error **e);
/* streams_child_pty - in the child, in the container: make the pty; its
 * master in *@master goes to the parent. */
int streams_child_pty(struct streams *s, int *master, struct husk_error **e);
/* streams_take_master - the parent's end of the child's pty (taken over). */
int streams_take_master(struct streams *s, int master, struct husk_error **e);
/* streams_child - in the child: fds 0-2 from the far ends (or @devnull). */
int streams_child(struct streams *s, int devnull, struct husk_error **e);
void streams_close_far(struct streams *s);
int streams_index(const char *name);
/* streams_bind - connect stream @idx to socket @sock (taken over always). */
int streams_bind(int epfd, struct streams *s, int idx, int sock, struct husk_error **e);
/* streams_unbound - the first wanted stream without a connection, or NULL. */
const char *streams_unbound(const struct streams *s);
void streams_close_stdin(struct streams *s);
int streams_resize(struct streams *s, unsigned int rows, unsigned int cols, struct husk_error **e);
/*
 * streams_status - stream @idx as RELAY_STATUS reports it at @now_ms
 * (CLOCK_MONOTONIC): state, eof, moved, buffered, idle_ms into @out (the
 * caller fills the ids and pid). False when the process did not ask for
 * the stream (it is /dev/null).
 */
bool streams_status(const struct streams *s, int idx, int64_t now_ms,
		    struct amsg_relay_stream *out);
/* streams_release - the process record goes; running relays end by themselves. */
void streams_release(struct streams *s);

#endif
