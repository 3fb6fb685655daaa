// SPDX-License-Identifier: Apache-2.0
/* agent_frame.c - framed messages of the agent protocol on a socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "shim/agent/agent_client.h"
#include "common/error.h"
#include "agent-codec/json.h"

static int agent_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int agent_send_frame(int fd, uint16_t type, uint64_t id, const char *payload, size_t len)
{
	struct husk_agent_hdr h = { HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION, type, 0,
				    (uint32_t)len, id };
	uint8_t hdr[HUSK_AGENT_HDR_SIZE];
	int ret;

	if (len > HUSK_AGENT_MAX_PAYLOAD)
		return -EMSGSIZE;
	husk_agent_hdr_encode(&h, hdr);
	ret = agent_write_all(fd, hdr, sizeof(hdr));
	return !ret && len ? agent_write_all(fd, payload, len) : ret;
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

int agent_reply_error(const char *what, const char *payload, struct husk_error **err)
{
	const char *msg = "no message";
	int64_t no = EIO;
	yajl_val v = yajl_tree_parse(payload, NULL, 0);

	if (v) {
		json_int64(json_member(v, "errno"), "errno", &no, NULL);
		json_string(json_member(v, "message"), "message", &msg, NULL);
	}
	if (no <= 0 || no > 4095)
		no = EIO;
	husk_err_received(err, (int)no, "%s: husk-init: %s", what, msg);
	if (v)
		yajl_tree_free(v);
	return -(int)no;
}

int agent_stdio_bind(int fd, const char *id, const char *exec_id, const char *stream,
		     int timeout_ms, struct husk_error **err)
{
	struct husk_agent_hdr h;
	char json[512], *payload;
	int ret;

	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"exec_id\":\"%s\",\"stream\":\"%s\"}",
		 id, exec_id ? exec_id : "", stream);
	ret = agent_send_frame(fd, HUSK_MSG_STDIO_BIND, 1, json, strlen(json));
	if (!ret)
		ret = agent_recv_frame(fd, timeout_ms, &h, &payload);
	if (ret)
		return husk_err(err, -ret, "STDIO_BIND %s of %s/%s", stream, id,
				exec_id ? exec_id : "init");
	if (h.type != HUSK_MSG_OK)
		ret = agent_reply_error("STDIO_BIND", payload, err);
	free(payload);
	return ret;
}
