/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suite_client.h - a small host side of include/husk_agent.h for the
 * husk-init test suite: connect over a Unix socket, vsock, or husk's
 * vsock Unix socket (switchable by address), framed requests and replies, stdio stream connections.
 */
#ifndef HUSK_TESTS_AGENT_SUITE_CLIENT_H
#define HUSK_TESTS_AGENT_SUITE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "agent-codec/agent_socket.h"
#include "husk_agent.h"

struct ac_msg {
	struct husk_agent_hdr hdr;
	char *payload; /* NUL-terminated */
	yajl_val tree; /* parsed payload, or NULL */
	struct ac_msg *next;
};

struct ac {
	int fd;
	char addr[256];
	uint64_t next_id;
	struct ac_msg *events; /* events received while waiting for replies */
};

struct ac_buf {
	char *data;
	size_t len, cap;
};

/*
 * ac_dial - a connected socket for "unix:PATH", "vsock:CID:PORT" or
 * "hvsock:PATH:PORT" (husk's Firecracker-style vsock Unix socket: the
 * CONNECT handshake is done here), or -1 with errno.
 */
int ac_dial(const char *addr);
/* ac_open - connect and say HELLO; NULL on failure (message on stderr). */
struct ac *ac_open(const char *addr);
void ac_close(struct ac *c);

/* ac_recv - the next frame on @fd within @timeout_ms; NULL on EOF/timeout. */
struct ac_msg *ac_recv(int fd, int timeout_ms);
void ac_msg_free(struct ac_msg *m);

/* ac_call - request and its reply (OK or ERROR); events seen meanwhile are kept. */
struct ac_msg *ac_call(struct ac *c, uint16_t type, const char *json, int timeout_ms);
/* ac_event - the first kept or arriving event of @type matching @id (NULL: any). */
struct ac_msg *ac_event(struct ac *c, uint16_t type, const char *id, const char *exec_id,
			int timeout_ms);

/* ac_bind - a stream connection for one process's stream; -1 on failure. */
int ac_bind(const char *addr, const char *id, const char *exec_id, const char *stream, char *why,
	    size_t why_size);

/*
 * ac_pump - write @in to @in_fd (then half-close it), read @out_fd and
 * @err_fd to EOF into the buffers; any fd may be -1. 0, or -1 on timeout.
 */
int ac_pump(int in_fd, const char *in, size_t in_len, int out_fd, struct ac_buf *out, int err_fd,
	    struct ac_buf *err, int timeout_ms);

/* JSON helpers for replies. */
long long ac_int(const struct ac_msg *m, const char *key, long long dflt);
const char *ac_str(const struct ac_msg *m, const char *key);
bool ac_bool(const struct ac_msg *m, const char *key);

#endif
