// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_uart.c - the 16550A register file (vmm/legacy/uart.c) under any
 * sequence of guest register accesses and host input. The first byte
 * picks the output sink (0 a callback, 1 a pipe nobody reads, so it fills
 * and console_out.c drops, 2 none); then steps of an opcode byte:
 *
 *   0x00-0x7f  register access: offset op & 7, write if op & 8, width
 *              1 + ((op >> 4) & 3) bytes; a write's value is the next byte
 *   0x80-0xbf  host input: the next (op & 0x1f) bytes to uart_receive()
 *   0xc0-0xff  an access past the 8 registers (offset 8 + (op & 0x3f))
 *
 * Checked after every step (abort otherwise): the IRQ callback only ever
 * sees a change of level, and that level is "IIR says pending"; the FIFO
 * never holds more than 16 bytes; a read of LSR says THR empty and data
 * ready exactly when the FIFO holds some; a wide read has zeros above its
 * first byte; the output callback gets one byte per THR write outside
 * loopback.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/legacy/uart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_sink {
	int level;	  /* as the IRQ callback last set it */
	size_t out_bytes; /* bytes the output callback got */
};

static void fuzz_irq(void *opaque, int level)
{
	struct fuzz_sink *s = opaque;

	if (level == s->level || (level != 0 && level != 1))
		abort(); /* only changes are passed on */
	s->level = level;
}

static void fuzz_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct fuzz_sink *s = opaque;

	if (len != 1 || !buf)
		abort();
	s->out_bytes += len;
}

/* A pipe, made once: its reader never reads, so it fills and stays full. */
static int fuzz_pipe_writer(void)
{
	static int p[2] = { -1, -1 };

	if (p[1] < 0 && pipe(p) < 0)
		abort();
	return p[1];
}

static uint8_t fuzz_read(struct uart *u, unsigned int off, uint32_t width)
{
	bool had_rx = u->rx_count != 0;
	uint8_t d[4];
	uint32_t i;

	memset(d, 0xee, sizeof(d));
	uart_io(u, off, d, width, false);
	for (i = 1; i < width; i++)
		if (d[i] != (off < UART_NR_REGS ? 0 : 0xee))
			abort(); /* wide reads see zeros; unknown offsets leave data alone */
	if (off == UART_LSR &&
	    ((d[0] & (UART_LSR_THRE | UART_LSR_TEMT)) != (UART_LSR_THRE | UART_LSR_TEMT) ||
	     !!(d[0] & UART_LSR_DR) != had_rx))
		abort();
	return d[0];
}

/* Whether IIR would report an interrupt, worked out without reading IIR (that acks THRE). */
static int fuzz_pending(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && u->overrun)
		return 1;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return 1;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return 1;
	return (u->ier & UART_IER_MSI) && (u->msr & UART_MSR_DELTA);
}

static void fuzz_check(const struct uart *u, const struct fuzz_sink *s)
{
	if (u->rx_count > UART_FIFO_SIZE || u->rx_head >= UART_FIFO_SIZE)
		abort();
	if (s->level != fuzz_pending(u) || u->irq_level != s->level)
		abort();
}

/* One register access; counts THR writes that must reach the callback. */
static void fuzz_access(struct uart *u, uint8_t op, uint8_t val, size_t *thr_writes)
{
	unsigned int off = op & 7;
	uint32_t width = 1 + ((op >> 4) & 3);
	uint8_t d[4] = { val, 0, 0, 0 };

	if (!(op & 8)) {
		fuzz_read(u, off, width);
		return;
	}
	if (off == UART_THR && !(u->lcr & UART_LCR_DLAB) && !(u->mcr & UART_MCR_LOOP))
		(*thr_writes)++;
	uart_io(u, off, d, width, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sink s = { 0 };
	struct uart_cfg cfg = { .irq_fn = fuzz_irq, .irq_opaque = &s, .out_fd = -1, .in_fd = -1 };
	struct uart u;
	size_t i = 1, n, thr_writes = 0;
	uint8_t op;

	if (!size)
		return 0;
	if (data[0] % 3 == 0) {
		cfg.out_fn = fuzz_out;
		cfg.out_opaque = &s;
	} else if (data[0] % 3 == 1) {
		cfg.out_fd = fuzz_pipe_writer();
	}
	uart_init(&u, &cfg);
	while (i < size) {
		op = data[i++];
		if (op < 0x80) {
			fuzz_access(&u, op, i < size ? data[i] : 0, &thr_writes);
			i += (op & 8) ? 1 : 0;
		} else if (op < 0xc0) {
			n = op & 0x1f;
			n = n < size - i ? n : size - i;
			if (uart_receive(&u, data + i, n) > n)
				abort();
			i += n;
		} else {
			fuzz_read(&u, UART_NR_REGS + (op & 0x3f), 1 + (op & 3));
		}
		fuzz_check(&u, &s);
	}
	if (cfg.out_fn && s.out_bytes != thr_writes)
		abort();
	uart_fini(&u);
	return 0;
}
