// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_bzimage.c - libFuzzer harness: the whole input is a kernel image
 * given to x86_boot_load() (ELF, bzImage, or neither) against 64 MiB of
 * guest RAM. Any crash, sanitizer report or leak is a bug; a rejected
 * image is the expected outcome for almost every input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vmm/base/guest_mem.h"
#include "vmm/x86/boot.h"

#define FUZZ_RAM (64ULL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[4096];
	struct x86_boot_cfg cfg = {
		.kernel = data,
		.kernel_len = size,
		.initrd = initrd,
		.initrd_len = sizeof(initrd),
		.cmdline = "console=ttyS0 panic=-1",
		.nr_cpus = 2,
	};
	struct guest_mem gm;
	struct x86_boot_state st;
	struct husk_error *err = NULL;

	/* Fresh (lazily zeroed) RAM each run keeps inputs independent. */
	if (guest_mem_init(&gm, FUZZ_RAM, 0, NULL) < 0)
		abort();
	x86_boot_load(&gm, &cfg, &st, &err);
	husk_error_free(err);
	guest_mem_fini(&gm);
	return 0;
}
