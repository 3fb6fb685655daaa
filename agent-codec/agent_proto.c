// SPDX-License-Identifier: Apache-2.0
/*
 * agent_proto.c - the frame header of include/husk_agent.h, shared by
 * husk-init, the shim and the test client. Byte-wise little-endian access,
 * so neither alignment nor host byte order matters.
 */
#include <errno.h>

#include "husk_agent.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

void husk_agent_hdr_encode(const struct husk_agent_hdr *h, uint8_t *out)
{
	put32(out, h->magic);
	put16(out + 4, h->version);
	put16(out + 6, h->type);
	put32(out + 8, h->flags);
	put32(out + 12, h->length);
	put32(out + 16, (uint32_t)h->id);
	put32(out + 20, (uint32_t)(h->id >> 32));
}

int husk_agent_hdr_decode(const uint8_t *buf, size_t len, struct husk_agent_hdr *h)
{
	if (len < HUSK_AGENT_HDR_SIZE)
		return -EAGAIN;
	h->magic = get32(buf);
	h->version = get16(buf + 4);
	h->type = get16(buf + 6);
	h->flags = get32(buf + 8);
	h->length = get32(buf + 12);
	h->id = get32(buf + 16) | (uint64_t)get32(buf + 20) << 32;
	if (h->magic != HUSK_AGENT_MAGIC)
		return -EPROTO;
	if (h->length > HUSK_AGENT_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (h->version != HUSK_AGENT_VERSION)
		return -EPROTONOSUPPORT;
	return 0;
}

const char *husk_agent_type_name(unsigned int type)
{
	static const char *const names[] = {
		[HUSK_MSG_HELLO] = "HELLO",
		[HUSK_MSG_CREATE] = "CREATE",
		[HUSK_MSG_START] = "START",
		[HUSK_MSG_EXEC] = "EXEC",
		[HUSK_MSG_SIGNAL] = "SIGNAL",
		[HUSK_MSG_WAIT] = "WAIT",
		[HUSK_MSG_CLOSE_STDIN] = "CLOSE_STDIN",
		[HUSK_MSG_RESIZE_PTY] = "RESIZE_PTY",
		[HUSK_MSG_STATS] = "STATS",
		[HUSK_MSG_PIDS] = "PIDS",
		[HUSK_MSG_PAUSE] = "PAUSE",
		[HUSK_MSG_RESUME] = "RESUME",
		[HUSK_MSG_UPDATE] = "UPDATE",
		[HUSK_MSG_DELETE] = "DELETE",
		[HUSK_MSG_CONFIGURE_NETWORK] = "CONFIGURE_NETWORK",
		[HUSK_MSG_SHUTDOWN] = "SHUTDOWN",
		[HUSK_MSG_STDIO_BIND] = "STDIO_BIND",
		[HUSK_MSG_PORT_CONNECT] = "PORT_CONNECT",
		[HUSK_MSG_RELAY_STATUS] = "RELAY_STATUS",
	};

	switch (type) {
	case HUSK_MSG_OK:
		return "OK";
	case HUSK_MSG_ERROR:
		return "ERROR";
	case HUSK_MSG_EVENT_EXIT:
		return "EXIT";
	case HUSK_MSG_EVENT_OOM:
		return "OOM";
	}
	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}
