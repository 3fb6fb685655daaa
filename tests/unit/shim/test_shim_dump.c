// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_dump.c - shim/base/dump_lines.c: the lines of the SIGUSR1
 * dump, byte for byte: ages, ttrpc requests, agent requests with and
 * without a deadline or a container, each vCPU state with its exit, vsock
 * connections with their credit, queues' indices and stdio relays.
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

START_TEST(vsock_lines)
{
	struct husk_vsock_conn_status st = {
		.struct_size = sizeof(st),
		.host_port = 1073741824,
		.guest_port = 1024,
		.state = HUSK_VSOCK_ESTABLISHED,
		.flags = HUSK_VSOCK_READABLE | HUSK_VSOCK_WAITING_RX,
		.pending = 1u << 3,
		.from_guest = 1048576,
		.fwd_cnt = 786432,
		.fwd_cnt_sent = 786432,
		.queued = 262144,
		.buf_alloc = 262144,
		.to_guest = 100,
		.guest_buf_alloc = 262144,
		.guest_fwd_cnt = 100,
		.guest_credit = 262144,
	};
	char b[DUMP_LINE_MAX];

	dump_vsock_line(b, sizeof(b), &st);
	ck_assert_str_eq(b, "dump: vsock 1073741824->1024 established, flags readable,waiting-rx, "
			    "shut guest 0 host 0: guest->host 1048576 B (to the host socket "
			    "786432, told 786432, queued 262144 of 262144: guest sees 0 free); "
			    "host->guest 100 B (guest credit 262144 = buf 262144, fwd 100); "
			    "owed: credit");
	/* Counters wrap mod 2^32: the room the guest sees still comes out right. */
	st = (struct husk_vsock_conn_status){ .struct_size = sizeof(st),
					      .host_port = 2000,
					      .guest_port = 50000,
					      .state = HUSK_VSOCK_DYING,
					      .flags = HUSK_VSOCK_FROM_GUEST | HUSK_VSOCK_HOST_HUP,
					      .pending = (1u << 4) | (1u << 2),
					      .guest_shut = 3,
					      .host_shut = 3,
					      .from_guest = 4096,
					      .fwd_cnt = 4096,
					      .fwd_cnt_sent = 0xfffff000u,
					      .buf_alloc = 65536 };
	dump_vsock_line(b, sizeof(b), &st);
	ck_assert_str_eq(b, "dump: vsock 2000->50000 dying, flags host-hup,from-guest, shut guest "
			    "3 host 3: guest->host 4096 B (to the host socket 4096, told "
			    "4294963200, queued 0 of 65536: guest sees 57344 free); host->guest 0 "
			    "B (guest credit 0 = buf 0, fwd 0); owed: shutdown,rst");
	st.flags = 0;
	st.pending = 0;
	st.state = 9;
	dump_vsock_line(b, sizeof(b), &st);
	ck_assert_ptr_nonnull(strstr(b, " unknown, flags none,"));
	ck_assert_ptr_nonnull(strstr(b, "owed: none"));
}
END_TEST

START_TEST(queue_lines)
{
	struct husk_queue_status st = { .struct_size = sizeof(st),
					.active = 1,
					.size = 256,
					.event_idx = 1,
					.avail_idx = 5120,
					.used_idx = 5118,
					.last_avail = 5120,
					.used_event = 5117,
					.avail_event = 5120,
					.kicks = 2200 };
	char b[DUMP_LINE_MAX];

	dump_queue_line(b, sizeof(b), "vsock", 1, &st);
	ck_assert_str_eq(b, "dump: queue vsock.1: avail 5120 used 5118 next 5120 (event_idx: "
			    "used_event 5117, avail_event 5120), 2200 kicks");
	st.external = 1;
	st.kicks = 0;
	dump_queue_line(b, sizeof(b), "fs0", 1, &st);
	ck_assert_str_eq(b, "dump: queue fs0.1: avail 5120 used 5118 (vhost-user) (event_idx: "
			    "used_event 5117, avail_event 5120)");
	st = (struct husk_queue_status){ .struct_size = sizeof(st),
					 .active = 1,
					 .avail_idx = 3,
					 .used_idx = 3,
					 .last_avail = 3,
					 .used_flags = 1 };
	dump_queue_line(b, sizeof(b), "blk0", 0, &st);
	ck_assert_str_eq(b, "dump: queue blk0.0: avail 3 used 3 next 3 (flags: avail 0x0, used "
			    "0x1), 0 kicks");
	st.active = 0;
	dump_queue_line(b, sizeof(b), "fs0", 0, &st);
	ck_assert_str_eq(b, "dump: queue fs0.0: not active");
}
END_TEST

START_TEST(stream_lines)
{
	char b[DUMP_LINE_MAX];

	dump_stream_line(b, sizeof(b), "c1", "stdout", 1048576, 1015808, "writing", 12000);
	ck_assert_str_eq(b, "dump: stdio c1 stdout: 1048576 B read, 1015808 B written, writing "
			    "for 12.0 s");
	dump_stream_line(b, sizeof(b), "c1 exec e2", "stdin", 0, 0, "waiting", 50);
	ck_assert_str_eq(b, "dump: stdio c1 exec e2 stdin: 0 B read, 0 B written, waiting for "
			    "0.0 s");
}
END_TEST

/* husk-init's side: what each state means for the stream's direction. */
START_TEST(relay_lines)
{
	struct amsg_relay_stream st = { .pid = 42,
					.stream = 1,
					.moved = 1048576,
					.buffered = 16384,
					.idle_ms = 1234,
					.state = AMSG_RELAY_WAIT_DST };
	char b[DUMP_LINE_MAX];

	snprintf(st.id, sizeof(st.id), "c1");
	snprintf(st.exec_id, sizeof(st.exec_id), "e1");
	dump_relay_line(b, sizeof(b), &st);
	ck_assert_str_eq(b, "dump: husk-init relay: c1 exec e1 pid 42 stdout: moved 1048576 bytes, "
			    "buffered 16384, waiting for vsock credit (the host does not read), "
			    "last progress 1234 ms ago");
	st.exec_id[0] = '\0';
	st.stream = 0;
	st.buffered = 0;
	st.eof = true;
	dump_relay_line(b, sizeof(b), &st);
	ck_assert_str_eq(b, "dump: husk-init relay: c1 pid 42 stdin: moved 1048576 bytes, buffered "
			    "0, waiting for the process to read its stdin, source at EOF, last "
			    "progress 1234 ms ago");
	st.state = AMSG_RELAY_CLOSED;
	dump_relay_line(b, sizeof(b), &st);
	ck_assert_str_eq(b, "dump: husk-init relay: c1 pid 42 stdin: moved 1048576 bytes, buffered "
			    "0, closed, last progress 1234 ms ago");
	dump_relay_timeout_line(b, sizeof(b));
	ck_assert_str_eq(b, "dump: husk-init relay: husk-init did not answer the relay query "
			    "within 2 s: its control channel is blocked or the guest is stuck");
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
	tcase_add_test(tc, vsock_lines);
	tcase_add_test(tc, queue_lines);
	tcase_add_test(tc, stream_lines);
	tcase_add_test(tc, lines_fit_their_buffer);
	tcase_add_test(tc, relay_lines);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
