// SPDX-License-Identifier: Apache-2.0
/* test_chain.c - vmm/virtio/chain.c cursors over hand-built chains. */
#include <errno.h>
#include <string.h>

#include "tests/lib/unit.h"
#include "vmm/virtio/chain.h"

static uint8_t a[5], b[0], c[7], w1[3], w2[10];
static struct virtq_chain ch;

static void setup(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	for (i = 0; i < sizeof(c); i++)
		c[i] = (uint8_t)(5 + i);
	memset(w1, 0, sizeof(w1));
	memset(w2, 0, sizeof(w2));
	ch = (struct virtq_chain){ .nr_out = 3, .nr_in = 2, .out_len = 12, .in_len = 13 };
	ch.iov[0] = (struct iovec){ a, sizeof(a) };
	ch.iov[1] = (struct iovec){ b, 0 };
	ch.iov[2] = (struct iovec){ c, sizeof(c) };
	ch.iov[3] = (struct iovec){ w1, sizeof(w1) };
	ch.iov[4] = (struct iovec){ w2, sizeof(w2) };
}

START_TEST(read_across_segments)
{
	struct chain_reader r;
	uint8_t buf[12];
	unsigned int i;

	chain_reader_init(&r, &ch);
	ck_assert_int_eq(chain_read(&r, buf, 3), 0);
	ck_assert_int_eq(chain_read(&r, buf + 3, 9), 0);
	for (i = 0; i < 12; i++)
		ck_assert_uint_eq(buf[i], i);
	ck_assert_uint_eq(chain_reader_remaining(&r), 0);
	ck_assert_uint_eq(chain_reader_done(&r), 12);
	ck_assert_int_eq(chain_read(&r, buf, 1), -EMSGSIZE);
}
END_TEST

START_TEST(read_is_all_or_nothing)
{
	struct chain_reader r;
	uint8_t buf[16];

	chain_reader_init(&r, &ch);
	ck_assert_int_eq(chain_read(&r, buf, 13), -EMSGSIZE);
	ck_assert_uint_eq(chain_reader_remaining(&r), 12);
	ck_assert_int_eq(chain_reader_skip(&r, 6), 0);
	ck_assert_int_eq(chain_read(&r, buf, 1), 0);
	ck_assert_uint_eq(buf[0], 6);
	ck_assert_int_eq(chain_reader_skip(&r, 6), -EMSGSIZE);
}
END_TEST

START_TEST(write_and_split_tail)
{
	struct chain_writer w, tail;
	const uint8_t data[12] = "abcdefghijkl";

	chain_writer_init(&w, &ch);
	ck_assert_int_eq(chain_writer_split_tail(&w, 1, &tail), 0);
	ck_assert_uint_eq(chain_writer_remaining(&w), 12);
	ck_assert_int_eq(chain_write(&w, data, 12), 0);
	ck_assert_int_eq(chain_write(&w, data, 1), -EMSGSIZE);
	ck_assert_int_eq(chain_write(&tail, "Z", 1), 0);
	ck_assert_mem_eq(w1, "abc", 3);
	ck_assert_mem_eq(w2, "defghijklZ", 10);
	ck_assert_uint_eq(chain_writer_done(&w), 12);
	ck_assert_int_eq(chain_writer_split_tail(&w, 1, &tail), -EMSGSIZE);
}
END_TEST

START_TEST(export_iovecs)
{
	struct chain_reader r;
	struct iovec iov[4];

	chain_reader_init(&r, &ch);
	ck_assert_int_eq(chain_reader_skip(&r, 2), 0);
	ck_assert_int_eq(chain_reader_export(&r, 6, iov, 1), -E2BIG);
	ck_assert_int_eq(chain_reader_export(&r, 11, iov, 4), -EMSGSIZE);
	ck_assert_int_eq(chain_reader_export(&r, 6, iov, 4), 2); /* empty iovec skipped */
	ck_assert_ptr_eq(iov[0].iov_base, a + 2);
	ck_assert_uint_eq(iov[0].iov_len, 3);
	ck_assert_ptr_eq(iov[1].iov_base, c);
	ck_assert_uint_eq(iov[1].iov_len, 3);
	ck_assert_uint_eq(chain_reader_remaining(&r), 4);
}
END_TEST

START_TEST(empty_chain)
{
	struct virtq_chain e = { 0 };
	struct chain_reader r;
	struct chain_writer w, t;
	struct iovec iov[1];
	uint8_t x;

	chain_reader_init(&r, &e);
	chain_writer_init(&w, &e);
	ck_assert_int_eq(chain_read(&r, &x, 1), -EMSGSIZE);
	ck_assert_int_eq(chain_read(&r, &x, 0), 0);
	ck_assert_int_eq(chain_writer_export(&w, 0, iov, 1), 0);
	ck_assert_int_eq(chain_writer_split_tail(&w, 1, &t), -EMSGSIZE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain");
	TCase *tc = tcase_create("cursors");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, read_across_segments);
	tcase_add_test(tc, read_is_all_or_nothing);
	tcase_add_test(tc, write_and_split_tail);
	tcase_add_test(tc, export_iovecs);
	tcase_add_test(tc, empty_chain);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
