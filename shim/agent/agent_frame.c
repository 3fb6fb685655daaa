// SPDX-License-Identifier: Apache-2.0
/* agent_frame.c - framed messages of the agent protocol on a socket. */
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

int agent_stdio_bind(int fd, const char *id, const char *exec_id, const char *stream,
		     int timeout_ms, struct husk_error **err)
{
	struct husk_agent_hdr h;
	char json[512], *payload;
	int ret;

	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"exec_id\":\"%s\",\"stream\":\"%s\"}", id,
		 exec_id ? exec_id : "", stream);
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

int agent_port_connect(int fd, unsigned int port, int timeout_ms, struct husk_error **err)
{
	struct husk_agent_hdr h;
	char json[32], *payload;
	int ret;

	snprintf(json, sizeof(json), "{\"port\":%u}", port);
	ret = agent_send_frame(fd, HUSK_MSG_PORT_CONNECT, 1, json, strlen(json));
	if (!ret)
		ret = agent_recv_frame(fd, timeout_ms, &h, &payload);
	if (ret)
		return husk_err(err, -ret, "PORT_CONNECT %u", port);
	if (h.type != HUSK_MSG_OK)
		ret = agent_reply_error("PORT_CONNECT", payload, err);
	free(payload);
	return ret;
}
