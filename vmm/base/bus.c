// SPDX-License-Identifier: Apache-2.0
/*
 * bus.c - sorted, non-overlapping address ranges with a handler each.
 *
 * Lookup is a binary search over the array sorted by base; registration
 * inserts in place. Handlers run under the read lock, so a handler must not
 * register on its own bus.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/base/bus.h"

void bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	pthread_rwlock_init(&b->lock, NULL);
}

void bus_fini(struct bus *b)
{
	free(b->ranges);
	b->ranges = NULL;
	b->nr = b->cap = 0;
	pthread_rwlock_destroy(&b->lock);
}

/* Index of the first range whose base is greater than @addr. */
static unsigned int bus_upper(const struct bus *b, uint64_t addr)
{
	unsigned int lo = 0, hi = b->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (b->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int bus_grow(struct bus *b, struct husk_error **err)
{
	unsigned int cap = b->cap ? b->cap * 2 : 8;
	struct bus_range *r;

	if (b->nr < b->cap)
		return 0;
	r = reallocarray(b->ranges, cap, sizeof(*r));
	if (!r)
		return husk_err(err, ENOMEM, "%s bus: growing to %u ranges", b->name, cap);
	b->ranges = r;
	b->cap = cap;
	return 0;
}

/* -EEXIST with the offending neighbour named when [base, last] overlaps. */
static int bus_check_overlap(const struct bus *b, unsigned int pos, uint64_t base, uint64_t last,
			     const char *name, struct husk_error **err)
{
	const struct bus_range *prev = pos ? &b->ranges[pos - 1] : NULL;
	const struct bus_range *next = pos < b->nr ? &b->ranges[pos] : NULL;

	/* prev->base <= base; it overlaps when it reaches base. */
	if (prev && base - prev->base < prev->len)
		next = prev;
	else if (!next || next->base > last)
		return 0;
	return husk_err(err, EEXIST, "%s bus: %s [0x%llx, +0x%llx) overlaps %s at 0x%llx", b->name,
			name ? name : "range", (unsigned long long)base,
			(unsigned long long)(last - base + 1), next->name ? next->name : "range",
			(unsigned long long)next->base);
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn fn, void *opaque,
		 const char *name, struct husk_error **err)
{
	uint64_t end;
	unsigned int pos;
	int ret;

	if (!len || !fn || __builtin_add_overflow(base, len, &end))
		return husk_err(err, 0,
				"%s bus: %s [0x%llx, +0x%llx) is empty, has no "
				"handler or wraps around",
				b->name, name ? name : "range", (unsigned long long)base,
				(unsigned long long)len);
	pthread_rwlock_wrlock(&b->lock);
	pos = bus_upper(b, base);
	ret = bus_check_overlap(b, pos, base, end - 1, name, err);
	if (!ret)
		ret = bus_grow(b, err);
	if (!ret) {
		memmove(&b->ranges[pos + 1], &b->ranges[pos], (b->nr - pos) * sizeof(b->ranges[0]));
		b->ranges[pos] = (struct bus_range){
			.base = base,
			.len = len,
			.fn = fn,
			.opaque = opaque,
			.name = name,
		};
		b->nr++;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int bus_dispatch(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct bus_range *r = NULL;
	unsigned int pos;
	uint64_t off = 0;

	pthread_rwlock_rdlock(&b->lock);
	pos = bus_upper(b, addr);
	if (pos && len) {
		r = &b->ranges[pos - 1];
		off = addr - r->base;
		/* The whole access must fall inside the one range. */
		if (off >= r->len || len > r->len - off)
			r = NULL;
	}
	if (r)
		r->fn(r->opaque, off, data, len, is_write);
	pthread_rwlock_unlock(&b->lock);
	if (r)
		return 0;
	/* An unclaimed read floats high, as on a real bus. */
	if (!is_write)
		memset(data, 0xff, len);
	return -ENOENT;
}
