// SPDX-License-Identifier: Apache-2.0
/*
 * test_vhost_front.c - the vhost-user front end (vmm/vhost/conn.c and
 * front.c) against a fake backend thread on a socketpair
 * (tests/lib/fake_vhost.c) that records what it receives:
 *   - the handshake sequence and its flags, with and without protocol
 *     features; a backend lacking VERSION_1 or queues is refused;
 *   - the activation sequence with its payloads (memory regions, ring
 *     addresses) and the fds that arrive (the memfd, kick and call
 *     eventfds, proven to be the same objects), then stop and restart;
 *   - backends that answer with wrong flags, another request, a truncated
 *     reply, an oversized size field, never, or hang up, or that stop
 *     reading: each a clear error, no crash, no hang, and the connection
 *     refuses further use;
 *   - a dead backend gives EPIPE, never SIGPIPE.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/fake_vhost.h"
#include "tests/lib/unit.h"
#include "vmm/vhost/front.h"

#define V1    (1ULL << 32)
#define PROTO (1ULL << 30)

struct rig {
	struct fake_vhost fv;
	struct vhost_front f;
	struct husk_error *err;
};

static void rig_up(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	/* A dead peer must give EPIPE: with SIGPIPE at its default this test would die. */
	signal(SIGPIPE, SIG_DFL);
	fake_vhost_init(&r->fv);
}

static void rig_open(struct rig *r, int timeout_ms)
{
	fake_vhost_start(&r->fv);
	ck_assert_int_eq(vhost_conn_open(&r->f.conn, "fs0", NULL, r->fv.peer, timeout_ms, &r->err),
			 0);
}

static void rig_down(struct rig *r)
{
	vhost_conn_close(&r->f.conn);
	fake_vhost_fini(&r->fv);
	husk_error_free(r->err);
}

static void expect_msg(struct rig *r, unsigned int i, uint32_t req, uint32_t flags, uint32_t size)
{
	const struct fake_vhost_msg *m;

	ck_assert_msg(fake_vhost_wait(&r->fv, i + 1, 2000), "message %u never came", i);
	m = fake_vhost_msg(&r->fv, i);
	ck_assert_msg(m->m.request == req, "message %u is %s, want %s", i,
		      vhost_user_req_name(m->m.request), vhost_user_req_name(req));
	ck_assert_uint_eq(m->m.flags, flags);
	ck_assert_uint_eq(m->m.size, size);
}

START_TEST(handshake_with_protocol_features)
{
	struct rig r;

	rig_up(&r);
	rig_open(&r, 0);
	ck_assert_msg(vhost_front_handshake(&r.f, 2, &r.err) == 0, "%s", husk_error_message(r.err));
	expect_msg(&r, 0, VHOST_USER_GET_FEATURES, 0x1, 0);
	expect_msg(&r, 1, VHOST_USER_GET_PROTOCOL_FEATURES, 0x1, 0);
	/* No NEED_REPLY yet: REPLY_ACK is not in force before this is read. */
	expect_msg(&r, 2, VHOST_USER_SET_PROTOCOL_FEATURES, 0x1, 8);
	ck_assert_uint_eq(fake_vhost_u64(fake_vhost_msg(&r.fv, 2)), 0x9); /* REPLY_ACK | MQ */
	expect_msg(&r, 3, VHOST_USER_GET_QUEUE_NUM, 0x1, 0);
	expect_msg(&r, 4, VHOST_USER_SET_OWNER, 0x9, 0);
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 5);
	ck_assert_uint_eq(r.f.features, FAKE_VHOST_FEATURES);
	ck_assert(r.f.has_protocol);
	ck_assert(r.f.conn.reply_ack);
	rig_down(&r);
}
END_TEST

START_TEST(handshake_plain_backend)
{
	struct rig r;

	rig_up(&r);
	r.fv.features = V1;
	rig_open(&r, 0);
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), 0);
	expect_msg(&r, 0, VHOST_USER_GET_FEATURES, 0x1, 0);
	expect_msg(&r, 1, VHOST_USER_SET_OWNER, 0x1, 0); /* no REPLY_ACK */
	ck_assert(!r.f.has_protocol);
	rig_down(&r);
}
END_TEST

START_TEST(handshake_refuses_missing_features)
{
	struct rig r;

	rig_up(&r);
	r.fv.features = PROTO;
	rig_open(&r, 0);
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), -EPROTO);
	ck_assert_msg(strstr(husk_error_message(r.err), "lacks VIRTIO_F_VERSION_1"), "%s",
		      husk_error_message(r.err));
	rig_down(&r);

	rig_up(&r);
	r.fv.queue_num = 1;
	rig_open(&r, 0);
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), -EPROTO);
	ck_assert_str_eq(husk_error_message(r.err),
			 "vhost-user fs0: GET_QUEUE_NUM: the backend "
			 "has 1 queues, the device needs 2: Protocol error");
	rig_down(&r);
}
END_TEST

/* Two eventfds are the same object when a write to one is read from the other. */
static void expect_same_eventfd(int mine, int got)
{
	uint64_t v = 0;

	ck_assert_int_eq(eventfd_write(got, 3), 0);
	ck_assert_int_eq(eventfd_read(mine, &v), 0);
	ck_assert_uint_eq(v, 3);
}

static void expect_same_file(int a, int b)
{
	struct stat sa, sb;

	ck_assert_int_eq(fstat(a, &sa), 0);
	ck_assert_int_eq(fstat(b, &sb), 0);
	ck_assert_uint_eq(sa.st_ino, sb.st_ino);
	ck_assert_uint_eq(sa.st_dev, sb.st_dev);
}

struct ring_fds {
	int memfd, kick[2], call;
};

static void ring_fds_open(struct ring_fds *fds)
{
	fds->memfd = memfd_create("t", MFD_CLOEXEC);
	fds->kick[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds->kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert(fds->memfd >= 0 && fds->kick[0] >= 0 && fds->kick[1] >= 0 && fds->call >= 0);
}

static void ring_fds_close(struct ring_fds *fds)
{
	close(fds->memfd);
	close(fds->kick[0]);
	close(fds->kick[1]);
	close(fds->call);
}

static int start(struct rig *r, const struct ring_fds *fds)
{
	struct vhost_front_mem mem = {
		.nr = 2,
		.regions = { { 0, 0xc0000000, 0x7f0000000000, 0 },
			     { 0x100000000, 0x1000000, 0x7f00c0000000, 0xc0000000 } },
		.fds = { fds->memfd, fds->memfd },
	};
	struct vhost_front_ring rings[2] = {
		{ 0, 1024, 0, 0x7f0000010000, 0x7f0000014800, 0x7f0000014000, fds->kick[0],
		  fds->call },
		{ 1, 1024, 0, 0x7f0000020000, 0x7f0000024800, 0x7f0000024000, fds->kick[1],
		  fds->call },
	};

	return vhost_front_start(&r->f, V1 | (1ULL << 29), &mem, rings, 2, &r->err);
}

/* The per-ring block of the activation sequence, from message @i on. */
static void expect_ring(struct rig *r, unsigned int i, uint32_t ring, const struct ring_fds *fds)
{
	const struct fake_vhost_msg *m;
	uint32_t idx, num;
	uint64_t v;

	expect_msg(r, i, VHOST_USER_SET_VRING_NUM, 0x9, 8);
	fake_vhost_state(fake_vhost_msg(&r->fv, i), &idx, &num);
	ck_assert_uint_eq(idx, ring);
	ck_assert_uint_eq(num, 1024);
	expect_msg(r, i + 1, VHOST_USER_SET_VRING_BASE, 0x9, 8);
	fake_vhost_state(fake_vhost_msg(&r->fv, i + 1), &idx, &num);
	ck_assert_uint_eq(num, 0);
	expect_msg(r, i + 2, VHOST_USER_SET_VRING_ADDR, 0x9, 40);
	m = fake_vhost_msg(&r->fv, i + 2);
	memcpy(&v, m->m.payload + 8, 8); /* desc */
	ck_assert_uint_eq(v, 0x7f0000010000 + ring * 0x10000ULL);
	memcpy(&v, m->m.payload + 16, 8); /* used comes before avail on the wire */
	ck_assert_uint_eq(v, 0x7f0000014800 + ring * 0x10000ULL);
	memcpy(&v, m->m.payload + 24, 8);
	ck_assert_uint_eq(v, 0x7f0000014000 + ring * 0x10000ULL);
	expect_msg(r, i + 3, VHOST_USER_SET_VRING_KICK, 0x9, 8);
	m = fake_vhost_msg(&r->fv, i + 3);
	ck_assert_uint_eq(fake_vhost_u64(m), ring);
	ck_assert_uint_eq(m->nr_fds, 1);
	expect_same_eventfd(fds->kick[ring], m->fds[0]);
	expect_msg(r, i + 4, VHOST_USER_SET_VRING_CALL, 0x9, 8);
	m = fake_vhost_msg(&r->fv, i + 4);
	ck_assert_uint_eq(fake_vhost_u64(m), ring);
	ck_assert_uint_eq(m->nr_fds, 1);
	expect_same_eventfd(fds->call, m->fds[0]);
}

static void expect_mem_table(struct rig *r, unsigned int i, const struct ring_fds *fds)
{
	const struct fake_vhost_msg *m;
	uint64_t v;
	uint32_t n;

	expect_msg(r, i, VHOST_USER_SET_MEM_TABLE, 0x9, 8 + 2 * 32);
	m = fake_vhost_msg(&r->fv, i);
	memcpy(&n, m->m.payload, 4);
	ck_assert_uint_eq(n, 2);
	memcpy(&v, m->m.payload + 8 + 32, 8); /* region 1 gpa */
	ck_assert_uint_eq(v, 0x100000000);
	memcpy(&v, m->m.payload + 8 + 32 + 16, 8); /* hva */
	ck_assert_uint_eq(v, 0x7f00c0000000);
	memcpy(&v, m->m.payload + 8 + 32 + 24, 8); /* mmap_offset */
	ck_assert_uint_eq(v, 0xc0000000);
	ck_assert_uint_eq(m->nr_fds, 2);
	expect_same_file(fds->memfd, m->fds[0]);
	expect_same_file(fds->memfd, m->fds[1]);
}

START_TEST(start_stop_restart)
{
	struct ring_fds fds;
	struct rig r;
	uint32_t idx, num;
	uint16_t base = 0;
	unsigned int i;

	rig_up(&r);
	rig_open(&r, 0);
	ring_fds_open(&fds);
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), 0);
	ck_assert_msg(start(&r, &fds) == 0, "%s", husk_error_message(r.err));
	expect_msg(&r, 5, VHOST_USER_SET_FEATURES, 0x9, 8);
	ck_assert_uint_eq(fake_vhost_u64(fake_vhost_msg(&r.fv, 5)), V1 | (1ULL << 29) | PROTO);
	expect_mem_table(&r, 6, &fds);
	expect_ring(&r, 7, 0, &fds);
	expect_ring(&r, 12, 1, &fds);
	for (i = 0; i < 2; i++) {
		expect_msg(&r, 17 + i, VHOST_USER_SET_VRING_ENABLE, 0x9, 8);
		fake_vhost_state(fake_vhost_msg(&r.fv, 17 + i), &idx, &num);
		ck_assert_uint_eq(idx, i);
		ck_assert_uint_eq(num, 1);
	}
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 19);
	/* Guest reset: disable, then fetch the base, which stops the ring. */
	ck_assert_int_eq(vhost_front_stop(&r.f, 1, &base, &r.err), 0);
	ck_assert_uint_eq(base, FAKE_VHOST_VRING_BASE);
	expect_msg(&r, 19, VHOST_USER_SET_VRING_ENABLE, 0x9, 8);
	fake_vhost_state(fake_vhost_msg(&r.fv, 19), &idx, &num);
	ck_assert_uint_eq(idx, 1);
	ck_assert_uint_eq(num, 0);
	expect_msg(&r, 20, VHOST_USER_GET_VRING_BASE, 0x1, 8);
	/* The next DRIVER_OK starts again on the same connection. */
	ck_assert_int_eq(start(&r, &fds), 0);
	expect_msg(&r, 21, VHOST_USER_SET_FEATURES, 0x9, 8);
	expect_mem_table(&r, 22, &fds);
	expect_ring(&r, 23, 0, &fds);
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 35);
	ring_fds_close(&fds);
	rig_down(&r);
}
END_TEST

/* Without REPLY_ACK, a GET_FEATURES after the enables is the barrier. */
START_TEST(start_without_reply_ack)
{
	struct ring_fds fds;
	struct rig r;

	rig_up(&r);
	r.fv.protocol = 0;
	rig_open(&r, 0);
	ring_fds_open(&fds);
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), 0);
	ck_assert(!r.f.conn.reply_ack);
	ck_assert_int_eq(start(&r, &fds), 0);
	/* 0-3 GET_FEATURES, GET/SET_PROTOCOL_FEATURES (0 acked), SET_OWNER; 4 SET_FEATURES,
	 * 5 SET_MEM_TABLE, 6-15 the rings, 16-17 the enables, 18 the barrier. */
	expect_msg(&r, 3, VHOST_USER_SET_OWNER, 0x1, 0);
	expect_msg(&r, 4, VHOST_USER_SET_FEATURES, 0x1, 8);
	expect_msg(&r, 17, VHOST_USER_SET_VRING_ENABLE, 0x1, 8);
	expect_msg(&r, 18, VHOST_USER_GET_FEATURES, 0x1, 0);
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 19);
	ring_fds_close(&fds);
	rig_down(&r);
}
END_TEST

struct fault_case {
	uint32_t request;
	enum fake_vhost_fault fault;
	int err;
	const char *msg;
};

static const struct fault_case fault_cases[] = {
	{ VHOST_USER_GET_FEATURES, FAKE_VHOST_BAD_FLAGS, -EPROTO,
	  "vhost-user fs0: GET_FEATURES: reply flags 0x1, want 0x5: Protocol error" },
	{ VHOST_USER_GET_PROTOCOL_FEATURES, FAKE_VHOST_WRONG_REQ, -EPROTO,
	  "vhost-user fs0: GET_PROTOCOL_FEATURES: reply to request 16, want 15: Protocol error" },
	{ VHOST_USER_GET_QUEUE_NUM, FAKE_VHOST_TRUNCATED, -ECONNRESET,
	  "vhost-user fs0: GET_QUEUE_NUM: the backend hung up mid-reply: Connection reset by peer" },
	{ VHOST_USER_GET_FEATURES, FAKE_VHOST_OVERSIZE, -EPROTO,
	  "vhost-user fs0: GET_FEATURES: reply payload of 65536 bytes, want 8: Protocol error" },
	{ VHOST_USER_SET_OWNER, FAKE_VHOST_SILENT, -ETIMEDOUT,
	  "vhost-user fs0: SET_OWNER: no reply within 200 ms: Connection timed out" },
	{ VHOST_USER_GET_PROTOCOL_FEATURES, FAKE_VHOST_CLOSE, -ECONNRESET,
	  "vhost-user fs0: GET_PROTOCOL_FEATURES: the backend closed the connection: "
	  "Connection reset by peer" },
	{ VHOST_USER_SET_OWNER, FAKE_VHOST_REFUSE, -EPROTO,
	  "vhost-user fs0: SET_OWNER: the backend refused it (status 1): Protocol error" },
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Each misbehaviour: its own clear error, within the deadline, and the
 * connection refuses to be used again. */
START_TEST(handshake_faults)
{
	const struct fault_case *fc = &fault_cases[_i];
	struct husk_error *e2 = NULL;
	uint64_t v;
	int64_t t0;
	struct rig r;

	rig_up(&r);
	fake_vhost_fault_on(&r.fv, fc->request, fc->fault);
	rig_open(&r, 200);
	t0 = now_ms();
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), fc->err);
	ck_assert_msg(now_ms() - t0 < 2000, "took %lld ms", (long long)(now_ms() - t0));
	ck_assert_str_eq(husk_error_message(r.err), fc->msg);
	ck_assert(vhost_conn_is_broken(&r.f.conn));
	ck_assert_int_eq(vhost_conn_get_u64(&r.f.conn, VHOST_USER_GET_FEATURES, &v, &e2), -EPIPE);
	ck_assert_str_eq(husk_error_message(e2),
			 "vhost-user fs0: GET_FEATURES: connection already failed: Broken pipe");
	husk_error_free(e2);
	rig_down(&r);
}
END_TEST

/*
 * A backend that stops reading (a stopped virtiofsd) while the rings are
 * set up without REPLY_ACK, so nothing waits for a reply: the unread
 * messages fill the socket, and the SET_* that finds no room fails at the
 * deadline instead of blocking its caller (a vCPU thread, in the VM), and
 * the connection refuses further use.
 */
START_TEST(backend_stops_reading)
{
	static const char tail[] = ": the backend read nothing for 200 ms: Connection timed out";
	struct husk_error *e2 = NULL;
	struct ring_fds fds;
	const char *msg;
	struct rig r;
	uint64_t v;
	int64_t t0;

	rig_up(&r);
	r.fv.protocol = 0;
	fake_vhost_tiny_buffer(&r.fv);
	fake_vhost_fault_on(&r.fv, VHOST_USER_SET_FEATURES, FAKE_VHOST_STALLED);
	rig_open(&r, 200);
	ring_fds_open(&fds);
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), 0);
	t0 = now_ms();
	ck_assert_int_eq(start(&r, &fds), -ETIMEDOUT);
	ck_assert_msg(now_ms() - t0 < 2000, "took %lld ms", (long long)(now_ms() - t0));
	msg = husk_error_message(r.err);
	/* Which SET_* found the buffer full depends on the kernel's accounting. */
	ck_assert_msg(!strncmp(msg, "vhost-user fs0: SET_", 20) && strlen(msg) > strlen(tail) &&
			      !strcmp(msg + strlen(msg) - strlen(tail), tail),
		      "%s", msg);
	ck_assert(vhost_conn_is_broken(&r.f.conn));
	ck_assert_int_eq(vhost_conn_get_u64(&r.f.conn, VHOST_USER_GET_FEATURES, &v, &e2), -EPIPE);
	husk_error_free(e2);
	ring_fds_close(&fds);
	rig_down(&r);
}
END_TEST

/* The backend dies after the handshake: the next message gets EPIPE, no SIGPIPE. */
START_TEST(dead_backend_gives_epipe)
{
	struct ring_fds fds;
	struct rig r;
	int ret;

	rig_up(&r);
	rig_open(&r, 0);
	ring_fds_open(&fds);
	ck_assert_int_eq(vhost_front_handshake(&r.f, 2, &r.err), 0);
	fake_vhost_kill(&r.fv);
	ret = start(&r, &fds);
	ck_assert_msg(ret == -EPIPE || ret == -ECONNRESET, "start: %d", ret);
	ck_assert_msg(!strncmp(husk_error_message(r.err), "vhost-user fs0: SET_FEATURES: ", 30),
		      "%s", husk_error_message(r.err));
	ring_fds_close(&fds);
	rig_down(&r);
}
END_TEST

START_TEST(connect_refused)
{
	struct vhost_conn c;
	struct husk_error *e = NULL;

	ck_assert_int_eq(vhost_conn_open(&c, "fs0", "/nonexistent/husk-vhost.sock", -1, 0, &e),
			 -ENOENT);
	ck_assert_str_eq(husk_error_message(e),
			 "vhost-user fs0: connect "
			 "/nonexistent/husk-vhost.sock: No such file or directory");
	husk_error_free(e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vhost_front");
	TCase *hs = tcase_create("handshake"), *run = tcase_create("rings"),
	      *bad = tcase_create("faults");

	tcase_add_test(hs, handshake_with_protocol_features);
	tcase_add_test(hs, handshake_plain_backend);
	tcase_add_test(hs, handshake_refuses_missing_features);
	tcase_add_test(hs, connect_refused);
	tcase_add_test(run, start_stop_restart);
	tcase_add_test(run, start_without_reply_ack);
	tcase_add_loop_test(bad, handshake_faults, 0,
			    (int)(sizeof(fault_cases) / sizeof(fault_cases[0])));
	tcase_add_test(bad, dead_backend_gives_epipe);
	tcase_add_test(bad, backend_stops_reading);
	suite_add_tcase(s, hs);
	suite_add_tcase(s, run);
	suite_add_tcase(s, bad);
	return s;
}

UNIT_MAIN()
