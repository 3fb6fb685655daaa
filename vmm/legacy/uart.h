/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uart.h - a 16550A serial port for the guest console (COM1, 0x3f8, IRQ 4).
 *
 * Transmission is instantaneous: a byte written to THR is handed to the
 * output sink at once (an fd sink that cannot take it drops it, see
 * console_out.h) and THR is empty again, so the THRE interrupt fires
 * as soon as the guest enables it and the Linux console never waits on a
 * baud rate. Received bytes come from an input fd read by a small thread,
 * or from uart_receive() directly (tests). All state is under one mutex;
 * the IRQ and output callbacks run with it held, on the thread that made
 * the access (a vCPU thread or the input thread).
 */
#ifndef HUSK_VMM_LEGACY_UART_H
#define HUSK_VMM_LEGACY_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/legacy/console_out.h"

#define UART_COM1_BASE 0x3f8
#define UART_COM1_IRQ  4
#define UART_NR_REGS   8
#define UART_FIFO_SIZE 16

/* Register offsets and bits (names follow the 16550A data sheet). */
#define UART_RBR 0 /* read, DLAB=0 */
#define UART_THR 0 /* write, DLAB=0 */
#define UART_DLL 0 /* DLAB=1 */
#define UART_IER 1 /* DLAB=0 */
#define UART_DLM 1 /* DLAB=1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI  0x01 /* received data available */
#define UART_IER_THRI 0x02 /* transmitter holding register empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_FIFO	0xc0 /* both bits set: 16550A with FIFOs on */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLR_RX 0x02
#define UART_FCR_CLR_TX 0x04

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR   0x01
#define UART_LSR_OE   0x02
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

#define UART_MSR_DCTS  0x01
#define UART_MSR_DDSR  0x02
#define UART_MSR_TERI  0x04
#define UART_MSR_DDCD  0x08
#define UART_MSR_DELTA 0x0f
#define UART_MSR_CTS   0x10
#define UART_MSR_DSR   0x20
#define UART_MSR_RI    0x40
#define UART_MSR_DCD   0x80

typedef void (*uart_irq_fn)(void *opaque, int level);
typedef void (*uart_out_fn)(void *opaque, const uint8_t *buf, size_t len);

struct uart_cfg {
	uart_irq_fn irq_fn; /* line level changes; may be NULL */
	void *irq_opaque;
	uart_out_fn out_fn; /* takes precedence over out_fd */
	void *out_opaque;
	int out_fd; /* borrowed; -1 discards output; never waited on */
	int in_fd;  /* borrowed; -1 for no input */
};

struct uart {
	pthread_mutex_t lock;
	pthread_cond_t rx_space; /* signalled when the guest drains RX */
	struct uart_cfg cfg;
	struct console_out out; /* cfg.out_fd's writer, dropped-byte count */
	uint8_t ier, lcr, mcr, msr, scr, fcr, dll, dlm;
	bool overrun;	   /* LSR.OE, cleared by reading LSR */
	bool thre_pending; /* THRE interrupt condition */
	int irq_level;
	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	/* input thread */
	int stop_fd; /* eventfd, -1 until uart_start_input() */
	bool stopping;
	bool in_running;
	bool seccomp; /* the input thread installs its filter (vmm/seccomp/) */
	pthread_t in_thread;
};

void uart_init(struct uart *u, const struct uart_cfg *cfg);

/* uart_start_input - start the thread reading cfg.in_fd (no-op when -1). */
int uart_start_input(struct uart *u, struct husk_error **err);

/* uart_fini - stop the input thread and release the lock objects. */
void uart_fini(struct uart *u);

/* uart_io - bus handler for the 8 registers at the port base. */
void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* uart_receive - queue bytes for the guest; returns how many fitted. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);

#endif
