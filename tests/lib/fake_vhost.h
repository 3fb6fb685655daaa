/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake_vhost.h - a vhost-user backend played by the tests: a thread on one
 * end of a socketpair that records every message (header, payload and the
 * fds that came with it) and answers like virtiofsd would, or misbehaves
 * on purpose at one chosen request.
 */
#ifndef HUSK_TESTS_FAKE_VHOST_H
#define HUSK_TESTS_FAKE_VHOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/vhost/wire.h"

#define FAKE_VHOST_MAX_MSGS 128
#define FAKE_VHOST_MAX_FDS  8

/* What virtiofsd 7.2 answers (/work/shared/docs/virtio-fs.md section 2). */
#define FAKE_VHOST_FEATURES   0x175000000ULL
#define FAKE_VHOST_PROTOCOL   0x8c2bULL
#define FAKE_VHOST_VRING_BASE 7 /* what GET_VRING_BASE reports */

enum fake_vhost_fault {
	FAKE_VHOST_OK,	      /* answer properly */
	FAKE_VHOST_BAD_FLAGS, /* reply flags 0x1 (REPLY missing) */
	FAKE_VHOST_WRONG_REQ, /* reply names another request */
	FAKE_VHOST_TRUNCATED, /* header promises 8 bytes, 3 come, then hang up */
	FAKE_VHOST_OVERSIZE,  /* header says 64 KiB of payload, none follows */
	FAKE_VHOST_SILENT,    /* never answer, keep the socket open */
	FAKE_VHOST_CLOSE,     /* hang up instead of answering */
	FAKE_VHOST_REFUSE,    /* REPLY_ACK status 1 */
	FAKE_VHOST_STALLED,   /* read nothing more, never answer (a stopped virtiofsd) */
};

struct fake_vhost_msg {
	struct vhost_user_msg m;
	int fds[FAKE_VHOST_MAX_FDS]; /* owned by the fake until fake_vhost_stop */
	unsigned int nr_fds;
};

struct fake_vhost {
	int fd;	  /* the backend's end */
	int peer; /* the front end's end: hand it to the code under test */
	uint64_t features, protocol, queue_num;
	uint32_t fault_on; /* request number that triggers @fault */
	enum fake_vhost_fault fault;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fake_vhost_msg msgs[FAKE_VHOST_MAX_MSGS];
	unsigned int nr_msgs;
	bool gone; /* the thread left (hang-up or fault) */
};

/* fake_vhost_init - a socketpair and virtiofsd's answers; no thread yet. */
void fake_vhost_init(struct fake_vhost *fv);

/* fake_vhost_fault_on - misbehave with @f when @request arrives. */
void fake_vhost_fault_on(struct fake_vhost *fv, uint32_t request, enum fake_vhost_fault f);

void fake_vhost_start(struct fake_vhost *fv);

/*
 * fake_vhost_tiny_buffer - the front end's send buffer at the kernel's
 * minimum, so that a few messages the backend does not read fill it.
 */
void fake_vhost_tiny_buffer(struct fake_vhost *fv);

/* fake_vhost_kill - the backend dies: its end is closed, the thread ends. */
void fake_vhost_kill(struct fake_vhost *fv);

/* fake_vhost_fini - kill if needed, close the peer too, free recorded fds. */
void fake_vhost_fini(struct fake_vhost *fv);

/* fake_vhost_wait - wait until @n messages were recorded; false on timeout. */
bool fake_vhost_wait(struct fake_vhost *fv, unsigned int n, int timeout_ms);

unsigned int fake_vhost_count(struct fake_vhost *fv);

/* fake_vhost_msg - recorded message @i (stable once recorded). */
const struct fake_vhost_msg *fake_vhost_msg(struct fake_vhost *fv, unsigned int i);

/* fake_vhost_find - the @nth (from 0) recorded message of @request, or NULL. */
const struct fake_vhost_msg *fake_vhost_find(struct fake_vhost *fv, uint32_t request,
					     unsigned int nth);

/* fake_vhost_u64 / fake_vhost_state - decode a recorded payload. */
uint64_t fake_vhost_u64(const struct fake_vhost_msg *m);
void fake_vhost_state(const struct fake_vhost_msg *m, uint32_t *index, uint32_t *num);

#endif
