// SPDX-License-Identifier: Apache-2.0
/*
 * create.c - host /dev/kvm benchmark with a tiny guest (runs on PVM hosts
 * too): VM create-to-first-instruction latency, and the create/destroy
 * rate of whole VM lifecycles. The guest's first instruction writes the
 * boot marker port; then it resets through the i8042. Prints a table.
 *
 *   bench-create [ITERATIONS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "husk.h"
#include "tests/lib/images.h"

/* out 0x440 <- 123 (boot marker); out 0x64 <- 0xfe (reset); hlt loop */
static const uint8_t tiny_guest[] = {
	0xb0, 0x7b, 0x66, 0xba, 0x40, 0x04, 0xee, 0xb0, 0xfe, 0xe6, 0x64, 0xf4, 0xeb, 0xfd,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One lifecycle; stores create-to-marker ns in *lat. Returns 0 or -1. */
static int one_vm(const char *kernel, uint64_t *lat)
{
	struct husk_vm_config cfg;
	struct husk_exit_info info;
	struct husk_vm_timing t;
	struct husk_error *err = NULL;
	struct husk_vm *vm;

	husk_vm_config_init(&cfg);
	cfg.kernel_path = kernel;
	cfg.mem_mib = 16;
	if (husk_vm_create(&cfg, &vm, &err) < 0 || husk_vm_start(vm, &err) < 0) {
		fprintf(stderr, "bench-create: %s\n", husk_error_message(err));
		husk_error_free(err);
		return -1;
	}
	husk_vm_wait(vm, &info);
	husk_vm_get_timing(vm, &t);
	husk_vm_destroy(vm);
	if (info.reason != HUSK_EXIT_RESET || !t.boot_marker_ns) {
		fprintf(stderr, "bench-create: guest ended with %s: %s\n",
			husk_exit_reason_string(info.reason), info.message);
		return -1;
	}
	*lat = t.boot_marker_ns - t.create_ns;
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	char path[] = "/tmp/husk-bench-tiny-XXXXXX";
	uint64_t *lat, t0, total;
	size_t len;
	uint8_t *img = image_elf(tiny_guest, sizeof(tiny_guest), 0x200000, &len);
	int fd = mkstemp(path), i;

	if (n < 1 || fd < 0 || write(fd, img, len) != (ssize_t)len) {
		fprintf(stderr, "bench-create: cannot write the tiny guest: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	free(img);
	lat = calloc((size_t)n, sizeof(*lat));
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (!lat || one_vm(path, &lat[i]) < 0) {
			unlink(path);
			return 1;
		}
	total = now_ns() - t0;
	unlink(path);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
	printf("\nHost /dev/kvm, tiny guest (16 MiB, 1 vCPU), %d sequential VMs\n", n);
	printf("%-34s %10s %10s %10s\n", "husk", "median", "min", "max");
	printf("%-34s %10.1f %10.1f %10.1f\n", "create -> first instruction (us)", lat[n / 2] / 1e3,
	       lat[0] / 1e3, lat[n - 1] / 1e3);
	printf("%-34s %10.1f\n", "create+run+destroy rate (VMs/s)", n / (total / 1e9));
	free(lat);
	return 0;
}
