// SPDX-License-Identifier: Apache-2.0
/*
 * vm_memory.c - husk_vm_get_memory(): how much of the process's resident
 * memory is guest RAM the guest has touched, and how much is the VMM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/vm.h"

/* mincore() vector bytes per call: 16 MiB of guest RAM with 4 KiB pages. */
#define VM_MINCORE_CHUNK 4096

/* Resident pages of [base, base + len), asked in bounded chunks. */
static int vm_resident_bytes(uint8_t *base, uint64_t len, uint64_t *out)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec[VM_MINCORE_CHUNK];
	uint64_t off, n, i, pages = 0;

	for (off = 0; off < len; off += n) {
		n = len - off;
		if (n > (uint64_t)VM_MINCORE_CHUNK * (uint64_t)page)
			n = (uint64_t)VM_MINCORE_CHUNK * (uint64_t)page;
		if (mincore(base + off, n, vec) < 0)
			return -errno;
		for (i = 0; i < (n + (uint64_t)page - 1) / (uint64_t)page; i++)
			pages += vec[i] & 1;
	}
	*out = pages * (uint64_t)page;
	return 0;
}

/* The second field of /proc/self/statm: resident pages of the process. */
static int vm_process_rss(uint64_t *out)
{
	unsigned long long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	if (n != 2)
		return -EIO;
	*out = resident * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

int husk_vm_get_memory(const struct husk_vm *vm, struct husk_vm_memory *m)
{
	int ret;

	m->guest_ram_bytes = vm->mem.ram_size;
	ret = vm_resident_bytes(vm->mem.base, vm->mem.ram_size, &m->guest_resident_bytes);
	if (!ret)
		ret = vm_process_rss(&m->process_rss_bytes);
	return ret;
}
