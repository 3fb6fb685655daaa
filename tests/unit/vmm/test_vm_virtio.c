// SPDX-License-Identifier: Apache-2.0
/*
 * test_vm_virtio.c - virtio devices wired into a real VM on the host's
 * /dev/kvm (vm_virtio_devices.c, vm_add_device.c, vm_boot.c, vm_memory.c), no Linux and
 * no interrupts needed:
 *   - a tiny guest reads the virtio-mmio registers of each slot through
 *     the real MMIO bus (magic, version, device id) - registration;
 *   - a tiny polling driver sets up a virtio-blk queue, notifies through
 *     QueueNotify (KVM's ioeventfd -> the VM's event loop -> the device)
 *     and spins on the used ring until the sector it asked for arrived
 *     (also on a rate-limited disk);
 *   - the command line, init_path's initramfs, the API's refusals (rate
 *     limits out of range, an older config struct without them, a late
 *     tap for a missing interface, a closed fd or a second tap) and
 *     husk_vm_get_memory() are checked from the host.
 * Without /dev/kvm only the last group that needs no VM runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_mmio.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/lib/fake_vhost.h"
#include "tests/lib/guest_code.h"
#include "husk.h"
#include "tests/lib/images.h"
#include "vmm/base/initramfs.h"
#include "vmm/base/kvm.h"
#include "tests/lib/unit.h"
#include "vmm/vm.h"
#include "vmm/base/layout.h"

#define GUEST_TIMEOUT_MS 20000
#define BASE		 X86_VIRTIO_MMIO_BASE
#define MMIO_MAGIC	 0x74726976u /* "virt" */

/* Guest-physical layout of the polling driver's queue and buffers. */
#define Q_DESC	 0x300000u
#define Q_AVAIL	 0x301000u
#define Q_USED	 0x302000u
#define Q_REQ	 0x303000u
#define Q_DATA	 0x304000u
#define Q_STATUS 0x305000u
#define Q_SIZE	 8

struct capture {
	pthread_mutex_t lock;
	uint8_t out[4096];
	size_t n;
};

static void capture_fn(void *opaque, const uint8_t *buf, size_t len)
{
	struct capture *cap = opaque;

	pthread_mutex_lock(&cap->lock);
	if (cap->n + len <= sizeof(cap->out)) {
		memcpy(cap->out + cap->n, buf, len);
		cap->n += len;
	}
	pthread_mutex_unlock(&cap->lock);
}

static uint64_t capture_u64(struct capture *cap, size_t idx)
{
	uint64_t v;

	ck_assert_msg(cap->n >= (idx + 1) * 8, "guest sent %zu bytes, want %zu", cap->n,
		      (idx + 1) * 8);
	memcpy(&v, cap->out + idx * 8, 8);
	return v;
}

/* mov edi, imm32 (zero-extends into rdi) */
static void emit_mov_edi(struct guest_code *c, uint32_t v)
{
	GUEST_EMIT(c, 0xbf);
	guest_emit_imm32(c, v);
}

/* mov eax, [rdi + off] */
static void emit_load_rdi(struct guest_code *c, uint32_t off)
{
	GUEST_EMIT(c, 0x8b, 0x87);
	guest_emit_imm32(c, off);
}

/* mov dword [rdi + off], val */
static void emit_store_rdi(struct guest_code *c, uint32_t off, uint32_t val)
{
	GUEST_EMIT(c, 0xc7, 0x87);
	guest_emit_imm32(c, off);
	guest_emit_imm32(c, val);
}

struct guest {
	struct husk_vm *vm;
	struct capture cap;
	struct husk_exit_info exit;
};

static void write_tmp(char *tmpl, const void *buf, size_t len)
{
	int fd = mkstemp(tmpl);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void guest_create_cfg(struct guest *g, const struct guest_code *c,
			     struct husk_vm_config *cfg)
{
	char kpath[] = "/tmp/husk-vv-k-XXXXXX";
	struct husk_error *err = NULL;
	int ret;

	ck_assert_int_eq(guest_write_kernel(c, kpath), 0);
	pthread_mutex_init(&g->cap.lock, NULL);
	cfg->kernel_path = kpath;
	cfg->mem_mib = 64;
	cfg->console_fn = capture_fn;
	cfg->console_opaque = &g->cap;
	/* Every guest here runs with libhusk's threads filtered (test_seccomp.c). */
	cfg->flags |= HUSK_VM_SECCOMP;
	ret = husk_vm_create(cfg, &g->vm, &err);
	unlink(kpath);
	ck_assert_msg(ret == 0, "husk_vm_create: %s", husk_error_message(err));
}

static void guest_create(struct guest *g, const struct guest_code *c)
{
	struct husk_vm_config cfg;

	husk_vm_config_init(&cfg);
	cfg.cmdline = "console=ttyS0";
	guest_create_cfg(g, c, &cfg);
}

static void guest_run(struct guest *g)
{
	struct husk_error *err = NULL;
	struct pollfd p;

	ck_assert_msg(husk_vm_start(g->vm, &err) == 0, "start: %s", husk_error_message(err));
	p = (struct pollfd){ .fd = husk_vm_exit_eventfd(g->vm), .events = POLLIN };
	if (poll(&p, 1, GUEST_TIMEOUT_MS) == 0)
		husk_vm_request_stop(g->vm);
	ck_assert_int_eq(husk_vm_wait(g->vm, &g->exit), 0);
	ck_assert_msg(g->exit.reason == HUSK_EXIT_RESET, "VM ended with %s: %s",
		      husk_exit_reason_string(g->exit.reason), g->exit.message);
}

/* A disk image whose sector 0 starts with a known pattern. */
static void disk_image(char *path)
{
	uint8_t img[4096];
	size_t i;

	for (i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 13 + 5);
	memcpy(img, "HUSKDISK", 8);
	write_tmp(path, img, sizeof(img));
}

static void add_disk_limited(struct husk_vm *vm, const char *path,
			     const struct husk_rate_limit *lim)
{
	struct husk_disk_config d;
	struct husk_error *err = NULL;

	husk_disk_config_init(&d);
	d.path = path;
	if (lim)
		d.rate_limit = *lim;
	ck_assert_msg(husk_vm_add_disk(vm, &d, &err) == 0, "add disk: %s", husk_error_message(err));
}

static void add_disk(struct husk_vm *vm, const char *path)
{
	add_disk_limited(vm, path, NULL);
}

/* Every slot's identity, read by the guest through the MMIO bus. */
START_TEST(vv_guest_finds_devices)
{
	char dpath[] = "/tmp/husk-vv-d-XXXXXX";
	struct husk_net_config n;
	struct husk_vsock_config v;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	int sv[2];
	unsigned int slot;

	for (slot = 0; slot < 4; slot++) {
		emit_mov_edi(&c, (uint32_t)(BASE + slot * X86_VIRTIO_MMIO_SLOT));
		emit_load_rdi(&c, VIRTIO_MMIO_MAGIC_VALUE);
		GUEST_EMIT(&c, 0x48, 0xc1, 0xe0, 0x20); /* shl rax, 32 */
		GUEST_EMIT(&c, 0x89, 0xc6);		/* mov esi, eax (0) */
		GUEST_EMIT(&c, 0x8b, 0x97);		/* mov edx, [rdi + DEVICE_ID] */
		guest_emit_imm32(&c, VIRTIO_MMIO_DEVICE_ID);
		GUEST_EMIT(&c, 0x48, 0x09, 0xd0); /* or rax, rdx */
		guest_dump_rax(&c);
		emit_load_rdi(&c, VIRTIO_MMIO_VERSION);
		guest_dump_rax(&c);
	}
	guest_reset(&c);
	guest_create(&g, &c);
	disk_image(dpath);
	add_disk(g.vm, dpath);
	unlink(dpath);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	husk_net_config_init(&n);
	n.tap_fd = sv[0]; /* owned by the VM from here on */
	ck_assert_msg(husk_vm_add_net(g.vm, &n, &err) == 0, "%s", husk_error_message(err));
	husk_vsock_config_init(&v);
	v.guest_cid = 3;
	ck_assert_msg(husk_vm_add_vsock(g.vm, &v, &err) == 0, "%s", husk_error_message(err));
	guest_run(&g);
	/* magic << 32 | device id, then the version, per slot. */
	ck_assert_uint_eq(capture_u64(&g.cap, 0), (uint64_t)MMIO_MAGIC << 32 | 2);
	ck_assert_uint_eq(capture_u64(&g.cap, 1), 2);
	ck_assert_uint_eq(capture_u64(&g.cap, 2), (uint64_t)MMIO_MAGIC << 32 | 1);
	ck_assert_uint_eq(capture_u64(&g.cap, 4), (uint64_t)MMIO_MAGIC << 32 | 19);
	/* Slot 3 is empty: the bus floats high. */
	ck_assert_uint_eq(capture_u64(&g.cap, 6), 0xffffffffffffffffull);
	husk_vm_destroy(g.vm);
	close(sv[1]);
}
END_TEST

/* The descriptor chain of one read of sector 0, as a driver would post it. */
static void post_read(struct guest_mem *gm)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} d[3] = {
		{ Q_REQ, 16, 1, 1 },	   /* header, NEXT */
		{ Q_DATA, 512, 1 | 2, 2 }, /* data, NEXT | WRITE */
		{ Q_STATUS, 1, 2, 0 },	   /* status, WRITE */
	};
	uint16_t avail[3] = { 0, 1, 0 };    /* flags, idx 1, ring[0] = head 0 */
	uint8_t req[16] = { 0 }, st = 0xff; /* type IN, sector 0 */

	ck_assert_int_eq(guest_mem_write(gm, Q_DESC, d, sizeof(d)), 0);
	ck_assert_int_eq(guest_mem_write(gm, Q_AVAIL, avail, sizeof(avail)), 0);
	ck_assert_int_eq(guest_mem_write(gm, Q_REQ, req, sizeof(req)), 0);
	ck_assert_int_eq(guest_mem_write(gm, Q_STATUS, &st, 1), 0);
}

/*
 * A polling driver's half for queue @q of slot 0: initialise the device
 * (VERSION_1 only) and the queue, notify, spin until used->idx is @want.
 */
static void emit_queue_driver(struct guest_code *c, uint32_t q, uint16_t want)
{
	emit_mov_edi(c, (uint32_t)BASE);
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 1); /* ACKNOWLEDGE */
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 3); /* DRIVER */
	emit_store_rdi(c, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	emit_store_rdi(c, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 0xb);	   /* FEATURES_OK */
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_SEL, q);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_NUM, Q_SIZE);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_DESC_LOW, Q_DESC);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_AVAIL_LOW, Q_AVAIL);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_USED_LOW, Q_USED);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_READY, 1);
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 0xf); /* DRIVER_OK */
	emit_load_rdi(c, VIRTIO_MMIO_STATUS);
	guest_dump_rax(c); /* for diagnosis */
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	/* 1: mov eax, [Q_USED]; and eax, 0xffff0000 (used->idx); cmp eax, want << 16; jne 1b */
	GUEST_EMIT(c, 0x8b, 0x04, 0x25);
	guest_emit_imm32(c, Q_USED);
	GUEST_EMIT(c, 0x25);
	guest_emit_imm32(c, 0xffff0000u);
	GUEST_EMIT(c, 0x3d);
	guest_emit_imm32(c, (uint32_t)want << 16);
	GUEST_EMIT(c, 0x75, 0xed); /* back 19 bytes, to the mov */
	emit_load_rdi(c, VIRTIO_MMIO_INTERRUPT_STATUS);
	guest_dump_rax(c);
	guest_reset(c);
}

/* The blk driver: one request on queue 0. */
static void emit_blk_driver(struct guest_code *c)
{
	emit_queue_driver(c, 0, 1);
}

/* The guest's polling driver reads sector 0 of a disk with @lim (NULL: none). */
static void polling_read(const struct husk_rate_limit *lim)
{
	char dpath[] = "/tmp/husk-vv-d-XXXXXX";
	struct husk_disk_stats ds = { .struct_size = sizeof(ds) };
	struct husk_queue_status qs = { .struct_size = sizeof(qs) };
	struct husk_vsock_conn_status vs = { .struct_size = sizeof(vs) };
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	uint8_t data[512], want[512], st;
	uint16_t used[6];
	uint32_t elem[2];
	int fd, i;

	emit_blk_driver(&c);
	guest_create(&g, &c);
	disk_image(dpath);
	add_disk_limited(g.vm, dpath, lim);
	post_read(vm_guest_mem(g.vm));
	guest_run(&g);
	ck_assert_uint_eq(capture_u64(&g.cap, 0), 0xf); /* DRIVER_OK accepted */
	ck_assert_uint_eq(capture_u64(&g.cap, 1) & VIRTIO_MMIO_INT_VRING, VIRTIO_MMIO_INT_VRING);
	ck_assert_int_eq(guest_mem_read(vm_guest_mem(g.vm), Q_USED, used, sizeof(used)), 0);
	ck_assert_uint_eq(used[1], 1); /* used->idx */
	memcpy(elem, &used[2], sizeof(elem));
	ck_assert_uint_eq(elem[0], 0);	 /* head 0 */
	ck_assert_uint_eq(elem[1], 513); /* data + status */
	ck_assert_int_eq(guest_mem_read(vm_guest_mem(g.vm), Q_STATUS, &st, 1), 0);
	ck_assert_uint_eq(st, 0); /* VIRTIO_BLK_S_OK */
	ck_assert_int_eq(guest_mem_read(vm_guest_mem(g.vm), Q_DATA, data, 512), 0);
	fd = open(dpath, O_RDONLY);
	ck_assert_int_eq(read(fd, want, 512), 512);
	close(fd);
	unlink(dpath);
	ck_assert(!memcmp(data, want, 512));
	/*
	 * The notify went through the ioeventfd, not a trapped MMIO write. The
	 * request may have been served at DRIVER_OK already (the device looks
	 * at its queue then), so the guest can be gone before the event loop
	 * has read the kick: wait for it (5 s at most).
	 */
	for (i = 0; i < 500 && vm_vdev_kicks(g.vm, 0) < 1; i++)
		usleep(10000);
	ck_assert_uint_ge(vm_vdev_kicks(g.vm, 0), 1);
	/* The diagnostic view of the ring: one chain offered, taken, returned. */
	ck_assert_int_eq(husk_vm_get_queue_status(g.vm, "blk0", 0, &qs), 0);
	ck_assert_uint_eq(qs.active, 1);
	ck_assert_uint_eq(qs.external, 0);
	ck_assert_uint_eq(qs.avail_idx, 1);
	ck_assert_uint_eq(qs.last_avail, 1);
	ck_assert_uint_eq(qs.used_idx, 1);
	ck_assert_uint_eq(qs.kicks, vm_vdev_kicks(g.vm, 0));
	ck_assert_int_eq(husk_vm_get_queue_status(g.vm, "blk0", 1, &qs), -ENOENT);
	ck_assert_int_eq(husk_vm_get_queue_status(g.vm, "blk1", 0, &qs), -ENOENT);
	ck_assert_int_eq(husk_vm_get_vsock_conn(g.vm, 0, &vs), -ENOENT); /* no vsock */
	qs.struct_size = sizeof(size_t);
	ck_assert_int_eq(husk_vm_get_queue_status(g.vm, "blk0", 0, &qs), -EINVAL);
	/* One request, within any limit's burst: never held back. */
	ck_assert_int_eq(husk_vm_get_disk_stats(g.vm, 0, &ds), 0);
	ck_assert_uint_eq(ds.throttled, 0);
	ck_assert_int_eq(husk_vm_get_disk_stats(g.vm, 1, &ds), -ENOENT);
	ds.struct_size = sizeof(size_t);
	ck_assert_int_eq(husk_vm_get_disk_stats(g.vm, 0, &ds), -EINVAL);
	husk_vm_destroy(g.vm);
}

START_TEST(vv_polling_blk_driver_reads_a_sector)
{
	polling_read(NULL);
}
END_TEST

/* A limited disk in a running VM (its timer on the VM's loop) serves the read. */
START_TEST(vv_rate_limited_disk_reads_a_sector)
{
	polling_read(&(struct husk_rate_limit){ .bandwidth = { .rate = 1 << 20 },
						.ops = { .rate = 10, .one_time_burst = 5 } });
}
END_TEST

/* Limits out of range are refused; an older, smaller config means none. */
START_TEST(vv_rate_limit_refusals)
{
	char dpath[] = "/tmp/husk-vv-d-XXXXXX";
	struct husk_disk_config d;
	struct husk_net_config n;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	int sv[2];

	guest_reset(&c);
	guest_create(&g, &c);
	disk_image(dpath);
	husk_disk_config_init(&d);
	d.path = dpath;
	d.rate_limit.ops.one_time_burst = 5;
	ck_assert_int_eq(husk_vm_add_disk(g.vm, &d, &err), -EINVAL);
	ck_assert_str_eq(husk_error_message(err), "disk: rate limit: ops: a burst needs a rate");
	husk_error_free(err);
	err = NULL;
	/* the caller's struct ends before rate_limit: its bytes there are not read */
	d.struct_size = offsetof(struct husk_disk_config, rate_limit);
	ck_assert_msg(husk_vm_add_disk(g.vm, &d, &err) == 0, "%s", husk_error_message(err));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	husk_net_config_init(&n);
	n.tap_fd = sv[0];
	n.tx_rate_limit.bandwidth.rate = HUSK_RATE_LIMIT_MAX + 1;
	ck_assert_int_eq(husk_vm_add_net(g.vm, &n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err),
				     "net: tx rate limit: bandwidth: over 281474976710656"));
	husk_error_free(err);
	n.tx_rate_limit.bandwidth.rate = HUSK_RATE_LIMIT_MAX;
	n.rx_rate_limit.ops.rate = 1000;
	ck_assert_int_eq(husk_vm_add_net(g.vm, &n, NULL), 0);
	husk_vm_destroy(g.vm); /* limiters' timers leave the loop with their devices */
	close(sv[1]);
	unlink(dpath);
}
END_TEST

/*
 * husk_vm_net_attach: an interface added without a tap takes one later,
 * once; a missing interface and a closed fd are refused with the reason,
 * and a refused fd stays the caller's.
 */
START_TEST(vv_net_attach_late)
{
	struct husk_net_config n;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	int sv[2], sv2[2];

	guest_reset(&c);
	guest_create(&g, &c);
	husk_net_config_init(&n);
	ck_assert_msg(husk_vm_add_net(g.vm, &n, &err) == 0, "%s", husk_error_message(err));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(husk_vm_net_attach(g.vm, 1, sv[0], &err), -ENOENT);
	ck_assert_str_eq(husk_error_message(err),
			 "net 1: no such interface (1 added): No such file or directory");
	husk_error_free(err);
	err = NULL;
	ck_assert_int_eq(husk_vm_net_attach(g.vm, 0, 1000, &err), -EBADF);
	ck_assert_str_eq(husk_error_message(err),
			 "net 0: virtio-net: tap fd 1000: Bad file descriptor");
	husk_error_free(err);
	err = NULL;
	ck_assert_msg(husk_vm_net_attach(g.vm, 0, sv[0], &err) == 0, "%s", husk_error_message(err));
	ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1); /* the VM owns (and closed) it */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv2), 0);
	ck_assert_int_eq(husk_vm_net_attach(g.vm, 0, sv2[0], &err), -EBUSY);
	ck_assert_str_eq(
		husk_error_message(err),
		"net 0: virtio-net: attach: a tap is already attached: Device or resource busy");
	husk_error_free(err);
	err = NULL;
	ck_assert_int_ge(fcntl(sv2[0], F_GETFD), 0); /* still the caller's */
	husk_vm_destroy(g.vm);
	close(sv[1]);
	close(sv2[0]);
	close(sv2[1]);
}
END_TEST

/*
 * Three TX chains as a driver would post them (a malformed one for each
 * drop kind, then a good frame): 65551 frame bytes plus the header (over
 * the 65550 bound), 8 bytes (shorter than the header), and a 12-byte
 * header with a 60-byte frame.
 */
static void post_net_tx(struct guest_mem *gm)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} d[4] = {
		{ Q_DATA, 12 + 65551, 0, 0 },
		{ Q_REQ, 8, 0, 0 },
		{ Q_REQ + 0x100, 12, 1, 3 }, /* header, NEXT */
		{ Q_REQ + 0x200, 60, 0, 0 },
	};
	uint16_t avail[5] = { 0, 3, 0, 1, 2 }; /* flags, idx 3, heads 0 1 2 */
	uint8_t hdr[12] = { 0 }, frame[60];

	memset(frame, 0x6b, sizeof(frame));
	ck_assert_int_eq(guest_mem_write(gm, Q_DESC, d, sizeof(d)), 0);
	ck_assert_int_eq(guest_mem_write(gm, Q_AVAIL, avail, sizeof(avail)), 0);
	ck_assert_int_eq(guest_mem_write(gm, Q_REQ + 0x100, hdr, sizeof(hdr)), 0);
	ck_assert_int_eq(guest_mem_write(gm, Q_REQ + 0x200, frame, sizeof(frame)), 0);
}

/*
 * husk_vm_get_net_stats: a guest driver sends an oversize chain, one
 * shorter than its header and a good frame through a tap limited to 2
 * frames a second: one of each drop is counted, the good frame reaches
 * the tap after the limit held it back once. A missing interface, a
 * too small struct and an older caller's shorter struct are handled.
 */
START_TEST(vv_net_stats_count_drops)
{
	struct husk_net_stats s, old;
	struct husk_disk_stats ds = { .struct_size = sizeof(ds) };
	struct husk_net_config n;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	uint8_t out[128];
	int sv[2];

	emit_queue_driver(&c, 1, 3);
	guest_create(&g, &c);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	husk_net_config_init(&n);
	n.tap_fd = sv[0];
	n.tx_rate_limit.ops.rate = 2;
	ck_assert_msg(husk_vm_add_net(g.vm, &n, &err) == 0, "%s", husk_error_message(err));
	post_net_tx(vm_guest_mem(g.vm));
	guest_run(&g);
	ck_assert_uint_eq(capture_u64(&g.cap, 0), 0xf); /* DRIVER_OK accepted */
	ck_assert_int_eq(recv(sv[1], out, sizeof(out), MSG_DONTWAIT), 12 + 60);
	ck_assert_int_lt(recv(sv[1], out, sizeof(out), MSG_DONTWAIT), 0); /* nothing else */
	memset(&s, 0xee, sizeof(s));
	s.struct_size = sizeof(s);
	ck_assert_int_eq(husk_vm_get_net_stats(g.vm, 0, &s), 0);
	ck_assert_uint_eq(s.struct_size, sizeof(s));
	ck_assert_uint_eq(s.tx_oversize, 1);
	ck_assert_uint_eq(s.tx_bad_hdr, 1);
	ck_assert_uint_eq(s.tx_dropped, 0);
	ck_assert_uint_eq(s.rx_dropped, 0);
	ck_assert_uint_eq(s.rx_throttled, 0);
	ck_assert_uint_eq(s.tx_throttled, 1); /* the good frame, third in a second */
	ck_assert_int_eq(husk_vm_get_net_stats(g.vm, 1, &s), -ENOENT);
	s.struct_size = sizeof(size_t);
	ck_assert_int_eq(husk_vm_get_net_stats(g.vm, 0, &s), -EINVAL);
	/* A caller built when the struct ended before tx_throttled. */
	memset(&old, 0xee, sizeof(old));
	old.struct_size = offsetof(struct husk_net_stats, tx_throttled);
	ck_assert_int_eq(husk_vm_get_net_stats(g.vm, 0, &old), 0);
	ck_assert_uint_eq(old.tx_oversize, 1);
	ck_assert_uint_eq(old.tx_throttled, 0xeeeeeeeeeeeeeeeeull); /* not its memory */
	ck_assert_int_eq(husk_vm_get_disk_stats(g.vm, 0, &ds), -ENOENT);
	husk_vm_destroy(g.vm);
	close(sv[1]);
}
END_TEST

static void guest_cmdline(struct husk_vm *vm, char *buf, size_t len)
{
	ck_assert_int_eq(guest_mem_read(vm_guest_mem(vm), X86_CMDLINE, buf, len), 0);
	buf[len - 1] = 0;
}

START_TEST(vv_cmdline_entries_and_refusals)
{
	char dpath[] = "/tmp/husk-vv-d-XXXXXX", line[256];
	struct husk_queue_status qs = { .struct_size = sizeof(qs) };
	struct husk_vsock_conn_status vs = { .struct_size = sizeof(vs) };
	struct husk_vsock_config v;
	struct husk_disk_config d;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	int fd = -1;

	guest_reset(&c);
	guest_create(&g, &c);
	disk_image(dpath);
	ck_assert_int_eq(husk_vm_vsock_connect(g.vm, 1, 10, &fd, &err), -ENODEV);
	add_disk(g.vm, dpath);
	add_disk(g.vm, dpath);
	guest_cmdline(g.vm, line, sizeof(line));
	ck_assert_str_eq(line, "console=ttyS0 virtio_mmio.device=4K@0xd0000000:5 "
			       "virtio_mmio.device=4K@0xd0001000:6");
	husk_vsock_config_init(&v);
	v.guest_cid = 2;
	ck_assert_int_eq(husk_vm_add_vsock(g.vm, &v, &err), -EINVAL);
	v.guest_cid = 7;
	ck_assert_int_eq(husk_vm_add_vsock(g.vm, &v, NULL), 0);
	ck_assert_int_eq(husk_vm_add_vsock(g.vm, &v, &err), -EEXIST);
	/* Not started: the driver cannot be up, callers retry. */
	ck_assert_int_eq(husk_vm_vsock_connect(g.vm, 1, 10, &fd, &err), -ENOTCONN);
	/* Nor are its queues, and it has no connection to show. */
	ck_assert_int_eq(husk_vm_get_queue_status(g.vm, "vsock", 1, &qs), 0);
	ck_assert_uint_eq(qs.active, 0);
	ck_assert_int_eq(husk_vm_get_queue_status(g.vm, "vsock", 3, &qs), -ENOENT);
	ck_assert_int_eq(husk_vm_get_vsock_conn(g.vm, 0, &vs), -ENOENT);
	vs.struct_size = sizeof(size_t);
	ck_assert_int_eq(husk_vm_get_vsock_conn(g.vm, 0, &vs), -EINVAL);
	husk_disk_config_init(&d);
	d.path = "/nonexistent/disk.img";
	ck_assert_int_eq(husk_vm_add_disk(g.vm, &d, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "disk /nonexistent/disk.img"));
	d.path = dpath;
	d.serial = "123456789012345678901";
	ck_assert_int_eq(husk_vm_add_disk(g.vm, &d, &err), -EINVAL);
	guest_run(&g);
	d.serial = NULL;
	ck_assert_int_eq(husk_vm_add_disk(g.vm, &d, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "already started"));
	husk_error_free(err);
	unlink(dpath);
	husk_vm_destroy(g.vm);
}
END_TEST

/* A device whose entry would not fit the kernel's limit leaves no trace. */
START_TEST(vv_cmdline_too_long_refused)
{
	char dpath[] = "/tmp/husk-vv-d-XXXXXX";
	struct husk_vm_config cfg;
	struct husk_disk_config d;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	size_t n = X86_CMDLINE_MAX - 1 - 20;
	char *line = malloc(n + 1), *back = malloc(X86_CMDLINE_MAX);

	memset(line, 'x', n);
	line[n] = 0;
	guest_reset(&c);
	husk_vm_config_init(&cfg);
	cfg.cmdline = line;
	guest_create_cfg(&g, &c, &cfg);
	disk_image(dpath);
	husk_disk_config_init(&d);
	d.path = dpath;
	ck_assert_int_eq(husk_vm_add_disk(g.vm, &d, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "cmdline"));
	ck_assert_uint_eq(g.vm->nr_vdevs, 0);
	ck_assert_int_eq(guest_mem_read(vm_guest_mem(g.vm), X86_CMDLINE, back, X86_CMDLINE_MAX), 0);
	ck_assert_str_eq(back, line);
	husk_error_free(err);
	unlink(dpath);
	husk_vm_destroy(g.vm);
	free(line);
	free(back);
}
END_TEST

/* init_path: its archive follows the initrd's on a 4-byte boundary. */
START_TEST(vv_init_path_appends_initramfs)
{
	char ipath[] = "/tmp/husk-vv-i-XXXXXX", rpath[] = "/tmp/husk-vv-r-XXXXXX";
	uint8_t prog[37], *arc, *got;
	struct husk_vm_config cfg;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	size_t arc_len, i;

	for (i = 0; i < sizeof(prog); i++)
		prog[i] = (uint8_t)(0x80 + i);
	write_tmp(ipath, prog, sizeof(prog));
	write_tmp(rpath, "abcde", 5);
	guest_reset(&c);
	husk_vm_config_init(&cfg);
	cfg.initrd_path = rpath;
	cfg.init_path = ipath;
	guest_create_cfg(&g, &c, &cfg);
	unlink(ipath);
	unlink(rpath);
	ck_assert_int_eq(initramfs_build(prog, sizeof(prog), &arc, &arc_len, NULL), 0);
	ck_assert_uint_eq(g.vm->boot.initrd_size, 8 + arc_len);
	got = malloc(8 + arc_len);
	ck_assert_int_eq(guest_mem_read(vm_guest_mem(g.vm), g.vm->boot.initrd_start, got,
					8 + arc_len),
			 0);
	ck_assert(!memcmp(got, "abcde\0\0\0", 8));
	ck_assert(!memcmp(got + 8, arc, arc_len));
	free(got);
	free(arc);
	husk_vm_destroy(g.vm);
}
END_TEST

/* Devices added to a VM that never starts are torn down cleanly. */
/* Hot media change through the public API, before and after start. */
START_TEST(vv_disk_attach_detach)
{
	char dpath[] = "/tmp/husk-vv-d-XXXXXX";
	struct husk_disk_config d;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	int fd;

	guest_reset(&c);
	guest_create(&g, &c);
	disk_image(dpath);
	husk_disk_config_init(&d); /* neither path nor fd: an empty slot */
	ck_assert_int_eq(husk_vm_add_disk(g.vm, &d, &err), 0);
	ck_assert_int_eq(husk_vm_disk_attach(g.vm, 0, &d, &err), -EINVAL);
	ck_assert_int_eq(husk_vm_disk_detach(g.vm, 0, &err), -ENXIO);
	d.path = dpath;
	ck_assert_int_eq(husk_vm_disk_attach(g.vm, 1, &d, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "disk 1: no such disk"));
	ck_assert_int_eq(husk_vm_disk_attach(g.vm, 0, &d, &err), 0);
	ck_assert_int_eq(husk_vm_disk_attach(g.vm, 0, &d, &err), -EBUSY);
	guest_run(&g);
	ck_assert_int_eq(husk_vm_disk_detach(g.vm, 0, &err), 0);
	/* an fd is owned by the VM after a successful attach, as with add */
	fd = open(dpath, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	d.path = NULL;
	d.fd = fd;
	d.read_only = 1;
	ck_assert_int_eq(husk_vm_disk_attach(g.vm, 0, &d, &err), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	husk_error_free(err);
	unlink(dpath);
	husk_vm_destroy(g.vm);
}
END_TEST

START_TEST(vv_destroy_unstarted)
{
	char dpath[] = "/tmp/husk-vv-d-XXXXXX", upath[] = "/tmp/husk-vv-u-XXXXXX";
	struct husk_vsock_config v;
	struct husk_net_config n;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	int sv[2], fd;

	guest_reset(&c);
	guest_create(&g, &c);
	disk_image(dpath);
	add_disk(g.vm, dpath);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	husk_net_config_init(&n);
	n.tap_fd = sv[0];
	ck_assert_int_eq(husk_vm_add_net(g.vm, &n, NULL), 0);
	/* The VM owns the tap fd now: the call closed it. */
	ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1);
	fd = mkstemp(upath);
	close(fd);
	unlink(upath);
	husk_vsock_config_init(&v);
	v.guest_cid = 3;
	v.uds_path = upath;
	ck_assert_int_eq(husk_vm_add_vsock(g.vm, &v, NULL), 0);
	ck_assert_int_eq(access(upath, F_OK), 0);
	husk_vm_destroy(g.vm);
	ck_assert_int_ne(access(upath, F_OK), 0);
	close(sv[1]);
	unlink(dpath);
}
END_TEST

START_TEST(vv_memory_figures)
{
	struct husk_vm_memory m;
	struct guest_code c = { 0 };
	struct guest g = { 0 };

	guest_reset(&c);
	guest_create(&g, &c);
	ck_assert_int_eq(husk_vm_get_memory(g.vm, &m), 0);
	ck_assert_uint_eq(m.guest_ram_bytes, 64ull << 20);
	/* The loader wrote the kernel and boot structures: some RAM is resident. */
	ck_assert_uint_gt(m.guest_resident_bytes, 0);
	ck_assert_uint_lt(m.guest_resident_bytes, m.guest_ram_bytes);
	ck_assert_uint_ge(m.process_rss_bytes, m.guest_resident_bytes);
	guest_run(&g);
	ck_assert_int_eq(husk_vm_get_memory(g.vm, &m), 0);
	ck_assert_uint_gt(m.guest_resident_bytes, 0);
	husk_vm_destroy(g.vm);
}
END_TEST

static int add_fs(struct husk_vm *vm, const char *tag, int fd, struct husk_error **err)
{
	struct husk_fs_config f;

	husk_fs_config_init(&f);
	f.tag = tag;
	f.socket_fd = fd;
	f.queue_size = 16;
	f.reply_timeout_ms = 2000;
	return husk_vm_add_fs(vm, &f, err);
}

/* husk_vm_add_fs: what it needs, what it refuses, who owns the fd. */
START_TEST(vv_fs_add_and_refusals)
{
	struct husk_vm_config cfg;
	struct husk_fs_config f;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 }, anon = { 0 };
	struct fake_vhost fv, fv2;
	char line[256];

	guest_reset(&c);
	guest_create(&anon, &c);
	fake_vhost_init(&fv);
	fake_vhost_start(&fv);
	ck_assert_int_eq(add_fs(anon.vm, "share", fv.peer, &err), -EINVAL);
	ck_assert_str_eq(husk_error_message(err),
			 "fs share: the VM was created without "
			 "HUSK_VM_MEMFD: the backend needs guest RAM in a shared memfd");
	ck_assert_int_eq(fcntl(fv.peer, F_GETFD), FD_CLOEXEC); /* refused: still the caller's */
	husk_vm_destroy(anon.vm);

	husk_vm_config_init(&cfg);
	cfg.cmdline = "console=ttyS0";
	cfg.flags = HUSK_VM_MEMFD;
	guest_create_cfg(&g, &c, &cfg);
	ck_assert_msg(add_fs(g.vm, "share", fv.peer, &err) == 0, "%s", husk_error_message(err));
	ck_assert_int_eq(fcntl(fv.peer, F_GETFD), -1); /* the VM owns it now */
	fv.peer = -1;
	ck_assert_uint_eq(fake_vhost_count(&fv), 5); /* handshake done at add */
	fake_vhost_init(&fv2);
	fake_vhost_start(&fv2);
	ck_assert_int_eq(add_fs(g.vm, "share", fv2.peer, &err), -EINVAL);
	ck_assert_str_eq(husk_error_message(err), "fs share: tag already used by fs0");
	ck_assert_int_eq(add_fs(g.vm, "", fv2.peer, &err), -EINVAL);
	ck_assert_int_eq(add_fs(g.vm, "0123456789012345678901234567890123456", fv2.peer, &err),
			 -EINVAL);
	husk_fs_config_init(&f);
	f.tag = "other";
	f.socket_path = "/nonexistent/virtiofsd.sock";
	ck_assert_int_eq(husk_vm_add_fs(g.vm, &f, &err), -ENOENT);
	ck_assert_str_eq(husk_error_message(err),
			 "fs other: vhost-user fs1: connect "
			 "/nonexistent/virtiofsd.sock: No such file or directory");
	guest_cmdline(g.vm, line, sizeof(line));
	ck_assert_str_eq(line, "console=ttyS0 virtio_mmio.device=4K@0xd0000000:5");
	guest_run(&g);
	ck_assert_int_eq(add_fs(g.vm, "late", fv2.peer, &err), -EBUSY);
	husk_error_free(err);
	husk_vm_destroy(g.vm);
	/* Teardown closed the connection: the backend saw the hang-up. */
	ck_assert(fake_vhost_wait(&fv, 100, 2000) == false && fv.gone);
	fake_vhost_fini(&fv);
	fake_vhost_fini(&fv2);
}
END_TEST

/* The guest's half of a virtio-fs bring-up: queues 0 and 1 of size 8 at Q_*. */
static void emit_fs_driver(struct guest_code *c)
{
	unsigned int q;

	emit_mov_edi(c, (uint32_t)BASE);
	emit_load_rdi(c, VIRTIO_MMIO_DEVICE_ID);
	guest_dump_rax(c);
	GUEST_EMIT(c, 0x48, 0x8b, 0x87); /* mov rax, [rdi + 0x100] */
	guest_emit_imm32(c, VIRTIO_MMIO_CONFIG);
	guest_dump_rax(c);
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 1);
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 3);
	emit_store_rdi(c, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	emit_store_rdi(c, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 0xb);
	for (q = 0; q < 2; q++) {
		emit_store_rdi(c, VIRTIO_MMIO_QUEUE_SEL, q);
		emit_store_rdi(c, VIRTIO_MMIO_QUEUE_NUM, Q_SIZE);
		emit_store_rdi(c, VIRTIO_MMIO_QUEUE_DESC_LOW, Q_DESC + q * 0x10000);
		emit_store_rdi(c, VIRTIO_MMIO_QUEUE_AVAIL_LOW, Q_AVAIL + q * 0x10000);
		emit_store_rdi(c, VIRTIO_MMIO_QUEUE_USED_LOW, Q_USED + q * 0x10000);
		emit_store_rdi(c, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	emit_store_rdi(c, VIRTIO_MMIO_STATUS, 0xf);	/* DRIVER_OK */
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_NOTIFY, 1); /* KVM's ioeventfd */
	emit_store_rdi(c, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	emit_load_rdi(c, VIRTIO_MMIO_INTERRUPT_STATUS);
	guest_dump_rax(c);
	emit_load_rdi(c, VIRTIO_MMIO_STATUS);
	guest_dump_rax(c);
}

/*
 * A tiny guest brings the device up: the backend gets the rings with the
 * slot's ioeventfd as kick fd, and the guest's QueueNotify writes reach it
 * through KVM alone (the VM's event loop never sees them).
 */
START_TEST(vv_fs_guest_kicks_reach_backend)
{
	const struct fake_vhost_msg *m;
	struct husk_vm_config cfg;
	struct husk_error *err = NULL;
	struct guest_code c = { 0 };
	struct guest g = { 0 };
	struct fake_vhost fv;
	uint64_t kicks = 0;

	emit_fs_driver(&c);
	guest_reset(&c);
	husk_vm_config_init(&cfg);
	cfg.cmdline = "console=ttyS0";
	cfg.flags = HUSK_VM_MEMFD;
	guest_create_cfg(&g, &c, &cfg);
	fake_vhost_init(&fv);
	fake_vhost_start(&fv);
	ck_assert_msg(add_fs(g.vm, "hostshare", fv.peer, &err) == 0, "%s", husk_error_message(err));
	fv.peer = -1;
	guest_run(&g);
	ck_assert_uint_eq(capture_u64(&g.cap, 0), 26);
	ck_assert_mem_eq(g.cap.out + 8, "hostshar", 8);
	ck_assert_uint_eq(capture_u64(&g.cap, 2), VIRTIO_MMIO_INT_VRING);
	ck_assert_uint_eq(capture_u64(&g.cap, 3), 0xf); /* no NEEDS_RESET */
	m = fake_vhost_find(&fv, VHOST_USER_SET_VRING_KICK, 1);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(fake_vhost_u64(m), 1);
	ck_assert_int_eq(eventfd_read(m->fds[0], &kicks), 0);
	ck_assert_uint_eq(kicks, 2);
	ck_assert_uint_eq(vm_vdev_kicks(g.vm, 0), 0);
	ck_assert_ptr_nonnull(fake_vhost_find(&fv, VHOST_USER_SET_VRING_ENABLE, 1));
	ck_assert_uint_eq(fake_vhost_find(&fv, VHOST_USER_SET_MEM_TABLE, 0)->nr_fds, 1);
	husk_vm_destroy(g.vm);
	fake_vhost_fini(&fv);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vm_virtio");
	TCase *tc;

	if (!unit_host_kvm("virtio wiring tests")) {
		tc = tcase_create("none");
		suite_add_tcase(s, tc);
		return s;
	}
	tc = tcase_create("hostkvm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vv_guest_finds_devices);
	tcase_add_test(tc, vv_polling_blk_driver_reads_a_sector);
	tcase_add_test(tc, vv_rate_limited_disk_reads_a_sector);
	tcase_add_test(tc, vv_rate_limit_refusals);
	tcase_add_test(tc, vv_net_stats_count_drops);
	tcase_add_test(tc, vv_net_attach_late);
	tcase_add_test(tc, vv_cmdline_entries_and_refusals);
	tcase_add_test(tc, vv_cmdline_too_long_refused);
	tcase_add_test(tc, vv_init_path_appends_initramfs);
	tcase_add_test(tc, vv_destroy_unstarted);
	tcase_add_test(tc, vv_disk_attach_detach);
	tcase_add_test(tc, vv_memory_figures);
	tcase_add_test(tc, vv_fs_add_and_refusals);
	tcase_add_test(tc, vv_fs_guest_kicks_reach_backend);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
