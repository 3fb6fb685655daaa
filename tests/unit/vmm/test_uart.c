// SPDX-License-Identifier: Apache-2.0
/* test_uart.c - vmm/legacy/uart.c: 16550A registers, interrupts, output, input. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vmm/legacy/uart.h"
#include "tests/lib/unit.h"

struct sink {
	uint8_t out[64];
	size_t n;
	int irq;
	int irq_changes;
};

static void sink_out(void *opaque, const uint8_t *buf, size_t len)
{
	struct sink *s = opaque;

	memcpy(s->out + s->n, buf, len);
	s->n += len;
}

static void sink_irq(void *opaque, int level)
{
	struct sink *s = opaque;

	s->irq = level;
	s->irq_changes++;
}

static void setup(struct uart *u, struct sink *s)
{
	struct uart_cfg c = {
		.irq_fn = sink_irq,
		.irq_opaque = s,
		.out_fn = sink_out,
		.out_opaque = s,
		.out_fd = -1,
		.in_fd = -1,
	};

	memset(s, 0, sizeof(*s));
	uart_init(u, &c);
}

static uint8_t rd(struct uart *u, unsigned int reg)
{
	uint8_t d = 0xee;

	uart_io(u, reg, &d, 1, false);
	return d;
}

static void wr(struct uart *u, unsigned int reg, uint8_t v)
{
	uart_io(u, reg, &v, 1, true);
}

START_TEST(uart_dlab_selects_divisor_latch)
{
	struct uart u;
	struct sink s;

	setup(&u, &s);
	wr(&u, UART_LCR, UART_LCR_DLAB | 0x03);
	wr(&u, UART_DLL, 0x01);
	wr(&u, UART_DLM, 0x02);
	ck_assert_uint_eq(rd(&u, UART_DLL), 0x01);
	ck_assert_uint_eq(rd(&u, UART_DLM), 0x02);
	ck_assert_uint_eq(s.n, 0); /* DLL write is not a THR write */
	wr(&u, UART_LCR, 0x03);
	ck_assert_uint_eq(rd(&u, UART_IER), 0); /* IER untouched by DLM */
	wr(&u, UART_THR, 'x');
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.out[0], 'x');
	wr(&u, UART_LCR, UART_LCR_DLAB);
	ck_assert_uint_eq(rd(&u, UART_DLL), 0x01);
	uart_fini(&u);
}
END_TEST

START_TEST(uart_output_byte_for_byte)
{
	const char msg[] = "hello\r\n\x00\xff";
	struct uart u;
	struct sink s;
	size_t i;

	setup(&u, &s);
	for (i = 0; i < sizeof(msg); i++)
		wr(&u, UART_THR, (uint8_t)msg[i]);
	ck_assert_uint_eq(s.n, sizeof(msg));
	ck_assert_mem_eq(s.out, msg, sizeof(msg));
	ck_assert_uint_eq(rd(&u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	uart_fini(&u);
}
END_TEST

START_TEST(uart_output_to_fd)
{
	struct uart_cfg c = { .out_fd = -1, .in_fd = -1 };
	struct uart u;
	char buf[8] = { 0 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	c.out_fd = p[1];
	uart_init(&u, &c);
	wr(&u, UART_THR, 'o');
	wr(&u, UART_THR, 'k');
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "ok");
	uart_fini(&u);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(uart_thre_interrupt_raised_and_acknowledged)
{
	struct uart u;
	struct sink s;

	setup(&u, &s);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_NO_INT);
	wr(&u, UART_IER, UART_IER_THRI);
	ck_assert_int_eq(s.irq, 1);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_THRI);
	/* Reading IIR acknowledged it. */
	ck_assert_int_eq(s.irq, 0);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_NO_INT);
	/* A THR write empties at once and raises it again. */
	wr(&u, UART_THR, 'a');
	ck_assert_int_eq(s.irq, 1);
	wr(&u, UART_IER, 0);
	ck_assert_int_eq(s.irq, 0);
	uart_fini(&u);
}
END_TEST

START_TEST(uart_iir_priorities)
{
	struct uart u;
	struct sink s;

	setup(&u, &s);
	wr(&u, UART_FCR, UART_FCR_ENABLE);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	wr(&u, UART_IER, UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI);
	ck_assert_uint_eq(uart_receive(&u, (const uint8_t *)"ab", 2), 2);
	/* RDA outranks THRE; reading IIR then leaves THRE pending. */
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
	ck_assert_uint_eq(rd(&u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(rd(&u, UART_RBR), 'a');
	ck_assert_uint_eq(rd(&u, UART_RBR), 'b');
	ck_assert_uint_eq(rd(&u, UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_THRI);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	ck_assert_int_eq(s.irq, 0);
	uart_fini(&u);
}
END_TEST

START_TEST(uart_overrun_is_line_status_interrupt)
{
	uint8_t buf[UART_FIFO_SIZE + 4];
	struct uart u;
	struct sink s;

	setup(&u, &s);
	memset(buf, 'z', sizeof(buf));
	wr(&u, UART_MCR, UART_MCR_LOOP);
	ck_assert_uint_eq(uart_receive(&u, buf, sizeof(buf)), UART_FIFO_SIZE);
	wr(&u, UART_THR, 'q'); /* loopback into a full FIFO */
	ck_assert_uint_eq(s.n, 0);
	wr(&u, UART_IER, UART_IER_RLSI | UART_IER_RDI);
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_RLSI);
	ck_assert_uint_eq(rd(&u, UART_LSR) & (UART_LSR_OE | UART_LSR_DR),
			  UART_LSR_OE | UART_LSR_DR);
	ck_assert_uint_eq(rd(&u, UART_LSR) & UART_LSR_OE, 0); /* cleared by reading */
	ck_assert_uint_eq(rd(&u, UART_IIR), UART_IIR_RDI);
	uart_fini(&u);
}
END_TEST

START_TEST(uart_loopback_and_modem_status)
{
	struct uart u;
	struct sink s;
	uint8_t msr;

	setup(&u, &s);
	ck_assert_uint_eq(rd(&u, UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	/* Linux's 8250 probe: loopback with RTS|OUT2 must read CTS|DCD. */
	wr(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	msr = rd(&u, UART_MSR);
	ck_assert_uint_eq(msr & 0xf0, UART_MSR_CTS | UART_MSR_DCD);
	ck_assert_uint_eq(msr & UART_MSR_DDSR, UART_MSR_DDSR); /* DSR dropped */
	ck_assert_uint_eq(rd(&u, UART_MSR) & UART_MSR_DELTA, 0);
	wr(&u, UART_THR, 0x5a);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(rd(&u, UART_RBR), 0x5a);
	wr(&u, UART_MCR, UART_MCR_OUT2);
	wr(&u, UART_THR, 'y');
	ck_assert_uint_eq(s.n, 1);
	uart_fini(&u);
}
END_TEST

START_TEST(uart_scratch_fcr_and_wide_reads)
{
	uint8_t wide[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
	struct uart u;
	struct sink s;

	setup(&u, &s);
	wr(&u, UART_SCR, 0xa5);
	ck_assert_uint_eq(rd(&u, UART_SCR), 0xa5);
	uart_receive(&u, (const uint8_t *)"x", 1);
	wr(&u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLR_RX);
	ck_assert_uint_eq(rd(&u, UART_LSR) & UART_LSR_DR, 0);
	uart_io(&u, UART_LSR, wide, 4, false);
	ck_assert_uint_eq(wide[0], UART_LSR_THRE | UART_LSR_TEMT);
	ck_assert_uint_eq(wide[1] | wide[2] | wide[3], 0);
	uart_io(&u, 9, wide, 1, true); /* beyond the registers: ignored */
	uart_fini(&u);
}
END_TEST

START_TEST(uart_input_thread_feeds_rbr)
{
	struct uart_cfg c = { .out_fd = -1 };
	struct timespec ts = { 0, 1000000 };
	struct uart u;
	char got[6] = { 0 };
	int p[2], i, n = 0;

	ck_assert_int_eq(pipe(p), 0);
	c.in_fd = p[0];
	uart_init(&u, &c);
	ck_assert_int_eq(uart_start_input(&u, NULL), 0);
	ck_assert_int_eq(write(p[1], "input", 5), 5);
	for (i = 0; i < 5000 && n < 5; i++) {
		if (rd(&u, UART_LSR) & UART_LSR_DR)
			got[n++] = (char)rd(&u, UART_RBR);
		else
			nanosleep(&ts, NULL);
	}
	ck_assert_str_eq(got, "input");
	uart_fini(&u);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A pipe nobody reads takes what fits; the rest is dropped and counted. */
START_TEST(uart_full_pipe_drops_and_counts)
{
	struct uart_cfg c = { .in_fd = -1 };
	struct uart u;
	int p[2], flags, size, kept = 0, i;

	ck_assert_int_eq(pipe(p), 0);
	flags = fcntl(p[1], F_GETFL);
	size = fcntl(p[1], F_GETPIPE_SZ);
	c.out_fd = p[1];
	uart_init(&u, &c);
	for (i = 0; i < size + 100; i++)
		wr(&u, UART_THR, 'z');
	ck_assert_int_eq(ioctl(p[0], FIONREAD, &kept), 0);
	ck_assert_int_eq(kept, size);
	ck_assert_uint_eq(console_out_dropped(&u.out), 100);
	ck_assert_int_eq(fcntl(p[1], F_GETFL), flags); /* the caller's fd still blocks */
	uart_fini(&u);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A regular file takes every byte, in order. */
START_TEST(uart_output_to_regular_file)
{
	struct uart_cfg c = { .in_fd = -1 };
	char path[] = "/tmp/husk-uart-test-XXXXXX", buf[3000];
	struct uart u;
	int fd, i;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	c.out_fd = fd;
	uart_init(&u, &c);
	for (i = 0; i < (int)sizeof(buf); i++)
		wr(&u, UART_THR, (uint8_t)('a' + i % 26));
	ck_assert_uint_eq(console_out_dropped(&u.out), 0);
	uart_fini(&u);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	for (i = 0; i < (int)sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 'a' + i % 26);
	close(fd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("uart");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, uart_dlab_selects_divisor_latch);
	tcase_add_test(tc, uart_output_byte_for_byte);
	tcase_add_test(tc, uart_output_to_fd);
	tcase_add_test(tc, uart_thre_interrupt_raised_and_acknowledged);
	tcase_add_test(tc, uart_iir_priorities);
	tcase_add_test(tc, uart_overrun_is_line_status_interrupt);
	tcase_add_test(tc, uart_loopback_and_modem_status);
	tcase_add_test(tc, uart_scratch_fcr_and_wide_reads);
	tcase_add_test(tc, uart_input_thread_feeds_rbr);
	tcase_add_test(tc, uart_full_pipe_drops_and_counts);
	tcase_add_test(tc, uart_output_to_regular_file);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
