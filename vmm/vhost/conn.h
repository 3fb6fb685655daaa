/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.h - one vhost-user control connection: a Unix stream socket to the
 * backend, requests out (header, payload and fds in one sendmsg) and
 * replies in, each with a poll() deadline of timeout_ms: a backend that
 * stops reading (SIGSTOP, a full socket buffer) or answering holds the
 * caller, which may be a vCPU thread, no longer than that.
 *
 * Failure is final. After any send or receive error, a timeout, or a reply
 * that fails wire.c's checks, the byte stream can no longer be trusted, so
 * the connection is marked broken and every later call fails at once with
 * -EPIPE; the owner decides what a dead backend means. Sends use
 * MSG_NOSIGNAL: a backend that died gives EPIPE, never SIGPIPE.
 *
 * Error messages read "<name>: <REQUEST>: <cause>", e.g.
 * "vhost-user fs0: SET_MEM_TABLE: Broken pipe".
 *
 * Threads: calls are serialised by the connection's own lock, so a
 * request and its reply are never interleaved with another's.
 */
#ifndef HUSK_VMM_VHOST_CONN_H
#define HUSK_VMM_VHOST_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/vhost/wire.h"

#define VHOST_CONN_DEFAULT_TIMEOUT_MS 5000
#define VHOST_CONN_MAX_FDS	      VHOST_USER_MAX_REGIONS

struct vhost_conn {
	int fd;		/* -1 when closed */
	int timeout_ms; /* per send, per reply */
	bool broken;	/* atomic: see the top comment */
	bool reply_ack; /* REPLY_ACK negotiated: SET_* carry NEED_REPLY */
	char name[40];	/* "vhost-user fs0" */
	pthread_mutex_t lock;
};

/*
 * vhost_conn_open - connect to the listening socket at @path, or, with
 * @path NULL, use a duplicate of the connected socket @fd (the caller
 * keeps @fd). @timeout_ms <= 0: the default. Returns 0 or -errno.
 */
int vhost_conn_open(struct vhost_conn *c, const char *name, const char *path, int fd,
		    int timeout_ms, struct husk_error **err);

/* vhost_conn_close - close the socket (the backend sees EOF); idempotent. */
void vhost_conn_close(struct vhost_conn *c);

/*
 * vhost_conn_shutdown - mark broken and shut the socket down both ways
 * without closing it, so a poller sees the hang-up and no fd number is
 * reused while it is still registered somewhere. Any thread.
 */
void vhost_conn_shutdown(struct vhost_conn *c);

/* vhost_conn_is_broken - true once a call failed or after shutdown. */
bool vhost_conn_is_broken(const struct vhost_conn *c);

/*
 * vhost_conn_get_u64 - send @request without payload and return the u64
 * it answers (GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM).
 */
int vhost_conn_get_u64(struct vhost_conn *c, uint32_t request, uint64_t *v,
		       struct husk_error **err);

/*
 * vhost_conn_get_state - send @request with vring state {@index, 0} and
 * return the state it answers (GET_VRING_BASE); the index must match.
 */
int vhost_conn_get_state(struct vhost_conn *c, uint32_t request, uint32_t index, uint32_t *num,
			 struct husk_error **err);

/*
 * vhost_conn_set - send @m (a request without reply of its own) with
 * @nr_fds fds. With reply_ack set, NEED_REPLY is added and the u64 answer
 * must be 0 (else -EPROTO). Returns 0 or -errno.
 */
int vhost_conn_set(struct vhost_conn *c, struct vhost_user_msg *m, const int *fds,
		   unsigned int nr_fds, struct husk_error **err);

#endif
