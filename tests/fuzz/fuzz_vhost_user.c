// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_vhost_user.c - the vhost-user reply parser (vmm/vhost/wire.c) on
 * hostile backend bytes. The first input byte picks what the front end
 * was waiting for (a u64 reply to one of the GET_* requests, or the vring
 * state of GET_VRING_BASE); the rest is what the backend sent.
 *
 * Whatever the bytes, the parser must not read past them, and it may only
 * accept a reply that is exactly one well-formed message: flags 0x5, the
 * request echoed, size 8, 20 bytes in all (checked here; abort otherwise).
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/vhost/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t fuzz_requests[] = {
	VHOST_USER_GET_FEATURES,   VHOST_USER_GET_PROTOCOL_FEATURES,
	VHOST_USER_GET_QUEUE_NUM,  VHOST_USER_SET_MEM_TABLE, /* a REPLY_ACK */
	VHOST_USER_GET_VRING_BASE,
};

/* Accepted means: one exact, well-formed message. */
static void fuzz_expect_wellformed(const uint8_t *buf, size_t len, uint32_t req)
{
	uint32_t hdr[3];

	if (len != VHOST_USER_HDR_SIZE + 8)
		abort();
	memcpy(hdr, buf, sizeof(hdr));
	if (hdr[0] != req || hdr[1] != VHOST_USER_REPLY_FLAGS || hdr[2] != 8)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t req, index, num;
	uint8_t *buf;
	uint64_t v;
	char why[96];
	size_t len;

	if (size < 1)
		return 0;
	req = fuzz_requests[data[0] % (sizeof(fuzz_requests) / sizeof(fuzz_requests[0]))];
	/* An exact-size heap copy, so ASan sees any read past the end. */
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	if (len >= VHOST_USER_HDR_SIZE &&
	    vhost_user_check_reply_hdr(buf, req, 8, why, sizeof(why)) == 0 &&
	    len == VHOST_USER_HDR_SIZE + 8 &&
	    vhost_user_parse_u64(buf, len, req, &v, why, sizeof(why)) != 0)
		abort(); /* the two checks must agree */
	if (req == VHOST_USER_GET_VRING_BASE) {
		if (vhost_user_parse_state(buf, len, req, &index, &num, why, sizeof(why)) == 0)
			fuzz_expect_wellformed(buf, len, req);
	} else if (vhost_user_parse_u64(buf, len, req, &v, why, sizeof(why)) == 0) {
		fuzz_expect_wellformed(buf, len, req);
	}
	free(buf);
	return 0;
}
