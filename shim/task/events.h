/* SPDX-License-Identifier: Apache-2.0 */
/*
 * events.h - publishing task events to containerd.
 *
 * Transport: a ttrpc call to containerd.services.events.ttrpc.v1.Events/
 * Forward at containerd's ttrpc address ($TTRPC_ADDRESS, or the -address
 * value plus ".ttrpc"), which every containerd from 1.6 to 2.x serves; the
 * older "exec containerd publish" route costs a process per event and is
 * not used.
 *
 * shim_events_publish() only queues (bounded, SHIM_EVENTS_QUEUE_MAX) and
 * returns; one sender thread forwards the queue in order, so a slow or
 * restarting containerd never blocks a task call. A failed send is retried
 * up to SHIM_EVENTS_RETRIES times, waiting retry_ms x attempt between
 * tries and reconnecting each time, then dropped (and logged). The
 * envelope's timestamp is taken at publish time.
 */
#ifndef HUSK_SHIM_TASK_EVENTS_H
#define HUSK_SHIM_TASK_EVENTS_H

#include <protobuf-c/protobuf-c.h>

struct husk_error;
struct shim_events;

#define SHIM_EVENTS_SERVICE   "containerd.services.events.ttrpc.v1.Events"
#define SHIM_EVENTS_QUEUE_MAX 2048
#define SHIM_EVENTS_RETRIES   5

/*
 * shim_events_new - a publisher for namespace @ns sending to @address (a
 * Unix socket path, "unix://" allowed). A NULL or empty @address gives a
 * publisher that drops every event (logged at debug level). @retry_ms is
 * the base retry delay (1000 in the daemon; tests use less).
 */
int shim_events_new(const char *address, const char *ns, unsigned retry_ms,
		    struct shim_events **out, struct husk_error **err);

/*
 * shim_events_publish - queue @event under @topic ("/tasks/exit"). Never
 * blocks. @ev may be NULL (nothing happens). Returns 0, -ENOSPC when the
 * queue is full (the event is dropped) or -ENOMEM.
 */
int shim_events_publish(struct shim_events *ev, const char *topic, const ProtobufCMessage *event);

/*
 * shim_events_flush - wait until the queue is empty and the last event
 * has been sent or given up on, at most @timeout_ms. Returns 0 or
 * -ETIMEDOUT.
 */
int shim_events_flush(struct shim_events *ev, int timeout_ms);

/* shim_events_free - stop the sender (dropping what is queued) and free. */
void shim_events_free(struct shim_events *ev);

#endif
