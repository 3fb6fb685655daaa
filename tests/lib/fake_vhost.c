// SPDX-License-Identifier: Apache-2.0
/* fake_vhost.c - the test-side vhost-user backend; see fake_vhost.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/fake_vhost.h"

#define fake_check(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

void fake_vhost_init(struct fake_vhost *fv)
{
	int sv[2];

	memset(fv, 0, sizeof(*fv));
	fake_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	fv->fd = sv[0];
	fv->peer = sv[1];
	fv->features = FAKE_VHOST_FEATURES;
	fv->protocol = FAKE_VHOST_PROTOCOL;
	fv->queue_num = 2;
	pthread_mutex_init(&fv->lock, NULL);
	pthread_cond_init(&fv->cond, NULL);
}

void fake_vhost_fault_on(struct fake_vhost *fv, uint32_t request, enum fake_vhost_fault f)
{
	fv->fault_on = request;
	fv->fault = f;
}

/* Read exactly @len bytes (and any fds riding on them); false at EOF/error. */
static bool fake_recv(struct fake_vhost *fv, void *buf, size_t len, struct fake_vhost_msg *rec)
{
	char ctl[CMSG_SPACE(sizeof(int) * FAKE_VHOST_MAX_FDS)];
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { (uint8_t *)buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *h;
		ssize_t n = recvmsg(fv->fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		for (h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
			size_t i, nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (i = 0; i < nfd && rec->nr_fds < FAKE_VHOST_MAX_FDS; i++)
				memcpy(&rec->fds[rec->nr_fds++], CMSG_DATA(h) + i * sizeof(int),
				       sizeof(int));
		}
		got += (size_t)n;
	}
	return true;
}

static void fake_send(struct fake_vhost *fv, uint32_t req, uint32_t flags, const void *p,
		      uint32_t size)
{
	struct vhost_user_msg r = { .request = req, .flags = flags, .size = size };

	if (size <= sizeof(r.payload))
		memcpy(r.payload, p, size);
	else
		size = 0; /* a lie about the size: header only */
	(void)!send(fv->fd, &r, VHOST_USER_HDR_SIZE + size, MSG_NOSIGNAL);
}

/* The proper answer to @m, if it gets one. */
static void fake_answer(struct fake_vhost *fv, const struct vhost_user_msg *m)
{
	uint64_t v;
	uint32_t st[2];

	switch (m->request) {
	case VHOST_USER_GET_FEATURES:
		v = fv->features;
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		v = fv->protocol;
		break;
	case VHOST_USER_GET_QUEUE_NUM:
		v = fv->queue_num;
		break;
	case VHOST_USER_GET_VRING_BASE:
		memcpy(st, m->payload, 4);
		st[1] = FAKE_VHOST_VRING_BASE;
		return fake_send(fv, m->request, VHOST_USER_REPLY_FLAGS, st, 8);
	default:
		if (!(m->flags & VHOST_USER_F_NEED_REPLY))
			return;
		v = 0;
	}
	fake_send(fv, m->request, VHOST_USER_REPLY_FLAGS, &v, 8);
}

/* Misbehave; returns false when the thread should stop. */
static bool fake_fault(struct fake_vhost *fv, const struct vhost_user_msg *m)
{
	uint64_t v = 1;

	switch (fv->fault) {
	case FAKE_VHOST_BAD_FLAGS:
		fake_send(fv, m->request, VHOST_USER_VERSION, &v, 8);
		return true;
	case FAKE_VHOST_WRONG_REQ:
		fake_send(fv, m->request + 1, VHOST_USER_REPLY_FLAGS, &v, 8);
		return true;
	case FAKE_VHOST_TRUNCATED: {
		struct vhost_user_msg r = { .request = m->request,
					    .flags = VHOST_USER_REPLY_FLAGS,
					    .size = 8 };
		(void)!send(fv->fd, &r, VHOST_USER_HDR_SIZE + 3, MSG_NOSIGNAL);
		return false;
	}
	case FAKE_VHOST_OVERSIZE:
		fake_send(fv, m->request, VHOST_USER_REPLY_FLAGS, NULL, 65536);
		return true;
	case FAKE_VHOST_SILENT:
		return true;
	case FAKE_VHOST_CLOSE:
		return false;
	case FAKE_VHOST_REFUSE:
		fake_send(fv, m->request, VHOST_USER_REPLY_FLAGS, &v, 8);
		return true;
	case FAKE_VHOST_STALLED: {
		/* Until either side shuts the socket down (POLLHUP), reading nothing. */
		struct pollfd p = { .fd = fv->fd, .events = 0 };

		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
		return false;
	}
	case FAKE_VHOST_OK:
		break;
	}
	fake_answer(fv, m);
	return true;
}

static void *fake_thread(void *opaque)
{
	struct fake_vhost *fv = opaque;
	struct fake_vhost_msg rec;
	bool go = true;

	while (go) {
		memset(&rec, 0, sizeof(rec));
		if (!fake_recv(fv, &rec.m, VHOST_USER_HDR_SIZE, &rec) ||
		    rec.m.size > sizeof(rec.m.payload) ||
		    !fake_recv(fv, rec.m.payload, rec.m.size, &rec))
			break;
		pthread_mutex_lock(&fv->lock);
		if (fv->nr_msgs < FAKE_VHOST_MAX_MSGS)
			fv->msgs[fv->nr_msgs++] = rec;
		pthread_cond_broadcast(&fv->cond);
		pthread_mutex_unlock(&fv->lock);
		if (fv->fault != FAKE_VHOST_OK && rec.m.request == fv->fault_on)
			go = fake_fault(fv, &rec.m);
		else
			fake_answer(fv, &rec.m);
	}
	/* Dying closes our end: the front end sees the hang-up. */
	shutdown(fv->fd, SHUT_RDWR);
	pthread_mutex_lock(&fv->lock);
	fv->gone = true;
	pthread_cond_broadcast(&fv->cond);
	pthread_mutex_unlock(&fv->lock);
	return NULL;
}

void fake_vhost_start(struct fake_vhost *fv)
{
	fake_check(pthread_create(&fv->thread, NULL, fake_thread, fv) == 0);
	fv->running = true;
}

void fake_vhost_tiny_buffer(struct fake_vhost *fv)
{
	int one = 1; /* the kernel rounds it up to its minimum */

	fake_check(setsockopt(fv->peer, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) == 0);
}

void fake_vhost_kill(struct fake_vhost *fv)
{
	if (fv->fd >= 0)
		shutdown(fv->fd, SHUT_RDWR);
	if (fv->running)
		pthread_join(fv->thread, NULL);
	fv->running = false;
	if (fv->fd >= 0)
		close(fv->fd);
	fv->fd = -1;
}

void fake_vhost_fini(struct fake_vhost *fv)
{
	unsigned int i, j;

	fake_vhost_kill(fv);
	if (fv->peer >= 0)
		close(fv->peer);
	fv->peer = -1;
	for (i = 0; i < fv->nr_msgs; i++)
		for (j = 0; j < fv->msgs[i].nr_fds; j++)
			close(fv->msgs[i].fds[j]);
	fv->nr_msgs = 0;
}

bool fake_vhost_wait(struct fake_vhost *fv, unsigned int n, int timeout_ms)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&fv->lock);
	while (fv->nr_msgs < n && !fv->gone &&
	       pthread_cond_timedwait(&fv->cond, &fv->lock, &ts) == 0)
		;
	ok = fv->nr_msgs >= n;
	pthread_mutex_unlock(&fv->lock);
	return ok;
}

unsigned int fake_vhost_count(struct fake_vhost *fv)
{
	unsigned int n;

	pthread_mutex_lock(&fv->lock);
	n = fv->nr_msgs;
	pthread_mutex_unlock(&fv->lock);
	return n;
}

const struct fake_vhost_msg *fake_vhost_msg(struct fake_vhost *fv, unsigned int i)
{
	return i < fake_vhost_count(fv) ? &fv->msgs[i] : NULL;
}

const struct fake_vhost_msg *fake_vhost_find(struct fake_vhost *fv, uint32_t request,
					     unsigned int nth)
{
	unsigned int i, n = fake_vhost_count(fv);

	for (i = 0; i < n; i++)
		if (fv->msgs[i].m.request == request && nth-- == 0)
			return &fv->msgs[i];
	return NULL;
}

uint64_t fake_vhost_u64(const struct fake_vhost_msg *m)
{
	uint64_t v;

	memcpy(&v, m->m.payload, 8);
	return v;
}

void fake_vhost_state(const struct fake_vhost_msg *m, uint32_t *index, uint32_t *num)
{
	memcpy(index, m->m.payload, 4);
	memcpy(num, m->m.payload + 4, 4);
}
