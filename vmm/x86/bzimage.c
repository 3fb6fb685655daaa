// SPDX-License-Identifier: Apache-2.0
/*
 * bzimage.c - bzImage setup-header validation and loading, per
 * Documentation/x86/boot.rst ("The real-mode kernel header", "Details of
 * header fields", "64-bit boot protocol"). Every field read is bounds
 * checked first; every sum of image-supplied numbers is overflow checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/base/gunzip.h"
#include "vmm/x86/bzimage.h"
#include "vmm/base/layout.h"
#include "vmm/x86/zeropage.h"

#define BZ_SECTOR	       512
#define BZ_DEFAULT_SETUP_SECTS 4 /* boot.rst: "if this field is 0, the real value is 4" */

static int bzimage_check_magic(const uint8_t *img, size_t len, struct husk_error **err)
{
	uint16_t v;

	if (len < SH_VERSION + 2)
		return husk_err(err, 0, "bzImage: image is %zu bytes, too small for a setup header",
				len);
	if (le16_get(img + SH_BOOT_FLAG) != SH_BOOT_FLAG_MAGIC)
		return husk_err(err, 0, "bzImage: boot flag 0x%04x at 0x1fe, expected 0xaa55",
				le16_get(img + SH_BOOT_FLAG));
	if (le32_get(img + SH_HEADER) != SH_HDRS_MAGIC)
		return husk_err(err, 0, "bzImage: setup header magic missing");
	v = le16_get(img + SH_VERSION);
	/* 2.12 is the first protocol with xloadflags (XLF_KERNEL_64). */
	if (v < SH_MIN_VERSION)
		return husk_err(err, 0, "bzImage: boot protocol %u.%02u is older than 2.12", v >> 8,
				v & 0xff);
	return 0;
}

static int bzimage_check_header(struct x86_bzimage *bz, struct husk_error **err)
{
	const uint8_t *img = bz->img;

	/* boot.rst: the header ends at 0x202 + the jump's offset byte. */
	bz->hdr_end = 0x202 + (size_t)img[SH_JUMP + 1];
	if (bz->hdr_end < SH_END_2_12)
		return husk_err(err, 0,
				"bzImage: setup header ends at 0x%zx, before the "
				"protocol 2.12 fields (0x%x)",
				bz->hdr_end, SH_END_2_12);
	if (bz->hdr_end > bz->len)
		return husk_err(err, 0,
				"bzImage: image is %zu bytes, truncated inside its "
				"setup header (ends at 0x%zx)",
				bz->len, bz->hdr_end);
	if (!(le16_get(img + SH_XLOADFLAGS) & XLF_KERNEL_64))
		return husk_err(err, 0, "bzImage: no 64-bit entry point (XLF_KERNEL_64 clear)");
	bz->init_size = le32_get(img + SH_INIT_SIZE);
	if (!bz->init_size)
		return husk_err(err, 0, "bzImage: init_size is zero");
	bz->pref_address = le64_get(img + SH_PREF_ADDRESS);
	return 0;
}

static int bzimage_check_layout(struct x86_bzimage *bz, struct husk_error **err)
{
	unsigned int sects = bz->img[SH_SETUP_SECTS];
	uint32_t poff, plen;
	uint64_t pend;

	if (!sects)
		sects = BZ_DEFAULT_SETUP_SECTS;
	/*
	 * At most 256 * 512 bytes, so no overflow; at least 1024, so always
	 * past the header end (at most 0x202 + 0xff).
	 */
	bz->setup_size = (size_t)(sects + 1) * BZ_SECTOR;
	if (bz->setup_size >= bz->len)
		return husk_err(err, 0,
				"bzImage: setup (%zu bytes) leaves no protected-mode "
				"kernel in a %zu-byte image",
				bz->setup_size, bz->len);
	bz->pm = bz->img + bz->setup_size;
	bz->pm_len = bz->len - bz->setup_size;
	/* payload_offset is relative to the protected-mode code (2.08+). */
	poff = le32_get(bz->img + SH_PAYLOAD_OFFSET);
	plen = le32_get(bz->img + SH_PAYLOAD_LENGTH);
	if (__builtin_add_overflow((uint64_t)poff, (uint64_t)plen, &pend) || pend > bz->pm_len)
		return husk_err(err, 0,
				"bzImage: payload [0x%x, +0x%x) lies outside the "
				"%zu-byte protected-mode kernel",
				poff, plen, bz->pm_len);
	bz->payload = bz->pm + poff;
	bz->payload_len = plen;
	return 0;
}

int x86_bzimage_parse(const uint8_t *img, size_t len, struct x86_bzimage *bz,
		      struct husk_error **err)
{
	int ret;

	memset(bz, 0, sizeof(*bz));
	bz->img = img;
	bz->len = len;
	ret = bzimage_check_magic(img, len, err);
	if (ret < 0)
		return ret;
	bz->version = le16_get(img + SH_VERSION);
	ret = bzimage_check_header(bz, err);
	if (ret < 0)
		return ret;
	return bzimage_check_layout(bz, err);
}

/* Host-side decompression: the payload is a gzip'd vmlinux ELF (boot.rst). */
static int bzimage_load_gzip(struct guest_mem *gm, const struct x86_bzimage *bz,
			     struct x86_kernel_span *out, struct husk_error **err)
{
	/*
	 * init_size covers everything the decompressor needs, including its
	 * output, so a payload inflating beyond it is not a kernel; neither
	 * is one larger than guest RAM.
	 */
	uint64_t limit = X86_BZIMAGE_INFLATE_MAX;
	uint8_t *elf = NULL;
	size_t elf_len = 0;
	int ret;

	if (bz->init_size < limit)
		limit = bz->init_size;
	if (gm->ram_size < limit)
		limit = gm->ram_size;
	ret = gunzip(bz->payload, bz->payload_len, (size_t)limit, "bzImage: payload", &elf,
		     &elf_len, err);
	if (ret < 0)
		return ret;
	ret = x86_elf_load(gm, elf, elf_len, out, err);
	free(elf);
	if (ret < 0)
		return husk_err_wrap(err, "bzImage: inflated payload");
	return 0;
}

/* The protected-mode code at 1 MiB decompresses itself (boot.rst "64-bit"). */
static int bzimage_load_raw(struct guest_mem *gm, const struct x86_bzimage *bz,
			    struct x86_kernel_span *out, struct husk_error **err)
{
	uint64_t base = X86_KERNEL_LOAD, end;

	/*
	 * The decompressor moves itself to max(load address, pref_address)
	 * and uses init_size bytes from there: keep all of it in RAM below
	 * the hole and out of the initrd's way.
	 */
	if (bz->pref_address > base && bz->pref_address < X86_MMIO_HOLE_START)
		base = bz->pref_address;
	if (__builtin_add_overflow(base, (uint64_t)bz->init_size, &end) ||
	    !guest_mem_valid(gm, base, bz->init_size) || end > X86_MMIO_HOLE_START)
		return husk_err(err, 0,
				"bzImage: kernel needs 0x%x bytes (init_size) at 0x%llx, "
				"beyond guest RAM below the 32-bit hole",
				bz->init_size, (unsigned long long)base);
	if (guest_mem_write(gm, X86_KERNEL_LOAD, bz->pm, bz->pm_len) < 0)
		return husk_err(err, 0,
				"bzImage: %zu-byte protected-mode kernel does not fit "
				"in guest RAM at 1 MiB",
				bz->pm_len);
	out->entry = X86_KERNEL_LOAD + X86_BZIMAGE_ENTRY64_OFFSET;
	out->start = X86_KERNEL_LOAD;
	out->end = end > X86_KERNEL_LOAD + bz->pm_len ? end : X86_KERNEL_LOAD + bz->pm_len;
	return 0;
}

int x86_bzimage_load(struct guest_mem *gm, const struct x86_bzimage *bz, uint8_t *zp,
		     struct x86_kernel_span *out, enum x86_kernel_kind *kind,
		     struct husk_error **err)
{
	size_t end = bz->hdr_end < SH_ZP_LIMIT ? bz->hdr_end : SH_ZP_LIMIT;

	/* boot.rst: the loader starts from the kernel's own setup header. */
	memcpy(zp + SH_SETUP_SECTS, bz->img + SH_SETUP_SECTS, end - SH_SETUP_SECTS);
	if (bz->payload_len >= 2 && bz->payload[0] == 0x1f && bz->payload[1] == 0x8b) {
		*kind = X86_KERNEL_BZIMAGE_ELF;
		return bzimage_load_gzip(gm, bz, out, err);
	}
	*kind = X86_KERNEL_BZIMAGE;
	return bzimage_load_raw(gm, bz, out, err);
}
