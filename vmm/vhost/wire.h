/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire.h - the vhost-user message format (QEMU docs/interop/vhost-user.rst),
 * front-end side: building requests and validating replies. No I/O here,
 * so the reply parser can be fuzzed on its own (tests/fuzz/fuzz_vhost_user.c).
 *
 * A message is a 12-byte header { u32 request; u32 flags; u32 size; } and
 * `size` payload bytes, all in host byte order (the backend runs on this
 * host). File descriptors travel beside it as SCM_RIGHTS.
 *
 * Replies are held to the letter: flags exactly version 1 | REPLY, the
 * request number echoed, and the payload size the request implies. A
 * backend that sends anything else is broken or hostile; the caller then
 * drops the connection rather than trying to resynchronise the stream.
 */
#ifndef HUSK_VMM_VHOST_WIRE_H
#define HUSK_VMM_VHOST_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define VHOST_USER_HDR_SIZE	   12u
#define VHOST_USER_VERSION	   0x1u	     /* flags bits 0-1 */
#define VHOST_USER_F_REPLY	   (1u << 2) /* set by the backend on replies */
#define VHOST_USER_F_NEED_REPLY	   (1u << 3) /* REPLY_ACK: answer with a u64 */
#define VHOST_USER_REPLY_FLAGS	   (VHOST_USER_VERSION | VHOST_USER_F_REPLY)
#define VHOST_USER_MAX_REGIONS	   8u /* SET_MEM_TABLE's fixed limit */
#define VHOST_USER_REGION_SIZE	   32u
#define VHOST_USER_MAX_PAYLOAD	   (8u + VHOST_USER_REGION_SIZE * VHOST_USER_MAX_REGIONS)
#define VHOST_USER_VRING_NOFD	   (1ull << 8) /* vring file u64: no fd (polling) */
#define VHOST_USER_VRING_ADDR_SIZE 40u

/* Virtio feature bit 30: the backend speaks the protocol-feature extension. */
#define VHOST_USER_F_PROTOCOL_FEATURES	30
/* Protocol feature bits the front end may ack. */
#define VHOST_USER_PROTOCOL_F_MQ	0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3

enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
};

/* A whole message; the header fields are laid out exactly as on the wire. */
struct vhost_user_msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes that follow */
	uint8_t payload[VHOST_USER_MAX_PAYLOAD];
};

/* One SET_MEM_TABLE entry; its fd travels in the ancillary data. */
struct vhost_user_region {
	uint64_t gpa;	      /* guest_phys_addr */
	uint64_t size;	      /* memory_size */
	uint64_t hva;	      /* userspace_addr: the front end's mapping */
	uint64_t mmap_offset; /* where the region starts in the fd */
};

/* SET_VRING_ADDR; note the wire order desc, used, avail. */
struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags; /* bit 0 VHOST_VRING_F_LOG: always 0 here */
	uint64_t desc;	/* host virtual addresses, as in the memory table */
	uint64_t used;
	uint64_t avail;
	uint64_t log; /* 0: no dirty logging */
};

/* vhost_user_msg_init - header for @request with @flags (version 1 added), no payload. */
void vhost_user_msg_init(struct vhost_user_msg *m, uint32_t request, uint32_t flags);

/* Payload setters: each sets size. */
void vhost_user_put_u64(struct vhost_user_msg *m, uint64_t v);
void vhost_user_put_state(struct vhost_user_msg *m, uint32_t index, uint32_t num);
void vhost_user_put_addr(struct vhost_user_msg *m, const struct vhost_user_vring_addr *a);
/* 1..VHOST_USER_MAX_REGIONS regions; returns 0 or -E2BIG/-EINVAL. */
int vhost_user_put_mem(struct vhost_user_msg *m, const struct vhost_user_region *r, unsigned int n);

/* vhost_user_msg_len - header plus payload: the bytes to send. */
size_t vhost_user_msg_len(const struct vhost_user_msg *m);

/*
 * vhost_user_check_reply_hdr - the first VHOST_USER_HDR_SIZE bytes at
 * @hdr answer @request with a @size-byte payload. Returns 0, or -EPROTO
 * with the reason written to @why (@why_len bytes, may be 0).
 */
int vhost_user_check_reply_hdr(const void *hdr, uint32_t request, uint32_t size, char *why,
			       size_t why_len);

/*
 * vhost_user_parse_u64 / vhost_user_parse_state - a whole reply of @len
 * bytes to @request carrying a u64, or a vring state { index, num }.
 * Returns 0 with the values filled, or -EPROTO with @why as above.
 */
int vhost_user_parse_u64(const void *buf, size_t len, uint32_t request, uint64_t *v, char *why,
			 size_t why_len);
int vhost_user_parse_state(const void *buf, size_t len, uint32_t request, uint32_t *index,
			   uint32_t *num, char *why, size_t why_len);

/* vhost_user_req_name - "SET_MEM_TABLE", or "request N" for unknown ones (static buffer-free). */
const char *vhost_user_req_name(uint32_t request);

#endif
