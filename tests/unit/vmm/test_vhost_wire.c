// SPDX-License-Identifier: Apache-2.0
/*
 * test_vhost_wire.c - vhost-user message encoding and reply validation
 * (vmm/vhost/wire.c): the exact bytes of every request shape husk sends,
 * every reply shape it accepts, and the malformed replies it must refuse
 * (flags other than exactly version 1 | REPLY, another request number,
 * a payload size other than the expected one, short and long buffers).
 */
#include <errno.h>
#include <string.h>

#include "tests/lib/unit.h"
#include "vmm/vhost/wire.h"

static size_t reply(uint8_t *buf, uint32_t req, uint32_t flags, uint32_t size, const void *payload,
		    size_t plen)
{
	memcpy(buf, &req, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
	memcpy(buf + 12, payload, plen);
	return 12 + plen;
}

START_TEST(encode_header_and_u64)
{
	struct vhost_user_msg m;
	uint8_t want[20] = { 2, 0, 0,	 0,    1,    0,	   0,	 0, 8, 0,
			     0, 0, 0x00, 0x00, 0x00, 0x40, 0x01, 0, 0, 0 };

	vhost_user_msg_init(&m, VHOST_USER_SET_FEATURES, 0);
	ck_assert_uint_eq(vhost_user_msg_len(&m), 12);
	vhost_user_put_u64(&m, 0x140000000ULL);
	ck_assert_uint_eq(vhost_user_msg_len(&m), 20);
	ck_assert_mem_eq(&m, want, sizeof(want));
	vhost_user_msg_init(&m, VHOST_USER_SET_OWNER, VHOST_USER_F_NEED_REPLY);
	ck_assert_uint_eq(m.flags, 0x9);
	ck_assert_uint_eq(m.size, 0);
}
END_TEST

START_TEST(encode_state_and_addr)
{
	struct vhost_user_vring_addr a = {
		.index = 1,
		.desc = 0x1111,
		.used = 0x2222,
		.avail = 0x3333,
	};
	struct vhost_user_msg m;
	uint64_t v;
	uint32_t u;

	vhost_user_msg_init(&m, VHOST_USER_SET_VRING_NUM, 0);
	vhost_user_put_state(&m, 1, 1024);
	ck_assert_uint_eq(m.size, 8);
	memcpy(&u, m.payload, 4);
	ck_assert_uint_eq(u, 1);
	memcpy(&u, m.payload + 4, 4);
	ck_assert_uint_eq(u, 1024);
	vhost_user_msg_init(&m, VHOST_USER_SET_VRING_ADDR, 0);
	vhost_user_put_addr(&m, &a);
	ck_assert_uint_eq(m.size, 40);
	/* desc, used, avail: the wire order, not the ring's. */
	memcpy(&v, m.payload + 8, 8);
	ck_assert_uint_eq(v, 0x1111);
	memcpy(&v, m.payload + 16, 8);
	ck_assert_uint_eq(v, 0x2222);
	memcpy(&v, m.payload + 24, 8);
	ck_assert_uint_eq(v, 0x3333);
	memcpy(&v, m.payload + 32, 8);
	ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(encode_mem_table)
{
	struct vhost_user_region r[VHOST_USER_MAX_REGIONS + 1] = {
		{ 0, 0xc0000000, 0x7f0000000000, 0 },
		{ 0x100000000, 0x40000000, 0x7f00c0000000, 0xc0000000 },
	};
	struct vhost_user_msg m;
	uint64_t v;
	uint32_t n;

	vhost_user_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 0);
	ck_assert_int_eq(vhost_user_put_mem(&m, r, 2), 0);
	ck_assert_uint_eq(m.size, 8 + 2 * 32);
	memcpy(&n, m.payload, 4);
	ck_assert_uint_eq(n, 2);
	memcpy(&v, m.payload + 8 + 32, 8);
	ck_assert_uint_eq(v, 0x100000000);
	memcpy(&v, m.payload + 8 + 32 + 16, 8);
	ck_assert_uint_eq(v, 0x7f00c0000000);
	memcpy(&v, m.payload + 8 + 32 + 24, 8);
	ck_assert_uint_eq(v, 0xc0000000);
	ck_assert_int_eq(vhost_user_put_mem(&m, r, 0), -EINVAL);
	ck_assert_int_eq(vhost_user_put_mem(&m, r, VHOST_USER_MAX_REGIONS + 1), -E2BIG);
	ck_assert_int_eq(vhost_user_put_mem(&m, r, VHOST_USER_MAX_REGIONS), 0);
	ck_assert_uint_eq(vhost_user_msg_len(&m), 12 + 8 + 8 * 32);
}
END_TEST

START_TEST(parse_u64_reply)
{
	uint8_t buf[64];
	uint64_t f = 0x175000000ULL, v = 0;
	char why[96];
	size_t n = reply(buf, VHOST_USER_GET_FEATURES, 0x5, 8, &f, 8);

	ck_assert_int_eq(vhost_user_parse_u64(buf, n, VHOST_USER_GET_FEATURES, &v, why,
					      sizeof(why)),
			 0);
	ck_assert_uint_eq(v, f);
	ck_assert_int_eq(vhost_user_check_reply_hdr(buf, VHOST_USER_GET_FEATURES, 8, NULL, 0), 0);
}
END_TEST

START_TEST(parse_state_reply)
{
	uint32_t st[2] = { 1, 77 }, idx = 9, num = 9;
	uint8_t buf[64];
	size_t n = reply(buf, VHOST_USER_GET_VRING_BASE, 0x5, 8, st, 8);

	ck_assert_int_eq(vhost_user_parse_state(buf, n, VHOST_USER_GET_VRING_BASE, &idx, &num, NULL,
						0),
			 0);
	ck_assert_uint_eq(idx, 1);
	ck_assert_uint_eq(num, 77);
}
END_TEST

/* Flags must be exactly 0x5: version 1 and REPLY, nothing else. */
START_TEST(refuse_flags)
{
	static const uint32_t bad[] = { 0x0, 0x1, 0x4, 0x6, 0x7, 0x9, 0xd, 0x15, 0x80000005 };
	uint64_t v = 0;
	uint8_t buf[64];
	char why[96];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = reply(buf, VHOST_USER_GET_FEATURES, bad[i], 8, &v, 8);
		ck_assert_int_eq(vhost_user_parse_u64(buf, n, VHOST_USER_GET_FEATURES, &v, why,
						      sizeof(why)),
				 -EPROTO);
		ck_assert_msg(strstr(why, "flags"), "reason '%s'", why);
	}
}
END_TEST

START_TEST(refuse_other_request)
{
	uint64_t v = 0;
	uint8_t buf[64];
	char why[96];
	size_t n = reply(buf, VHOST_USER_GET_PROTOCOL_FEATURES, 0x5, 8, &v, 8);

	ck_assert_int_eq(vhost_user_parse_u64(buf, n, VHOST_USER_GET_FEATURES, &v, why,
					      sizeof(why)),
			 -EPROTO);
	ck_assert_str_eq(why, "reply to request 15, want 1");
}
END_TEST

/* The size field must be what the request implies: no less, no more. */
START_TEST(refuse_size_field)
{
	static const uint32_t bad[] = { 0, 4, 7, 9, 16, 40, 0x10000, 0xffffffff };
	uint8_t buf[64] = { 0 };
	uint64_t v;
	uint32_t a, b;
	char why[96];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reply(buf, VHOST_USER_GET_FEATURES, 0x5, bad[i], "", 0);
		ck_assert_int_eq(vhost_user_check_reply_hdr(buf, VHOST_USER_GET_FEATURES, 8, why,
							    sizeof(why)),
				 -EPROTO);
		ck_assert_msg(strstr(why, "payload"), "reason '%s'", why);
		ck_assert_int_eq(vhost_user_parse_u64(buf, 12 + 8, VHOST_USER_GET_FEATURES, &v,
						      NULL, 0),
				 -EPROTO);
		reply(buf, VHOST_USER_GET_VRING_BASE, 0x5, bad[i], "", 0);
		ck_assert_int_eq(vhost_user_parse_state(buf, 12 + 8, VHOST_USER_GET_VRING_BASE, &a,
							&b, NULL, 0),
				 -EPROTO);
	}
}
END_TEST

/* The buffer itself: shorter than a header, header only, short, long. */
START_TEST(refuse_buffer_length)
{
	uint64_t v = 5, out = 0;
	uint8_t buf[64] = { 0 };
	char why[96];
	size_t n = reply(buf, VHOST_USER_GET_QUEUE_NUM, 0x5, 8, &v, 8), len;

	for (len = 0; len < n; len++)
		ck_assert_int_eq(vhost_user_parse_u64(buf, len, VHOST_USER_GET_QUEUE_NUM, &out, why,
						      sizeof(why)),
				 -EPROTO);
	ck_assert_int_eq(vhost_user_parse_u64(buf, n + 1, VHOST_USER_GET_QUEUE_NUM, &out, why,
					      sizeof(why)),
			 -EPROTO);
	ck_assert_str_eq(why, "reply of 21 bytes, want 20");
	ck_assert_int_eq(vhost_user_parse_u64(buf, 5, VHOST_USER_GET_QUEUE_NUM, &out, why,
					      sizeof(why)),
			 -EPROTO);
	ck_assert_str_eq(why, "reply of 5 bytes, shorter than the 12-byte header");
	ck_assert_uint_eq(out, 0); /* nothing written on refusal */
	ck_assert_int_eq(vhost_user_parse_u64(buf, n, VHOST_USER_GET_QUEUE_NUM, &out, why,
					      sizeof(why)),
			 0);
	ck_assert_uint_eq(out, 5);
}
END_TEST

START_TEST(request_names)
{
	ck_assert_str_eq(vhost_user_req_name(VHOST_USER_SET_MEM_TABLE), "SET_MEM_TABLE");
	ck_assert_str_eq(vhost_user_req_name(VHOST_USER_SET_VRING_ENABLE), "SET_VRING_ENABLE");
	ck_assert_str_eq(vhost_user_req_name(999), "unknown request");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vhost_wire");
	TCase *enc = tcase_create("encode"), *dec = tcase_create("replies");

	tcase_add_test(enc, encode_header_and_u64);
	tcase_add_test(enc, encode_state_and_addr);
	tcase_add_test(enc, encode_mem_table);
	tcase_add_test(enc, request_names);
	tcase_add_test(dec, parse_u64_reply);
	tcase_add_test(dec, parse_state_reply);
	tcase_add_test(dec, refuse_flags);
	tcase_add_test(dec, refuse_other_request);
	tcase_add_test(dec, refuse_size_field);
	tcase_add_test(dec, refuse_buffer_length);
	suite_add_tcase(s, enc);
	suite_add_tcase(s, dec);
	return s;
}

UNIT_MAIN()
