// SPDX-License-Identifier: Apache-2.0
/* events.c - an ordered, non-blocking event queue forwarded over ttrpc. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/task/events.h"
#include "shim/base/shim_log.h"
#include "shim/ttrpc/pb.h"
#include "shim/ttrpc/ttrpc.h"

struct event_item {
	char *topic;
	Google__Protobuf__Any any; /* type_url borrowed from a descriptor */
	struct timespec when;
	struct event_item *next;
};

struct shim_events {
	char *address;
	char *ns;
	unsigned retry_ms;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* queue changed, or stop */
	struct event_item *head, **tail;
	size_t queued;
	bool busy; /* the sender holds an item */
	bool stop;
	pthread_t thr;
	struct ttrpc_client *client; /* sender thread only */
};

static void item_free(struct event_item *it)
{
	if (!it)
		return;
	pb_any_clear(&it->any);
	free(it->topic);
	free(it);
}

/* One Forward attempt; returns 0 when containerd accepted the event. */
static int forward_once(struct shim_events *ev, const struct event_item *it)
{
	Containerd__Services__Events__Ttrpc__V1__ForwardRequest req =
		CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
	Containerd__Services__Events__Ttrpc__V1__Envelope env =
		CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
	Google__Protobuf__Timestamp ts;
	Google__Protobuf__Any any = it->any;
	struct husk_error *err = NULL;
	struct ttrpc_result res;
	int ret;

	if (!ev->client && ttrpc_client_connect(ev->address, ev->ns, &ev->client, &err) < 0) {
		shim_debug("events: %s", husk_error_message(err));
		husk_error_free(err);
		return -ECONNREFUSED;
	}
	pb_timestamp(&ts, &it->when);
	env.timestamp = &ts;
	env.namespace_ = ev->ns;
	env.topic = it->topic;
	env.event = &any;
	req.envelope = &env;
	ret = ttrpc_client_call(ev->client, SHIM_EVENTS_SERVICE, "Forward", &req.base, 5000, &res);
	if (!ret && res.code != TTRPC_OK) {
		shim_warn("events: forward %s: %s: %s", it->topic, ttrpc_code_name(res.code),
			  res.message ? res.message : "");
		ret = -EPROTO;
	}
	ttrpc_result_clear(&res);
	if (ret && ev->client) {
		/* Reconnect next time: containerd may have restarted. */
		ttrpc_client_free(ev->client);
		ev->client = NULL;
	}
	return ret;
}

/* Sleep @ms unless stopped; called and returns with ev->lock held. */
static void pause_locked(struct shim_events *ev, unsigned ms)
{
	struct timespec dl = husk_timespec_after_ms(CLOCK_REALTIME, ms);

	while (!ev->stop && pthread_cond_timedwait(&ev->cond, &ev->lock, &dl) != ETIMEDOUT)
		;
}

static void send_item(struct shim_events *ev, struct event_item *it)
{
	unsigned attempt;
	bool stop = false;

	for (attempt = 1; attempt <= SHIM_EVENTS_RETRIES && !stop; attempt++) {
		if (!forward_once(ev, it))
			return;
		pthread_mutex_lock(&ev->lock);
		if (attempt < SHIM_EVENTS_RETRIES)
			pause_locked(ev, ev->retry_ms * attempt);
		stop = ev->stop;
		pthread_mutex_unlock(&ev->lock);
	}
	shim_err("events: dropped %s after %u attempt(s)%s", it->topic, attempt - 1,
		 stop ? ", shim exiting" : "");
}

static void *sender_thread(void *arg)
{
	struct shim_events *ev = arg;
	struct event_item *it;

	pthread_mutex_lock(&ev->lock);
	for (;;) {
		while (!ev->head && !ev->stop)
			pthread_cond_wait(&ev->cond, &ev->lock);
		if (ev->stop)
			break;
		it = ev->head;
		ev->head = it->next;
		if (!ev->head)
			ev->tail = &ev->head;
		ev->queued--;
		ev->busy = true;
		pthread_mutex_unlock(&ev->lock);
		send_item(ev, it);
		item_free(it);
		pthread_mutex_lock(&ev->lock);
		ev->busy = false;
		pthread_cond_broadcast(&ev->cond);
	}
	pthread_mutex_unlock(&ev->lock);
	return NULL;
}

int shim_events_new(const char *address, const char *ns, unsigned retry_ms,
		    struct shim_events **out, struct husk_error **err)
{
	struct shim_events *ev = calloc(1, sizeof(*ev));
	int ret;

	if (!ev)
		return husk_err(err, ENOMEM, "events");
	ev->thr = pthread_self(); /* "no thread yet" for shim_events_free */
	ev->address = address && *address ? strdup(address) : NULL;
	ev->ns = strdup(ns ? ns : "");
	ev->retry_ms = retry_ms;
	ev->tail = &ev->head;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_cond_init(&ev->cond, NULL);
	if (!ev->ns || (address && *address && !ev->address)) {
		shim_events_free(ev);
		return husk_err(err, ENOMEM, "events");
	}
	ret = pthread_create(&ev->thr, NULL, sender_thread, ev);
	if (ret) {
		shim_events_free(ev);
		return husk_err(err, ret, "events: sender thread");
	}
	*out = ev;
	return 0;
}

int shim_events_publish(struct shim_events *ev, const char *topic, const ProtobufCMessage *event)
{
	struct event_item *it;

	if (!ev)
		return 0;
	if (!ev->address) {
		shim_debug("events: no containerd address, dropped %s", topic);
		return 0;
	}
	it = calloc(1, sizeof(*it));
	if (!it || !(it->topic = strdup(topic)) || pb_any_pack(&it->any, event)) {
		item_free(it);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &it->when);
	pthread_mutex_lock(&ev->lock);
	if (ev->queued >= SHIM_EVENTS_QUEUE_MAX) {
		pthread_mutex_unlock(&ev->lock);
		shim_err("events: queue full, dropped %s", topic);
		item_free(it);
		return -ENOSPC;
	}
	*ev->tail = it;
	ev->tail = &it->next;
	ev->queued++;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
	return 0;
}

int shim_events_flush(struct shim_events *ev, int timeout_ms)
{
	struct timespec dl;
	int r = 0;

	if (!ev)
		return 0;
	dl = husk_timespec_after_ms(CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&ev->lock);
	while ((ev->head || ev->busy) && !ev->stop && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&ev->cond, &ev->lock, &dl);
	r = ev->head || ev->busy;
	pthread_mutex_unlock(&ev->lock);
	return r ? -ETIMEDOUT : 0;
}

void shim_events_free(struct shim_events *ev)
{
	struct event_item *it;

	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->stop = true;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
	if (!pthread_equal(ev->thr, pthread_self()))
		pthread_join(ev->thr, NULL);
	while ((it = ev->head)) {
		ev->head = it->next;
		item_free(it);
	}
	ttrpc_client_free(ev->client);
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev->address);
	free(ev->ns);
	free(ev);
}
