// SPDX-License-Identifier: Apache-2.0
/* vm_devices.c - the legacy PC devices every VM has, on its port I/O bus. */
#include <string.h>

#include "vmm/vm.h"
#include "vmm/x86/layout.h"

/*
 * Ports Linux and firmware-style code probe that have nothing behind them
 * here: reads float high (all ones, "no device"), writes vanish, and the
 * debug log stays free of them.
 */
static const struct {
	uint16_t base, len;
	uint8_t fill;		/* what reads return */
	const char *name;
} vm_quiet_ports[] = {
	{ 0x80, 0x10, 0xff, "post+dma-page" },	/* POST code, DMA page registers */
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

#define VM_NR_QUIET_PORTS (sizeof(vm_quiet_ports) / sizeof(vm_quiet_ports[0]))

static void vm_quiet_io(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len, bool is_write)
{
	const uint8_t *fill = opaque;

	if (!is_write)
		memset(data, *fill, len);
}

static void vm_uart_irq(void *opaque, int level)
{
	struct husk_vm *vm = opaque;

	kvm_irq_line(&vm->kvm, UART_COM1_IRQ, level);
}

static void vm_i8042_irq(void *opaque, int level)
{
	struct husk_vm *vm = opaque;

	kvm_irq_line(&vm->kvm, I8042_KBD_IRQ, level);
}

/* Runs on the vCPU thread that wrote the reset command. */
static void vm_i8042_reset(void *opaque)
{
	int id = vcpu_current_id();

	vm_end_reason(opaque, HUSK_EXIT_RESET, id < 0 ? 0 : (uint32_t)id,
		      "guest reset (i8042 reset line)");
}

/* Boot marker: the first write of any size wins; reads return zero. */
static void vm_marker_io(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct husk_vm *vm = opaque;
	uint64_t expected = 0;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	__atomic_compare_exchange_n(&vm->t_marker, &expected, vm_now_ns(), false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static int vm_devices_quiet(struct husk_vm *vm, struct husk_error **err)
{
	size_t i;
	int ret;

	for (i = 0; i < VM_NR_QUIET_PORTS; i++) {
		ret = bus_register(&vm->pio, vm_quiet_ports[i].base, vm_quiet_ports[i].len,
				   vm_quiet_io, (void *)&vm_quiet_ports[i].fill,
				   vm_quiet_ports[i].name, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int vm_devices_init(struct husk_vm *vm, struct husk_error **err)
{
	struct uart_cfg uc = {
		.irq_fn = vm_uart_irq,
		.irq_opaque = vm,
		.out_fn = vm->cfg.console_fn,
		.out_opaque = vm->cfg.console_opaque,
		.out_fd = vm->cfg.console_out_fd,
		.in_fd = vm->cfg.console_in_fd,
	};
	int ret;

	uart_init(&vm->uart, &uc);
	i8042_init(&vm->i8042, vm_i8042_irq, vm_i8042_reset, vm);
	vm->devices_ready = true;
	ret = bus_register(&vm->pio, UART_COM1_BASE, UART_NR_REGS, uart_io,
			   &vm->uart, "com1", err);
	if (!ret)
		ret = bus_register(&vm->pio, I8042_DATA_PORT, I8042_IO_LEN, i8042_io,
				   &vm->i8042, "i8042", err);
	if (!ret)
		ret = bus_register(&vm->pio, HUSK_BOOT_MARKER_PORT, 4, vm_marker_io,
				   vm, "boot-marker", err);
	if (!ret)
		ret = vm_devices_quiet(vm, err);
	return ret;
}

void vm_devices_fini(struct husk_vm *vm)
{
	if (!vm->devices_ready)
		return;
	vm->devices_ready = false;
	uart_fini(&vm->uart);
	i8042_fini(&vm->i8042);
}
