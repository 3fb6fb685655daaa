// SPDX-License-Identifier: Apache-2.0
/*
 * elf.c - ELF64 vmlinux loader (System V gABI, x86-64 psABI).
 *
 * Every offset and size in the file is attacker-controlled: each is checked
 * with overflow-safe arithmetic against the file length and guest RAM
 * before a single byte is copied.
 */
#include <elf.h>
#include <string.h>

#include "vmm/x86/elf.h"
#include "vmm/base/layout.h"

static int elf_check_ehdr(const Elf64_Ehdr *eh, size_t len, struct husk_error **err)
{
	uint64_t tab_len, tab_end;

	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return husk_err(err, 0, "elf: not a 64-bit ELF (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return husk_err(err, 0, "elf: not little-endian");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT)
		return husk_err(err, 0, "elf: unknown ELF version %u", eh->e_ident[EI_VERSION]);
	if (eh->e_type != ET_EXEC)
		return husk_err(err, 0, "elf: not an executable (e_type %u)", eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return husk_err(err, 0, "elf: not an x86-64 image (e_machine %u)", eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return husk_err(err, 0, "elf: program header size %u, expected %zu",
				eh->e_phentsize, sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > X86_ELF_MAX_PHNUM)
		return husk_err(err, 0, "elf: %u program headers (want 1..%u)", eh->e_phnum,
				X86_ELF_MAX_PHNUM);
	tab_len = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (__builtin_add_overflow(eh->e_phoff, tab_len, &tab_end) || tab_end > len)
		return husk_err(err, 0,
				"elf: program header table [0x%llx, +0x%llx) "
				"outside the %zu-byte file",
				(unsigned long long)eh->e_phoff, (unsigned long long)tab_len, len);
	return 0;
}

static void elf_phdr(const uint8_t *img, const Elf64_Ehdr *eh, unsigned int i, Elf64_Phdr *ph)
{
	/* memcpy: e_phoff need not be aligned for a host struct access. */
	memcpy(ph, img + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

static int elf_check_load(const struct guest_mem *gm, const Elf64_Phdr *ph, unsigned int i,
			  size_t len, struct husk_error **err)
{
	uint64_t fend, mend;

	if (__builtin_add_overflow(ph->p_offset, ph->p_filesz, &fend) || fend > len)
		return husk_err(err, 0,
				"elf: segment %u file range [0x%llx, +0x%llx) "
				"outside the %zu-byte file",
				i, (unsigned long long)ph->p_offset,
				(unsigned long long)ph->p_filesz, len);
	if (ph->p_filesz > ph->p_memsz)
		return husk_err(err, 0, "elf: segment %u p_filesz 0x%llx > p_memsz 0x%llx", i,
				(unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	/*
	 * Below 1 MiB are the zero page, page tables, command line and MP
	 * table; at or above the hole there is no identity-mapped RAM.
	 */
	if (__builtin_add_overflow(ph->p_paddr, ph->p_memsz, &mend) ||
	    ph->p_paddr < X86_HIMEM_START || mend > X86_MMIO_HOLE_START ||
	    !guest_mem_valid(gm, ph->p_paddr, ph->p_memsz))
		return husk_err(err, 0,
				"elf: segment %u [0x%llx, +0x%llx) is not in guest RAM "
				"between 1 MiB and the 32-bit hole",
				i, (unsigned long long)ph->p_paddr,
				(unsigned long long)ph->p_memsz);
	return 0;
}

/*
 * Physical entry: e_entry inside a PT_LOAD. vmlinux links ENTRY() to the
 * physical startup_64 but other images give a virtual address, so try the
 * physical ranges first (segments are all below 3 GiB, so a kernel-half
 * virtual address never matches them) and then the virtual ones. The
 * order matters: a vmlinux's per-CPU segment has p_vaddr 0.
 */
static bool elf_entry_in(const Elf64_Phdr *ph, uint64_t entry, bool virt, uint64_t *phys)
{
	uint64_t base = virt ? ph->p_vaddr : ph->p_paddr;

	if (entry < base || entry - base >= ph->p_memsz)
		return false;
	*phys = ph->p_paddr + (entry - base);
	return true;
}

static int elf_scan(const struct guest_mem *gm, const uint8_t *img, size_t len,
		    const Elf64_Ehdr *eh, struct x86_kernel_span *out, struct husk_error **err)
{
	bool have_entry = false, have_load = false;
	unsigned int i;
	int pass, ret;

	out->start = UINT64_MAX;
	out->end = 0;
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		elf_phdr(img, eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		ret = elf_check_load(gm, &ph, i, len, err);
		if (ret < 0)
			return ret;
		have_load = true;
		if (ph.p_paddr < out->start)
			out->start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > out->end)
			out->end = ph.p_paddr + ph.p_memsz;
	}
	if (!have_load)
		return husk_err(err, 0, "elf: no loadable segment");
	for (pass = 0; pass < 2 && !have_entry; pass++) {
		for (i = 0; i < eh->e_phnum && !have_entry; i++) {
			Elf64_Phdr ph;

			elf_phdr(img, eh, i, &ph);
			if (ph.p_type == PT_LOAD)
				have_entry = elf_entry_in(&ph, eh->e_entry, pass == 1, &out->entry);
		}
	}
	if (!have_entry)
		return husk_err(err, 0, "elf: entry point 0x%llx is in no loadable segment",
				(unsigned long long)eh->e_entry);
	return 0;
}

int x86_elf_load(struct guest_mem *gm, const uint8_t *img, size_t len, struct x86_kernel_span *out,
		 struct husk_error **err)
{
	Elf64_Ehdr eh;
	unsigned int i;
	int ret;

	if (len < sizeof(eh))
		return husk_err(err, 0, "elf: file too small for an ELF header (%zu bytes)", len);
	memcpy(&eh, img, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return husk_err(err, 0, "elf: bad magic");
	ret = elf_check_ehdr(&eh, len, err);
	if (!ret)
		ret = elf_scan(gm, img, len, &eh, out, err);
	if (ret < 0)
		return ret;
	/* Everything was checked above: copy, then zero the bss tail. */
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		elf_phdr(img, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		dst = guest_mem_ptr(gm, ph.p_paddr, ph.p_memsz);
		(void)guest_mem_populate(gm, ph.p_paddr, ph.p_memsz); /* a hint */
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}
