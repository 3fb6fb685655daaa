// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_i8042.c - the PS/2 controller (vmm/legacy/i8042.c) under any
 * sequence of guest accesses to its 5-port range. The input is steps of an
 * opcode byte: offset op % 5 (0 data, 4 status/command, 1-3 not ours),
 * write if op & 0x08, width 1 + ((op >> 4) & 3) bytes; a write's value is
 * the next byte.
 *
 * Checked after every step (abort otherwise): the IRQ callback only sees
 * changes of level, and the level is "output buffer full and the command
 * byte's keyboard interrupt on"; the status register's OBF bit says the
 * same queue state; the queue never holds more than its 8 bytes; the
 * offsets 1-3 read as zero; a reset is asked for exactly when the guest
 * wrote a pulse command with bit 0 clear (0xf0-0xfe even) or an output
 * port value with bit 0 clear after command 0xd1.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/legacy/i8042.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_sink {
	int level;
	unsigned int resets;
};

static void fuzz_irq(void *opaque, int level)
{
	struct fuzz_sink *s = opaque;

	if (level == s->level || (level != 0 && level != 1))
		abort();
	s->level = level;
}

static void fuzz_reset(void *opaque)
{
	struct fuzz_sink *s = opaque;

	s->resets++;
}

/* Whether this write must pulse the reset line, judged before it is made. */
static bool fuzz_wants_reset(const struct i8042 *c, unsigned int off, uint8_t val)
{
	if (off == I8042_CMD_PORT - I8042_DATA_PORT)
		return (val & 0xf0) == 0xf0 && !(val & I8042_OUT_RESET);
	return off == 0 && c->pending == I8042_CMD_WRITE_OUTPUT && !(val & I8042_OUT_RESET);
}

static void fuzz_check(const struct i8042 *c, const struct fuzz_sink *s)
{
	int want = c->q_count && (c->ctr & I8042_CTR_KBDINT);

	if (c->q_count > I8042_QUEUE_SIZE || c->q_head >= I8042_QUEUE_SIZE)
		abort();
	if (s->level != want || c->irq_level != want)
		abort();
}

static void fuzz_read(struct i8042 *c, unsigned int off, uint32_t width)
{
	bool obf = c->q_count != 0;
	uint8_t d[4];
	uint32_t i;

	memset(d, 0xee, sizeof(d));
	i8042_io(c, off, d, width, false);
	for (i = 1; i < width; i++)
		if (d[i])
			abort();
	if (off != 0 && off != 4 && d[0])
		abort(); /* 0x61-0x63 are not the controller's */
	if (off == 4 && !!(d[0] & I8042_STR_OBF) != obf)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink s = { 0 };
	struct i8042 c;
	unsigned int off, resets = 0;
	uint32_t width;
	size_t i = 0;
	uint8_t op, d[4];

	i8042_init(&c, fuzz_irq, fuzz_reset, &s);
	while (i < size) {
		op = data[i++];
		off = op % 5;
		width = 1 + ((op >> 4) & 3);
		if (op & 0x08) {
			memset(d, 0, sizeof(d));
			d[0] = i < size ? data[i++] : 0;
			resets += fuzz_wants_reset(&c, off, d[0]);
			i8042_io(&c, off, d, width, true);
		} else {
			fuzz_read(&c, off, width);
		}
		fuzz_check(&c, &s);
		if (s.resets != resets)
			abort();
	}
	i8042_fini(&c);
	return 0;
}
