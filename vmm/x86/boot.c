// SPDX-License-Identifier: Apache-2.0
/*
 * boot.c - x86_boot_load(): recognise the kernel, load it, then lay out
 * everything else the 64-bit entry needs. The order is the dependency
 * order: the kernel's extent decides where the initrd may go, and the
 * zero page is written last, once every field is known.
 */
#include <elf.h>
#include <string.h>

#include "vmm/base/le.h"
#include "vmm/x86/boot.h"
#include "vmm/x86/bootcpu.h"
#include "vmm/x86/bootparams.h"
#include "vmm/x86/bzimage.h"
#include "vmm/x86/elf.h"
#include "vmm/base/layout.h"
#include "vmm/x86/mptable.h"
#include "vmm/x86/zeropage.h"

static bool boot_is_bzimage(const uint8_t *k, size_t len)
{
	/* Either mark is enough to route it to the bzImage checks. */
	return (len >= SH_BOOT_FLAG + 2 && le16_get(k + SH_BOOT_FLAG) == SH_BOOT_FLAG_MAGIC) ||
	       (len >= SH_HEADER + 4 && le32_get(k + SH_HEADER) == SH_HDRS_MAGIC);
}

static int boot_load_kernel(struct guest_mem *gm, const struct x86_boot_cfg *cfg, uint8_t *zp,
			    struct x86_kernel_span *ks, enum x86_kernel_kind *kind,
			    struct husk_error **err)
{
	const uint8_t *k = cfg->kernel;
	struct x86_bzimage bz;
	int ret;

	if (cfg->kernel_len >= SELFMAG && !memcmp(k, ELFMAG, SELFMAG)) {
		*kind = X86_KERNEL_ELF;
		/* A vmlinux has no setup header of its own: supply one. */
		x86_bootparams_minimal_hdr(zp);
		return x86_elf_load(gm, k, cfg->kernel_len, ks, err);
	}
	if (!boot_is_bzimage(k, cfg->kernel_len))
		return husk_err(err, 0, "kernel: not an ELF vmlinux or a bzImage");
	ret = x86_bzimage_parse(k, cfg->kernel_len, &bz, err);
	if (ret < 0)
		return ret;
	return x86_bzimage_load(gm, &bz, zp, ks, kind, err);
}

static int boot_check_cfg(const struct guest_mem *gm, const struct x86_boot_cfg *cfg,
			  struct husk_error **err)
{
	if (!cfg->kernel || !cfg->kernel_len)
		return husk_err(err, 0, "kernel: no image given");
	if (cfg->nr_cpus == 0 || cfg->nr_cpus > X86_MAX_CPUS)
		return husk_err(err, 0, "boot: %u vCPUs, must be 1..%u", cfg->nr_cpus,
				X86_MAX_CPUS);
	if (!gm->nr_regions || gm->regions[0].gpa != 0 || gm->regions[0].size < X86_MIN_RAM)
		return husk_err(err, 0, "boot: guest RAM must be at least %llu bytes",
				(unsigned long long)X86_MIN_RAM);
	return 0;
}

/* Command line, e820, initrd, MP table, GDT and page tables, zero page. */
static int boot_layout(struct guest_mem *gm, const struct x86_boot_cfg *cfg, uint8_t *zp,
		       struct x86_boot_state *st, struct husk_error **err)
{
	int ret;

	x86_bootparams_loader(zp);
	ret = x86_bootparams_cmdline(gm, zp, cfg->cmdline, err);
	if (!ret)
		ret = x86_bootparams_e820(gm, zp, err);
	if (!ret && cfg->initrd && cfg->initrd_len) {
		ret = x86_bootparams_initrd(gm, zp, cfg->initrd, cfg->initrd_len, st->kernel_start,
					    st->kernel_end, &st->initrd_start, err);
		st->initrd_size = ret ? 0 : cfg->initrd_len;
	}
	if (!ret)
		ret = x86_mptable_write(gm, cfg->nr_cpus, err);
	if (!ret)
		ret = x86_bootcpu_write(gm, st, err);
	if (!ret && guest_mem_write(gm, X86_ZERO_PAGE, zp, X86_ZERO_PAGE_SIZE) < 0)
		ret = husk_err(err, 0, "boot: zero page at 0x%llx not in guest RAM",
			       (unsigned long long)X86_ZERO_PAGE);
	st->rsi = X86_ZERO_PAGE;
	return ret;
}

int x86_boot_load(struct guest_mem *gm, const struct x86_boot_cfg *cfg, struct x86_boot_state *out,
		  struct husk_error **err)
{
	uint8_t zp[X86_ZERO_PAGE_SIZE] = { 0 };
	struct x86_kernel_span ks;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = boot_check_cfg(gm, cfg, err);
	if (!ret)
		ret = boot_load_kernel(gm, cfg, zp, &ks, &out->kind, err);
	if (ret < 0)
		return ret;
	out->rip = ks.entry;
	out->kernel_start = ks.start;
	out->kernel_end = ks.end;
	return boot_layout(gm, cfg, zp, out, err);
}
