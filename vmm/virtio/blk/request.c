// SPDX-License-Identifier: Apache-2.0
/*
 * request.c - virtio-blk request parsing and execution (virtio 1.2 5.2.6).
 *
 * The request is a byte stream (2.6.4): a 16-byte header the driver wrote,
 * then data (readable for OUT, writable for IN), then one status byte the
 * device writes last. Framing violations (no status byte, no header) fail
 * the device; a well-framed request the device cannot honour (out of
 * range, over the advertised size_max / seg_max, ...) completes with IOERR
 * or UNSUPP, like Firecracker's request parser.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vmm/virtio/blk/blk_internal.h"

static enum blk_verdict blk_status(struct blk_req *req, uint8_t status)
{
	req->result = status;
	return BLK_DONE;
}

/* 5.2.6.1: sector + n must not wrap and must end inside the disk. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t nr)
{
	uint64_t end;

	return !__builtin_add_overflow(sector, nr, &end) && end <= b->capacity;
}

/*
 * 5.2.3: the limits the config space advertises, once the driver acked
 * them: at most seg_max data segments, none longer than size_max. The
 * exported iovecs are exactly the data part of each descriptor, however
 * the driver framed header and status. The spec names no status for a
 * request over them; like any request the device cannot honour, IOERR.
 */
static bool blk_segments_ok(const struct virtio_blk *b, const struct blk_req *req)
{
	int i;

	if (virtio_dev_has(&b->dev, VIRTIO_BLK_F_SEG_MAX) &&
	    (uint32_t)req->iovcnt > le32toh(b->config.seg_max))
		return false;
	if (!virtio_dev_has(&b->dev, VIRTIO_BLK_F_SIZE_MAX))
		return true;
	for (i = 0; i < req->iovcnt; i++)
		if (req->iov[i].iov_len > le32toh(b->config.size_max))
			return false;
	return true;
}

/* IN (read into writable data) and OUT (write readable data). */
static enum blk_verdict blk_parse_rw(struct virtio_blk *b, struct blk_req *req,
				     struct chain_reader *r, struct chain_writer *w,
				     uint64_t sector)
{
	bool out = req->type == VIRTIO_BLK_T_OUT;
	size_t len = out ? chain_reader_remaining(r) : chain_writer_remaining(w);

	/* data direction must match the type: nothing on the other side */
	if (out ? chain_writer_remaining(w) : chain_reader_remaining(r))
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	if (!len || len % VIRTIO_BLK_SECTOR)
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	if (out && b->ro) /* 5.2.6.2: a write to a read-only device fails */
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	if (!blk_range_ok(b, sector, len / VIRTIO_BLK_SECTOR))
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	req->iovcnt = out ? chain_reader_export(r, len, req->iov, VIRTQ_CHAIN_MAX_IOV) :
			    chain_writer_export(w, len, req->iov, VIRTQ_CHAIN_MAX_IOV);
	if (req->iovcnt < 0 || !blk_segments_ok(b, req))
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	req->offset = sector * VIRTIO_BLK_SECTOR;
	req->len = len;
	return BLK_IO;
}

/* 5.2.6: GET_ID writes the 20-byte serial, NUL-padded, no terminator needed. */
static enum blk_verdict blk_get_id(struct virtio_blk *b, struct blk_req *req,
				   struct chain_writer *w)
{
	if (chain_write(w, b->serial, sizeof(b->serial)) < 0)
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	req->written = sizeof(b->serial);
	return blk_status(req, VIRTIO_BLK_S_OK);
}

/* DISCARD / WRITE_ZEROES: one 16-byte segment (max_*_seg is 1). */
static enum blk_verdict blk_parse_zero(struct virtio_blk *b, struct blk_req *req,
				       struct chain_reader *r, struct chain_writer *w)
{
	bool discard = req->type == VIRTIO_BLK_T_DISCARD;
	struct virtio_blk_discard_write_zeroes seg;
	uint32_t nr, flags;
	uint64_t sector;

	if (discard ? !b->can_punch : !(b->can_punch || b->can_zero))
		return blk_status(req, VIRTIO_BLK_S_UNSUPP);
	if (b->ro || chain_writer_remaining(w) || chain_reader_remaining(r) != sizeof(seg) ||
	    chain_read(r, &seg, sizeof(seg)) < 0)
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	sector = le64toh(seg.sector);
	nr = le32toh(seg.num_sectors);
	flags = le32toh(seg.flags);
	/* 5.2.6.2: UNMAP is only meaningful for WRITE_ZEROES; other bits reserved */
	if (flags & ~(discard ? 0u : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
		return blk_status(req, VIRTIO_BLK_S_UNSUPP);
	if (nr > VIRTIO_BLK_MAX_ZERO_SECTORS || !blk_range_ok(b, sector, nr))
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	req->offset = sector * VIRTIO_BLK_SECTOR;
	req->len = (uint64_t)nr * VIRTIO_BLK_SECTOR;
	req->unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	return BLK_IO;
}

enum blk_verdict blk_req_parse(struct virtio_blk *b, struct blk_req *req)
{
	struct virtio_blk_outhdr hdr;
	struct chain_reader r;
	struct chain_writer w;

	chain_reader_init(&r, &req->chain);
	chain_writer_init(&w, &req->chain);
	req->written = 0;
	req->iovcnt = 0;
	if (chain_writer_split_tail(&w, 1, &req->status) < 0) {
		virtio_dev_fail(&b->dev, "blk: request %u has no status byte", req->chain.head);
		return BLK_BROKEN;
	}
	if (chain_read(&r, &hdr, sizeof(hdr)) < 0) {
		virtio_dev_fail(&b->dev, "blk: request %u header shorter than %zu bytes",
				req->chain.head, sizeof(hdr));
		return BLK_BROKEN;
	}
	req->type = le32toh(hdr.type);
	/* An empty slot: nothing to read, write or flush (media.c). */
	if (b->fd < 0 && req->type != VIRTIO_BLK_T_GET_ID)
		return blk_status(req, VIRTIO_BLK_S_IOERR);
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return blk_parse_rw(b, req, &r, &w, le64toh(hdr.sector));
	case VIRTIO_BLK_T_FLUSH:
		return b->ro ? blk_status(req, VIRTIO_BLK_S_OK) : BLK_IO;
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(b, req, &w);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_parse_zero(b, req, &r, &w);
	}
	return blk_status(req, VIRTIO_BLK_S_UNSUPP);
}

/* preadv/pwritev until done; the iovecs are consumed in place. */
static int blk_rw_full(int fd, struct iovec *iov, int cnt, uint64_t off, bool out, uint32_t *done)
{
	while (cnt > 0) {
		ssize_t n = out ? pwritev(fd, iov, cnt, (off_t)off) :
				  preadv(fd, iov, cnt, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1; /* error, or the backend shrank under us */
		off += (uint64_t)n;
		*done += (uint32_t)n;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int blk_zero(struct virtio_blk *b, struct blk_req *req)
{
	int mode = FALLOC_FL_KEEP_SIZE;

	/* A punched hole reads back as zeroes, so it also serves WRITE_ZEROES. */
	if (req->type == VIRTIO_BLK_T_DISCARD || (req->unmap && b->can_punch) || !b->can_zero)
		mode |= FALLOC_FL_PUNCH_HOLE;
	else
		mode |= FALLOC_FL_ZERO_RANGE;
	return fallocate(b->fd, mode, (off_t)req->offset, (off_t)req->len);
}

/* Runs on a worker (or inline): no lock held, touches only @req and the fd. */
void blk_req_execute(struct virtio_blk *b, struct blk_req *req)
{
	uint32_t done = 0;
	int ret;

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		ret = blk_rw_full(b->fd, req->iov, req->iovcnt, req->offset,
				  req->type == VIRTIO_BLK_T_OUT, &done);
		if (req->type == VIRTIO_BLK_T_IN)
			req->written = done;
		break;
	case VIRTIO_BLK_T_FLUSH:
		ret = fdatasync(b->fd);
		break;
	default:
		ret = blk_zero(b, req);
	}
	req->result = ret < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}
