// SPDX-License-Identifier: Apache-2.0
/*
 * agent_client.c - the control connection: requests from any thread,
 * matched to replies by id on one reader thread, which also delivers
 * events. Each waiting request has a slot on the stack of its caller,
 * with what it asks and since when, so that a stuck one can be named
 * (agent_client_waits) and a late one ends with a clear error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent-codec/json.h"
#include "common/clock.h"
#include "shim/agent/agent_client.h"
#include "common/error.h"
#include "shim/base/shim_log.h"

struct agent_wait {
	uint64_t id;
	uint16_t req_type;		 /* what was asked */
	char subject[AGENT_SUBJECT_MAX]; /* of whom: "c1", "c1 exec e1", "" */
	int64_t started_ms;		 /* CLOCK_MONOTONIC */
	bool done;
	uint16_t type; /* the reply's */
	char *payload;
	struct agent_wait *next;
};

struct agent_client {
	int fd;
	pthread_mutex_t lock;	   /* next_id, waits, dead, refs */
	pthread_mutex_t send_lock; /* frames of concurrent requests never interleave */
	pthread_cond_t cond;
	uint64_t next_id;
	struct agent_wait *waits;
	bool dead;
	int refs; /* the owner's and agent_client_hold's */
	pthread_t reader;
	agent_event_fn *fn;
	void *opaque;
};

static struct agent_wait *agent_take_wait(struct agent_client *c, uint64_t id)
{
	struct agent_wait **pp, *w;

	for (pp = &c->waits; (w = *pp); pp = &w->next) {
		if (w->id == id) {
			*pp = w->next;
			return w;
		}
	}
	return NULL;
}

static void agent_deliver(struct agent_client *c, const struct husk_agent_hdr *h, char *payload)
{
	struct agent_wait *w;
	yajl_val v;

	if (h->type >= HUSK_MSG_EVENT_EXIT) {
		/* An event that is no JSON (or nested too deep) reaches the handler as NULL. */
		v = NULL;
		if (h->length)
			json_parse(payload, h->length, NULL, HUSK_AGENT_MAX_DEPTH, &v, NULL);
		if (c->fn)
			c->fn(c->opaque, h->type, v);
		if (v)
			yajl_tree_free(v);
		free(payload);
		return;
	}
	pthread_mutex_lock(&c->lock);
	w = agent_take_wait(c, h->id);
	if (w) {
		w->type = h->type;
		w->payload = payload;
		w->done = true;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	if (!w) {
		/* Most likely the answer to a request whose deadline passed. */
		shim_warn("agent: %s reply to request %llu, which nobody waits for (late?)",
			  husk_agent_type_name(h->type), (unsigned long long)h->id);
		free(payload);
	}
}

static void *agent_reader(void *arg)
{
	struct agent_client *c = arg;
	struct husk_agent_hdr h;
	char *payload;
	int ret;

	while (!(ret = agent_recv_frame(c->fd, -1, &h, &payload)))
		agent_deliver(c, &h, payload);
	shim_debug("agent: control connection ended: %s", strerror(-ret));
	pthread_mutex_lock(&c->lock);
	c->dead = true;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (c->fn)
		c->fn(c->opaque, 0, NULL);
	return NULL;
}

/* Wait for @w's reply; called and returns with c->lock held. */
static int agent_wait_reply(struct agent_client *c, struct agent_wait *w, int timeout_ms)
{
	/* c->cond waits on CLOCK_MONOTONIC (agent_client_new sets it so). */
	struct timespec ts = husk_timespec_after_ms(CLOCK_MONOTONIC,
						    timeout_ms < 0 ? 0 : timeout_ms);

	while (!w->done && !c->dead) {
		if (timeout_ms < 0)
			pthread_cond_wait(&c->cond, &c->lock);
		else if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT)
			break;
	}
	if (w->done)
		return 0;
	agent_take_wait(c, w->id);
	return c->dead ? -ECONNRESET : -ETIMEDOUT;
}

/* A reply's payload as a tree (NULL when empty), parsed with the protocol's
 * nesting limit: it comes from the guest. */
static int agent_parse_reply(const char *payload, const char *what, yajl_val *reply,
			     struct husk_error **err)
{
	*reply = NULL;
	if (!payload[0])
		return 0;
	if (json_parse(payload, strlen(payload), NULL, HUSK_AGENT_MAX_DEPTH, reply, err) < 0)
		return husk_err_wrap(err, "%s: husk-init's reply", what);
	return 0;
}

static int agent_result(uint16_t type, struct agent_wait *w, yajl_val *reply,
			struct husk_error **err)
{
	const char *what = husk_agent_type_name(type);
	int ret = 0;

	if (w->type == HUSK_MSG_ERROR)
		ret = agent_reply_error(what, w->payload, err);
	else if (w->type != HUSK_MSG_OK)
		ret = husk_err(err, EPROTO, "%s: reply of type %u", what, w->type);
	else if (reply)
		ret = agent_parse_reply(w->payload, what, reply, err);
	free(w->payload);
	return ret;
}

/*
 * How long husk-init may take to answer each request. Most only flip state
 * in the guest and answer at once; a guest that takes 30 s for them is
 * stuck (a frozen level 1 in the rig, a wedged cgroup). CREATE and DELETE
 * mount and unmount filesystems and start or reap processes, and the
 * network's setup waits for links: a minute, as every request had before.
 * WAIT answers when the process exits, which may be never: no deadline.
 * SHUTDOWN's caller stops the VM anyway when it gets no answer.
 */
int agent_deadline_ms(uint16_t type)
{
	switch (type) {
	case HUSK_MSG_WAIT:
		return -1;
	case HUSK_MSG_CREATE:
	case HUSK_MSG_DELETE:
	case HUSK_MSG_CONFIGURE_NETWORK:
		return 60000;
	case HUSK_MSG_SHUTDOWN:
		return 10000;
	default:
		return 30000;
	}
}

void agent_subject(const char *json, char *buf, size_t len)
{
	const char *id = "", *exec_id = "";
	yajl_val v = NULL;

	buf[0] = '\0';
	if (!json || !*json ||
	    json_parse(json, strlen(json), NULL, HUSK_AGENT_MAX_DEPTH, &v, NULL) < 0)
		return;
	json_string(json_member(v, "id"), "id", &id, NULL);
	json_string(json_member(v, "exec_id"), "exec_id", &exec_id, NULL);
	if (*id && *exec_id)
		snprintf(buf, len, "%s exec %s", id, exec_id);
	else
		snprintf(buf, len, "%s", id);
	yajl_tree_free(v);
}

/* "PAUSE for c1" or "SHUTDOWN": the request as its errors name it. */
static void agent_what(const struct agent_wait *w, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", husk_agent_type_name(w->req_type), *w->subject ? " for " : "",
		 w->subject);
}

/* agent_wait_reply's -ETIMEDOUT or -ECONNRESET as an error naming the request. */
static int agent_call_failed(const struct agent_wait *w, int ret, int timeout_ms,
			     struct husk_error **err)
{
	char what[AGENT_SUBJECT_MAX + 32];

	agent_what(w, what, sizeof(what));
	/* These messages say it all: no ": Connection timed out" after them. */
	if (ret == -ETIMEDOUT)
		return husk_err_received(err, ETIMEDOUT, "husk-init did not answer %s within %d s",
					 what, (timeout_ms + 999) / 1000);
	return husk_err_received(err, ECONNRESET,
				 "%s: husk-init's connection ended before it answered", what);
}

/*
 * Sending has a deadline even where the answer has none (WAIT): a guest
 * that reads nothing of its control connection for this long is stuck.
 */
#define AGENT_SEND_MS 30000

/*
 * Send @w's frame by @deadline, time spent waiting behind another
 * request's send included. Part of a frame leaves the stream unusable
 * (whatever comes next would be read as the rest of it): hang up then, so
 * that the reader ends and every waiter learns at once.
 */
static int agent_send_request(struct agent_client *c, const struct agent_wait *w, const char *json,
			      int64_t deadline, struct husk_error **err)
{
	struct timespec ts = husk_timespec_after_ms(CLOCK_MONOTONIC, husk_ms_left(deadline));
	int ms = (int)(deadline - w->started_ms);
	char what[AGENT_SUBJECT_MAX + 32];
	size_t sent = 0;
	int ret;

	ret = -pthread_mutex_clocklock(&c->send_lock, CLOCK_MONOTONIC, &ts);
	if (!ret) {
		ret = agent_send_frame_by(c->fd, w->req_type, w->id, json, json ? strlen(json) : 0,
					  deadline, &sent);
		if (ret && sent)
			shutdown(c->fd, SHUT_RDWR);
		pthread_mutex_unlock(&c->send_lock);
	}
	if (!ret)
		return 0;
	agent_what(w, what, sizeof(what));
	if (ret == -ETIMEDOUT)
		return husk_err_received(err, ETIMEDOUT,
					 "send %s to husk-init: timed out after %d ms%s", what, ms,
					 sent ? " (part of it went out: connection closed)" : "");
	return husk_err(err, -ret, "send %s to husk-init", what);
}

size_t agent_client_waits(struct agent_client *c, struct agent_wait_info *out, size_t max)
{
	int64_t now = husk_now_ms();
	struct agent_wait *w;
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	for (w = c->waits; w; w = w->next, n++) {
		if (n >= max)
			continue;
		out[n].type = w->req_type;
		snprintf(out[n].subject, sizeof(out[n].subject), "%s", w->subject);
		out[n].age_ms = now - w->started_ms;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

int agent_call(struct agent_client *c, uint16_t type, const char *json, int timeout_ms,
	       yajl_val *reply, struct husk_error **err)
{
	struct agent_wait w = { 0 };
	char subject[AGENT_SUBJECT_MAX];
	int ret;

	if (reply)
		*reply = NULL;
	/* Before the lock: parsing a CREATE's spec takes a moment. */
	agent_subject(json, subject, sizeof(subject));
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		pthread_mutex_unlock(&c->lock);
		return husk_err(err, ECONNRESET, "%s: the VM's agent is gone",
				husk_agent_type_name(type));
	}
	w.id = c->next_id++;
	w.req_type = type;
	snprintf(w.subject, sizeof(w.subject), "%s", subject);
	w.started_ms = husk_now_ms();
	w.next = c->waits;
	c->waits = &w;
	pthread_mutex_unlock(&c->lock);
	/* Not under c->lock: the reader must deliver while a send waits. */
	ret = agent_send_request(c, &w, json,
				 w.started_ms + (timeout_ms < 0 ? AGENT_SEND_MS : timeout_ms), err);
	pthread_mutex_lock(&c->lock);
	if (ret) {
		agent_take_wait(c, w.id);
		pthread_mutex_unlock(&c->lock);
		return ret;
	}
	/* One deadline for the whole request: the reply gets what sending left. */
	ret = agent_wait_reply(c, &w,
			       timeout_ms < 0 ? -1 : husk_ms_left(w.started_ms + timeout_ms));
	pthread_mutex_unlock(&c->lock);
	if (ret)
		return agent_call_failed(&w, ret, timeout_ms, err);
	return agent_result(type, &w, reply, err);
}

static int agent_hello(int fd, int timeout_ms, struct husk_error **err)
{
	char *payload;
	int ret;

	ret = agent_request_once(fd, HUSK_MSG_HELLO, "{\"version\":1}", timeout_ms, "HELLO",
				 &payload, err);
	if (!ret)
		shim_debug("agent: %s", payload);
	free(payload);
	return ret;
}

int agent_client_new(int fd, agent_event_fn *fn, void *opaque, int timeout_ms,
		     struct agent_client **out, struct husk_error **err)
{
	struct agent_client *c;
	pthread_condattr_t ca;
	int ret = agent_hello(fd, timeout_ms, err);

	c = ret ? NULL : calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return ret ? ret : husk_err(err, ENOMEM, "agent client");
	}
	*c = (struct agent_client){ .fd = fd, .next_id = 2, .refs = 1, .fn = fn, .opaque = opaque };
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->send_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	ret = -pthread_create(&c->reader, NULL, agent_reader, c);
	if (ret) {
		close(fd);
		free(c);
		return husk_err(err, -ret, "agent reader thread");
	}
	*out = c;
	return 0;
}

void agent_client_hangup(struct agent_client *c)
{
	if (c)
		shutdown(c->fd, SHUT_RDWR);
}

void agent_client_hold(struct agent_client *c)
{
	pthread_mutex_lock(&c->lock);
	c->refs++;
	pthread_mutex_unlock(&c->lock);
}

/* The fd closes with the last hold: a holder may still be sending on it,
 * and a closed number could be reused by another socket meanwhile. */
void agent_client_release(struct agent_client *c)
{
	bool last;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (!last)
		return;
	close(c->fd);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->send_lock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void agent_client_free(struct agent_client *c)
{
	if (!c)
		return;
	shutdown(c->fd, SHUT_RDWR);
	pthread_join(c->reader, NULL);
	agent_client_release(c);
}
