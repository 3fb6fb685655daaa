// SPDX-License-Identifier: Apache-2.0
/*
 * vm_boot.c - map the kernel, initrd and init files, and load them
 * into the VM; rewrite the command line as devices are added.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/base/initramfs.h"
#include "vmm/vm.h"
#include "vmm/x86/bootparams.h"

/* Bigger than any kernel or initrd a container VM boots; stops a typo'd
 * path to a disk image from being slurped into memory. */
#define VM_BOOT_FILE_MAX (1ull << 30)

/*
 * vm_boot_map - @path mapped read-only, for vm_boot_unmap(); an empty file
 * gives NULL and 0 (there is nothing to map). Mapped, not read: the loader
 * copies from the page cache straight into guest RAM (for a vmlinux only
 * its loadable segments, about half the file), where a buffer as large as
 * the file would cost a page fault per 4 KiB twice (the read, then the
 * free), which under nested virtualization is most of the load's time.
 * Like an executable's, a file must not be truncated while it loads
 * (SIGBUS): it is the operator's file, not guest input.
 */
static int vm_boot_map(const char *path, const void **buf, size_t *len, struct husk_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p = NULL;
	int ret = 0;

	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0)
		ret = husk_err(err, errno, "stat %s", path);
	else if (!S_ISREG(st.st_mode))
		ret = husk_err(err, 0, "%s: not a regular file", path);
	else if ((uint64_t)st.st_size > VM_BOOT_FILE_MAX)
		ret = husk_err(err, EFBIG, "%s", path);
	else if (st.st_size > 0)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (!ret && p == MAP_FAILED)
		ret = husk_err(err, errno, "mmap %s", path);
	close(fd);
	if (ret)
		return ret;
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

static void vm_boot_unmap(const void *buf, size_t len)
{
	if (buf)
		munmap((void *)buf, len);
}

/*
 * The initramfs holding @init_path after the @len bytes at @initrd (none
 * when @len is 0), starting on the 4-byte boundary the kernel's unpacker
 * expects; the zero padding between archives is skipped by it. *@out is
 * malloc'd; without an initrd it is the archive itself, not a copy.
 */
static int vm_boot_add_init(const char *init_path, const void *initrd, size_t len, uint8_t **out,
			    size_t *out_len, struct husk_error **err)
{
	size_t init_len = 0, arc_len, off = (len + INITRAMFS_ALIGN - 1) & ~(size_t)3;
	const void *init = NULL;
	uint8_t *arc = NULL, *p;
	int ret;

	ret = vm_boot_map(init_path, &init, &init_len, err);
	if (!ret)
		ret = initramfs_build(init, init_len, &arc, &arc_len, err);
	vm_boot_unmap(init, init_len);
	if (ret < 0)
		return ret;
	if (len == 0) {
		*out = arc;
		*out_len = arc_len;
		return 0;
	}
	p = malloc(off + arc_len);
	if (!p) {
		free(arc);
		return husk_err(err, ENOMEM, "initramfs for %s", init_path);
	}
	memcpy(p, initrd, len);
	memset(p + len, 0, off - len);
	memcpy(p + off, arc, arc_len);
	free(arc);
	*out = p;
	*out_len = off + arc_len;
	return 0;
}

int vm_boot_load(struct husk_vm *vm, const struct husk_vm_config *cfg, struct husk_error **err)
{
	struct x86_boot_cfg bc = {
		.cmdline = cfg->cmdline,
		.nr_cpus = vm->nr_vcpus,
	};
	const void *kernel = NULL, *initrd = NULL;
	size_t initrd_len = 0;
	uint8_t *with_init = NULL;
	int ret;

	ret = vm_boot_map(cfg->kernel_path, &kernel, &bc.kernel_len, err);
	if (!ret && !kernel)
		ret = husk_err(err, 0, "%s: empty file", cfg->kernel_path);
	if (!ret && cfg->initrd_path)
		ret = vm_boot_map(cfg->initrd_path, &initrd, &initrd_len, err);
	bc.initrd = initrd;
	bc.initrd_len = initrd_len;
	if (!ret && cfg->init_path) {
		ret = vm_boot_add_init(cfg->init_path, initrd, initrd_len, &with_init,
				       &bc.initrd_len, err);
		bc.initrd = with_init;
	}
	if (!ret) {
		bc.kernel = kernel;
		ret = x86_boot_load(&vm->mem, &bc, &vm->boot, err);
		if (ret < 0)
			husk_err_wrap(err, "%s", cfg->kernel_path);
	}
	vm_boot_unmap(kernel, bc.kernel_len);
	vm_boot_unmap(initrd, initrd_len);
	free(with_init);
	return ret;
}

int vm_boot_write_cmdline(struct husk_vm *vm, struct husk_error **err)
{
	uint8_t zp[X86_ZERO_PAGE_SIZE];
	char *line = NULL;
	int ret;

	if (asprintf(&line, "%s%s", vm->cmdline ? vm->cmdline : "", vm->dev_cmdline) < 0)
		return husk_err(err, ENOMEM, "cmdline");
	ret = guest_mem_read(&vm->mem, X86_ZERO_PAGE, zp, sizeof(zp));
	if (ret < 0)
		ret = husk_err(err, -ret, "cmdline: zero page");
	if (!ret)
		ret = x86_bootparams_cmdline(&vm->mem, zp, line, err);
	if (!ret && guest_mem_write(&vm->mem, X86_ZERO_PAGE, zp, sizeof(zp)) < 0)
		ret = husk_err(err, EFAULT, "cmdline: zero page");
	free(line);
	return ret;
}
