// SPDX-License-Identifier: Apache-2.0
/* streams.c - pipes or a pty for a process, and binding them (see streams.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "agent-codec/agent_msg.h"
#include "common/clock.h"
#include "guest-init/stdio/streams.h"

static const char *const stream_names[STREAM_N] = { "stdin", "stdout", "stderr" };

void streams_init(struct streams *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < STREAM_N; i++)
		s->far[i] = s->near[i] = -1;
	s->master = -1;
}

int streams_index(const char *name)
{
	int i;

	for (i = 0; i < STREAM_N; i++)
		if (strcmp(name, stream_names[i]) == 0)
			return i;
	return -1;
}

/*
 * In the child, inside the container: a pty from the container's own
 * /dev/ptmx (its devpts instance), so that ttyname() there finds
 * /dev/pts/N, as under runc. The slave becomes the far end; the master
 * goes to husk-init (streams_take_master) and is closed here.
 */
int streams_child_pty(struct streams *s, int *master, struct husk_error **e)
{
	struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols };
	int m, slave;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return husk_err(e, errno, "open /dev/ptmx in the container");
	/* TIOCGPTPEER opens the slave without a path lookup */
	if (grantpt(m) < 0 || unlockpt(m) < 0 ||
	    (slave = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		husk_err(e, errno, "open the pty slave");
		close(m);
		return -husk_error_errno(*e);
	}
	if ((s->rows || s->cols) && ioctl(m, TIOCSWINSZ, &ws) < 0) {
		husk_err(e, errno, "set the pty size to %ux%u", s->rows, s->cols);
		close(slave);
		close(m);
		return -husk_error_errno(*e);
	}
	s->far[STREAM_IN] = slave;
	*master = m;
	return 0;
}

int streams_take_master(struct streams *s, int master, struct husk_error **e)
{
	if (!s->tty || s->master >= 0) {
		close(master);
		return husk_err(e, EPROTO, "a pty master the process should not have sent");
	}
	s->master = s->near[STREAM_OUT] = master;
	if (s->want[STREAM_IN]) {
		s->near[STREAM_IN] = fcntl(master, F_DUPFD_CLOEXEC, 0);
		if (s->near[STREAM_IN] < 0)
			return husk_err(e, errno, "dup pty master");
	}
	return 0;
}

static int streams_pipe(struct streams *s, int i, struct husk_error **e)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return husk_err(e, errno, "%s pipe", stream_names[i]);
	s->far[i] = i == STREAM_IN ? fds[0] : fds[1];
	s->near[i] = i == STREAM_IN ? fds[1] : fds[0];
	return 0;
}

int streams_prepare(struct streams *s, const struct amsg_stdio *want, bool tty, unsigned int rows,
		    unsigned int cols, struct husk_error **e)
{
	int i;

	s->want[STREAM_IN] = want->in;
	s->want[STREAM_OUT] = want->out;
	s->want[STREAM_ERR] = want->err;
	s->tty = tty;
	for (i = 0; i < STREAM_N; i++)
		s->count[i].progress_ms = husk_now_ms(); /* "idle since set-up" */
	if (tty) {
		if (!want->out)
			return husk_err(e, 0, "a terminal needs the stdout stream");
		s->rows = rows; /* the child makes the pty in the container */
		s->cols = cols;
		return 0;
	}
	for (i = 0; i < STREAM_N; i++)
		if (s->want[i] && streams_pipe(s, i, e) < 0)
			return -husk_error_errno(*e);
	return 0;
}

static int streams_dup(int from, int to, struct husk_error **e)
{
	if (dup2(from, to) < 0)
		return husk_err(e, errno, "dup2 to fd %d", to);
	return 0;
}

int streams_child(struct streams *s, int devnull, struct husk_error **e)
{
	int i, fd;

	if (setsid() < 0)
		return husk_err(e, errno, "setsid");
	if (s->tty) {
		fd = s->far[STREAM_IN];
		if (ioctl(fd, TIOCSCTTY, 0) < 0)
			return husk_err(e, errno, "make the pty the controlling terminal");
		for (i = 0; i < STREAM_N; i++)
			if (streams_dup(fd, i, e) < 0)
				return -husk_error_errno(*e);
		return 0;
	}
	for (i = 0; i < STREAM_N; i++) {
		fd = s->far[i] >= 0 ? s->far[i] : devnull;
		if (streams_dup(fd, i, e) < 0)
			return -husk_error_errno(*e);
	}
	return 0;
}

void streams_close_far(struct streams *s)
{
	int i;

	for (i = 0; i < STREAM_N; i++) {
		if (s->far[i] >= 0)
			close(s->far[i]);
		s->far[i] = -1;
	}
}

int streams_bind(int epfd, struct streams *s, int idx, int sock, struct husk_error **e)
{
	int near = s->near[idx];

	if (!s->want[idx] || s->bound[idx] || near < 0) {
		close(sock);
		return husk_err(e, s->bound[idx] ? EBUSY : ENOENT, "stream %s", stream_names[idx]);
	}
	s->bound[idx] = true;
	s->near[idx] = -1;
	if (idx == STREAM_OUT && s->tty)
		s->master = -1; /* the relay owns it now; resize via stdin's dup */
	if (idx == STREAM_IN)
		return relay_new(epfd, sock, near, false, &s->relay[idx], &s->count[idx], e);
	return relay_new(epfd, near, sock, true, &s->relay[idx], &s->count[idx], e);
}

const char *streams_unbound(const struct streams *s)
{
	int i;

	for (i = 0; i < STREAM_N; i++)
		if (s->want[i] && !s->bound[i])
			return stream_names[i];
	return NULL;
}

void streams_close_stdin(struct streams *s)
{
	if (s->relay[STREAM_IN])
		relay_end_input(s->relay[STREAM_IN]);
	if (s->near[STREAM_IN] >= 0 && !s->tty) {
		close(s->near[STREAM_IN]);
		s->near[STREAM_IN] = -1;
	}
}

int streams_resize(struct streams *s, unsigned int rows, unsigned int cols, struct husk_error **e)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	int fd = s->master;

	if (fd < 0 && s->relay[STREAM_OUT])
		fd = s->relay[STREAM_OUT]->rw.fd;
	if (!s->tty || fd < 0)
		return husk_err(e, ENOTTY, "resize: the process has no terminal");
	if (ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return husk_err(e, errno, "resize the pty to %ux%u", rows, cols);
	return 0;
}

bool streams_status(const struct streams *s, int idx, int64_t now_ms, struct amsg_relay_stream *out)
{
	const struct relay *r = s->relay[idx];

	if (!s->want[idx])
		return false;
	out->stream = idx;
	out->moved = s->count[idx].moved;
	out->idle_ms = now_ms - s->count[idx].progress_ms;
	if (out->idle_ms < 0)
		out->idle_ms = 0;
	out->buffered = 0;
	out->eof = r ? r->eof : s->count[idx].ended;
	if (r)
		out->state = relay_state(r, &out->buffered);
	else if (!s->bound[idx])
		out->state = AMSG_RELAY_UNBOUND;
	else
		out->state = AMSG_RELAY_CLOSED;
	return true;
}

void streams_release(struct streams *s)
{
	int i;

	if (s->master == s->near[STREAM_OUT])
		s->master = -1; /* closed below, as the unbound stdout end */
	streams_close_far(s);
	for (i = 0; i < STREAM_N; i++) {
		if (s->relay[i])
			relay_detach(s->relay[i]);
		s->relay[i] = NULL;
		if (s->near[i] >= 0)
			close(s->near[i]);
		s->near[i] = -1;
	}
	if (s->master >= 0)
		close(s->master);
	s->master = -1;
}
