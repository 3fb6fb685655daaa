// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs.c - the virtio-fs device (vmm/virtio/fs/device.c, fallback.c) driven
 * through its MMIO register file by the mock driver (tests/lib/mock_vq.c),
 * with the fake vhost-user backend (tests/lib/fake_vhost.c) behind it and
 * guest RAM in a memfd, as the VM wiring would set it up:
 *   - identity, config space (tag, one request queue), the feature offer
 *     (the backend's ring features only, never bits 26/30), InterruptStatus;
 *   - DRIVER_OK hands the rings to the backend: memory table of guest RAM
 *     with the memfd, ring host addresses, the wired kick/call eventfds;
 *     a trapped QueueNotify signals the kick eventfd; reset stops the
 *     rings and the next DRIVER_OK starts them again;
 *   - a ring outside guest RAM fails the device, nothing is sent;
 *   - the backend dies while the device runs: logged as an error, and
 *     FUSE requests outstanding and new get ENOTCONN through the queues
 *     (kick eventfd or trapped notify); malformed chains fail the device;
 *   - the backend dies before DRIVER_OK, or stops reading at it (the
 *     status write returns at the send deadline); bad parameters are
 *     refused.
 */
#include <errno.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/fake_vhost.h"
#include "tests/lib/log_capture.h"
#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"
#include "vmm/virtio/fs/fs.h"

#define V1    (1ULL << 32)
#define QSIZE 256

struct fsrig {
	struct mock_guest g;
	struct event_loop loop;
	struct fake_vhost fv;
	struct virtio_fs *fs;
	struct virtio_dev *dev;
	struct virtio_mmio mmio;
	struct mock_vq mq[2];
	struct log_capture lc;
	int kick[2], call;
	unsigned int irqs;
};

static void rig_irq(void *opaque, uint32_t cause)
{
	struct fsrig *r = opaque;

	r->irqs++;
}

/* What vm_virtio_devices.c does for a device with external rings. */
static void rig_wire(struct fsrig *r)
{
	struct virtio_irq irq = { rig_irq, r };
	unsigned int i;

	ck_assert(r->dev->external_rings);
	virtio_dev_set_irq(r->dev, &irq);
	for (i = 0; i < 2; i++) {
		r->kick[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		r->dev->ops->set_notify_fds(r->dev, i, r->kick[i], r->call);
	}
	virtio_mmio_init(&r->mmio, r->dev);
	mock_vq_init(&r->mq[0], &r->g.gm, 0, QSIZE);
	mock_vq_init(&r->mq[1], &r->g.gm, 1, QSIZE);
}

static void rig_memfd_guest(struct mock_guest *g)
{
	ck_assert_int_eq(guest_mem_init(&g->gm, MOCK_RAM, GUEST_MEM_MEMFD, NULL), 0);
	g->data_next = MOCK_DATA_BASE;
}

static void rig_init(struct fsrig *r)
{
	memset(r, 0, sizeof(*r));
	signal(SIGPIPE, SIG_DFL);
	rig_memfd_guest(&r->g);
	ck_assert_int_eq(event_loop_init(&r->loop, NULL), 0);
	log_capture_init(&r->lc);
	r->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fake_vhost_init(&r->fv);
}

static int rig_create(struct fsrig *r, struct husk_error **err)
{
	struct virtio_fs_params p = {
		.name = "fs0",
		.tag = "hostshare",
		.socket_fd = r->fv.peer,
		.queue_size = QSIZE,
		.reply_timeout_ms = 1000,
		.loop = &r->loop,
	};

	fake_vhost_start(&r->fv);
	return virtio_fs_create(&r->fs, &p, &r->g.gm, r->lc.sink, err);
}

static void rig_up(struct fsrig *r)
{
	struct husk_error *err = NULL;

	rig_init(r);
	ck_assert_msg(rig_create(r, &err) == 0, "%s", husk_error_message(err));
	r->dev = virtio_fs_dev(r->fs);
	rig_wire(r);
}

static void rig_down(struct fsrig *r)
{
	virtio_fs_destroy(r->fs);
	fake_vhost_fini(&r->fv);
	event_loop_fini(&r->loop);
	close(r->kick[0]);
	close(r->kick[1]);
	close(r->call);
	mock_guest_fini(&r->g);
	log_capture_fini(&r->lc);
}

/* What a driver does before it sets a device up again: fresh, zeroed rings. */
static void fresh_rings(struct fsrig *r)
{
	memset(mock_ptr(&r->g, MOCK_RING_BASE, 2 * MOCK_RING_STRIDE), 0, 2 * MOCK_RING_STRIDE);
	mock_vq_init(&r->mq[0], &r->g.gm, 0, QSIZE);
	mock_vq_init(&r->mq[1], &r->g.gm, 1, QSIZE);
}

static uint32_t bring_up(struct fsrig *r)
{
	return mock_mmio_bring_up(&r->mmio, V1, r->mq, 2);
}

START_TEST(identity_config_features)
{
	struct fsrig r;
	uint8_t cfg[40];
	unsigned int i;
	uint64_t offer;

	rig_up(&r);
	ck_assert_uint_eq(mock_mmio_read(&r.mmio, VIRTIO_MMIO_DEVICE_ID), 26);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offer = mock_mmio_read(&r.mmio, VIRTIO_MMIO_DEVICE_FEATURES);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offer |= (uint64_t)mock_mmio_read(&r.mmio, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	/* virtiofsd offers 24, 26, 28, 29, 30, 32: only 28, 29 and 32 pass. */
	ck_assert_uint_eq(offer, V1 | (1ULL << 28) | (1ULL << 29));
	for (i = 0; i < sizeof(cfg); i++) {
		uint8_t b = 0xee;

		virtio_mmio_io(&r.mmio, VIRTIO_MMIO_CONFIG + i, &b, 1, false);
		cfg[i] = b;
	}
	ck_assert_mem_eq(cfg, "hostshare\0\0\0", 12);
	for (i = 9; i < 36; i++)
		ck_assert_uint_eq(cfg[i], 0);
	ck_assert_uint_eq(mock_mmio_read(&r.mmio, VIRTIO_MMIO_CONFIG + 36), 1);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_SEL, 1);
	ck_assert_uint_eq(mock_mmio_read(&r.mmio, VIRTIO_MMIO_QUEUE_NUM_MAX), QSIZE);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_SEL, 2);
	ck_assert_uint_eq(mock_mmio_read(&r.mmio, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* The backend raises the irqfd without touching isr: USED always reads set. */
	ck_assert_uint_eq(mock_mmio_read(&r.mmio, VIRTIO_MMIO_INTERRUPT_STATUS), 1);
	rig_down(&r);
}
END_TEST

/* A backend without the ring features gets a guest that may not use them. */
START_TEST(offer_follows_backend)
{
	struct husk_error *err = NULL;
	struct fsrig r;

	rig_init(&r);
	r.fv.features = V1 | (1ULL << 30);
	ck_assert_int_eq(rig_create(&r, &err), 0);
	r.dev = virtio_fs_dev(r.fs);
	ck_assert_uint_eq(r.dev->offered, V1);
	rig_wire(&r);
	rig_down(&r);
}
END_TEST

static void expect_same_file(int a, int b)
{
	struct stat sa, sb;

	ck_assert_int_eq(fstat(a, &sa), 0);
	ck_assert_int_eq(fstat(b, &sb), 0);
	ck_assert_uint_eq(sa.st_ino, sb.st_ino);
}

static void expect_same_eventfd(int mine, int got)
{
	uint64_t v = 0;

	ck_assert_int_eq(eventfd_write(got, 5), 0);
	ck_assert_int_eq(eventfd_read(mine, &v), 0);
	ck_assert_uint_eq(v, 5);
}

/* Messages 0-4 are the handshake; activation follows from 5. */
static void expect_activation(struct fsrig *r, unsigned int base)
{
	const struct fake_vhost_msg *m;
	unsigned int q;
	uint64_t v;

	ck_assert(fake_vhost_wait(&r->fv, base + 14, 2000));
	m = fake_vhost_msg(&r->fv, base);
	ck_assert_uint_eq(m->m.request, VHOST_USER_SET_FEATURES);
	ck_assert_uint_eq(fake_vhost_u64(m), V1 | (1ULL << 30));
	m = fake_vhost_msg(&r->fv, base + 1);
	ck_assert_uint_eq(m->m.request, VHOST_USER_SET_MEM_TABLE);
	ck_assert_uint_eq(m->m.size, 8 + 32);
	memcpy(&v, m->m.payload + 8 + 8, 8);
	ck_assert_uint_eq(v, MOCK_RAM);
	memcpy(&v, m->m.payload + 8 + 16, 8);
	ck_assert_uint_eq(v, (uint64_t)(uintptr_t)r->g.gm.regions[0].hva);
	ck_assert_uint_eq(m->nr_fds, 1);
	expect_same_file(r->g.gm.memfd, m->fds[0]);
	for (q = 0; q < 2; q++) {
		unsigned int i = base + 2 + q * 5;

		m = fake_vhost_msg(&r->fv, i + 2);
		ck_assert_uint_eq(m->m.request, VHOST_USER_SET_VRING_ADDR);
		memcpy(&v, m->m.payload + 8, 8);
		ck_assert_ptr_eq((void *)(uintptr_t)v, guest_mem_ptr(&r->g.gm, r->mq[q].desc, 16));
		memcpy(&v, m->m.payload + 16, 8);
		ck_assert_ptr_eq((void *)(uintptr_t)v, guest_mem_ptr(&r->g.gm, r->mq[q].used, 8));
		memcpy(&v, m->m.payload + 24, 8);
		ck_assert_ptr_eq((void *)(uintptr_t)v, guest_mem_ptr(&r->g.gm, r->mq[q].avail, 8));
		m = fake_vhost_msg(&r->fv, i + 3);
		ck_assert_uint_eq(m->m.request, VHOST_USER_SET_VRING_KICK);
		expect_same_eventfd(r->kick[q], m->fds[0]);
		m = fake_vhost_msg(&r->fv, i + 4);
		ck_assert_uint_eq(m->m.request, VHOST_USER_SET_VRING_CALL);
		expect_same_eventfd(r->call, m->fds[0]);
	}
	ck_assert_uint_eq(fake_vhost_msg(&r->fv, base + 12)->m.request,
			  VHOST_USER_SET_VRING_ENABLE);
	ck_assert_uint_eq(fake_vhost_msg(&r->fv, base + 13)->m.request,
			  VHOST_USER_SET_VRING_ENABLE);
}

START_TEST(activate_reset_restart)
{
	struct fsrig r;
	uint64_t v = 0;

	rig_up(&r);
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 5); /* handshake at create */
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	expect_activation(&r, 5);
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 19);
	/* A QueueNotify KVM did not catch still reaches the backend. */
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_int_eq(eventfd_read(r.kick[1], &v), 0);
	ck_assert_uint_eq(v, 1);
	/* Reset: each ring disabled and its base fetched; the socket stays. */
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 23);
	ck_assert_uint_eq(fake_vhost_msg(&r.fv, 19)->m.request, VHOST_USER_SET_VRING_ENABLE);
	ck_assert_uint_eq(fake_vhost_msg(&r.fv, 20)->m.request, VHOST_USER_GET_VRING_BASE);
	ck_assert_uint_eq(fake_vhost_msg(&r.fv, 22)->m.request, VHOST_USER_GET_VRING_BASE);
	ck_assert(!virtio_fs_backend_dead(r.fs));
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	expect_activation(&r, 23);
	ck_assert_uint_eq(r.lc.errors, 0);
	rig_down(&r);
}
END_TEST

START_TEST(ring_outside_ram_fails_device)
{
	struct fsrig r;

	rig_up(&r);
	r.mq[1].used = MOCK_RAM - 16; /* the used ring would run past RAM */
	ck_assert_uint_ne(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(fake_vhost_count(&r.fv), 5); /* nothing after the handshake */
	ck_assert_ptr_null(fake_vhost_find(&r.fv, VHOST_USER_SET_MEM_TABLE, 0));
	rig_down(&r);
}
END_TEST

/* A FUSE request: 40-byte header readable, @out bytes writable. */
static uint16_t post_request(struct fsrig *r, unsigned int q, uint64_t unique, uint32_t in_len,
			     uint32_t out_len)
{
	struct mock_buf b[2];
	struct fuse_in_header h = {
		.len = 40, .opcode = FUSE_GETATTR, .unique = unique, .nodeid = 1
	};
	gpa_t in = mock_alloc(&r->g, in_len);

	memcpy(mock_ptr(&r->g, in, in_len), &h, in_len < sizeof(h) ? in_len : sizeof(h));
	b[0] = (struct mock_buf){ in, in_len, false };
	if (!out_len)
		return mock_vq_add_chain(&r->mq[q], b, 1);
	b[1] = (struct mock_buf){ mock_alloc(&r->g, out_len), out_len, true };
	return mock_vq_add_chain(&r->mq[q], b, 2);
}

/* The used element for @head and the fuse_out_header in its reply buffer. */
static void expect_enotconn(struct fsrig *r, uint16_t head, uint64_t unique)
{
	struct fuse_out_header out;
	uint32_t id, len;
	uint64_t addr;

	ck_assert_msg(mock_vq_get_used(&r->mq[1], &id, &len), "request %u not answered", head);
	ck_assert_uint_eq(id, head);
	ck_assert_uint_eq(len, sizeof(out));
	/* post_request's chains take two consecutive descriptors: the reply is the second. */
	ck_assert_int_eq(guest_mem_read(&r->g.gm, r->mq[1].desc + 16ULL * ((head + 1) % QSIZE),
					&addr, 8),
			 0);
	ck_assert_int_eq(guest_mem_read(&r->g.gm, addr, &out, sizeof(out)), 0);
	ck_assert_uint_eq(out.len, 16);
	ck_assert_int_eq(out.error, -ENOTCONN);
	ck_assert_uint_eq(out.unique, unique);
}

static void run_loop_until_dead(struct fsrig *r)
{
	int i;

	for (i = 0; i < 50 && !virtio_fs_backend_dead(r->fs); i++)
		event_loop_run_once(&r->loop, 100);
	ck_assert_msg(virtio_fs_backend_dead(r->fs), "the hang-up was not noticed");
}

START_TEST(backend_death_gives_enotconn)
{
	struct fsrig r;
	uint16_t h1, h2, h3;
	uint32_t id, len;

	rig_up(&r);
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	/* Outstanding when the backend dies: one request, one FORGET. */
	h1 = post_request(&r, 1, 0x1234, 40, 4096);
	post_request(&r, 0, 0x99, 48, 0);
	fake_vhost_kill(&r.fv);
	run_loop_until_dead(&r);
	ck_assert_uint_eq(r.lc.errors, 1);
	ck_assert_msg(log_capture_has(&r.lc, "0 virtio-fs fs0: the backend closed the connection; "
					     "FUSE requests now fail with ENOTCONN"),
		      "%s", r.lc.text);
	expect_enotconn(&r, h1, 0x1234);
	ck_assert(mock_vq_get_used(&r.mq[0], &id, &len));
	ck_assert_uint_eq(len, 0); /* FORGET: buffers back, no reply */
	ck_assert_uint_gt(r.irqs, 0);
	/* New requests: through the kick eventfd the device now watches... */
	h2 = post_request(&r, 1, 0x5678, 40, 64);
	ck_assert_int_eq(eventfd_write(r.kick[1], 1), 0);
	event_loop_run_once(&r.loop, 1000);
	expect_enotconn(&r, h2, 0x5678);
	/* ...and through a trapped QueueNotify. */
	h3 = post_request(&r, 1, 0x9abc, 40, 16);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	expect_enotconn(&r, h3, 0x9abc);
	ck_assert_uint_eq(mock_mmio_read(&r.mmio, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET,
			  0);
	/* A guest reset and restart keep answering, without a word to the dead backend. */
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_STATUS, 0);
	fresh_rings(&r);
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	h1 = post_request(&r, 1, 0x4242, 40, 32);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	expect_enotconn(&r, h1, 0x4242);
	ck_assert_uint_eq(r.lc.errors, 1);
	rig_down(&r);
}
END_TEST

/* In fallback mode chains are checked like any device's. */
START_TEST(fallback_refuses_malformed_chains)
{
	struct fsrig r;

	rig_up(&r);
	fake_vhost_kill(&r.fv);
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	post_request(&r, 1, 1, 8, 64); /* header cut short */
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_uint_ne(mock_mmio_read(&r.mmio, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET,
			  0);
	ck_assert_msg(log_capture_has(&r.lc, "shorter than a FUSE header"), "%s", r.lc.text);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_STATUS, 0);
	fresh_rings(&r);
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	post_request(&r, 1, 1, 40, 8); /* reply buffer too small */
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_uint_ne(mock_mmio_read(&r.mmio, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET,
			  0);
	rig_down(&r);
}
END_TEST

/* Dead before DRIVER_OK: activation fails to send, the device falls back. */
START_TEST(backend_dead_at_activation)
{
	struct fsrig r;
	uint16_t h;

	rig_up(&r);
	fake_vhost_kill(&r.fv);
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert(virtio_fs_backend_dead(r.fs));
	ck_assert_msg(log_capture_has(&r.lc, "virtio-fs fs0: vhost-user fs0: SET_FEATURES: "), "%s",
		      r.lc.text);
	h = post_request(&r, 1, 77, 40, 16);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	expect_enotconn(&r, h, 77);
	rig_down(&r);
}
END_TEST

/* A backend that stops answering mid-run is declared dead within the timeout. */
START_TEST(backend_silent_at_reset)
{
	struct fsrig r;

	rig_up(&r);
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	fake_vhost_fault_on(&r.fv, VHOST_USER_GET_VRING_BASE, FAKE_VHOST_SILENT);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_STATUS, 0);
	ck_assert(virtio_fs_backend_dead(r.fs));
	ck_assert_msg(log_capture_has(&r.lc, "GET_VRING_BASE: no reply within 1000 ms"), "%s",
		      r.lc.text);
	rig_down(&r);
}
END_TEST

/*
 * A backend that stops reading at DRIVER_OK (a stopped virtiofsd, a full
 * socket): the guest's status write returns once the send deadline
 * passes instead of holding its vCPU, the backend is treated as dead
 * (one error logged, no NEEDS_RESET), and FUSE requests get ENOTCONN.
 */
START_TEST(backend_stops_reading_at_activation)
{
	struct husk_error *err = NULL;
	struct fsrig r;
	uint16_t h;

	rig_init(&r);
	r.fv.protocol = 0; /* no REPLY_ACK: the messages pile up unread */
	fake_vhost_tiny_buffer(&r.fv);
	fake_vhost_fault_on(&r.fv, VHOST_USER_SET_FEATURES, FAKE_VHOST_STALLED);
	ck_assert_msg(rig_create(&r, &err) == 0, "%s", husk_error_message(err));
	r.dev = virtio_fs_dev(r.fs);
	rig_wire(&r);
	ck_assert_uint_eq(bring_up(&r) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert(virtio_fs_backend_dead(r.fs));
	ck_assert_uint_eq(r.lc.errors, 1);
	ck_assert_msg(log_capture_has(&r.lc, "the backend read nothing for 1000 ms: "
					     "Connection timed out; FUSE requests now fail "
					     "with ENOTCONN"),
		      "%s", r.lc.text);
	h = post_request(&r, 1, 78, 40, 16);
	mock_mmio_write(&r.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	expect_enotconn(&r, h, 78);
	rig_down(&r);
}
END_TEST

START_TEST(create_refusals)
{
	struct virtio_fs_params p = {
		.name = "fs0", .tag = "t", .socket_fd = -1, .socket_path = "/nonexistent/sock"
	};
	struct husk_error *err = NULL;
	struct mock_guest anon, g;
	struct virtio_fs *fs;

	rig_memfd_guest(&g);
	p.tag = "";
	ck_assert_int_eq(virtio_fs_create(&fs, &p, &g.gm, NULL, &err), -EINVAL);
	p.tag = "0123456789012345678901234567890123456"; /* 37 bytes */
	ck_assert_int_eq(virtio_fs_create(&fs, &p, &g.gm, NULL, &err), -EINVAL);
	ck_assert_str_eq(husk_error_message(err), "tag must be 1..36 bytes");
	p.tag = "t";
	p.queue_size = 100;
	ck_assert_int_eq(virtio_fs_create(&fs, &p, &g.gm, NULL, &err), -EINVAL);
	p.queue_size = 2048;
	ck_assert_int_eq(virtio_fs_create(&fs, &p, &g.gm, NULL, &err), -EINVAL);
	p.queue_size = 0;
	ck_assert_int_eq(virtio_fs_create(&fs, &p, &g.gm, NULL, &err), -ENOENT);
	ck_assert_str_eq(husk_error_message(err), "vhost-user fs0: connect /nonexistent/sock: "
						  "No such file or directory");
	mock_guest_init(&anon); /* anonymous RAM: nothing to pass */
	ck_assert_int_eq(virtio_fs_create(&fs, &p, &anon.gm, NULL, &err), -EINVAL);
	ck_assert_msg(strstr(husk_error_message(err), "HUSK_VM_MEMFD"), "%s",
		      husk_error_message(err));
	husk_error_free(err);
	mock_guest_fini(&anon);
	mock_guest_fini(&g);
}
END_TEST

START_TEST(create_handshake_failure)
{
	struct husk_error *err = NULL;
	struct fsrig r;

	rig_init(&r);
	fake_vhost_fault_on(&r.fv, VHOST_USER_GET_FEATURES, FAKE_VHOST_CLOSE);
	ck_assert_int_eq(rig_create(&r, &err), -ECONNRESET);
	ck_assert_str_eq(husk_error_message(err),
			 "vhost-user fs0: GET_FEATURES: the backend "
			 "closed the connection: Connection reset by peer");
	husk_error_free(err);
	fake_vhost_fini(&r.fv);
	event_loop_fini(&r.loop);
	close(r.call);
	mock_guest_fini(&r.g);
	log_capture_fini(&r.lc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs");
	TCase *dev = tcase_create("device"), *dead = tcase_create("backend_gone");

	tcase_add_test(dev, identity_config_features);
	tcase_add_test(dev, offer_follows_backend);
	tcase_add_test(dev, activate_reset_restart);
	tcase_add_test(dev, ring_outside_ram_fails_device);
	tcase_add_test(dev, create_refusals);
	tcase_add_test(dev, create_handshake_failure);
	tcase_add_test(dead, backend_death_gives_enotconn);
	tcase_add_test(dead, fallback_refuses_malformed_chains);
	tcase_add_test(dead, backend_dead_at_activation);
	tcase_add_test(dead, backend_silent_at_reset);
	tcase_add_test(dead, backend_stops_reading_at_activation);
	suite_add_tcase(s, dev);
	suite_add_tcase(s, dead);
	return s;
}

UNIT_MAIN()
