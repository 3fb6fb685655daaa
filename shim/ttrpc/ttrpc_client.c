// SPDX-License-Identifier: Apache-2.0
/*
 * ttrpc_client.c - a ttrpc client: many callers, one connection, one
 * reader thread that hands each Response to the caller waiting on its
 * stream id. Used for Events.Forward to containerd and by the tests.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/ttrpc/ttrpc.h"
#include "ttrpc.pb-c.h"

struct pending {
	uint32_t stream_id;
	bool done;
	struct ttrpc_result *res;
	struct pending *next;
};

struct ttrpc_client {
	int fd;
	char *ns;
	pthread_mutex_t lock;  /* next_id, pending, dead */
	pthread_cond_t cond;   /* a reply arrived or the link died */
	pthread_mutex_t wlock; /* one frame at a time */
	pthread_t reader;
	uint32_t next_id;
	bool dead;
	struct pending *pending;
};

static void fill_result(struct ttrpc_result *res, const uint8_t *data, size_t len)
{
	Ttrpc__Response *r = ttrpc__response__unpack(NULL, len, data);

	memset(res, 0, sizeof(*res));
	if (!r) {
		res->code = TTRPC_INTERNAL;
		res->message = strdup("ttrpc client: cannot decode response");
		return;
	}
	if (r->status) {
		res->code = r->status->code;
		if (r->status->message && *r->status->message)
			res->message = strdup(r->status->message);
	}
	if (r->payload.len) {
		res->payload = malloc(r->payload.len);
		if (res->payload) {
			memcpy(res->payload, r->payload.data, r->payload.len);
			res->payload_len = r->payload.len;
		}
	}
	ttrpc__response__free_unpacked(r, NULL);
}

static void deliver(struct ttrpc_client *c, uint32_t id, const uint8_t *data, size_t len)
{
	struct pending *p;

	pthread_mutex_lock(&c->lock);
	for (p = c->pending; p; p = p->next) {
		if (p->stream_id == id && !p->done) {
			fill_result(p->res, data, len);
			p->done = true;
			pthread_cond_broadcast(&c->cond);
			break;
		}
	}
	/* No caller (timed out already): the reply is dropped, as in Go. */
	pthread_mutex_unlock(&c->lock);
}

static void *reader_thread(void *arg)
{
	struct ttrpc_client *c = arg;
	struct ttrpc_hdr h;
	uint8_t *data;
	int r;

	while ((r = ttrpc_read_frame(c->fd, &h, &data)) != 0) {
		if (r == -EMSGSIZE)
			continue;
		if (r < 0)
			break;
		if (h.type == TTRPC_TYPE_RESPONSE)
			deliver(c, h.stream_id, data, h.length);
		free(data);
	}
	pthread_mutex_lock(&c->lock);
	c->dead = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static int unix_connect(const char *path, struct husk_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return husk_err(err, ENAMETOOLONG, "connect %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return husk_err(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		return husk_err(err, e, "connect %s", path);
	}
	return fd;
}

int ttrpc_client_connect(const char *path, const char *ns, struct ttrpc_client **out,
			 struct husk_error **err)
{
	struct ttrpc_client *c;
	int fd, ret;

	fd = unix_connect(ttrpc_unix_path(path), err);
	if (fd < 0)
		return fd;
	c = calloc(1, sizeof(*c));
	if (!c || (ns && !(c->ns = strdup(ns)))) {
		free(c);
		close(fd);
		return husk_err(err, ENOMEM, "ttrpc client");
	}
	c->fd = fd;
	c->next_id = 1; /* client streams are odd, from 1 */
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_cond_init(&c->cond, NULL);
	ret = pthread_create(&c->reader, NULL, reader_thread, c);
	if (ret) {
		c->reader = pthread_self();
		ttrpc_client_free(c);
		return husk_err(err, ret, "ttrpc client: reader thread");
	}
	*out = c;
	return 0;
}

static int encode_request(struct ttrpc_client *c, const char *service, const char *method,
			  const uint8_t *payload, size_t len, int timeout_ms, uint8_t **buf,
			  size_t *blen)
{
	Ttrpc__Request rq = TTRPC__REQUEST__INIT;
	Ttrpc__KeyValue kv = TTRPC__KEY_VALUE__INIT;
	Ttrpc__KeyValue *md[1] = { &kv };

	rq.service = (char *)service;
	rq.method = (char *)method;
	rq.payload.data = (uint8_t *)payload;
	rq.payload.len = len;
	if (timeout_ms > 0)
		rq.timeout_nano = (int64_t)timeout_ms * 1000000;
	if (c->ns) {
		kv.key = (char *)TTRPC_NS_KEY;
		kv.value = c->ns;
		rq.metadata = md;
		rq.n_metadata = 1;
	}
	return ttrpc_pack(&rq.base, buf, blen);
}

static void unlink_pending(struct ttrpc_client *c, struct pending *p)
{
	struct pending **pp;

	for (pp = &c->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

/* Wait for @p under c->lock; returns 0, -ETIMEDOUT or -EPIPE. */
static int wait_reply(struct ttrpc_client *c, struct pending *p, int timeout_ms)
{
	struct timespec dl;
	int r = 0;

	/* A negative timeout waits without one (dl unused). */
	dl = husk_timespec_after_ms(CLOCK_REALTIME, timeout_ms);
	while (!p->done && !c->dead && r != ETIMEDOUT) {
		if (timeout_ms < 0)
			pthread_cond_wait(&c->cond, &c->lock);
		else
			r = pthread_cond_timedwait(&c->cond, &c->lock, &dl);
	}
	if (p->done)
		return 0;
	return c->dead ? -EPIPE : -ETIMEDOUT;
}

int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
			  const uint8_t *payload, size_t len, int timeout_ms,
			  struct ttrpc_result *res)
{
	struct pending p = { .res = res };
	uint8_t *buf;
	size_t blen;
	int ret;

	memset(res, 0, sizeof(*res));
	if (encode_request(c, service, method, payload, len, timeout_ms, &buf, &blen))
		return -ENOMEM;
	pthread_mutex_lock(&c->lock);
	p.stream_id = c->next_id;
	c->next_id += 2;
	p.next = c->pending;
	c->pending = &p;
	pthread_mutex_unlock(&c->lock);

	pthread_mutex_lock(&c->wlock);
	ret = ttrpc_write_frame(c->fd, p.stream_id, TTRPC_TYPE_REQUEST, buf, blen);
	pthread_mutex_unlock(&c->wlock);
	free(buf);

	pthread_mutex_lock(&c->lock);
	if (!ret)
		ret = wait_reply(c, &p, timeout_ms);
	unlink_pending(c, &p);
	pthread_mutex_unlock(&c->lock);
	if (ret && !p.done)
		memset(res, 0, sizeof(*res));
	return ret == -ECONNRESET ? -EPIPE : ret;
}

int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
		      const ProtobufCMessage *req, int timeout_ms, struct ttrpc_result *res)
{
	uint8_t *buf;
	size_t len;
	int ret;

	memset(res, 0, sizeof(*res));
	if (ttrpc_pack(req, &buf, &len))
		return -ENOMEM;
	ret = ttrpc_client_call_raw(c, service, method, buf, len, timeout_ms, res);
	free(buf);
	return ret;
}

int ttrpc_client_alive(struct ttrpc_client *c)
{
	int alive;

	pthread_mutex_lock(&c->lock);
	alive = !c->dead;
	pthread_mutex_unlock(&c->lock);
	return alive;
}

void ttrpc_result_clear(struct ttrpc_result *res)
{
	free(res->message);
	free(res->payload);
	memset(res, 0, sizeof(*res));
}

void ttrpc_client_free(struct ttrpc_client *c)
{
	if (!c)
		return;
	shutdown(c->fd, SHUT_RDWR);
	if (!pthread_equal(c->reader, pthread_self()))
		pthread_join(c->reader, NULL);
	close(c->fd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->wlock);
	pthread_mutex_destroy(&c->lock);
	free(c->ns);
	free(c);
}
