// SPDX-License-Identifier: Apache-2.0
/*
 * unix_socket.c - the Unix socket multiplexer, compatible with Firecracker's
 * vsock device (its docs/vsock.md):
 *
 *   host-initiated  a client connects to uds_path and writes
 *                   "CONNECT <port>\n"; once the guest accepts, the device
 *                   answers "OK <hostport>\n" (the local port it picked)
 *                   and the socket carries the stream; on refusal or
 *                   timeout the socket is closed;
 *   guest-initiated a guest connection to host port P is connected to the
 *                   Unix socket "<uds_path>_<P>"; RST when nobody listens.
 *
 * Its clients are connections with vsock_uds_face: connection.c reaches
 * the handshake and the "OK" line only through it. (Guest-initiated
 * connections dialled here are the host face's: host.c owns them.)
 *
 * The CONNECT line is read with MSG_PEEK and consumed exactly, so bytes
 * the client sends after it are stream data. A client gets
 * VIRTIO_VSOCK_DEFAULT_TIMEOUT_MS to send its line.
 *
 * Out of fds (or socket memory) accept fails and the client stays in the
 * backlog, so the level-triggered listener would wake the loop at once,
 * forever: the listener is paused instead and polled again after
 * VSOCK_UDS_WAIT_MS (on the device's timer, which needs no new fd);
 * waiting clients are served once fds are free again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/virtio/vsock/vsock_internal.h"

/* "CONNECT 4294967295\n" is 19 bytes; anything longer is not a request. */
#define VSOCK_UDS_LINE_MAX   32
/* "_4294967295" appended for guest-initiated connections. */
#define VSOCK_UDS_SUFFIX_MAX 11

static int vsock_uds_addr(struct sockaddr_un *a, const char *path, const char *suffix)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if ((size_t)snprintf(a->sun_path, sizeof(a->sun_path), "%s%s", path, suffix) >=
	    sizeof(a->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* A socket file nobody accepts on is left over from a dead process. */
static bool vsock_uds_stale(const struct sockaddr_un *a)
{
	struct stat st;
	bool stale;
	int fd;

	if (lstat(a->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	stale = connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno == ECONNREFUSED;
	close(fd);
	return stale;
}

static int vsock_uds_bind(int fd, const struct sockaddr_un *a)
{
	if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) == 0)
		return 0;
	if (errno != EADDRINUSE || !vsock_uds_stale(a) || unlink(a->sun_path) < 0)
		return -errno;
	return bind(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 ? -errno : 0;
}

static const struct vsock_face vsock_uds_face;

static void vsock_uds_client(struct virtio_vsock *v, int fd)
{
	struct vsock_conn *c;

	if (!v->active || vsock_conn_new(v, fd, &vsock_uds_face, false, &c) < 0) {
		close(fd); /* no driver, or too many connections */
		return;
	}
	c->state = VSOCK_HANDSHAKE;
	c->next = v->handshakes;
	v->handshakes = c;
	c->deadline_ns = vsock_now(v) + VIRTIO_VSOCK_DEFAULT_TIMEOUT_MS * 1000000ULL;
	vsock_timer_update(v, c->deadline_ns);
	if (vsock_conn_watch(c) < 0)
		vsock_conn_free(c, 0);
}

/* accept failed with @error: a lack of resources that retrying now cannot cure. */
static bool vsock_uds_starved(int error)
{
	return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

/* Stop polling the listener for VSOCK_UDS_WAIT_MS (vsock_uds_retry resumes). */
static void vsock_uds_pause(struct virtio_vsock *v, int error)
{
	if (event_loop_mod(v->loop, v->uds_fd, 0) < 0)
		return;	     /* cannot pause: the next wake-up tries again */
	if (!v->uds_starved) /* once until a client gets through */
		log_warn(v->dev.log, "virtio-vsock: accept on %s: %s; retrying every %d ms",
			 v->uds_path, strerror(error), VSOCK_UDS_WAIT_MS);
	v->uds_starved = true;
	v->uds_retry_at = vsock_now(v) + VSOCK_UDS_WAIT_MS * 1000000ULL;
	vsock_timer_update(v, v->uds_retry_at);
}

static void vsock_uds_accept_event(void *opaque, uint32_t events)
{
	struct virtio_vsock *v = opaque;
	int fd;

	vsock_lock(v);
	while ((fd = accept4(v->uds_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		v->uds_starved = false;
		vsock_uds_client(v, fd);
	}
	if (vsock_uds_starved(errno))
		vsock_uds_pause(v, errno);
	vsock_unlock(v);
}

/* Timer: poll a paused listener again once its time came; *@next: when not yet. */
void vsock_uds_retry(struct virtio_vsock *v, uint64_t now, uint64_t *next)
{
	if (!v->uds_retry_at)
		return;
	if (v->uds_retry_at > now) {
		if (!*next || v->uds_retry_at < *next)
			*next = v->uds_retry_at;
		return;
	}
	if (event_loop_mod(v->loop, v->uds_fd, EPOLLIN) == 0) {
		v->uds_retry_at = 0;
		return;
	}
	v->uds_retry_at = now + VSOCK_UDS_WAIT_MS * 1000000ULL; /* try again later */
	if (!*next || v->uds_retry_at < *next)
		*next = v->uds_retry_at;
}

int vsock_uds_open(struct virtio_vsock *v, const char *path, struct husk_error **err)
{
	struct sockaddr_un a;
	int ret;

	if (strlen(path) + VSOCK_UDS_SUFFIX_MAX >= sizeof(a.sun_path))
		return husk_err(err, ENAMETOOLONG, "virtio-vsock: socket path %s", path);
	vsock_uds_addr(&a, path, "");
	v->uds_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->uds_fd < 0)
		return husk_err(err, errno, "virtio-vsock: socket");
	ret = vsock_uds_bind(v->uds_fd, &a);
	if (ret < 0)
		return husk_err(err, -ret, "virtio-vsock: bind %s", path);
	/* Set once bound: destroy unlinks only a path that is ours. */
	v->uds_path = strdup(path);
	if (!v->uds_path)
		return husk_err(err, ENOMEM, "virtio-vsock: socket path");
	if (listen(v->uds_fd, 128) < 0)
		return husk_err(err, errno, "virtio-vsock: listen %s", path);
	ret = event_loop_add(v->loop, v->uds_fd, EPOLLIN, vsock_uds_accept_event, v);
	if (ret < 0)
		return husk_err(err, -ret, "virtio-vsock: event loop");
	return 0;
}

void vsock_uds_close(struct virtio_vsock *v)
{
	if (v->uds_fd >= 0) {
		event_loop_del(v->loop, v->uds_fd);
		close(v->uds_fd);
		if (v->uds_path)
			unlink(v->uds_path);
	}
	v->uds_fd = -1;
	free(v->uds_path);
	v->uds_path = NULL;
}

/* "CONNECT <decimal port>\n", nothing else; @len includes the newline. */
static bool vsock_uds_parse(const char *line, size_t len, uint32_t *port)
{
	static const char verb[] = "CONNECT ";
	uint64_t val = 0;
	size_t i;

	if (len < sizeof(verb) + 1 || memcmp(line, verb, sizeof(verb) - 1))
		return false;
	for (i = sizeof(verb) - 1; i < len - 1; i++) {
		if (line[i] < '0' || line[i] > '9' || i - (sizeof(verb) - 1) >= 10)
			return false;
		val = val * 10 + (uint64_t)(line[i] - '0');
	}
	if (val > 0xffffffffULL)
		return false;
	*port = (uint32_t)val;
	return true;
}

/* Readable handshake client: take its line, or wait for the rest of it. */
static void vsock_uds_handshake(struct vsock_conn *c)
{
	char buf[VSOCK_UDS_LINE_MAX];
	uint32_t port;
	ssize_t n;
	char *nl;

	n = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	if (!nl && n > 0 && (size_t)n < sizeof(buf) && !c->host_hup)
		return; /* not all there yet */
	if (!nl || !vsock_uds_parse(buf, (size_t)(nl - buf) + 1, &port) ||
	    recv(c->fd, buf, (size_t)(nl - buf) + 1, MSG_DONTWAIT) != nl - buf + 1) {
		vsock_conn_free(c, 0); /* malformed or gone: close it */
		return;
	}
	vsock_conn_unlink(c); /* off the handshake list */
	c->state = VSOCK_CONNECTING;
	c->readable = true; /* bytes after the line are stream data */
	vsock_conn_connect(c, port, VIRTIO_VSOCK_DEFAULT_TIMEOUT_MS);
}

/* The guest accepted a CONNECT: tell the client which port it got. */
static int vsock_uds_established(struct vsock_conn *c)
{
	char line[VSOCK_UDS_LINE_MAX];
	int len = snprintf(line, sizeof(line), "OK %u\n", c->local_port);

	if (send(c->fd, line, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) != len)
		return -EPIPE;
	return 0;
}

/* Clients of the multiplexer socket: no result is owed to anyone in-process. */
static const struct vsock_face vsock_uds_face = {
	.handshake = vsock_uds_handshake,
	.established = vsock_uds_established,
};

/* Guest-initiated to host port @port: dial "<uds_path>_<port>". */
int vsock_uds_connect(struct virtio_vsock *v, uint32_t port)
{
	struct sockaddr_un a;
	char suffix[VSOCK_UDS_SUFFIX_MAX + 1];
	int fd, ret;

	snprintf(suffix, sizeof(suffix), "_%u", port);
	ret = vsock_uds_addr(&a, v->uds_path, suffix);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A Unix connect completes or fails at once (EAGAIN: backlog full). */
	if (connect(fd, (const struct sockaddr *)&a, sizeof(a)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
