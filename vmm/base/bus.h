/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bus.h - an address-range bus for MMIO or port I/O.
 *
 * Devices register [base, base + len) with a handler; vCPU exits are
 * dispatched by address. Zero-length, overflowing and overlapping ranges are
 * refused. One bus per VM per address space (no global state). Registration
 * happens before the vCPUs run or under the bus lock; dispatch takes a read
 * lock so several vCPUs dispatch concurrently.
 */
#ifndef HUSK_VMM_BASE_BUS_H
#define HUSK_VMM_BASE_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/*
 * A device's access handler. @offset is relative to the registered base;
 * @data holds @len bytes (1, 2, 4 or 8): filled by the handler on a read,
 * read by it on a write. Runs on a vCPU thread.
 */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			  bool is_write);

struct bus_range {
	uint64_t base, len;
	bus_io_fn fn;
	void *opaque;
	const char *name; /* for error messages; not owned */
};

struct bus {
	const char *name;	  /* "mmio" or "pio" */
	struct bus_range *ranges; /* sorted by base */
	unsigned int nr, cap;
	pthread_rwlock_t lock;
};

void bus_init(struct bus *b, const char *name);
void bus_fini(struct bus *b);

/* bus_register - add a range; -EINVAL (empty/overflow) or -EEXIST (overlap). */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
		 const char *name, struct husk_error **err);

/*
 * bus_dispatch - call the handler covering [@addr, @addr + @len). Returns 0,
 * or -ENOENT when no range covers it (reads then return all ones in @data).
 */
int bus_dispatch(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
