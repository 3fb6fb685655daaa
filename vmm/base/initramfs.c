// SPDX-License-Identifier: Apache-2.0
/* initramfs.c - write the cpio "newc" archive described in initramfs.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/base/initramfs.h"

struct initramfs_entry {
	const char *name;
	uint32_t mode; /* file type and permission bits */
	uint32_t rdev_major, rdev_minor;
	const void *data; /* regular files only */
	size_t len;
};

static size_t initramfs_align(size_t n)
{
	return (n + INITRAMFS_ALIGN - 1) & ~(size_t)(INITRAMFS_ALIGN - 1);
}

/* Header plus name, padded; then the body, padded. */
static size_t initramfs_entry_size(const struct initramfs_entry *e)
{
	return initramfs_align(INITRAMFS_HDR_LEN + strlen(e->name) + 1) + initramfs_align(e->len);
}

/*
 * Append one entry at @p (zero-filled, so padding needs no writes) and
 * return the end. @ino only has to be unique: the kernel uses it to
 * recognise hard links, and there are none.
 */
static uint8_t *initramfs_put(uint8_t *p, const struct initramfs_entry *e, uint32_t ino)
{
	size_t name_len = strlen(e->name) + 1;
	char hdr[INITRAMFS_HDR_LEN + 1];

	snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 INITRAMFS_MAGIC, ino, e->mode, 0u, 0u, S_ISDIR(e->mode) ? 2u : 1u, /* nlink */
		 0u, (uint32_t)e->len, 0u, 0u, /* mtime, size, dev */
		 e->rdev_major, e->rdev_minor, (uint32_t)name_len, 0u);
	memcpy(p, hdr, INITRAMFS_HDR_LEN);
	memcpy(p + INITRAMFS_HDR_LEN, e->name, name_len);
	p += initramfs_align(INITRAMFS_HDR_LEN + name_len);
	if (e->len)
		memcpy(p, e->data, e->len);
	return p + initramfs_align(e->len);
}

int initramfs_build(const void *init, size_t init_len, uint8_t **out, size_t *out_len,
		    struct husk_error **err)
{
	const struct initramfs_entry ents[] = {
		{ .name = "dev", .mode = S_IFDIR | 0755 },
		{ .name = "dev/console", .mode = S_IFCHR | 0600, .rdev_major = 5, .rdev_minor = 1 },
		{ .name = "proc", .mode = S_IFDIR | 0755 },
		{ .name = "sys", .mode = S_IFDIR | 0755 },
		{ .name = "tmp", .mode = S_IFDIR | 01777 },
		{ .name = "init", .mode = S_IFREG | 0755, .data = init, .len = init_len },
		{ .name = INITRAMFS_TRAILER },
	};
	size_t i, total = 0;
	uint8_t *buf, *p;

	if ((uint64_t)init_len > UINT32_MAX)
		return husk_err(err, EFBIG, "initramfs: init is %zu bytes", init_len);
	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		total += initramfs_entry_size(&ents[i]);
	buf = calloc(1, total);
	if (!buf)
		return husk_err(err, ENOMEM, "initramfs: %zu bytes", total);
	p = buf;
	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		p = initramfs_put(p, &ents[i], (uint32_t)(i + 1));
	*out = buf;
	*out_len = total;
	return 0;
}
