// SPDX-License-Identifier: Apache-2.0
/* ttrpc_frame.c - reading and writing ttrpc frames on a stream socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim/ttrpc/ttrpc.h"

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void ttrpc_hdr_pack(const struct ttrpc_hdr *h, uint8_t buf[TTRPC_HDR_SIZE])
{
	put_be32(buf, h->length);
	put_be32(buf + 4, h->stream_id);
	buf[8] = h->type;
	buf[9] = h->flags;
}

void ttrpc_hdr_unpack(const uint8_t buf[TTRPC_HDR_SIZE], struct ttrpc_hdr *h)
{
	h->length = get_be32(buf);
	h->stream_id = get_be32(buf + 4);
	h->type = buf[8];
	h->flags = buf[9];
}

/* Read exactly @len bytes; returns bytes read before EOF, or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * An oversized frame is consumed and dropped in small pieces, so a peer
 * cannot make us allocate its claimed length, yet the next header is
 * still found where it should be (the Go server does the same and then
 * answers RESOURCE_EXHAUSTED on that stream).
 */
static int discard(int fd, uint32_t len)
{
	uint8_t sink[4096];

	while (len) {
		size_t chunk = len < sizeof(sink) ? len : sizeof(sink);
		ssize_t n = read_full(fd, sink, chunk);

		if (n < 0)
			return (int)n;
		if ((size_t)n < chunk)
			return -EPROTO;
		len -= (uint32_t)chunk;
	}
	return -EMSGSIZE;
}

int ttrpc_read_frame(int fd, struct ttrpc_hdr *h, uint8_t **data)
{
	uint8_t raw[TTRPC_HDR_SIZE];
	ssize_t n;

	*data = NULL;
	n = read_full(fd, raw, sizeof(raw));
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof(raw))
		return -EPROTO;
	ttrpc_hdr_unpack(raw, h);
	if (h->length > TTRPC_MAX_DATA)
		return discard(fd, h->length);
	if (!h->length)
		return 1;
	*data = malloc(h->length);
	if (!*data)
		return -ENOMEM;
	n = read_full(fd, *data, h->length);
	if (n == (ssize_t)h->length)
		return 1;
	free(*data);
	*data = NULL;
	return n < 0 ? (int)n : -EPROTO;
}

int ttrpc_write_frame(int fd, uint32_t stream_id, uint8_t type, const void *data, size_t len)
{
	struct ttrpc_hdr h = { (uint32_t)len, stream_id, type, 0 };
	uint8_t raw[TTRPC_HDR_SIZE];
	struct iovec iov[2] = {
		{ raw, sizeof(raw) },
		{ (void *)data, len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };

	if (len > TTRPC_MAX_DATA)
		return -EMSGSIZE;
	ttrpc_hdr_pack(&h, raw);
	while (msg.msg_iovlen) {
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* Advance past what went out; a short send is legal. */
		while (msg.msg_iovlen && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}
