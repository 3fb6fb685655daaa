// SPDX-License-Identifier: Apache-2.0
/*
 * ttrpc_server.c - the ttrpc server: accept thread, one reader thread per
 * connection, one thread per request (see ttrpc.h for why).
 *
 * Lifetimes. A connection is referenced by its reader and by each of its
 * requests in progress; the last reference closes the fd. srv->threads
 * counts reader and request threads (all detached) so that
 * ttrpc_server_free() can wait for every one of them. srv->lock guards
 * the connection list, the counters, the refs and the list of requests
 * whose handler runs (for ttrpc_server_inflight); conn->wlock only
 * serialises frame writes.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/ttrpc/ttrpc.h"
#include "ttrpc.pb-c.h"

struct ttrpc_service {
	char *name;
	const struct ttrpc_method *methods;
	size_t n;
	void *opaque;
};

struct ttrpc_conn {
	struct ttrpc_server *srv;
	int fd;
	pthread_mutex_t wlock;
	unsigned refs;
	unsigned inflight;
	struct ttrpc_conn *next;
};

struct ttrpc_server {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct ttrpc_service *svcs;
	size_t nsvcs;
	int listen_fd;
	int stop_fd;
	pthread_t accept_thr;
	bool accepting;
	bool stopping;
	unsigned threads;
	unsigned requests; /* request threads in progress */
	struct ttrpc_conn *conns;
	struct ttrpc_job *active; /* requests whose handler runs */
};

struct ttrpc_job {
	struct ttrpc_conn *conn;
	uint32_t stream_id;
	uint8_t *data;
	size_t len;
	/* While its handler runs (srv->active, under srv->lock): */
	char method[TTRPC_METHOD_MAX];
	int64_t started_ms;
	struct ttrpc_job *next;
};

int ttrpc_server_new(struct ttrpc_server **out, struct husk_error **err)
{
	struct ttrpc_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return husk_err(err, ENOMEM, "ttrpc server");
	srv->listen_fd = -1;
	srv->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (srv->stop_fd < 0) {
		free(srv);
		return husk_err(err, errno, "ttrpc server: eventfd");
	}
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	*out = srv;
	return 0;
}

int ttrpc_server_register(struct ttrpc_server *srv, const char *service,
			  const struct ttrpc_method *methods, size_t n, void *opaque)
{
	struct ttrpc_service *svcs;
	char *name = strdup(service);

	svcs = name ? realloc(srv->svcs, (srv->nsvcs + 1) * sizeof(*svcs)) : NULL;
	if (!svcs) {
		free(name);
		return -ENOMEM;
	}
	srv->svcs = svcs;
	svcs[srv->nsvcs++] = (struct ttrpc_service){ name, methods, n, opaque };
	return 0;
}

/* Drop one reference; the last one closes and frees the connection. */
static void conn_put_locked(struct ttrpc_conn *conn)
{
	struct ttrpc_server *srv = conn->srv;
	struct ttrpc_conn **pp;

	if (--conn->refs)
		return;
	for (pp = &srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == conn) {
			*pp = conn->next;
			break;
		}
	}
	close(conn->fd);
	pthread_mutex_destroy(&conn->wlock);
	free(conn);
}

/* The end of a reader or request thread: release its share. */
static void thread_done(struct ttrpc_server *srv, struct ttrpc_conn *conn, bool request)
{
	pthread_mutex_lock(&srv->lock);
	if (request) {
		conn->inflight--;
		srv->requests--;
	}
	conn_put_locked(conn);
	if (!--srv->threads || !srv->requests)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

static void send_response(struct ttrpc_conn *conn, uint32_t stream_id,
			  const struct ttrpc_reply *reply)
{
	Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	uint8_t *buf;
	size_t len;

	st.code = reply->code;
	st.message = reply->message ? reply->message : (char *)"";
	resp.status = &st;
	/* containerd decodes the payload before the status: none on error. */
	if (reply->code == TTRPC_OK && reply->payload) {
		resp.payload.data = reply->payload;
		resp.payload.len = reply->payload_len;
	}
	if (protobuf_c_message_get_packed_size(&resp.base) > TTRPC_MAX_DATA) {
		st.code = TTRPC_RESOURCE_EXHAUSTED;
		st.message = (char *)"ttrpc: response exceeds the 4 MiB limit";
		resp.payload.len = 0;
	}
	if (ttrpc_pack(&resp.base, &buf, &len))
		return;
	pthread_mutex_lock(&conn->wlock);
	/* A peer that has gone away loses its reply; nothing else to do. */
	(void)ttrpc_write_frame(conn->fd, stream_id, TTRPC_TYPE_RESPONSE, buf, len);
	pthread_mutex_unlock(&conn->wlock);
	free(buf);
}

static void send_error(struct ttrpc_conn *conn, uint32_t stream_id, int code, const char *msg)
{
	struct ttrpc_reply reply = { code, (char *)msg, NULL, 0 };

	send_response(conn, stream_id, &reply);
}

static const char *call_namespace(const Ttrpc__Request *rq)
{
	size_t i;

	for (i = 0; i < rq->n_metadata; i++)
		if (rq->metadata[i]->key && !strcmp(rq->metadata[i]->key, TTRPC_NS_KEY))
			return rq->metadata[i]->value;
	return "";
}

static void dispatch(struct ttrpc_server *srv, const Ttrpc__Request *rq, uint32_t stream_id,
		     struct ttrpc_reply *reply)
{
	struct ttrpc_call call = {
		rq->service,	  rq->method,	      rq->payload.data, rq->payload.len,
		rq->timeout_nano, call_namespace(rq), stream_id,
	};
	size_t i, j;

	for (i = 0; i < srv->nsvcs; i++) {
		const struct ttrpc_service *s = &srv->svcs[i];

		if (strcmp(s->name, rq->service))
			continue;
		for (j = 0; j < s->n; j++) {
			if (!strcmp(s->methods[j].name, rq->method)) {
				s->methods[j].fn(s->opaque, &call, reply);
				return;
			}
		}
		ttrpc_reply_error(reply, TTRPC_UNIMPLEMENTED, "method %s", rq->method);
		return;
	}
	ttrpc_reply_error(reply, TTRPC_UNIMPLEMENTED, "service %s", rq->service);
}

/* Listed in srv->active while its handler runs (ttrpc_server_inflight). */
static void job_active(struct ttrpc_server *srv, struct ttrpc_job *job, const Ttrpc__Request *rq)
{
	snprintf(job->method, sizeof(job->method), "%s", rq->method ? rq->method : "");
	job->started_ms = husk_now_ms();
	pthread_mutex_lock(&srv->lock);
	job->next = srv->active;
	srv->active = job;
	pthread_mutex_unlock(&srv->lock);
}

static void job_done(struct ttrpc_server *srv, struct ttrpc_job *job)
{
	struct ttrpc_job **pp;

	pthread_mutex_lock(&srv->lock);
	for (pp = &srv->active; *pp; pp = &(*pp)->next) {
		if (*pp == job) {
			*pp = job->next;
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);
}

size_t ttrpc_server_inflight(struct ttrpc_server *srv, struct ttrpc_inflight *out, size_t max)
{
	int64_t now = husk_now_ms();
	struct ttrpc_job *job;
	size_t n = 0;

	pthread_mutex_lock(&srv->lock);
	for (job = srv->active; job; job = job->next, n++) {
		if (n >= max)
			continue;
		snprintf(out[n].method, sizeof(out[n].method), "%s", job->method);
		out[n].stream_id = job->stream_id;
		out[n].age_ms = now - job->started_ms;
	}
	pthread_mutex_unlock(&srv->lock);
	return n;
}

static void *request_thread(void *arg)
{
	struct ttrpc_job *job = arg;
	struct ttrpc_conn *conn = job->conn;
	struct ttrpc_reply reply = { TTRPC_OK, NULL, NULL, 0 };
	Ttrpc__Request *rq;

	rq = ttrpc__request__unpack(NULL, job->len, job->data);
	if (!rq) {
		ttrpc_reply_error(&reply, TTRPC_INVALID_ARGUMENT, "ttrpc: cannot decode request");
	} else {
		job_active(conn->srv, job, rq);
		dispatch(conn->srv, rq, job->stream_id, &reply);
		job_done(conn->srv, job);
	}
	send_response(conn, job->stream_id, &reply);
	if (rq)
		ttrpc__request__free_unpacked(rq, NULL);
	free(reply.message);
	free(reply.payload);
	free(job->data);
	thread_done(conn->srv, conn, true);
	free(job);
	return NULL;
}

/* Start a thread for one request; on failure the reader answers itself. */
static void spawn_request(struct ttrpc_conn *conn, uint32_t stream_id, uint8_t *data, size_t len)
{
	struct ttrpc_server *srv = conn->srv;
	struct ttrpc_job *job;
	pthread_attr_t attr;
	pthread_t thr;
	int ret = -ENOMEM;

	pthread_mutex_lock(&srv->lock);
	if (conn->inflight >= TTRPC_MAX_INFLIGHT) {
		pthread_mutex_unlock(&srv->lock);
		free(data);
		send_error(conn, stream_id, TTRPC_RESOURCE_EXHAUSTED,
			   "ttrpc: too many requests in progress");
		return;
	}
	conn->inflight++;
	conn->refs++;
	srv->threads++;
	srv->requests++;
	pthread_mutex_unlock(&srv->lock);

	job = malloc(sizeof(*job));
	if (job) {
		*job = (struct ttrpc_job){
			.conn = conn, .stream_id = stream_id, .data = data, .len = len
		};
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		ret = -pthread_create(&thr, &attr, request_thread, job);
		pthread_attr_destroy(&attr);
	}
	if (!ret)
		return;
	free(job);
	free(data);
	send_error(conn, stream_id, TTRPC_UNAVAILABLE, "ttrpc: cannot start a thread");
	thread_done(srv, conn, true);
}

/*
 * Per frame: an oversized one is answered RESOURCE_EXHAUSTED, an even
 * (server-side) stream id INVALID_ARGUMENT, other frame types are skipped;
 * none of them closes the connection, since containerd reads a closed
 * connection as a dead shim. Only a broken stream ends it.
 */
static void *reader_thread(void *arg)
{
	struct ttrpc_conn *conn = arg;
	struct ttrpc_hdr h;
	uint8_t *data;
	int r;

	for (;;) {
		r = ttrpc_read_frame(conn->fd, &h, &data);
		if (r == -EMSGSIZE) {
			send_error(conn, h.stream_id, TTRPC_RESOURCE_EXHAUSTED,
				   "ttrpc: message exceeds the 4 MiB limit");
			continue;
		}
		if (r <= 0)
			break;
		if (h.type != TTRPC_TYPE_REQUEST) {
			free(data);
			continue;
		}
		if (!(h.stream_id & 1)) {
			free(data);
			send_error(conn, h.stream_id, TTRPC_INVALID_ARGUMENT,
				   "ttrpc: stream id must be odd");
			continue;
		}
		spawn_request(conn, h.stream_id, data, h.length);
	}
	thread_done(conn->srv, conn, false);
	return NULL;
}

static bool peer_is_us(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == geteuid() && cred.gid == getegid();
}

static void add_conn(struct ttrpc_server *srv, int fd)
{
	struct ttrpc_conn *conn = calloc(1, sizeof(*conn));
	pthread_attr_t attr;
	pthread_t thr;

	if (!conn) {
		close(fd);
		return;
	}
	conn->srv = srv;
	conn->fd = fd;
	conn->refs = 1;
	pthread_mutex_init(&conn->wlock, NULL);
	pthread_mutex_lock(&srv->lock);
	conn->next = srv->conns;
	srv->conns = conn;
	srv->threads++;
	pthread_mutex_unlock(&srv->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thr, &attr, reader_thread, conn))
		thread_done(srv, conn, false);
	pthread_attr_destroy(&attr);
}

static void *accept_thread(void *arg)
{
	struct ttrpc_server *srv = arg;
	struct pollfd pfd[2] = {
		{ .fd = srv->listen_fd, .events = POLLIN },
		{ .fd = srv->stop_fd, .events = POLLIN },
	};
	int fd;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of fds or memory: back off rather than spin. */
			if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
				usleep(100 * 1000);
			continue;
		}
		if (!peer_is_us(fd)) {
			close(fd);
			continue;
		}
		add_conn(srv, fd);
	}
	return NULL;
}

int ttrpc_server_start(struct ttrpc_server *srv, int listen_fd, struct husk_error **err)
{
	int ret;

	srv->listen_fd = listen_fd;
	ret = pthread_create(&srv->accept_thr, NULL, accept_thread, srv);
	if (ret)
		return husk_err(err, ret, "ttrpc server: accept thread");
	srv->accepting = true;
	return 0;
}

/* Stop the accept thread and close the listener (once). */
static void stop_accepting(struct ttrpc_server *srv)
{
	uint64_t one = 1;

	pthread_mutex_lock(&srv->lock);
	if (srv->stopping) {
		pthread_mutex_unlock(&srv->lock);
		return;
	}
	srv->stopping = true;
	pthread_mutex_unlock(&srv->lock);
	if (write(srv->stop_fd, &one, sizeof(one)) < 0) {
		/* An eventfd write only fails on overflow; poll still wakes. */
	}
	if (srv->accepting)
		pthread_join(srv->accept_thr, NULL);
	srv->accepting = false;
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	srv->listen_fd = -1;
}

int ttrpc_server_drain(struct ttrpc_server *srv, int timeout_ms)
{
	struct timespec dl;
	int r = 0;

	stop_accepting(srv);
	dl = husk_timespec_after_ms(CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&srv->lock);
	while (srv->requests && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&srv->idle, &srv->lock, &dl);
	r = srv->requests ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&srv->lock);
	return r;
}

void ttrpc_server_shutdown(struct ttrpc_server *srv)
{
	struct ttrpc_conn *c;

	stop_accepting(srv);
	pthread_mutex_lock(&srv->lock);
	for (c = srv->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&srv->lock);
}

void ttrpc_server_free(struct ttrpc_server *srv)
{
	size_t i;

	if (!srv)
		return;
	ttrpc_server_shutdown(srv);
	pthread_mutex_lock(&srv->lock);
	while (srv->threads)
		pthread_cond_wait(&srv->idle, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	for (i = 0; i < srv->nsvcs; i++)
		free(srv->svcs[i].name);
	free(srv->svcs);
	close(srv->stop_fd);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
