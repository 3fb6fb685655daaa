// SPDX-License-Identifier: Apache-2.0
/*
 * t_malformed.c - bad input: every malformed, truncated or oversized
 * message gets an ERROR reply; the connection goes on (the frame was
 * whole) or ends cleanly (framing lost), and husk-init stays up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/agent/suite.h"

static void put_hdr(uint8_t *h, uint32_t magic, uint16_t ver, uint16_t type, uint32_t len)
{
	struct husk_agent_hdr hd = { magic, ver, type, 0, len, 7 };

	husk_agent_hdr_encode(&hd, h);
}

/* Send @bytes; expect an ERROR, then (when @closes) end of file, else a working HELLO. */
static void expect_error(struct suite *s, const char *name, const void *bytes, size_t len,
			 bool half_close, bool closes)
{
	int fd = ac_dial(s->addr);
	struct ac_msg *m, *h = NULL;
	char buf[1];

	if (fd < 0 || agent_write_all(fd, bytes, len) < 0) {
		suite_fail(s, name, "cannot connect or send");
		goto out;
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	m = ac_recv(fd, 10000);
	if (!m || m->hdr.type != HUSK_MSG_ERROR || !ac_str(m, "message")) {
		suite_fail(s, name, "no ERROR reply (%s)", m ? m->payload : "nothing");
	} else if (closes && read(fd, buf, 1) != 0) {
		suite_fail(s, name, "the connection did not end after the error");
	} else if (!closes && (agent_send_frame(fd, HUSK_MSG_HELLO, 9, "{}", 2) < 0 ||
			       !(h = ac_recv(fd, 10000)) || h->hdr.type != HUSK_MSG_OK)) {
		suite_fail(s, name, "the connection did not go on after the error");
	} else {
		suite_pass(s, name);
	}
	ac_msg_free(m);
	ac_msg_free(h);
out:
	if (fd >= 0)
		close(fd);
}

static void frame(struct suite *s, const char *name, uint16_t type, const char *payload)
{
	size_t n = strlen(payload);
	uint8_t *buf = malloc(HUSK_AGENT_HDR_SIZE + n);

	put_hdr(buf, HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION, type, (uint32_t)n);
	memcpy(buf + HUSK_AGENT_HDR_SIZE, payload, n);
	expect_error(s, name, buf, HUSK_AGENT_HDR_SIZE + n, false, false);
	free(buf);
}

static void t_framing(struct suite *s)
{
	uint8_t h[HUSK_AGENT_HDR_SIZE + 10];

	put_hdr(h, 0xdeadbeef, HUSK_AGENT_VERSION, HUSK_MSG_HELLO, 0);
	expect_error(s, "bad-magic", h, HUSK_AGENT_HDR_SIZE, false, true);
	put_hdr(h, HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION, HUSK_MSG_CREATE,
		HUSK_AGENT_MAX_PAYLOAD + 1);
	expect_error(s, "oversized", h, HUSK_AGENT_HDR_SIZE, false, true);
	put_hdr(h, HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION, HUSK_MSG_CREATE, 100);
	memcpy(h + HUSK_AGENT_HDR_SIZE, "{\"id\":\"tr", 10);
	expect_error(s, "truncated-payload", h, sizeof(h), true, true);
	expect_error(s, "truncated-header", h, 10, true, true);
	put_hdr(h, HUSK_AGENT_MAGIC, 99, HUSK_MSG_HELLO, 2);
	memcpy(h + HUSK_AGENT_HDR_SIZE, "{}", 2);
	expect_error(s, "wrong-version", h, HUSK_AGENT_HDR_SIZE + 2, false, false);
}

void tests_malformed(struct suite *s)
{
	char *deep = malloc(20002);
	struct ac *again;

	t_framing(s);
	frame(s, "invalid-json", HUSK_MSG_CREATE, "{\"id\": \"x\", \"spec\": {");
	frame(s, "not-an-object", HUSK_MSG_HELLO, "[1,2,3]");
	frame(s, "unknown-type", 77, "{}");
	frame(s, "reply-type-as-request", HUSK_MSG_OK, "{}");
	memset(deep, '[', 20000);
	deep[20000] = '\0';
	frame(s, "deep-nesting", HUSK_MSG_CREATE, deep);
	free(deep);
	frame(s, "id-with-slash", HUSK_MSG_CREATE,
	      "{\"id\":\"../../etc\",\"spec\":{},\"rootfs\":{\"dir\":\"/\"}}");
	frame(s, "spec-without-process", HUSK_MSG_CREATE,
	      "{\"id\":\"m1\",\"spec\":{},\"rootfs\":{\"dir\":\"/\"}}");
	frame(s, "wrong-field-types", HUSK_MSG_CREATE,
	      "{\"id\":\"m2\",\"spec\":{\"process\":{\"args\":\"sh\"}},\"rootfs\":{\"dir\":\"/\"}}");
	frame(s, "bad-signal", HUSK_MSG_SIGNAL, "{\"id\":\"nope\",\"signal\":999}");
	frame(s, "unknown-container", HUSK_MSG_START, "{\"id\":\"nope\"}");
	frame(s, "bind-unknown-process", HUSK_MSG_STDIO_BIND,
	      "{\"id\":\"nope\",\"stream\":\"stdout\"}");
	frame(s, "rootfs-bad-fstype", HUSK_MSG_CREATE,
	      "{\"id\":\"m3\",\"spec\":{\"process\":{\"args\":[\"sh\"]}},\"rootfs\":{\"lower\":[{\"source\":\"/dev/x\",\"fstype\":\"nfs\"}]}}");
	again = ac_open(s->addr);
	if (!again)
		suite_fail(s, "alive-after-bad-input", "husk-init no longer answers HELLO");
	else
		suite_pass(s, "alive-after-bad-input");
	if (again)
		ac_close(again);
}
