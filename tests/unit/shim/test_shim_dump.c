// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_dump.c - shim/base/dump_lines.c: the lines of the SIGUSR1
 * dump, byte for byte: ages, ttrpc requests, agent requests with and
 * without a deadline or a container, and each vCPU state with its exit.
 */
#include <string.h>

#include "shim/base/dump_lines.h"
#include "tests/lib/unit.h"

#define S_NS 1000000000ull

START_TEST(ages)
{
	char b[32];

	dump_age(b, sizeof(b), 612345);
	ck_assert_str_eq(b, "612.3 s");
	dump_age(b, sizeof(b), 999);
	ck_assert_str_eq(b, "0.9 s");
	dump_age(b, sizeof(b), 0);
	ck_assert_str_eq(b, "0.0 s");
	dump_age(b, sizeof(b), -5); /* clocks of two threads: never negative */
	ck_assert_str_eq(b, "0.0 s");
}
END_TEST

START_TEST(ttrpc_and_agent_lines)
{
	char b[DUMP_LINE_MAX];

	dump_ttrpc_line(b, sizeof(b), "Pause", 7, 612345);
	ck_assert_str_eq(b, "dump: ttrpc Pause (stream 7) running for 612.3 s");
	dump_agent_line(b, sizeof(b), "PAUSE", "c4", 31050, 30000);
	ck_assert_str_eq(
		b, "dump: agent PAUSE for c4 waiting for husk-init for 31.0 s, deadline 30 s");
	dump_agent_line(b, sizeof(b), "WAIT", "c4 exec e1", 2000, -1);
	ck_assert_str_eq(
		b, "dump: agent WAIT for c4 exec e1 waiting for husk-init for 2.0 s, no deadline");
	dump_agent_line(b, sizeof(b), "SHUTDOWN", "", 100, 10000);
	ck_assert_str_eq(b, "dump: agent SHUTDOWN waiting for husk-init for 0.1 s, deadline 10 s");
}
END_TEST

static struct husk_vcpu_status vst(uint32_t state, int kind, int range, uint64_t since)
{
	struct husk_vcpu_status st = { sizeof(st), state, kind, range, since };

	return st;
}

START_TEST(vcpu_lines)
{
	char b[DUMP_LINE_MAX];
	struct husk_vcpu_status st;
	uint64_t now = 1000 * S_NS;

	st = vst(HUSK_VCPU_PAUSED, HUSK_VMEXIT_INTERRUPTED, -1, now - 3200000000ull);
	dump_vcpu_line(b, sizeof(b), 0, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 0 paused for 3.2 s (last exit: interrupted)");
	st = vst(HUSK_VCPU_IN_EXIT, HUSK_VMEXIT_PIO, HUSK_PIO_COM1, now - 612 * S_NS);
	dump_vcpu_line(b, sizeof(b), 0, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 0 in exit pio com1 0x3f8-0x3ff for 612.0 s");
	st = vst(HUSK_VCPU_IN_EXIT, HUSK_VMEXIT_MMIO, HUSK_MMIO_VIRTIO0 + 2, now - S_NS);
	dump_vcpu_line(b, sizeof(b), 3, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 3 in exit mmio virtio2 0xd0002000 for 1.0 s");
	st = vst(HUSK_VCPU_IN_GUEST, HUSK_VMEXIT_HLT, -1, now - 100000000ull);
	dump_vcpu_line(b, sizeof(b), 1, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 1 in guest for 0.1 s (last exit: hlt)");
	st = vst(HUSK_VCPU_IN_GUEST, -1, -1, now);
	dump_vcpu_line(b, sizeof(b), 1, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 1 in guest for 0.0 s");
	st = vst(HUSK_VCPU_STOPPED, HUSK_VMEXIT_SYSTEM_EVENT, -1, now - 2 * S_NS);
	dump_vcpu_line(b, sizeof(b), 0, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 0 stopped for 2.0 s (last exit: system-event)");
	st = vst(HUSK_VCPU_NOT_STARTED, -1, -1, 0);
	dump_vcpu_line(b, sizeof(b), 2, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 2 not started");
	/* A time read a tick after now (the coarse clock): age 0, not huge. */
	st = vst(HUSK_VCPU_PAUSED, -1, -1, now + 4000000ull);
	dump_vcpu_line(b, sizeof(b), 0, &st, now);
	ck_assert_str_eq(b, "dump: vcpu 0 paused for 0.0 s");
}
END_TEST

/* A small buffer cuts the line, never overruns it. */
START_TEST(lines_fit_their_buffer)
{
	char b[16 + 1];

	b[16] = 'Z';
	dump_ttrpc_line(b, 16, "AVeryLongMethodName", 1, 5);
	ck_assert_uint_eq(strlen(b), 15);
	ck_assert_int_eq(b[16], 'Z');
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_dump");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, ages);
	tcase_add_test(tc, ttrpc_and_agent_lines);
	tcase_add_test(tc, vcpu_lines);
	tcase_add_test(tc, lines_fit_their_buffer);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
