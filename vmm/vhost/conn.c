// SPDX-License-Identifier: Apache-2.0
/*
 * conn.c - the vhost-user control socket: connect, send with fds, receive
 * replies against a deadline, and the request shapes the front end uses
 * (see conn.h). Message contents are wire.c's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "vmm/vhost/conn.h"

static int vhost_conn_connect(const char *path, struct husk_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return husk_err(err, ENAMETOOLONG, "socket %s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return husk_err(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		close(fd);
		return husk_err(err, e, "connect %s", path);
	}
	return fd;
}

int vhost_conn_open(struct vhost_conn *c, const char *name, const char *path, int fd,
		    int timeout_ms, struct husk_error **err)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : VHOST_CONN_DEFAULT_TIMEOUT_MS;
	snprintf(c->name, sizeof(c->name), "vhost-user %s", name);
	pthread_mutex_init(&c->lock, NULL);
	if (path)
		c->fd = vhost_conn_connect(path, err);
	else if ((c->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		husk_err(err, errno, "socket fd %d", fd);
	if (c->fd >= 0)
		return 0;
	pthread_mutex_destroy(&c->lock);
	return husk_err_wrap(err, "%s", c->name);
}

void vhost_conn_close(struct vhost_conn *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	pthread_mutex_destroy(&c->lock);
}

void vhost_conn_shutdown(struct vhost_conn *c)
{
	__atomic_store_n(&c->broken, true, __ATOMIC_RELEASE);
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
}

bool vhost_conn_is_broken(const struct vhost_conn *c)
{
	return __atomic_load_n(&c->broken, __ATOMIC_ACQUIRE);
}

/* Fail one call: the connection is unusable from here on. */
static int vhost_conn_fail(struct vhost_conn *c, uint32_t req, int errnum, struct husk_error **err,
			   const char *cause)
{
	__atomic_store_n(&c->broken, true, __ATOMIC_RELEASE);
	if (cause)
		return husk_err(err, errnum, "%s: %s: %s", c->name, vhost_user_req_name(req),
				cause);
	return husk_err(err, errnum, "%s: %s", c->name, vhost_user_req_name(req));
}

/*
 * Until @c's socket is ready for @events or @deadline passed: 0, -EAGAIN
 * (interrupted, or woken early: wait again), -ETIMEDOUT or -errno.
 */
static int vhost_conn_wait(struct vhost_conn *c, short events, int64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int left = husk_ms_left(deadline);
	int r = poll(&p, 1, left);

	if (r < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (r == 0)
		return left > 0 ? -EAGAIN : -ETIMEDOUT;
	return 0;
}

/*
 * Wait for room until @deadline, then one sendmsg that cannot block. A
 * backend that reads nothing (stopped, or wedged) must not hold the
 * caller, which may be a vCPU thread in the middle of a guest's register
 * write. Returns bytes sent, -EAGAIN to wait again, or -errno.
 */
static ssize_t vhost_conn_send_some(struct vhost_conn *c, struct msghdr *mh, int64_t deadline)
{
	ssize_t n;
	int r = vhost_conn_wait(c, POLLOUT, deadline);

	if (r)
		return r;
	n = sendmsg(c->fd, mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? -EAGAIN : -errno;
	return n;
}

static int vhost_conn_send(struct vhost_conn *c, const struct vhost_user_msg *m, const int *fds,
			   unsigned int nr_fds, struct husk_error **err)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * VHOST_CONN_MAX_FDS)];
	} ctl;
	int64_t deadline = husk_now_ms() + c->timeout_ms;
	struct iovec iov = { (void *)m, vhost_user_msg_len(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char why[64];
	ssize_t n;

	if (nr_fds > VHOST_CONN_MAX_FDS)
		return husk_err(err, E2BIG, "%s: %s: %u fds", c->name,
				vhost_user_req_name(m->request), nr_fds);
	if (nr_fds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
		memcpy(CMSG_DATA(&ctl.h), fds, sizeof(int) * nr_fds);
	}
	while (iov.iov_len) {
		n = vhost_conn_send_some(c, &mh, deadline);
		if (n == -EAGAIN)
			continue;
		if (n == -ETIMEDOUT) {
			snprintf(why, sizeof(why), "the backend read nothing for %d ms",
				 c->timeout_ms);
			return vhost_conn_fail(c, m->request, ETIMEDOUT, err, why);
		}
		if (n < 0)
			return vhost_conn_fail(c, m->request, (int)-n, err, NULL);
		/* The fds went with the first byte; the rest follows without them. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
	}
	return 0;
}

/* Close any fds a backend sent us: replies carry none, and leaking is worse. */
static void vhost_conn_drop_fds(struct msghdr *mh)
{
	struct cmsghdr *h;
	size_t i, n;
	int fd;

	for (h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

/* One recvmsg of at most @len bytes, after waiting for data until @deadline. */
static ssize_t vhost_conn_recv_some(struct vhost_conn *c, void *buf, size_t len, int64_t deadline)
{
	char ctl[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int r = vhost_conn_wait(c, POLLIN, deadline);

	if (r)
		return r;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? -EAGAIN : -errno;
	vhost_conn_drop_fds(&mh);
	return n;
}

/* Exactly @len bytes before the deadline. */
static int vhost_conn_recv_exact(struct vhost_conn *c, uint32_t req, void *buf, size_t len,
				 int64_t deadline, struct husk_error **err)
{
	size_t got = 0;
	char why[64];
	ssize_t n;

	while (got < len) {
		n = vhost_conn_recv_some(c, (uint8_t *)buf + got, len - got, deadline);
		if (n == -EAGAIN)
			continue;
		if (n == -ETIMEDOUT) {
			snprintf(why, sizeof(why), "no reply within %d ms", c->timeout_ms);
			return vhost_conn_fail(c, req, ETIMEDOUT, err, why);
		}
		if (n < 0)
			return vhost_conn_fail(c, req, (int)-n, err, NULL);
		if (n == 0)
			return vhost_conn_fail(c, req, ECONNRESET, err,
					       got ? "the backend hung up mid-reply" :
						     "the backend closed the connection");
		got += (size_t)n;
	}
	return 0;
}

/*
 * Receive the reply to @req with a @size-byte payload into @r. The header
 * is checked before the payload is read, so a lying size field never makes
 * us wait for bytes that will not come.
 */
static int vhost_conn_recv(struct vhost_conn *c, uint32_t req, uint32_t size,
			   struct vhost_user_msg *r, struct husk_error **err)
{
	int64_t deadline = husk_now_ms() + c->timeout_ms;
	char why[96];
	int ret;

	ret = vhost_conn_recv_exact(c, req, r, VHOST_USER_HDR_SIZE, deadline, err);
	if (ret < 0)
		return ret;
	if (vhost_user_check_reply_hdr(r, req, size, why, sizeof(why)) < 0)
		return vhost_conn_fail(c, req, EPROTO, err, why);
	return vhost_conn_recv_exact(c, req, r->payload, size, deadline, err);
}

/* Lock and refuse a connection that already failed. */
static int vhost_conn_begin(struct vhost_conn *c, uint32_t req, struct husk_error **err)
{
	pthread_mutex_lock(&c->lock);
	if (!vhost_conn_is_broken(c) && c->fd >= 0)
		return 0;
	pthread_mutex_unlock(&c->lock);
	return husk_err(err, EPIPE, "%s: %s: connection already failed", c->name,
			vhost_user_req_name(req));
}

/* Send @m and parse a u64 reply into @v; caller holds the lock. */
static int vhost_conn_call_u64(struct vhost_conn *c, struct vhost_user_msg *m, const int *fds,
			       unsigned int nr_fds, uint64_t *v, struct husk_error **err)
{
	struct vhost_user_msg r;
	char why[96];
	int ret;

	ret = vhost_conn_send(c, m, fds, nr_fds, err);
	if (!ret)
		ret = vhost_conn_recv(c, m->request, 8, &r, err);
	if (ret < 0)
		return ret;
	if (vhost_user_parse_u64(&r, VHOST_USER_HDR_SIZE + 8, m->request, v, why, sizeof(why)) < 0)
		return vhost_conn_fail(c, m->request, EPROTO, err, why);
	return 0;
}

int vhost_conn_get_u64(struct vhost_conn *c, uint32_t request, uint64_t *v, struct husk_error **err)
{
	struct vhost_user_msg m;
	int ret = vhost_conn_begin(c, request, err);

	if (ret < 0)
		return ret;
	vhost_user_msg_init(&m, request, 0);
	ret = vhost_conn_call_u64(c, &m, NULL, 0, v, err);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int vhost_conn_get_state(struct vhost_conn *c, uint32_t request, uint32_t index, uint32_t *num,
			 struct husk_error **err)
{
	struct vhost_user_msg m, r;
	uint32_t got;
	char why[96];
	int ret = vhost_conn_begin(c, request, err);

	if (ret < 0)
		return ret;
	vhost_user_msg_init(&m, request, 0);
	vhost_user_put_state(&m, index, 0);
	ret = vhost_conn_send(c, &m, NULL, 0, err);
	if (!ret)
		ret = vhost_conn_recv(c, request, 8, &r, err);
	if (!ret && vhost_user_parse_state(&r, VHOST_USER_HDR_SIZE + 8, request, &got, num, why,
					   sizeof(why)) < 0)
		ret = vhost_conn_fail(c, request, EPROTO, err, why);
	if (!ret && got != index) {
		snprintf(why, sizeof(why), "state of vring %u, asked for %u", got, index);
		ret = vhost_conn_fail(c, request, EPROTO, err, why);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

int vhost_conn_set(struct vhost_conn *c, struct vhost_user_msg *m, const int *fds,
		   unsigned int nr_fds, struct husk_error **err)
{
	uint64_t status = 0;
	char why[64];
	int ret = vhost_conn_begin(c, m->request, err);

	if (ret < 0)
		return ret;
	if (c->reply_ack) {
		m->flags |= VHOST_USER_F_NEED_REPLY;
		ret = vhost_conn_call_u64(c, m, fds, nr_fds, &status, err);
	} else {
		ret = vhost_conn_send(c, m, fds, nr_fds, err);
	}
	if (!ret && status) {
		snprintf(why, sizeof(why), "the backend refused it (status %llu)",
			 (unsigned long long)status);
		ret = vhost_conn_fail(c, m->request, EPROTO, err, why);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}
