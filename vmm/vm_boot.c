// SPDX-License-Identifier: Apache-2.0
/*
 * vm_boot.c - map the kernel, read the initrd and init files, and load them
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

static int vm_boot_read_fd(int fd, const char *path, void **buf, size_t *len,
			   struct husk_error **err)
{
	struct stat st;
	size_t done = 0;
	uint8_t *p;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return husk_err(err, errno, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return husk_err(err, 0, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > VM_BOOT_FILE_MAX)
		return husk_err(err, EFBIG, "%s", path);
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p)
		return husk_err(err, ENOMEM, "read %s", path);
	while (done < (size_t)st.st_size) {
		n = read(fd, p + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(p);
			return husk_err(err, n < 0 ? errno : EIO, "read %s", path);
		}
		done += (size_t)n;
	}
	*buf = p;
	*len = done;
	return 0;
}

/*
 * vm_boot_map - the kernel file mapped read-only, for vm_boot_unmap(). Not
 * read: the loader copies only the loadable segments (about half of a
 * vmlinux with its symbol tables) straight from the page cache, and a
 * buffer as large as the file would cost a page fault per 4 KiB twice
 * (the read, then the free), which under nested virtualization is most of
 * the load's time. Like an executable's, the file must not be truncated
 * while it loads (SIGBUS): it is the operator's file, not guest input.
 */
static int vm_boot_map(const char *path, const void **buf, size_t *len, struct husk_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p;
	int ret = 0;

	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	if (fstat(fd, &st) < 0)
		ret = husk_err(err, errno, "stat %s", path);
	else if (!S_ISREG(st.st_mode))
		ret = husk_err(err, 0, "%s: not a regular file", path);
	else if (st.st_size == 0)
		ret = husk_err(err, 0, "%s: empty file", path);
	else if ((uint64_t)st.st_size > VM_BOOT_FILE_MAX)
		ret = husk_err(err, EFBIG, "%s", path);
	if (ret) {
		close(fd);
		return ret;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return husk_err(err, errno, "mmap %s", path);
	*buf = p;
	*len = (size_t)st.st_size;
	return 0;
}

static void vm_boot_unmap(const void *buf, size_t len)
{
	if (buf)
		munmap((void *)buf, len);
}

static int vm_boot_read(const char *path, void **buf, size_t *len, struct husk_error **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	ret = vm_boot_read_fd(fd, path, buf, len, err);
	close(fd);
	return ret;
}

/*
 * Append the initramfs holding @init_path to the @len bytes at *@buf (which
 * may be NULL), starting on the 4-byte boundary the kernel's unpacker
 * expects; the zero padding between archives is skipped by it.
 */
static int vm_boot_add_init(const char *init_path, void **buf, size_t *len, struct husk_error **err)
{
	size_t init_len, arc_len, off = (*len + INITRAMFS_ALIGN - 1) & ~(size_t)3;
	uint8_t *arc = NULL, *p;
	void *init = NULL;
	int ret;

	ret = vm_boot_read(init_path, &init, &init_len, err);
	if (!ret)
		ret = initramfs_build(init, init_len, &arc, &arc_len, err);
	free(init);
	if (ret < 0)
		return ret;
	p = realloc(*buf, off + arc_len);
	if (!p) {
		free(arc);
		return husk_err(err, ENOMEM, "initramfs for %s", init_path);
	}
	memset(p + *len, 0, off - *len);
	memcpy(p + off, arc, arc_len);
	free(arc);
	*buf = p;
	*len = off + arc_len;
	return 0;
}

int vm_boot_load(struct husk_vm *vm, const struct husk_vm_config *cfg, struct husk_error **err)
{
	struct x86_boot_cfg bc = {
		.cmdline = cfg->cmdline,
		.nr_cpus = vm->nr_vcpus,
	};
	const void *kernel = NULL;
	void *initrd = NULL;
	int ret;

	ret = vm_boot_map(cfg->kernel_path, &kernel, &bc.kernel_len, err);
	if (!ret && cfg->initrd_path)
		ret = vm_boot_read(cfg->initrd_path, &initrd, &bc.initrd_len, err);
	if (!ret && cfg->init_path)
		ret = vm_boot_add_init(cfg->init_path, &initrd, &bc.initrd_len, err);
	if (!ret) {
		bc.kernel = kernel;
		bc.initrd = initrd;
		ret = x86_boot_load(&vm->mem, &bc, &vm->boot, err);
		if (ret < 0)
			husk_err_wrap(err, "%s", cfg->kernel_path);
	}
	vm_boot_unmap(kernel, bc.kernel_len);
	free(initrd);
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
