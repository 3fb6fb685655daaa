/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shim_harness.h - a Task service over the fake backend, served on a real
 * Unix socket in a temporary directory, with a fake containerd events
 * server recording every Forward, and a ttrpc client. No Check calls in
 * here (tests/lib is linked into non-Check programs too): functions
 * return 0 or -errno and the tests assert.
 */
#ifndef HUSK_TESTS_SHIM_HARNESS_H
#define HUSK_TESTS_SHIM_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "tests/lib/fake_backend.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task.h"
#include "shim/ttrpc/ttrpc.h"

#define HARNESS_MAX_EVENTS 128

struct harness_event {
	char topic[40];
	char type_url[64];
	uint8_t *value;
	size_t len;
};

struct harness {
	char dir[64];
	char shim_sock[128];
	char ev_sock[128];
	struct ttrpc_server *ev_srv;
	struct shim_events *ev;
	struct fake_backend *fb;
	struct shim_tasks *tasks;
	struct ttrpc_server *srv;
	struct ttrpc_client *cli;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct harness_event events[HARNESS_MAX_EVENTS];
	unsigned nevents;
	unsigned shutdowns; /* on_shutdown calls */
};

/* harness_listen - a listening Unix socket at @path (removed first). */
int harness_listen(const char *path);

int harness_up(struct harness *h);
void harness_down(struct harness *h);

/* harness_bundle - make bundle dir/@id with config.json = @config; path into @out. */
int harness_bundle(struct harness *h, const char *id, const char *config, char *out, size_t len);

/* harness_call - one Task (v2) call, 5 s timeout. */
int harness_call(struct harness *h, const char *method, const ProtobufCMessage *req,
		 struct ttrpc_result *res);

/* harness_wait_events - wait until at least @n events arrived (true) or @ms passed. */
bool harness_wait_events(struct harness *h, unsigned n, int ms);

/* harness_topics - the topics seen so far, space-separated, into @buf. */
void harness_topics(struct harness *h, char *buf, size_t len);

/* The recorded fake-containerd events server, for tests/unit/shim/test_shim_events.c. */
int harness_events_server(struct harness *h);

#endif
