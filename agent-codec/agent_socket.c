// SPDX-License-Identifier: Apache-2.0
/*
 * agent_socket.c - the agent protocol's frames (include/husk_agent.h) on a
 * connected stream socket, for its two clients: the shim and the agent
 * test suite (husk-init has its own event-driven reader).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-codec/agent_socket.h"
#include "common/clock.h"

/*
 * Waits for room (poll) and sends what fits without blocking, so that a
 * peer that stops reading costs at most the time left to @deadline.
 */
static int agent_write_by(int fd, const void *buf, size_t len, int64_t deadline, size_t *sent)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = poll(&pfd, 1, deadline < 0 ? -1 : husk_ms_left(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ETIMEDOUT;
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
		*sent += (size_t)n;
	}
	return 0;
}

int agent_write_all(int fd, const void *buf, size_t len)
{
	size_t sent = 0;

	return agent_write_by(fd, buf, len, -1, &sent);
}

int agent_send_frame_by(int fd, uint16_t type, uint64_t id, const char *payload, size_t len,
			int64_t deadline_ms, size_t *sent)
{
	struct husk_agent_hdr h = {
		HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION, type, 0, (uint32_t)len, id
	};
	uint8_t hdr[HUSK_AGENT_HDR_SIZE];
	int ret;

	*sent = 0;
	if (len > HUSK_AGENT_MAX_PAYLOAD)
		return -EMSGSIZE;
	husk_agent_hdr_encode(&h, hdr);
	ret = agent_write_by(fd, hdr, sizeof(hdr), deadline_ms, sent);
	return !ret && len ? agent_write_by(fd, payload, len, deadline_ms, sent) : ret;
}

int agent_send_frame(int fd, uint16_t type, uint64_t id, const char *payload, size_t len)
{
	size_t sent;

	return agent_send_frame_by(fd, type, id, payload, len, -1, &sent);
}

static int agent_read_full(int fd, void *buf, size_t len, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char *p = buf;
	ssize_t n;

	while (len) {
		int left = deadline < 0 ? -1 : husk_ms_left(deadline);

		if (!left)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ETIMEDOUT;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int agent_recv_frame(int fd, int timeout_ms, struct husk_agent_hdr *h, char **payload)
{
	long long deadline = timeout_ms < 0 ? -1 : husk_now_ms() + timeout_ms;
	uint8_t hdr[HUSK_AGENT_HDR_SIZE];
	char *p;
	int ret;

	*payload = NULL;
	ret = agent_read_full(fd, hdr, sizeof(hdr), deadline);
	if (ret)
		return ret;
	ret = husk_agent_hdr_decode(hdr, sizeof(hdr), h);
	if (ret && ret != -EPROTONOSUPPORT)
		return ret;
	p = malloc(h->length + 1);
	if (!p)
		return -ENOMEM;
	ret = agent_read_full(fd, p, h->length, deadline);
	if (ret) {
		free(p);
		return ret;
	}
	p[h->length] = '\0';
	*payload = p;
	return 0;
}
