/* SPDX-License-Identifier: Apache-2.0 */
/*
 * initramfs.h - an in-memory initramfs around one static init program.
 *
 * The archive is cpio "newc" (Linux Documentation/driver-api/early-userspace/
 * buffer-format.rst), uncompressed, holding:
 *
 *	dev/		0755
 *	dev/console	char device 5:1, 0600 (PID 1 gets its stdio from it
 *			before devtmpfs is mounted)
 *	proc/ sys/	0755, mount points
 *	tmp/		1777
 *	init		0755, the program's bytes
 *	TRAILER!!!
 *
 * Every entry is owned by root with mtime 0, so the same program always
 * gives the same bytes. The kernel unpacks several archives placed back to
 * back (the initrd's first, then this one) as long as each starts on a
 * 4-byte boundary; zero bytes between them are skipped.
 */
#ifndef HUSK_VMM_BASE_INITRAMFS_H
#define HUSK_VMM_BASE_INITRAMFS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Every newc header and every file body starts on this boundary. */
#define INITRAMFS_ALIGN	  4
#define INITRAMFS_HDR_LEN 110 /* "070701" + 13 fields of 8 hex digits */
#define INITRAMFS_MAGIC	  "070701"
#define INITRAMFS_TRAILER "TRAILER!!!"

/*
 * initramfs_build - the archive above with @init (@init_len bytes) as
 * /init. On success *@out is a malloc'd buffer (the caller frees it) of
 * *@out_len bytes, a multiple of INITRAMFS_ALIGN. Returns 0, -EFBIG when
 * @init does not fit a newc size field (4 GiB), or -ENOMEM.
 */
int initramfs_build(const void *init, size_t init_len, uint8_t **out, size_t *out_len,
		    struct husk_error **err);

#endif
