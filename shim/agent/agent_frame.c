// SPDX-License-Identifier: Apache-2.0
/*
 * agent_frame.c - the one request of a handshake (HELLO, STDIO_BIND,
 * PORT_CONNECT), sent and answered within one deadline or in two halves
 * (a process's STDIO_BINDs all sent, then all answers read), and ERROR
 * replies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "agent-codec/agent_socket.h"
#include "shim/agent/agent_client.h"
#include "common/error.h"
#include "agent-codec/json.h"

int agent_reply_error(const char *what, const char *payload, struct husk_error **err)
{
	const char *msg = "no message";
	int64_t no = EIO;
	yajl_val v = NULL;

	/* From the guest: parsed with the protocol's nesting limit. */
	if (!json_parse(payload, strlen(payload), NULL, HUSK_AGENT_MAX_DEPTH, &v, NULL)) {
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

int agent_request_send(int fd, uint16_t type, const char *json, int timeout_ms, const char *what,
		       struct husk_error **err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : husk_now_ms() + timeout_ms;
	size_t sent;
	int ret;

	ret = agent_send_frame_by(fd, type, 1, json, strlen(json), deadline, &sent);
	if (ret == -ETIMEDOUT)
		return husk_err_received(err, ETIMEDOUT,
					 "send %s to husk-init: timed out after %d ms", what,
					 timeout_ms);
	if (ret)
		return husk_err(err, -ret, "send %s to husk-init", what);
	return 0;
}

int agent_request_reply(int fd, int timeout_ms, const char *what, char **payload,
			struct husk_error **err)
{
	struct husk_agent_hdr h;
	int ret;

	*payload = NULL;
	ret = agent_recv_frame(fd, timeout_ms, &h, payload);
	if (ret)
		return husk_err(err, -ret, "%s: husk-init's reply", what);
	if (h.type != HUSK_MSG_OK) {
		ret = agent_reply_error(what, *payload, err);
		free(*payload);
		*payload = NULL;
	}
	return ret;
}

int agent_request_once(int fd, uint16_t type, const char *json, int timeout_ms, const char *what,
		       char **payload, struct husk_error **err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : husk_now_ms() + timeout_ms;
	int ret;

	*payload = NULL;
	ret = agent_request_send(fd, type, json, timeout_ms, what, err);
	if (ret)
		return ret;
	return agent_request_reply(fd, deadline < 0 ? -1 : (int)husk_ms_left(deadline), what,
				   payload, err);
}

static void agent_stdio_bind_what(char *what, size_t len, const char *id, const char *exec_id,
				  const char *stream)
{
	snprintf(what, len, "STDIO_BIND %s of %s/%s", stream, id, exec_id ? exec_id : "init");
}

int agent_stdio_bind_send(int fd, const char *id, const char *exec_id, const char *stream,
			  int timeout_ms, struct husk_error **err)
{
	char json[512], what[300];

	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"exec_id\":\"%s\",\"stream\":\"%s\"}", id,
		 exec_id ? exec_id : "", stream);
	agent_stdio_bind_what(what, sizeof(what), id, exec_id, stream);
	return agent_request_send(fd, HUSK_MSG_STDIO_BIND, json, timeout_ms, what, err);
}

int agent_stdio_bind_reply(int fd, const char *id, const char *exec_id, const char *stream,
			   int timeout_ms, struct husk_error **err)
{
	char what[300], *payload;
	int ret;

	agent_stdio_bind_what(what, sizeof(what), id, exec_id, stream);
	ret = agent_request_reply(fd, timeout_ms, what, &payload, err);
	free(payload);
	return ret;
}

int agent_stdio_bind(int fd, const char *id, const char *exec_id, const char *stream,
		     int timeout_ms, struct husk_error **err)
{
	int ret = agent_stdio_bind_send(fd, id, exec_id, stream, timeout_ms, err);

	return ret ? ret : agent_stdio_bind_reply(fd, id, exec_id, stream, timeout_ms, err);
}

int agent_port_connect(int fd, unsigned int port, int timeout_ms, struct husk_error **err)
{
	char json[32], what[32], *payload;
	int ret;

	snprintf(json, sizeof(json), "{\"port\":%u}", port);
	snprintf(what, sizeof(what), "PORT_CONNECT %u", port);
	ret = agent_request_once(fd, HUSK_MSG_PORT_CONNECT, json, timeout_ms, what, &payload, err);
	free(payload);
	return ret;
}
