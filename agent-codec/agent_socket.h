/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_socket.h - sending and receiving the agent protocol's frames on a
 * connected stream socket (blocking, with deadlines: a peer that stops
 * reading or writing holds a caller only as long as it allows). Each call
 * returns 0 or a negative errno.
 */
#ifndef HUSK_AGENT_CODEC_AGENT_SOCKET_H
#define HUSK_AGENT_CODEC_AGENT_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "husk_agent.h"

/* agent_write_all - all @len bytes, retrying short sends (no SIGPIPE). */
int agent_write_all(int fd, const void *buf, size_t len);

/* agent_send_frame - one frame: header and @len bytes of @payload. */
int agent_send_frame(int fd, uint16_t type, uint64_t id, const char *payload, size_t len);

/*
 * agent_send_frame_by - agent_send_frame giving up at @deadline_ms (a
 * husk_now_ms() value, -1: never) with -ETIMEDOUT while the peer reads
 * nothing. *@sent is how many of the frame's bytes went out: after part
 * of a frame the stream cannot carry another one.
 */
int agent_send_frame_by(int fd, uint16_t type, uint64_t id, const char *payload, size_t len,
			int64_t deadline_ms, size_t *sent);

/*
 * agent_recv_frame - one frame within @timeout_ms (-1: no limit) into @h;
 * *@payload is malloc'd and NUL-terminated. -ETIMEDOUT, -ECONNRESET (EOF),
 * or the header's decoding error (a newer minor version is accepted).
 */
int agent_recv_frame(int fd, int timeout_ms, struct husk_agent_hdr *h, char **payload);

#endif
