// SPDX-License-Identifier: Apache-2.0
/* pc_devices.c - the legacy PC devices every VM has, on its port I/O bus. */
#include <string.h>

#include "common/clock.h"
#include "husk.h"
#include "vmm/legacy/pc_devices.h"
#include "vmm/base/layout.h"

/*
 * Ports Linux and firmware-style code probe that have nothing behind them
 * here: reads float high (all ones, "no device"), writes vanish, and the
 * debug log stays free of them.
 */
static const struct {
	uint16_t base, len;
	uint8_t fill; /* what reads return */
	const char *name;
} pc_quiet_ports[] = {
	{ 0x80, 0x10, 0xff, "post+dma-page" }, /* POST code, DMA page registers */
	{ 0xed, 1, 0xff, "io-delay" },
	{ 0x2e8, 8, 0xff, "com4" },
	{ 0x2f8, 8, 0xff, "com2" },
	{ 0x3e8, 8, 0xff, "com3" },
	/*
	 * No RTC: CMOS reads return 0 rather than all ones, so "update in
	 * progress" (register A bit 7) is never seen set and a kernel that
	 * waits for it to clear does not spin.
	 */
	{ 0x70, 2, 0x00, "cmos" },
};

#define PC_NR_QUIET_PORTS (sizeof(pc_quiet_ports) / sizeof(pc_quiet_ports[0]))

static void pc_quiet_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	const uint8_t *fill = opaque;

	if (!is_write)
		memset(data, *fill, len);
}

static void pc_uart_irq(void *opaque, int level)
{
	struct pc_devices *d = opaque;

	kvm_irq_line(d->kvm, UART_COM1_IRQ, level);
}

static void pc_i8042_irq(void *opaque, int level)
{
	struct pc_devices *d = opaque;

	kvm_irq_line(d->kvm, I8042_KBD_IRQ, level);
}

/* The i8042 has one opaque for both callbacks: @d, which knows the VM's. */
static void pc_i8042_reset(void *opaque)
{
	struct pc_devices *d = opaque;

	d->reset_fn(d->reset_opaque);
}

/* Boot marker: the first write of any size wins; reads return zero. */
static void pc_marker_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pc_devices *d = opaque;
	uint64_t expected = 0;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	__atomic_compare_exchange_n(&d->t_marker, &expected, husk_now_ns(), false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
}

static int pc_devices_quiet(struct bus *pio, struct husk_error **err)
{
	size_t i;
	int ret;

	for (i = 0; i < PC_NR_QUIET_PORTS; i++) {
		ret = bus_register(pio, pc_quiet_ports[i].base, pc_quiet_ports[i].len, pc_quiet_io,
				   (void *)&pc_quiet_ports[i].fill, pc_quiet_ports[i].name, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int pc_devices_init(struct pc_devices *d, struct bus *pio, const struct pc_devices_cfg *cfg,
		    struct husk_error **err)
{
	struct uart_cfg uc = {
		.irq_fn = pc_uart_irq,
		.irq_opaque = d,
		.out_fn = cfg->console_fn,
		.out_opaque = cfg->console_opaque,
		.out_fd = cfg->console_out_fd,
		.in_fd = cfg->console_in_fd,
	};
	int ret;

	d->kvm = cfg->kvm;
	d->reset_fn = cfg->reset_fn;
	d->reset_opaque = cfg->reset_opaque;
	uart_init(&d->uart, &uc);
	i8042_init(&d->i8042, pc_i8042_irq, pc_i8042_reset, d);
	d->ready = true;
	ret = bus_register(pio, UART_COM1_BASE, UART_NR_REGS, uart_io, &d->uart, "com1", err);
	if (!ret)
		ret = bus_register(pio, I8042_DATA_PORT, I8042_IO_LEN, i8042_io, &d->i8042, "i8042",
				   err);
	if (!ret)
		ret = bus_register(pio, HUSK_BOOT_MARKER_PORT, 4, pc_marker_io, d, "boot-marker",
				   err);
	if (!ret)
		ret = pc_devices_quiet(pio, err);
	return ret;
}

void pc_devices_fini(struct pc_devices *d)
{
	if (!d->ready)
		return;
	d->ready = false;
	uart_fini(&d->uart);
	i8042_fini(&d->i8042);
}
