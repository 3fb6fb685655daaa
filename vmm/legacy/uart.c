// SPDX-License-Identifier: Apache-2.0
/* uart.c - 16550A register file, interrupt logic and console input thread. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/legacy/uart.h"
#include "vmm/seccomp/seccomp.h"

/* Modem lines as seen when nothing but a terminal is attached. */
#define UART_MSR_IDLE (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

void uart_init(struct uart *u, const struct uart_cfg *cfg)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->rx_space, NULL);
	u->cfg = *cfg;
	console_out_init(&u->out, cfg->out_fn ? -1 : cfg->out_fd);
	u->msr = UART_MSR_IDLE;
	u->stop_fd = -1;
	/* A common PC BIOS leaves 8N1 at 9600 baud (divisor 12). */
	u->lcr = 0x03;
	u->dll = 12;
}

/* Interrupt priority order from the 16550A data sheet, highest first. */
static uint8_t uart_iir(const struct uart *u)
{
	uint8_t fifo = (u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RLSI) && u->overrun)
		return fifo | UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return fifo | UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_DELTA))
		return fifo | UART_IIR_MSI;
	return fifo | UART_IIR_NO_INT;
}

/*
 * The line follows "an interrupt is pending", like QEMU's and kvmtool's
 * UARTs: it is not gated by MCR.OUT2, which Linux sets anyway. Only level
 * changes are passed on, so an edge-triggered PIC input sees one edge per
 * interrupt episode, as with the real part.
 */
static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & UART_IIR_NO_INT);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (u->cfg.irq_fn)
		u->cfg.irq_fn(u->cfg.irq_opaque, level);
}

static bool uart_rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_count == UART_FIFO_SIZE) {
		u->overrun = true;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = b;
	u->rx_count++;
	return true;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	uint8_t b;

	if (!u->rx_count)
		return 0;
	b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	pthread_cond_signal(&u->rx_space);
	return b;
}

/* A full or closed fd drops the byte (console_out.h): the guest must not stall. */
static void uart_output(struct uart *u, uint8_t b)
{
	if (u->cfg.out_fn)
		u->cfg.out_fn(u->cfg.out_opaque, &b, 1);
	else
		console_out_write(&u->out, &b, 1);
}

/* In loopback the modem inputs are wired to the modem outputs (MCR). */
static uint8_t uart_msr_status(const struct uart *u)
{
	uint8_t m = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_IDLE;
	if (u->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

static void uart_set_msr(struct uart *u, uint8_t status)
{
	uint8_t old = u->msr, delta = old & UART_MSR_DELTA;
	uint8_t changed = (old ^ status) & 0xf0;

	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(status & UART_MSR_RI))
		delta |= UART_MSR_TERI; /* trailing edge only */
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = status | delta;
}

static void uart_write_thr(struct uart *u, uint8_t val)
{
	if (u->mcr & UART_MCR_LOOP)
		uart_rx_push(u, val);
	else
		uart_output(u, val);
	u->thre_pending = true;
}

static void uart_write_fcr(struct uart *u, uint8_t val)
{
	/* Toggling the enable bit resets both FIFOs, as the CLR bits do. */
	if ((val ^ u->fcr) & UART_FCR_ENABLE)
		val |= UART_FCR_CLR_RX | UART_FCR_CLR_TX;
	if (val & UART_FCR_CLR_RX) {
		u->rx_count = 0;
		u->rx_head = 0;
		pthread_cond_signal(&u->rx_space);
	}
	u->fcr = val & ~(UART_FCR_CLR_RX | UART_FCR_CLR_TX);
}

static void uart_write(struct uart *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_THR:
		if (dlab)
			u->dll = val;
		else
			uart_write_thr(u, val);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Enabling THRI with THR empty raises THRE at once. */
		if ((val ^ u->ier) & val & UART_IER_THRI)
			u->thre_pending = true;
		u->ier = val & 0x0f;
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		uart_set_msr(u, uart_msr_status(u));
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t iir = uart_iir(u);

	/* Reading IIR acknowledges a THRE interrupt when it is the source. */
	if ((iir & 0x0f) == UART_IIR_THRI)
		u->thre_pending = false;
	return iir;
}

static uint8_t uart_read_lsr(struct uart *u)
{
	uint8_t lsr = UART_LSR_THRE | UART_LSR_TEMT;

	if (u->rx_count)
		lsr |= UART_LSR_DR;
	if (u->overrun)
		lsr |= UART_LSR_OE;
	u->overrun = false;
	return lsr;
}

static uint8_t uart_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		return dlab ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		v = u->msr;
		u->msr &= ~UART_MSR_DELTA;
		return v;
	default:
		return u->scr;
	}
}

void uart_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct uart *u = opaque;

	if (!len || offset >= UART_NR_REGS)
		return;
	pthread_mutex_lock(&u->lock);
	if (is_write) {
		uart_write(u, (unsigned int)offset, data[0]);
	} else {
		/* Wider reads than the 8-bit registers see zeros above. */
		memset(data, 0, len);
		data[0] = uart_read(u, (unsigned int)offset);
	}
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < len && u->rx_count < UART_FIFO_SIZE; i++)
		uart_rx_push(u, buf[i]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return i;
}

/* Wait for FIFO room; returns the room, or 0 when stopping. */
static size_t uart_wait_room(struct uart *u)
{
	size_t room;

	pthread_mutex_lock(&u->lock);
	while (!u->stopping && u->rx_count == UART_FIFO_SIZE)
		pthread_cond_wait(&u->rx_space, &u->lock);
	room = u->stopping ? 0 : UART_FIFO_SIZE - u->rx_count;
	pthread_mutex_unlock(&u->lock);
	return room;
}

static void *uart_input_thread(void *arg)
{
	struct uart *u = arg;
	uint8_t buf[UART_FIFO_SIZE];
	struct pollfd p[2];
	size_t room;
	ssize_t n;

	for (;;) {
		room = uart_wait_room(u);
		if (!room)
			break;
		p[0] = (struct pollfd){ .fd = u->cfg.in_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = u->stop_fd, .events = POLLIN };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		n = read(u->cfg.in_fd, buf, room);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* EOF or a dead fd: the console has no more input */
		uart_receive(u, buf, (size_t)n);
	}
	return NULL;
}

int uart_start_input(struct uart *u, struct husk_error **err)
{
	int ret;

	if (u->cfg.in_fd < 0)
		return 0;
	u->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->stop_fd < 0)
		return husk_err(err, errno, "uart: eventfd");
	ret = seccomp_thread_create(&u->in_thread, uart_input_thread, u, u->seccomp,
				    SECCOMP_THREAD_CONSOLE_IN, err);
	if (ret < 0)
		return husk_err_wrap(err, "uart: console input thread");
	u->in_running = true;
	pthread_setname_np(u->in_thread, "husk-uart-in");
	return 0;
}

void uart_fini(struct uart *u)
{
	uint64_t one = 1;

	if (u->in_running) {
		pthread_mutex_lock(&u->lock);
		u->stopping = true;
		pthread_cond_broadcast(&u->rx_space);
		pthread_mutex_unlock(&u->lock);
		if (write(u->stop_fd, &one, sizeof(one)) < 0) {
			/* An eventfd write only fails on overflow; the flag suffices. */
		}
		pthread_join(u->in_thread, NULL);
		u->in_running = false;
	}
	if (u->stop_fd >= 0)
		close(u->stop_fd);
	u->stop_fd = -1;
	console_out_fini(&u->out);
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->rx_space);
}
