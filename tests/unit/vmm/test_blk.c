// SPDX-License-Identifier: Apache-2.0
/*
 * test_blk.c - vmm/virtio/blk*.c driven through virtio-mmio and the mock
 * driver against a temporary image file: data round trips checked byte
 * for byte against the file, and every malformed request; rate limits
 * with an injected clock (requests held, resumed by the limiter's timer on
 * an event loop run by hand, data intact).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"
#include "vmm/virtio/blk/blk.h"
#include "vmm/virtio/lifecycle.h"

#define F_V1	     (1ULL << VIRTIO_F_VERSION_1)
#define DISK_SECTORS 2048ULL /* 1 MiB */
#define STATUS_NONE  0xee

static struct mock_guest g;
static struct mock_vq mq;
static struct virtio_mmio mmio;
static struct virtio_blk *blk;
static char path[] = "/tmp/husk-test-blk-XXXXXX";
static int file_fd = -1;
/* the "limit" cases: the disk's rate limit, its timer's loop, the clock it reads */
static struct husk_rate_limit limit;
static struct event_loop limit_loop;
static uint64_t fake_now;

static void file_pattern(void)
{
	static uint8_t buf[DISK_SECTORS * 512];
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + i / 512);
	ck_assert_int_eq(pwrite(file_fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
}

static uint64_t fake_clock(void *opaque)
{
	(void)opaque;
	return fake_now;
}

/*
 * The pattern file is made either way, then grown (sparse) to @sectors;
 * @empty leaves the slot without it.
 */
static void open_blk_sized(bool empty, bool ro, unsigned int workers, uint64_t extra_features,
			   uint64_t sectors)
{
	struct virtio_blk_params p = { .path = empty ? NULL : path,
				       .fd = -1,
				       .read_only = ro,
				       .serial = "husk-serial-0123456789",
				       .nr_workers = workers,
				       .rate_limit = limit,
				       .loop = &limit_loop,
				       .clock = fake_clock,
				       .seccomp = true }; /* workers run filtered */
	struct husk_error *err = NULL;
	uint64_t offered;

	mock_guest_init(&g);
	file_fd = mkstemp(path);
	ck_assert_int_ge(file_fd, 0);
	file_pattern();
	if (sectors > DISK_SECTORS)
		ck_assert_int_eq(ftruncate(file_fd, (off_t)(sectors * 512)), 0);
	ck_assert_int_eq(virtio_blk_create(&blk, &p, &g.gm, NULL, &err), 0);
	ck_assert_uint_eq(virtio_blk_capacity(blk), empty ? 0 : sectors);
	virtio_mmio_init(&mmio, virtio_blk_dev(blk));
	mock_vq_init(&mq, &g.gm, 0, 64);
	offered = virtio_blk_dev(blk)->offered;
	ck_assert_uint_eq(mock_mmio_bring_up(&mmio, F_V1 | (offered & extra_features), &mq, 1),
			  0xf);
}

static void open_blk_as(bool empty, bool ro, unsigned int workers, uint64_t extra_features)
{
	open_blk_sized(empty, ro, workers, extra_features, DISK_SECTORS);
}

static void open_blk(bool ro, unsigned int workers, uint64_t extra_features)
{
	open_blk_as(false, ro, workers, extra_features);
}

static void close_blk(void)
{
	virtio_blk_destroy(blk);
	close(file_fd);
	unlink(path);
	strcpy(path, "/tmp/husk-test-blk-XXXXXX");
	mock_guest_fini(&g);
}

static void teardown(void)
{
	close_blk();
}

/* Wait (workers) for the next used element. */
static void wait_used(uint32_t *id, uint32_t *len)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 5000; i++) {
		if (mock_vq_get_used(&mq, id, len))
			return;
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("no completion");
}

static gpa_t header(uint32_t type, uint64_t sector)
{
	gpa_t h = mock_alloc(&g, 16);
	uint8_t *p = mock_ptr(&g, h, 16);

	le32_put(p, type);
	le64_put(p + 8, sector);
	return h;
}

/* header + optional data + status; returns the status byte, *used the length. */
static uint8_t request(uint32_t type, uint64_t sector, gpa_t data, uint32_t len, bool data_writable,
		       uint32_t *used)
{
	struct mock_buf b[3];
	unsigned int n = 0;
	gpa_t st = mock_alloc(&g, 1);
	uint32_t id, ulen;

	*(uint8_t *)mock_ptr(&g, st, 1) = STATUS_NONE;
	b[n++] = (struct mock_buf){ header(type, sector), 16, false };
	if (len)
		b[n++] = (struct mock_buf){ data, len, data_writable };
	b[n++] = (struct mock_buf){ st, 1, true };
	mock_vq_add_chain(&mq, b, n);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_used(&id, &ulen);
	if (used)
		*used = ulen;
	return *(uint8_t *)mock_ptr(&g, st, 1);
}

static void file_read(uint64_t off, void *buf, size_t len)
{
	ck_assert_int_eq(pread(file_fd, buf, len, (off_t)off), (ssize_t)len);
}

START_TEST(write_read_round_trip)
{
	gpa_t w = mock_alloc(&g, 4096), r = mock_alloc(&g, 4096);
	uint8_t *wp = mock_ptr(&g, w, 4096), disk[4096];
	uint32_t used;
	int i;

	for (i = 0; i < 4096; i++)
		wp[i] = (uint8_t)(0xa5 ^ i);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 10, w, 4096, false, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 1);
	file_read(10 * 512, disk, sizeof(disk));
	ck_assert_mem_eq(disk, wp, 4096);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 10, r, 4096, true, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 4097);
	ck_assert_mem_eq(mock_ptr(&g, r, 4096), wp, 4096);
}
END_TEST

START_TEST(read_matches_file)
{
	gpa_t r = mock_alloc(&g, 1024);
	uint8_t disk[1024];

	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, DISK_SECTORS - 2, r, 1024, true, NULL),
			  VIRTIO_BLK_S_OK);
	file_read((DISK_SECTORS - 2) * 512, disk, sizeof(disk));
	ck_assert_mem_eq(mock_ptr(&g, r, 1024), disk, 1024);
}
END_TEST

START_TEST(split_header_and_shared_status)
{
	gpa_t h = header(VIRTIO_BLK_T_IN, 3), d = mock_alloc(&g, 513);
	struct mock_buf b[3] = { { h, 5, false }, { h + 5, 11, false }, { d, 513, true } };
	uint8_t disk[512];
	uint32_t id, len;

	/* 2.6.4: framing is free; data and status may share a descriptor. */
	mock_vq_add_chain(&mq, b, 3);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_used(&id, &len);
	ck_assert_uint_eq(len, 513);
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, d + 512, 1), VIRTIO_BLK_S_OK);
	file_read(3 * 512, disk, 512);
	ck_assert_mem_eq(mock_ptr(&g, d, 512), disk, 512);
}
END_TEST

START_TEST(read_only_refuses_writes)
{
	uint8_t before[512], after[512];
	gpa_t w, r;

	close_blk();
	open_blk(true, 0, ~0ULL);
	ck_assert(virtio_blk_dev(blk)->acked & (1ULL << VIRTIO_BLK_F_RO));
	w = mock_alloc(&g, 512);
	r = mock_alloc(&g, 512);
	file_read(0, before, 512);
	memset(mock_ptr(&g, w, 512), 0x11, 512);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, w, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	file_read(0, after, 512);
	ck_assert_mem_eq(before, after, 512);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, r, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert(!virtio_dev_is_broken(virtio_blk_dev(blk)));
}
END_TEST

START_TEST(flush_ok)
{
	ck_assert_uint_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
}
END_TEST

START_TEST(get_id)
{
	gpa_t id = mock_alloc(&g, 20);
	uint32_t used;

	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, id, 20, true, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 21);
	ck_assert_mem_eq(mock_ptr(&g, id, 20), "husk-serial-01234567", 20);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, id, 19, true, NULL), VIRTIO_BLK_S_IOERR);
}
END_TEST

static uint8_t zero_req(uint32_t type, uint64_t sector, uint32_t nr, uint32_t flags)
{
	gpa_t s = mock_alloc(&g, 16);
	uint8_t *p = mock_ptr(&g, s, 16);

	le64_put(p, sector);
	le32_put(p + 8, nr);
	le32_put(p + 12, flags);
	return request(type, 0, s, 16, false, NULL);
}

static bool file_is_zero(uint64_t off, size_t len)
{
	uint8_t buf[8192];
	size_t i;

	file_read(off, buf, len);
	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

START_TEST(discard_and_write_zeroes)
{
	uint64_t f = virtio_blk_dev(blk)->offered;

	if (!(f & (1ULL << VIRTIO_BLK_F_DISCARD))) {
		static const char msg[] =
			"not run: blk discard: /tmp does not support fallocate PUNCH_HOLE\n";

		/* write(), not stdio: tests see shim/stdio.h through -Ishim */
		ck_assert_int_eq(write(STDOUT_FILENO, msg, sizeof(msg) - 1), sizeof(msg) - 1);
		return;
	}
	ck_assert(!file_is_zero(8 * 512, 4096));
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_DISCARD, 8, 8, 0), VIRTIO_BLK_S_OK);
	ck_assert(file_is_zero(8 * 512, 4096));
	ck_assert(!file_is_zero(16 * 512, 512));
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_WRITE_ZEROES, 17, 3, 0), VIRTIO_BLK_S_OK);
	ck_assert(file_is_zero(17 * 512, 3 * 512));
	ck_assert(!file_is_zero(16 * 512, 512));
	ck_assert(!file_is_zero(20 * 512, 512));
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_WRITE_ZEROES, 30, 1,
				   VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
			  VIRTIO_BLK_S_OK);
	ck_assert(file_is_zero(30 * 512, 512));
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_DISCARD, 8, 8, 1), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_DISCARD, DISK_SECTORS - 1, 2, 0),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_WRITE_ZEROES, ~0ULL, 2, 0), VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(out_of_range_sector)
{
	gpa_t r = mock_alloc(&g, 1024);

	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, DISK_SECTORS - 1, r, 1024, true, NULL),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, DISK_SECTORS, r, 512, true, NULL),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, ~0ULL, r, 512, false, NULL),
			  VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, (~0ULL) / 512, r, 512, false, NULL),
			  VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(length_not_sector_multiple)
{
	gpa_t r = mock_alloc(&g, 1024);

	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, r, 511, true, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, r, 1000, false, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, 0, 0, true, NULL), VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(wrong_direction)
{
	gpa_t d = mock_alloc(&g, 512);
	uint8_t before[512], after[512];

	file_read(0, before, 512);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, d, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, d, 512, true, NULL), VIRTIO_BLK_S_IOERR);
	file_read(0, after, 512);
	ck_assert_mem_eq(before, after, 512);
}
END_TEST

START_TEST(unknown_type_unsupp)
{
	ck_assert_uint_eq(request(VIRTIO_BLK_T_SCSI_CMD, 0, 0, 0, false, NULL),
			  VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(request(0x7fffffff, 0, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
}
END_TEST

START_TEST(missing_status_fails_device)
{
	struct mock_buf b[2] = { { header(VIRTIO_BLK_T_IN, 0), 16, false },
				 { mock_alloc(&g, 512), 512, false } };

	mock_vq_add_chain(&mq, b, 2);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert(virtio_dev_is_broken(virtio_blk_dev(blk)));
	ck_assert(mock_mmio_read(&mmio, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	ck_assert_uint_eq(mock_vq_used_idx(&mq), 0);
}
END_TEST

START_TEST(short_header_fails_device)
{
	struct mock_buf b[2] = { { header(VIRTIO_BLK_T_IN, 0), 8, false },
				 { mock_alloc(&g, 1), 1, true } };

	mock_vq_add_chain(&mq, b, 2);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert(virtio_dev_is_broken(virtio_blk_dev(blk)));
}
END_TEST

START_TEST(config_space_capacity)
{
	uint8_t b[8];

	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG, b, 8, false);
	ck_assert_uint_eq(le64_get(b), DISK_SECTORS);
	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG + 20, b, 4, false); /* blk_size */
	ck_assert_uint_eq(le32_get(b), 512);
}
END_TEST

/* More requests than the in-flight pool, on worker threads. */
START_TEST(workers_many_requests)
{
	enum { N = 48 };
	gpa_t st[N], d[N];
	unsigned int i, done = 0;
	uint32_t id, len;

	close_blk();
	open_blk(false, 2, 0);
	for (i = 0; i < N; i++) {
		struct mock_buf b[3];

		d[i] = mock_alloc(&g, 512);
		st[i] = mock_alloc(&g, 1);
		memset(mock_ptr(&g, d[i], 512), (int)i + 1, 512);
		b[0] = (struct mock_buf){ header(VIRTIO_BLK_T_OUT, i), 16, false };
		b[1] = (struct mock_buf){ d[i], 512, false };
		b[2] = (struct mock_buf){ st[i], 1, true };
		if (i == 32) /* the ring holds 64 descriptors: let some finish */
			while (done < 16) {
				wait_used(&id, &len);
				done++;
			}
		mock_vq_add_chain(&mq, b, 3);
		mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
	for (; done < N; done++)
		wait_used(&id, &len);
	for (i = 0; i < N; i++) {
		uint8_t disk[512];

		ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st[i], 1), VIRTIO_BLK_S_OK);
		file_read(i * 512ULL, disk, 512);
		ck_assert_mem_eq(disk, mock_ptr(&g, d[i], 512), 512);
	}
}
END_TEST

/* ------------------------------------------------ advertised limits */

#define SIZE_MAX_BYTES (1u << 20) /* the config's size_max */
#define SEG_MAX	       254u	  /* the config's seg_max */
#define F_LIMITS       ((1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX))

static uint32_t config_u32(uint32_t off)
{
	uint8_t b[4];

	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG + off, b, 4, false);
	return le32_get(b);
}

/* Publish @b (indirect), notify, wait; returns the status byte at @st. */
static uint8_t submit(const struct mock_buf *b, unsigned int n, gpa_t st)
{
	uint32_t id, len;

	*(uint8_t *)mock_ptr(&g, st, 1) = STATUS_NONE;
	mock_vq_add_indirect(&mq, &g, b, n);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_used(&id, &len);
	return *(uint8_t *)mock_ptr(&g, st, 1);
}

/* A read of 1 MiB + 512 bytes, in one data segment or in two. */
static uint8_t read_big(bool split)
{
	uint32_t len = SIZE_MAX_BYTES + 512;
	gpa_t d = mock_alloc(&g, len), st = mock_alloc(&g, 1);
	struct mock_buf b[4] = { { header(VIRTIO_BLK_T_IN, 8), 16, false } };
	unsigned int n = 1;

	if (split) {
		b[n++] = (struct mock_buf){ d, SIZE_MAX_BYTES, true };
		b[n++] = (struct mock_buf){ d + SIZE_MAX_BYTES, 512, true };
	} else {
		b[n++] = (struct mock_buf){ d, len, true };
	}
	b[n++] = (struct mock_buf){ st, 1, true };
	memset(mock_ptr(&g, d, len), 0xcc, len);
	return submit(b, n, st);
}

/* 5.2.3: one data segment longer than size_max fails, and touches nothing. */
START_TEST(size_max_enforced)
{
	uint8_t disk[512];
	gpa_t d;

	close_blk();
	open_blk_sized(false, false, 0, ~0ULL, 4 * DISK_SECTORS);
	ck_assert_uint_eq(config_u32(8), SIZE_MAX_BYTES);
	ck_assert_uint_eq(read_big(false), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(read_big(true), VIRTIO_BLK_S_OK);
	/* Not acked, the field binds nobody: the same segment is fine. */
	close_blk();
	open_blk_sized(false, false, 0, ~F_LIMITS, 4 * DISK_SECTORS);
	ck_assert_uint_eq(read_big(false), VIRTIO_BLK_S_OK);
	d = mock_alloc(&g, 512);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 8, d, 512, true, NULL), VIRTIO_BLK_S_OK);
	file_read(8 * 512, disk, 512);
	ck_assert_mem_eq(mock_ptr(&g, d, 512), disk, 512);
}
END_TEST

/*
 * A write of @nr 512-byte data segments. With @header_shares_data the
 * first segment sits in the header's descriptor, so 256 descriptors carry
 * 255 data segments.
 */
static uint8_t write_segments(unsigned int nr, bool header_shares_data, gpa_t *data)
{
	static struct mock_buf b[VIRTQ_CHAIN_MAX_IOV];
	gpa_t h = mock_alloc(&g, 16 + 512 * nr), st = mock_alloc(&g, 1);
	unsigned int i, n = 0;

	le32_put(mock_ptr(&g, h, 16), VIRTIO_BLK_T_OUT);
	le64_put(mock_ptr(&g, h, 16) + 8, 100);
	*data = h + 16;
	for (i = 0; i < 512 * nr; i++)
		*(uint8_t *)mock_ptr(&g, *data + i, 1) = (uint8_t)(i * 3 + i / 512);
	if (header_shares_data)
		b[n++] = (struct mock_buf){ h, 16 + 512, false };
	else
		b[n++] = (struct mock_buf){ h, 16, false };
	for (i = header_shares_data ? 1 : 0; i < nr; i++)
		b[n++] = (struct mock_buf){ *data + 512 * i, 512, false };
	b[n++] = (struct mock_buf){ st, 1, true };
	return submit(b, n, st);
}

/* 5.2.3: more data segments than seg_max fail, and write nothing. */
START_TEST(seg_max_enforced)
{
	static uint8_t before[(SEG_MAX + 1) * 512], after[sizeof(before)];
	gpa_t d;

	ck_assert_uint_eq(config_u32(12), SEG_MAX);
	file_read(100 * 512, before, sizeof(before));
	ck_assert_uint_eq(write_segments(SEG_MAX + 1, true, &d), VIRTIO_BLK_S_IOERR);
	file_read(100 * 512, after, sizeof(after));
	ck_assert_mem_eq(before, after, sizeof(before));
	ck_assert_uint_eq(write_segments(SEG_MAX, false, &d), VIRTIO_BLK_S_OK);
	file_read(100 * 512, after, SEG_MAX * 512);
	ck_assert_mem_eq(after, mock_ptr(&g, d, SEG_MAX * 512), SEG_MAX * 512);
	ck_assert(!virtio_dev_is_broken(virtio_blk_dev(blk)));
	/* Not acked: the chain's own bounds are the only limit. */
	close_blk();
	open_blk(false, 0, ~F_LIMITS);
	ck_assert_uint_eq(write_segments(SEG_MAX + 1, true, &d), VIRTIO_BLK_S_OK);
	file_read(100 * 512, after, sizeof(after));
	ck_assert_mem_eq(after, mock_ptr(&g, d, sizeof(after)), sizeof(after));
}
END_TEST

/* ------------------------------------------------ activation */

/*
 * virtio_dev_activate() sets dev->active, then calls blk_activate(); after
 * a reset the drain's stopping flag is set until blk_activate() clears it.
 * A kick landing in between (another vCPU, the event loop) reached the
 * queue while nothing could be popped and was lost. This replays that
 * interleaving step by step: the request must still be served.
 */
START_TEST(kick_during_activation_served)
{
	struct virtio_dev *dev = virtio_blk_dev(blk);
	struct virtq *q = &dev->queues[0];
	uint8_t disk[512];
	gpa_t d = mock_alloc(&g, 512), st = mock_alloc(&g, 1);
	struct mock_buf b[3] = { { header(VIRTIO_BLK_T_IN, 5), 16, false },
				 { d, 512, true },
				 { st, 1, true } };
	uint32_t id, len;

	/* The driver resets and sets up again, up to the queues (3.1.1). */
	mock_mmio_write(&mmio, VIRTIO_MMIO_STATUS, 0);
	mock_vq_init(&mq, &g.gm, 0, 64);
	mock_mmio_write(&mmio, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mock_mmio_write(&mmio, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mock_mmio_write(&mmio, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mock_mmio_write(&mmio, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	mock_mmio_write(&mmio, VIRTIO_MMIO_STATUS,
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK);
	mock_mmio_setup_queue(&mmio, 0, &mq);
	*(uint8_t *)mock_ptr(&g, st, 1) = STATUS_NONE;
	mock_vq_add_chain(&mq, b, 3);
	/* DRIVER_OK, as virtio_dev_activate() runs it, with the kick inside. */
	pthread_mutex_lock(&dev->lock);
	virtq_lock(q);
	ck_assert_int_eq(virtq_activate(q), 0);
	virtq_unlock(q);
	__atomic_store_n(&dev->active, true, __ATOMIC_RELEASE);
	virtio_dev_notify(dev, 0);
	ck_assert_int_eq(dev->ops->activate(dev), 0);
	pthread_mutex_unlock(&dev->lock);
	ck_assert(mock_vq_get_used(&mq, &id, &len));
	ck_assert_uint_eq(len, 513);
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st, 1), VIRTIO_BLK_S_OK);
	file_read(5 * 512, disk, 512);
	ck_assert_mem_eq(mock_ptr(&g, d, 512), disk, 512);
}
END_TEST

/* ------------------------------------------------ hot media change */

static uint64_t config_capacity(void)
{
	uint8_t b[8];

	virtio_mmio_io(&mmio, VIRTIO_MMIO_CONFIG, b, 8, false);
	return le64_get(b);
}

static uint32_t config_gen(void)
{
	return mock_mmio_read(&mmio, VIRTIO_MMIO_CONFIG_GENERATION);
}

/* The config-change bit is pending; ack it so the next change is seen anew. */
static void assert_config_interrupt(void)
{
	uint32_t isr = mock_mmio_read(&mmio, VIRTIO_MMIO_INTERRUPT_STATUS);

	ck_assert_uint_ne(isr & VIRTIO_MMIO_INT_CONFIG, 0);
	mock_mmio_write(&mmio, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
}

static void attach(bool ro)
{
	struct husk_error *err = NULL;

	ck_assert_int_eq(virtio_blk_attach(blk, path, -1, ro, &err), 0);
}

static void setup_empty(void)
{
	open_blk_as(true, false, 0, ~0ULL);
}

START_TEST(empty_slot_fails_requests)
{
	gpa_t d = mock_alloc(&g, 512), id = mock_alloc(&g, 20);
	struct husk_error *err = NULL;

	ck_assert_uint_eq(config_capacity(), 0);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, d, 512, true, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, d, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_DISCARD, 0, 8, 0), VIRTIO_BLK_S_IOERR);
	/* the serial belongs to the slot, medium or not */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, id, 20, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(mock_ptr(&g, id, 20), "husk-serial-01234567", 20);
	ck_assert(!virtio_dev_is_broken(virtio_blk_dev(blk)));
	ck_assert_int_eq(virtio_blk_detach(blk, &err), -ENXIO);
	husk_error_free(err);
}
END_TEST

START_TEST(attach_read_detach)
{
	gpa_t r = mock_alloc(&g, 1024), w = mock_alloc(&g, 512);
	uint32_t gen0 = config_gen(), gen1;
	uint8_t disk[1024];

	attach(false);
	gen1 = config_gen();
	ck_assert_uint_ne(gen1, gen0);
	assert_config_interrupt();
	ck_assert_uint_eq(config_capacity(), DISK_SECTORS);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 7, r, 1024, true, NULL), VIRTIO_BLK_S_OK);
	file_read(7 * 512, disk, sizeof(disk));
	ck_assert_mem_eq(mock_ptr(&g, r, 1024), disk, 1024);
	memset(mock_ptr(&g, w, 512), 0x5c, 512);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 1, w, 512, false, NULL), VIRTIO_BLK_S_OK);
	file_read(512, disk, 512);
	ck_assert_mem_eq(disk, mock_ptr(&g, w, 512), 512);

	ck_assert_int_eq(virtio_blk_detach(blk, NULL), 0);
	ck_assert_uint_ne(config_gen(), gen1);
	assert_config_interrupt();
	ck_assert_uint_eq(config_capacity(), 0);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 7, r, 512, true, NULL), VIRTIO_BLK_S_IOERR);
}
END_TEST

START_TEST(attach_twice_busy)
{
	struct husk_error *err = NULL;

	attach(false);
	ck_assert_int_eq(virtio_blk_attach(blk, path, -1, false, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "already has a medium"));
	husk_error_free(err);
	ck_assert_uint_eq(config_capacity(), DISK_SECTORS);
}
END_TEST

START_TEST(attach_missing_file_stays_empty)
{
	struct husk_error *err = NULL;
	uint32_t gen = config_gen();

	ck_assert_int_eq(virtio_blk_attach(blk, "/nonexistent/husk.img", -1, false, &err), -ENOENT);
	husk_error_free(err);
	ck_assert_uint_eq(config_gen(), gen);
	ck_assert_uint_eq(config_capacity(), 0);
}
END_TEST

/* Read-only media in a slot the guest probed as writable: writes fail. */
START_TEST(attach_read_only_refuses_writes)
{
	gpa_t w = mock_alloc(&g, 512);
	uint8_t before[512], after[512];

	file_read(0, before, 512);
	attach(true);
	memset(mock_ptr(&g, w, 512), 0x11, 512);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, w, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	/* a read-only medium is not probed for fallocate: nothing to zero with */
	ck_assert_uint_eq(zero_req(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0), VIRTIO_BLK_S_UNSUPP);
	file_read(0, after, 512);
	ck_assert_mem_eq(before, after, 512);
}
END_TEST

/*
 * Detach while workers run requests: every request completes, each either
 * on the medium (OK, data landed in the file) or after it left (IOERR),
 * and the device never breaks.
 */
START_TEST(detach_under_load)
{
	enum { N = 20 }; /* 3 descriptors each: the ring holds 64 */
	gpa_t st[N], d[N];
	unsigned int i, ok = 0, ioerr = 0;
	uint32_t id, len;

	close_blk();
	open_blk_as(true, false, 2, 0);
	attach(false);
	for (i = 0; i < N; i++) {
		struct mock_buf b[3];

		d[i] = mock_alloc(&g, 4096);
		st[i] = mock_alloc(&g, 1);
		*(uint8_t *)mock_ptr(&g, st[i], 1) = STATUS_NONE;
		memset(mock_ptr(&g, d[i], 4096), (int)i + 1, 4096);
		b[0] = (struct mock_buf){ header(VIRTIO_BLK_T_OUT, i * 8ULL), 16, false };
		b[1] = (struct mock_buf){ d[i], 4096, false };
		b[2] = (struct mock_buf){ st[i], 1, true };
		mock_vq_add_chain(&mq, b, 3);
		mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		if (i == N / 2)
			ck_assert_int_eq(virtio_blk_detach(blk, NULL), 0);
	}
	for (i = 0; i < N; i++)
		wait_used(&id, &len);
	for (i = 0; i < N; i++) {
		uint8_t s = *(uint8_t *)mock_ptr(&g, st[i], 1), disk[4096];

		if (s == VIRTIO_BLK_S_OK) {
			file_read(i * 4096ULL, disk, sizeof(disk));
			ck_assert_mem_eq(disk, mock_ptr(&g, d[i], 4096), 4096);
			ok++;
		} else {
			ck_assert_uint_eq(s, VIRTIO_BLK_S_IOERR);
			ioerr++;
		}
	}
	ck_assert_uint_gt(ok, 0);    /* the first request was popped before the detach */
	ck_assert_uint_gt(ioerr, 0); /* the last after it */
	ck_assert(!virtio_dev_is_broken(virtio_blk_dev(blk)));
}
END_TEST

/* ------------------------------------------------ rate limits */

#define MS 1000000ULL
#define S  1000000000ULL

/* Post a 512-byte request for @sector without waiting; returns its status byte's address. */
static gpa_t post(uint32_t type, uint64_t sector, gpa_t data)
{
	gpa_t st = mock_alloc(&g, 1);
	struct mock_buf b[3] = { { header(type, sector), 16, false },
				 { data, 512, type == VIRTIO_BLK_T_IN },
				 { st, 1, true } };

	*(uint8_t *)mock_ptr(&g, st, 1) = STATUS_NONE;
	mock_vq_add_chain(&mq, b, 3);
	return st;
}

static unsigned int used_now(void)
{
	uint32_t id, len;
	unsigned int n = 0;

	while (mock_vq_get_used(&mq, &id, &len))
		n++;
	return n;
}

/* Run the loop (the limiter's timer) until @n more requests complete. */
static void loop_until_used(unsigned int n)
{
	unsigned int got = 0;
	int i;

	for (i = 0; i < 100 && got < n; i++) {
		event_loop_run_once(&limit_loop, 100);
		got += used_now();
	}
	ck_assert_uint_eq(got, n);
}

static void setup_limited(const struct husk_rate_limit *l)
{
	fake_now = 100 * S;
	limit = *l;
	ck_assert_int_eq(event_loop_init(&limit_loop, NULL), 0);
	open_blk(false, 0, ~0ULL);
}

static void setup_ops_limit(void)
{
	setup_limited(&(struct husk_rate_limit){ .ops = { .rate = 4 } });
}

static void setup_bw_limit(void)
{
	setup_limited(&(struct husk_rate_limit){ .bandwidth = { .rate = 4096 } });
}

static void teardown_limited(void)
{
	close_blk(); /* with a request held and its timer armed: must not hang */
	event_loop_fini(&limit_loop);
	memset(&limit, 0, sizeof(limit));
}

/* 4 ops/s: a burst of 7 writes gives 4 at once, the rest as tokens come back. */
START_TEST(ops_limit_holds_then_resumes)
{
	gpa_t d[7], st[7], r = mock_alloc(&g, 512);
	uint8_t disk[512];
	unsigned int i;

	for (i = 0; i < 7; i++) {
		d[i] = mock_alloc(&g, 512);
		memset(mock_ptr(&g, d[i], 512), 0x40 + (int)i, 512);
		st[i] = post(VIRTIO_BLK_T_OUT, 100 + i, d[i]);
	}
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(used_now(), 4);
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st[4], 1), STATUS_NONE);
	ck_assert_uint_eq(virtio_blk_throttled(blk), 1); /* the fifth, held */
	/* another notification while the clock stands still takes nothing */
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(used_now(), 0);
	ck_assert_uint_eq(virtio_blk_throttled(blk), 2); /* asked again, refused again */
	/* a quarter second's tokens: the timer lets exactly one more through */
	fake_now += S / 4;
	loop_until_used(1);
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st[4], 1), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st[5], 1), STATUS_NONE);
	fake_now += S;
	loop_until_used(2);
	for (i = 0; i < 7; i++) {
		ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st[i], 1), VIRTIO_BLK_S_OK);
		file_read((100 + i) * 512ULL, disk, 512);
		ck_assert_mem_eq(disk, mock_ptr(&g, d[i], 512), 512);
	}
	/* 4 tokens came back with that second, 2 were spent: 2 reads go, a third waits */
	post(VIRTIO_BLK_T_IN, 106, r);
	post(VIRTIO_BLK_T_IN, 106, r);
	post(VIRTIO_BLK_T_IN, 106, r);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(used_now(), 2);
	ck_assert_mem_eq(mock_ptr(&g, r, 512), mock_ptr(&g, d[6], 512), 512);
	/* the sixth waited once for the timer, the last read waits now */
	ck_assert_uint_eq(virtio_blk_throttled(blk), 4);
}
END_TEST

/* 4096 bytes/s: an 8 KiB request goes whole on a full bucket and leaves a debt. */
START_TEST(bandwidth_over_size_request)
{
	gpa_t big = mock_alloc(&g, 8192), small = mock_alloc(&g, 512), st = mock_alloc(&g, 1);
	struct mock_buf b[3] = { { header(VIRTIO_BLK_T_IN, 0), 16, false },
				 { big, 8192, true },
				 { st, 1, true } };
	uint8_t disk[8192];
	gpa_t st2;

	mock_vq_add_chain(&mq, b, 3);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(used_now(), 1);
	file_read(0, disk, sizeof(disk));
	ck_assert_mem_eq(mock_ptr(&g, big, 8192), disk, sizeof(disk));
	/* 4096 bytes in debt: 512 more need 1.125 s */
	st2 = post(VIRTIO_BLK_T_IN, 3, small);
	fake_now += S;
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(used_now(), 0);
	fake_now += 125 * MS;
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(used_now(), 1);
	ck_assert_uint_eq(*(uint8_t *)mock_ptr(&g, st2, 1), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(mock_ptr(&g, small, 512), disk + 3 * 512, 512);
}
END_TEST

/* A reset forgets the held request; the device then works as new. */
START_TEST(reset_drops_held_request)
{
	gpa_t d = mock_alloc(&g, 512);
	unsigned int i;

	for (i = 0; i < 5; i++)
		post(VIRTIO_BLK_T_IN, i, d);
	mock_mmio_write(&mmio, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(used_now(), 4);
	mock_mmio_write(&mmio, VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(mock_mmio_read(&mmio, VIRTIO_MMIO_STATUS), 0);
	mock_vq_init(&mq, &g.gm, 0, 64);
	ck_assert_uint_eq(mock_mmio_bring_up(&mmio, F_V1, &mq, 1), 0xf);
	fake_now += S;
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 1, d, 512, true, NULL), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used_now(), 0); /* the held one is gone, not completed late */
}
END_TEST

static void setup(void)
{
	open_blk(false, 0, ~0ULL);
}

static Suite *suite(void)
{
	Suite *s = suite_create("blk");
	TCase *tc = tcase_create("requests");
	TCase *bad = tcase_create("malformed");
	TCase *media = tcase_create("media");
	TCase *lim = tcase_create("limit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, write_read_round_trip);
	tcase_add_test(tc, read_matches_file);
	tcase_add_test(tc, split_header_and_shared_status);
	tcase_add_test(tc, read_only_refuses_writes);
	tcase_add_test(tc, flush_ok);
	tcase_add_test(tc, get_id);
	tcase_add_test(tc, discard_and_write_zeroes);
	tcase_add_test(tc, config_space_capacity);
	tcase_add_test(tc, workers_many_requests);
	tcase_add_test(tc, size_max_enforced);
	tcase_add_test(tc, seg_max_enforced);
	tcase_add_test(tc, kick_during_activation_served);
	tcase_add_test(bad, out_of_range_sector);
	tcase_add_test(bad, length_not_sector_multiple);
	tcase_add_test(bad, wrong_direction);
	tcase_add_test(bad, unknown_type_unsupp);
	tcase_add_test(bad, missing_status_fails_device);
	tcase_add_test(bad, short_header_fails_device);
	tcase_add_checked_fixture(media, setup_empty, teardown);
	tcase_set_timeout(media, 20);
	tcase_add_test(media, empty_slot_fails_requests);
	tcase_add_test(media, attach_read_detach);
	tcase_add_test(media, attach_twice_busy);
	tcase_add_test(media, attach_missing_file_stays_empty);
	tcase_add_test(media, attach_read_only_refuses_writes);
	tcase_add_test(media, detach_under_load);
	tcase_add_checked_fixture(lim, setup_ops_limit, teardown_limited);
	tcase_set_timeout(lim, 30);
	tcase_add_test(lim, ops_limit_holds_then_resumes);
	tcase_add_test(lim, reset_drops_held_request);
	suite_add_tcase(s, lim);
	lim = tcase_create("limit_bw");
	tcase_add_checked_fixture(lim, setup_bw_limit, teardown_limited);
	tcase_add_test(lim, bandwidth_over_size_request);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, media);
	suite_add_tcase(s, lim);
	return s;
}

UNIT_MAIN()
