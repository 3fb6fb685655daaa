// SPDX-License-Identifier: Apache-2.0
/*
 * guest_mem.c - guest RAM as one 2 MiB-aligned host mapping split into at
 * most two regions around the 32-bit MMIO hole.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/base/guest_mem.h"
#include "vmm/base/layout.h"

#define GUEST_MEM_PAGE	    0x1000ULL
#define GUEST_MEM_HUGE_PAGE 0x200000ULL

/*
 * A mapping of @size bytes whose start is 2 MiB-aligned. KVM maps guest
 * RAM to the guest with 2 MiB pages only where the host address and the
 * guest-physical address agree modulo 2 MiB and the host backs them with a
 * huge page; a plain mmap() gives 4 KiB alignment, which rules that out
 * for the whole of RAM. A PROT_NONE reservation 2 MiB larger is cut down
 * to the aligned window, which the real mapping then replaces.
 */
static void *guest_mem_map_aligned(uint64_t size, int mflags, int fd)
{
	const uint64_t align = GUEST_MEM_HUGE_PAGE;
	uint8_t *r, *a;
	void *p;
	int e;

	r = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	a = (uint8_t *)(((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1));
	if (a > r)
		munmap(r, (size_t)(a - r));
	if (r + align > a)
		munmap(a + size, (size_t)(r + align - a));
	p = mmap(a, size, PROT_READ | PROT_WRITE, mflags | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		e = errno; /* the caller reports mmap's error, not munmap's */
		munmap(a, size);
		errno = e;
	}
	return p;
}

static int guest_mem_map(struct guest_mem *gm, uint64_t size, unsigned int flags,
			 struct husk_error **err)
{
	/*
	 * MAP_NORESERVE: guest RAM is mostly never touched, so do not charge
	 * all of it against overcommit up front (a 4 GiB guest on a small
	 * host must still start).
	 */
	int mflags = MAP_NORESERVE;
	void *p;

	if (flags & GUEST_MEM_MEMFD) {
		gm->memfd = memfd_create("husk-guest-ram", MFD_CLOEXEC);
		if (gm->memfd < 0)
			return husk_err(err, errno, "guest memory: memfd_create");
		if (ftruncate(gm->memfd, (off_t)size) < 0)
			return husk_err(err, errno, "guest memory: ftruncate memfd to %llu bytes",
					(unsigned long long)size);
		mflags |= MAP_SHARED;
	} else {
		mflags |= MAP_PRIVATE | MAP_ANONYMOUS;
	}
	p = guest_mem_map_aligned(size, mflags, gm->memfd);
	if (p == MAP_FAILED)
		return husk_err(err, errno, "guest memory: mmap %llu bytes",
				(unsigned long long)size);
	gm->base = p;
	gm->ram_size = size;
	/* EINVAL: a kernel built without transparent huge pages; a wish, then. */
	if ((flags & GUEST_MEM_HUGEPAGES) && madvise(p, size, MADV_HUGEPAGE) < 0 && errno != EINVAL)
		return husk_err(err, errno, "guest memory: madvise(MADV_HUGEPAGE)");
	return 0;
}

static void guest_mem_add_region(struct guest_mem *gm, gpa_t gpa, uint64_t off, uint64_t size)
{
	struct guest_mem_region *r = &gm->regions[gm->nr_regions++];

	r->gpa = gpa;
	r->size = size;
	r->hva = gm->base + off;
	r->fd_offset = off;
}

int guest_mem_init(struct guest_mem *gm, uint64_t ram_size, unsigned int flags,
		   struct husk_error **err)
{
	uint64_t low;
	int ret;

	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
	if (ram_size % GUEST_MEM_PAGE || ram_size < X86_MiB || ram_size > X86_MAX_RAM)
		return husk_err(err, 0,
				"guest memory: size %llu is not a multiple of 4 KiB "
				"between 1 MiB and %llu",
				(unsigned long long)ram_size, (unsigned long long)X86_MAX_RAM);
	if (flags & ~(GUEST_MEM_MEMFD | GUEST_MEM_HUGEPAGES))
		return husk_err(err, 0, "guest memory: unknown flags 0x%x", flags);
	ret = guest_mem_map(gm, ram_size, flags, err);
	if (ret < 0) {
		guest_mem_fini(gm);
		return ret;
	}
	/* Region 0 stops at the hole; whatever is left continues at 4 GiB. */
	low = ram_size < X86_MMIO_HOLE_START ? ram_size : X86_MMIO_HOLE_START;
	guest_mem_add_region(gm, 0, 0, low);
	if (ram_size > low)
		guest_mem_add_region(gm, X86_HIGH_RAM_START, low, ram_size - low);
	return 0;
}

void guest_mem_fini(struct guest_mem *gm)
{
	if (gm->base)
		munmap(gm->base, gm->ram_size);
	/* A zeroed object has memfd 0 but no mapping: only close what we made. */
	if (gm->memfd > 0 || (gm->memfd == 0 && gm->base))
		close(gm->memfd);
	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
}

void *guest_mem_ptr(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < gm->nr_regions && i < GUEST_MEM_MAX_REGIONS; i++) {
		const struct guest_mem_region *r = &gm->regions[i];
		uint64_t off;

		if (gpa < r->gpa)
			continue;
		off = gpa - r->gpa;
		/* Written as subtractions so no sum can wrap. */
		if (off > r->size || len > r->size - off)
			continue;
		return r->hva + off;
	}
	return NULL;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older headers lack it */
#endif

int guest_mem_populate(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_ptr(gm, gpa, len);
	uintptr_t start, end;

	if (!p)
		return -EFAULT;
	/* Whole pages around the range: they are all inside the mapping, as
	 * regions are page-aligned and a multiple of pages long. */
	start = (uintptr_t)p & ~(uintptr_t)4095;
	end = ((uintptr_t)p + len + 4095) & ~(uintptr_t)4095;
	if (end > start && madvise((void *)start, end - start, MADV_POPULATE_WRITE) < 0)
		return -errno;
	return 0;
}

bool guest_mem_valid(const struct guest_mem *gm, gpa_t gpa, uint64_t len)
{
	return guest_mem_ptr(gm, gpa, len) != NULL;
}

int guest_mem_read(const struct guest_mem *gm, gpa_t gpa, void *dst, size_t len)
{
	const void *p = guest_mem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *gm, gpa_t gpa, const void *src, size_t len)
{
	void *p = guest_mem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
