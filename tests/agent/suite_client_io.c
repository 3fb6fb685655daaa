// SPDX-License-Identifier: Apache-2.0
/* suite_client_io.c - pumping stdio streams, and reading reply fields. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "tests/agent/suite_client.h"

static void ac_buf_add(struct ac_buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = realloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Read what is there; returns 0 at EOF (and closes), 1 otherwise. */
static int ac_drain(int *fd, struct ac_buf *b)
{
	char buf[65536];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		ac_buf_add(b, buf, (size_t)n);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	close(*fd);
	*fd = -1;
	return 0;
}

int ac_pump(int in_fd, const char *in, size_t in_len, int out_fd, struct ac_buf *out, int err_fd,
	    struct ac_buf *err, int timeout_ms)
{
	int64_t t0 = husk_now_ms();
	size_t off = 0;

	if (in_fd >= 0 && in_len == 0)
		shutdown(in_fd, SHUT_WR);
	while (out_fd >= 0 || err_fd >= 0 || (in_fd >= 0 && off < in_len)) {
		struct pollfd p[3] = {
			{ .fd = out_fd, .events = POLLIN },
			{ .fd = err_fd, .events = POLLIN },
			{ .fd = off < in_len ? in_fd : -1, .events = POLLOUT },
		};
		ssize_t n;

		if (husk_now_ms() - t0 > timeout_ms || poll(p, 3, 200) < 0)
			return -1;
		if (p[0].revents)
			ac_drain(&out_fd, out);
		if (p[1].revents)
			ac_drain(&err_fd, err);
		if (p[2].revents) {
			n = send(in_fd, in + off, in_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 && errno != EAGAIN)
				off = in_len;
			if (off == in_len)
				shutdown(in_fd, SHUT_WR);
		}
	}
	return 0;
}

static yajl_val ac_field(const struct ac_msg *m, const char *key)
{
	const char *path[] = { key, NULL };

	return m && m->tree ? yajl_tree_get(m->tree, path, yajl_t_any) : NULL;
}

long long ac_int(const struct ac_msg *m, const char *key, long long dflt)
{
	yajl_val v = ac_field(m, key);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : dflt;
}

const char *ac_str(const struct ac_msg *m, const char *key)
{
	yajl_val v = ac_field(m, key);

	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

bool ac_bool(const struct ac_msg *m, const char *key)
{
	yajl_val v = ac_field(m, key);

	return v && YAJL_IS_TRUE(v);
}
