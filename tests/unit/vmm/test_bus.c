// SPDX-License-Identifier: Apache-2.0
/* test_bus.c - vmm/base/bus.c: registration rules, dispatch by address, misses. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vmm/base/bus.h"
#include "tests/lib/unit.h"

struct rec {
	int calls;
	uint64_t offset;
	uint32_t len;
	bool is_write;
	uint8_t last;
};

static void rec_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct rec *r = opaque;

	r->calls++;
	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	if (is_write)
		r->last = data[0];
	else
		memset(data, 0xab, len);
}

START_TEST(bus_refuses_empty_and_overflow)
{
	struct bus b;
	struct rec r = { 0 };
	struct husk_error *e = NULL;

	bus_init(&b, "mmio");
	ck_assert_int_eq(bus_register(&b, 0x1000, 0, rec_io, &r, "zero", &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(e), "zero"));
	ck_assert_int_eq(bus_register(&b, UINT64_MAX - 0xf, 0x10, rec_io, &r, "wrap", &e), -EINVAL);
	ck_assert_int_eq(bus_register(&b, UINT64_MAX, 2, rec_io, &r, "wrap", &e), -EINVAL);
	ck_assert_int_eq(bus_register(&b, 0x1000, 0x10, NULL, &r, "nofn", &e), -EINVAL);
	ck_assert_int_eq(bus_register(&b, UINT64_MAX - 0x10, 0x10, rec_io, &r, "top", NULL), 0);
	ck_assert_uint_eq(b.nr, 1);
	bus_fini(&b);
	husk_error_free(e);
}
END_TEST

START_TEST(bus_refuses_overlap)
{
	struct bus b;
	struct rec r = { 0 };
	struct husk_error *e = NULL;

	bus_init(&b, "pio");
	ck_assert_int_eq(bus_register(&b, 0x3f8, 8, rec_io, &r, "com1", &e), 0);
	ck_assert_int_eq(bus_register(&b, 0x3f0, 9, rec_io, &r, "left", &e), -EEXIST);
	ck_assert_str_eq(husk_error_message(e),
			 "pio bus: left [0x3f0, +0x9) overlaps com1 at 0x3f8: File exists");
	ck_assert_int_eq(bus_register(&b, 0x3ff, 1, rec_io, &r, "right", &e), -EEXIST);
	ck_assert_int_eq(bus_register(&b, 0x3f9, 2, rec_io, &r, "inside", &e), -EEXIST);
	ck_assert_int_eq(bus_register(&b, 0x3f0, 0x100, rec_io, &r, "around", &e), -EEXIST);
	/* touching is fine */
	ck_assert_int_eq(bus_register(&b, 0x3f0, 8, rec_io, &r, "below", &e), 0);
	ck_assert_int_eq(bus_register(&b, 0x400, 8, rec_io, &r, "above", &e), 0);
	ck_assert_uint_eq(b.nr, 3);
	bus_fini(&b);
	husk_error_free(e);
}
END_TEST

START_TEST(bus_dispatch_by_address)
{
	struct bus b;
	struct rec r[20] = { { 0 } };
	uint8_t data[4] = { 0x5a };
	unsigned int i;

	bus_init(&b, "mmio");
	/* registered out of order, more than the initial capacity */
	for (i = 0; i < 20; i++) {
		uint64_t base = 0xd0000000ULL + ((i * 7) % 20) * 0x1000;

		ck_assert_int_eq(bus_register(&b, base, 0x1000, rec_io, &r[(i * 7) % 20], "slot",
					      NULL),
				 0);
	}
	for (i = 1; i < b.nr; i++)
		ck_assert_uint_lt(b.ranges[i - 1].base, b.ranges[i].base);
	ck_assert_int_eq(bus_dispatch(&b, 0xd0003050, data, 4, true), 0);
	ck_assert_int_eq(r[3].calls, 1);
	ck_assert_uint_eq(r[3].offset, 0x50);
	ck_assert_uint_eq(r[3].len, 4);
	ck_assert(r[3].is_write);
	ck_assert_uint_eq(r[3].last, 0x5a);
	ck_assert_int_eq(bus_dispatch(&b, 0xd0013ffc, data, 4, false), 0);
	ck_assert_int_eq(r[19].calls, 1);
	ck_assert_uint_eq(r[19].offset, 0xffc);
	ck_assert_uint_eq(data[0], 0xab);
	bus_fini(&b);
}
END_TEST

START_TEST(bus_miss)
{
	struct bus b;
	struct rec r = { 0 };
	uint8_t data[8];

	bus_init(&b, "mmio");
	ck_assert_int_eq(bus_dispatch(&b, 0x1000, data, 4, false), -ENOENT); /* empty bus */
	ck_assert_int_eq(bus_register(&b, 0x1000, 0x10, rec_io, &r, "dev", NULL), 0);
	memset(data, 0, sizeof(data));
	ck_assert_int_eq(bus_dispatch(&b, 0xfff, data, 1, false), -ENOENT);
	ck_assert_uint_eq(data[0], 0xff);
	ck_assert_int_eq(bus_dispatch(&b, 0x1010, data, 1, true), -ENOENT);
	/* straddling the end of the range is not the device's access */
	ck_assert_int_eq(bus_dispatch(&b, 0x100e, data, 4, false), -ENOENT);
	ck_assert_int_eq(bus_dispatch(&b, 0xffe, data, 4, false), -ENOENT);
	ck_assert_int_eq(bus_dispatch(&b, 0x1000, data, 0, false), -ENOENT);
	ck_assert_int_eq(bus_dispatch(&b, UINT64_MAX, data, 8, false), -ENOENT);
	ck_assert_int_eq(r.calls, 0);
	ck_assert_int_eq(bus_dispatch(&b, 0x100c, data, 4, false), 0);
	ck_assert_int_eq(r.calls, 1);
	bus_fini(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, bus_refuses_empty_and_overflow);
	tcase_add_test(tc, bus_refuses_overlap);
	tcase_add_test(tc, bus_dispatch_by_address);
	tcase_add_test(tc, bus_miss);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
