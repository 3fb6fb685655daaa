/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest_mem.h - guest RAM and the only way the host touches it.
 *
 * Every host access to guest memory goes through guest_mem_ptr() (always
 * with a length) or the copy helpers built on it. Nothing converts a bare
 * guest-physical address to a host pointer. A range is valid only when it
 * lies entirely inside one region; arithmetic is overflow-checked.
 *
 * Layout: RAM below the 32-bit MMIO hole is region 0 at GPA 0; RAM beyond
 * what fits below the hole continues at 4 GiB as region 1 (see layout.h).
 * The one host mapping starts on a 2 MiB boundary, so that KVM can map
 * guest RAM to the guest with 2 MiB pages wherever the host backs it with
 * transparent huge pages (always on hosts whose THP mode is "always"; on
 * "madvise" hosts with GUEST_MEM_HUGEPAGES).
 * This module does not need /dev/kvm: unit tests and fuzzers build guest
 * memory with it and never register it with KVM.
 */
#ifndef HUSK_VMM_BASE_GUEST_MEM_H
#define HUSK_VMM_BASE_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef uint64_t gpa_t; /* guest-physical address */

#define GUEST_MEM_MAX_REGIONS 2

/* guest_mem_init() flags */
#define GUEST_MEM_MEMFD	    (1u << 0) /* back RAM with a memfd (shareable) */
#define GUEST_MEM_HUGEPAGES (1u << 1) /* madvise(MADV_HUGEPAGE) */

struct guest_mem_region {
	gpa_t gpa;	    /* first guest-physical address */
	uint64_t size;	    /* bytes */
	uint8_t *hva;	    /* host mapping of the whole region */
	uint64_t fd_offset; /* offset in memfd (when memfd-backed) */
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nr_regions;
	uint64_t ram_size; /* sum of region sizes */
	int memfd;	   /* -1 unless GUEST_MEM_MEMFD */
	uint8_t *base;	   /* one mapping holding all regions back to back */
};

/*
 * guest_mem_init - map @ram_size bytes of guest RAM (a multiple of 4 KiB,
 * at least 1 MiB), split around the 32-bit hole. Returns 0 or -errno with
 * *err filled.
 */
int guest_mem_init(struct guest_mem *gm, uint64_t ram_size, unsigned int flags,
		   struct husk_error **err);

/* guest_mem_fini - unmap; safe on a zeroed or half-initialised object. */
void guest_mem_fini(struct guest_mem *gm);

/*
 * guest_mem_ptr - host pointer for [@gpa, @gpa + @len), or NULL when any byte
 * of it is outside guest RAM, the range crosses regions, or the sum
 * overflows. @len 0 is valid when @gpa is inside RAM or at the end of a region.
 */
void *guest_mem_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* Copy in/out; return 0 or -EFAULT when the range is not wholly in RAM. */
int guest_mem_read(const struct guest_mem *gm, gpa_t gpa, void *dst, size_t len);
int guest_mem_write(const struct guest_mem *gm, gpa_t gpa, const void *src, size_t len);

/*
 * guest_mem_populate - fault [@gpa, @gpa + @len) in, writable, with one
 * system call (MADV_POPULATE_WRITE, Linux 5.14) before the host fills it:
 * loading a kernel otherwise takes a page fault per 4 KiB, which is what
 * the load costs under nested virtualization. Only a hint: returns 0, or
 * -errno when the range is not in RAM or the host kernel refused (the
 * pages then fault in as they are written).
 */
int guest_mem_populate(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

/* guest_mem_valid - true when [@gpa, @gpa + @len) is wholly in one region. */
bool guest_mem_valid(const struct guest_mem *gm, gpa_t gpa, uint64_t len);

#endif
