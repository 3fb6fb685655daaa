/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chain.h - a popped descriptor chain, and cursors to read and write it.
 *
 * virtq_pop() resolves and validates every descriptor of a chain into
 * host iovecs once; devices then consume the driver-written ("out") bytes
 * through a chain_reader and fill the device-writable ("in") bytes through
 * a chain_writer. Devices never walk descriptors and never see a guest
 * address. Framing is the driver's choice (virtio 1.2 section 2.6.4): the
 * cursors treat each side as one byte stream, whatever the descriptor
 * boundaries.
 *
 * A chain is plain memory owned by whoever popped it; it may move between
 * threads (a blk request goes to a worker) but is used by one at a time.
 */
#ifndef HUSK_VMM_VIRTIO_CHAIN_H
#define HUSK_VMM_VIRTIO_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * Most segments one chain may have, direct and indirect together. Linux
 * never builds a chain longer than its queue (virtio 1.2 2.7.13.3.1 for
 * direct chains) and the queues of the devices husk serves itself are at
 * most this big; an indirect table is capped at the same number of
 * entries. (virtio-fs queues may be larger, but husk pops them only after
 * their backend died, and a longer chain there just fails the device.)
 */
#define VIRTQ_CHAIN_MAX_IOV 256

struct virtq_chain {
	uint16_t head;		  /* id to give back in the used ring */
	uint16_t nr_out;	  /* iov[0, nr_out): device-readable */
	uint16_t nr_in;		  /* iov[nr_out, nr_out + nr_in): device-writable */
	uint32_t out_len, in_len; /* byte totals of each side */
	struct iovec iov[VIRTQ_CHAIN_MAX_IOV];
};

/* A cursor over one side of a chain (or over any iovec array). */
struct chain_cursor {
	const struct iovec *iov;
	unsigned int nr;  /* iovecs in iov[] */
	unsigned int idx; /* current iovec */
	size_t off;	  /* offset inside iov[idx] */
	size_t remaining; /* bytes left from the cursor to the end */
	size_t done;	  /* bytes consumed so far */
};

struct chain_reader {
	struct chain_cursor c;
};

struct chain_writer {
	struct chain_cursor c;
};

/* chain_reader_init - a reader over the chain's device-readable bytes. */
void chain_reader_init(struct chain_reader *r, const struct virtq_chain *ch);

/* chain_writer_init - a writer over the chain's device-writable bytes. */
void chain_writer_init(struct chain_writer *w, const struct virtq_chain *ch);

/*
 * chain_read - copy the next @len bytes to @buf. All or nothing: returns 0,
 * or -EMSGSIZE (nothing consumed) when fewer than @len bytes remain.
 */
int chain_read(struct chain_reader *r, void *buf, size_t len);

/* chain_write - copy @len bytes from @buf; all or nothing like chain_read. */
int chain_write(struct chain_writer *w, const void *buf, size_t len);

/* chain_*_skip - advance by @len bytes; -EMSGSIZE (no move) if too few. */
int chain_reader_skip(struct chain_reader *r, size_t len);
int chain_writer_skip(struct chain_writer *w, size_t len);

/* Bytes left after the cursor. */
size_t chain_reader_remaining(const struct chain_reader *r);
size_t chain_writer_remaining(const struct chain_writer *w);

/* Bytes consumed so far; for a writer, the used-ring length to report. */
size_t chain_reader_done(const struct chain_reader *r);
size_t chain_writer_done(const struct chain_writer *w);

/*
 * chain_*_export - describe the next @len bytes as at most @max iovecs in
 * @out (for readv/writev/preadv/pwritev) and advance past them. Returns the
 * number of iovecs, or -EMSGSIZE (fewer than @len bytes left) or -E2BIG
 * (more than @max iovecs needed); nothing moves on error. A writer that
 * exports then fails the I/O simply reports a smaller used length.
 */
int chain_reader_export(struct chain_reader *r, size_t len, struct iovec *out, unsigned int max);
int chain_writer_export(struct chain_writer *w, size_t len, struct iovec *out, unsigned int max);

/*
 * chain_writer_split_tail - detach the last @len writable bytes into @tail
 * (e.g. virtio-blk's status byte, 5.2.6) and shrink @w to end before them.
 * Returns 0 or -EMSGSIZE when fewer than @len bytes remain in @w.
 */
int chain_writer_split_tail(struct chain_writer *w, size_t len, struct chain_writer *tail);

#endif
