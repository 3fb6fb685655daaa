// SPDX-License-Identifier: Apache-2.0
/*
 * wire.c - vhost-user message encoding and strict reply validation
 * (see wire.h). Payloads are copied field by field with memcpy: the
 * buffers are byte arrays and the wire has no alignment guarantees.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vhost/wire.h"

void vhost_user_msg_init(struct vhost_user_msg *m, uint32_t request, uint32_t flags)
{
	m->request = request;
	m->flags = VHOST_USER_VERSION | flags;
	m->size = 0;
}

static void vhost_user_put(struct vhost_user_msg *m, uint32_t off, const void *v, size_t len)
{
	memcpy(m->payload + off, v, len);
	if (off + len > m->size)
		m->size = (uint32_t)(off + len);
}

void vhost_user_put_u64(struct vhost_user_msg *m, uint64_t v)
{
	m->size = 0;
	vhost_user_put(m, 0, &v, 8);
}

void vhost_user_put_state(struct vhost_user_msg *m, uint32_t index, uint32_t num)
{
	m->size = 0;
	vhost_user_put(m, 0, &index, 4);
	vhost_user_put(m, 4, &num, 4);
}

void vhost_user_put_addr(struct vhost_user_msg *m, const struct vhost_user_vring_addr *a)
{
	m->size = 0;
	vhost_user_put(m, 0, &a->index, 4);
	vhost_user_put(m, 4, &a->flags, 4);
	vhost_user_put(m, 8, &a->desc, 8);
	vhost_user_put(m, 16, &a->used, 8);
	vhost_user_put(m, 24, &a->avail, 8);
	vhost_user_put(m, 32, &a->log, 8);
}

int vhost_user_put_mem(struct vhost_user_msg *m, const struct vhost_user_region *r, unsigned int n)
{
	uint32_t nr = n, pad = 0, off = 8;
	unsigned int i;

	if (n == 0)
		return -EINVAL;
	if (n > VHOST_USER_MAX_REGIONS)
		return -E2BIG;
	m->size = 0;
	vhost_user_put(m, 0, &nr, 4);
	vhost_user_put(m, 4, &pad, 4);
	for (i = 0; i < n; i++, off += VHOST_USER_REGION_SIZE) {
		vhost_user_put(m, off, &r[i].gpa, 8);
		vhost_user_put(m, off + 8, &r[i].size, 8);
		vhost_user_put(m, off + 16, &r[i].hva, 8);
		vhost_user_put(m, off + 24, &r[i].mmap_offset, 8);
	}
	return 0;
}

size_t vhost_user_msg_len(const struct vhost_user_msg *m)
{
	return VHOST_USER_HDR_SIZE + m->size;
}

static int vhost_user_bad(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record why a reply was refused; returns -EPROTO. */
static int vhost_user_bad(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

int vhost_user_check_reply_hdr(const void *hdr, uint32_t request, uint32_t size, char *why,
			       size_t why_len)
{
	uint32_t f[3];

	memcpy(f, hdr, sizeof(f));
	if (f[1] != VHOST_USER_REPLY_FLAGS)
		return vhost_user_bad(why, why_len, "reply flags 0x%x, want 0x%x", f[1],
				      VHOST_USER_REPLY_FLAGS);
	if (f[0] != request)
		return vhost_user_bad(why, why_len, "reply to request %u, want %u", f[0], request);
	if (f[2] != size)
		return vhost_user_bad(why, why_len, "reply payload of %u bytes, want %u", f[2],
				      size);
	return 0;
}

/* The whole reply: header valid and exactly header + @size bytes long. */
static int vhost_user_check_reply(const void *buf, size_t len, uint32_t request, uint32_t size,
				  char *why, size_t why_len)
{
	if (len < VHOST_USER_HDR_SIZE)
		return vhost_user_bad(why, why_len,
				      "reply of %zu bytes, shorter than the %u-byte header", len,
				      VHOST_USER_HDR_SIZE);
	if (vhost_user_check_reply_hdr(buf, request, size, why, why_len) < 0)
		return -EPROTO;
	if (len != VHOST_USER_HDR_SIZE + size)
		return vhost_user_bad(why, why_len, "reply of %zu bytes, want %u", len,
				      VHOST_USER_HDR_SIZE + size);
	return 0;
}

int vhost_user_parse_u64(const void *buf, size_t len, uint32_t request, uint64_t *v, char *why,
			 size_t why_len)
{
	if (vhost_user_check_reply(buf, len, request, 8, why, why_len) < 0)
		return -EPROTO;
	memcpy(v, (const uint8_t *)buf + VHOST_USER_HDR_SIZE, 8);
	return 0;
}

int vhost_user_parse_state(const void *buf, size_t len, uint32_t request, uint32_t *index,
			   uint32_t *num, char *why, size_t why_len)
{
	const uint8_t *p = (const uint8_t *)buf + VHOST_USER_HDR_SIZE;

	if (vhost_user_check_reply(buf, len, request, 8, why, why_len) < 0)
		return -EPROTO;
	memcpy(index, p, 4);
	memcpy(num, p + 4, 4);
	return 0;
}

const char *vhost_user_req_name(uint32_t request)
{
	switch (request) {
	case VHOST_USER_GET_FEATURES:
		return "GET_FEATURES";
	case VHOST_USER_SET_FEATURES:
		return "SET_FEATURES";
	case VHOST_USER_SET_OWNER:
		return "SET_OWNER";
	case VHOST_USER_SET_MEM_TABLE:
		return "SET_MEM_TABLE";
	case VHOST_USER_SET_VRING_NUM:
		return "SET_VRING_NUM";
	case VHOST_USER_SET_VRING_ADDR:
		return "SET_VRING_ADDR";
	case VHOST_USER_SET_VRING_BASE:
		return "SET_VRING_BASE";
	case VHOST_USER_GET_VRING_BASE:
		return "GET_VRING_BASE";
	case VHOST_USER_SET_VRING_KICK:
		return "SET_VRING_KICK";
	case VHOST_USER_SET_VRING_CALL:
		return "SET_VRING_CALL";
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		return "GET_PROTOCOL_FEATURES";
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		return "SET_PROTOCOL_FEATURES";
	case VHOST_USER_GET_QUEUE_NUM:
		return "GET_QUEUE_NUM";
	case VHOST_USER_SET_VRING_ENABLE:
		return "SET_VRING_ENABLE";
	}
	return "unknown request";
}
