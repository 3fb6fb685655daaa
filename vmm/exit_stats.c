// SPDX-License-Identifier: Apache-2.0
/*
 * exit_stats.c - counting a vCPU's VM exits by kind and place, summing
 * them for husk_vm_get_exit_stats(), and the names of kinds and ranges.
 */
#include <errno.h>

#include "vmm/base/layout.h"
#include "vmm/exit_stats.h"
#include "vmm/legacy/i8042.h"
#include "vmm/legacy/uart.h"

_Static_assert(HUSK_VIRTIO_SLOTS == X86_VIRTIO_MMIO_SLOTS, "husk.h's slot count is the layout's");
_Static_assert(HUSK_VMEXIT_KINDS <= HUSK_VMEXIT_KINDS_MAX, "room in husk_vm_exit_stats.kinds");
_Static_assert(HUSK_PIO_RANGES <= HUSK_PIO_RANGES_MAX, "room in husk_vm_exit_stats.pio");
_Static_assert(HUSK_MMIO_RANGES <= HUSK_MMIO_RANGES_MAX, "room in husk_vm_exit_stats.mmio");

/*
 * Port ranges, first match wins. The in-kernel PIC and PIT (and the PIT's
 * speaker port 0x61) never exit; they are listed so that a host where they
 * did would show it rather than hide it in "other".
 */
static const struct {
	uint16_t first, last;
	enum husk_pio_range range;
} pio_ranges[] = {
	{ UART_COM1_BASE, UART_COM1_BASE + UART_NR_REGS - 1, HUSK_PIO_COM1 },
	{ 0x2e8, 0x2ef, HUSK_PIO_SERIAL_PROBE }, /* COM4 */
	{ 0x2f8, 0x2ff, HUSK_PIO_SERIAL_PROBE }, /* COM2 */
	{ 0x3e8, 0x3ef, HUSK_PIO_SERIAL_PROBE }, /* COM3 */
	{ I8042_DATA_PORT, I8042_DATA_PORT + I8042_IO_LEN - 1, HUSK_PIO_I8042 },
	{ 0x20, 0x21, HUSK_PIO_PIC },
	{ 0xa0, 0xa1, HUSK_PIO_PIC },
	{ 0x40, 0x43, HUSK_PIO_PIT },
	{ 0x61, 0x61, HUSK_PIO_PIT },
	{ 0x70, 0x71, HUSK_PIO_CMOS },
	{ 0xcf8, 0xcff, HUSK_PIO_PCI_CONFIG },
	{ 0x80, 0x8f, HUSK_PIO_POST },
	{ 0xed, 0xed, HUSK_PIO_POST },
	{ HUSK_BOOT_MARKER_PORT, HUSK_BOOT_MARKER_PORT + 3, HUSK_PIO_BOOT_MARKER },
};

#define NR_PIO_RANGES (sizeof(pio_ranges) / sizeof(pio_ranges[0]))

enum husk_pio_range exit_stats_pio_range(uint16_t port)
{
	size_t i;

	for (i = 0; i < NR_PIO_RANGES; i++) {
		if (port >= pio_ranges[i].first && port <= pio_ranges[i].last)
			return pio_ranges[i].range;
	}
	return HUSK_PIO_OTHER;
}

/* The IOAPIC and LAPIC register windows are one page each. */
#define APIC_PAGE 0x1000ULL

enum husk_mmio_range exit_stats_mmio_range(uint64_t addr)
{
	uint64_t end = X86_VIRTIO_MMIO_BASE + X86_VIRTIO_MMIO_SLOTS * X86_VIRTIO_MMIO_SLOT;

	if (addr >= X86_VIRTIO_MMIO_BASE && addr < end)
		return HUSK_MMIO_VIRTIO0 +
		       (enum husk_mmio_range)((addr - X86_VIRTIO_MMIO_BASE) / X86_VIRTIO_MMIO_SLOT);
	if (addr >= X86_IOAPIC_BASE && addr < X86_IOAPIC_BASE + APIC_PAGE)
		return HUSK_MMIO_IOAPIC;
	if (addr >= X86_LAPIC_BASE && addr < X86_LAPIC_BASE + APIC_PAGE)
		return HUSK_MMIO_LAPIC;
	return HUSK_MMIO_OTHER;
}

enum husk_vmexit_kind exit_stats_kind(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO:
		return HUSK_VMEXIT_PIO;
	case KVM_EXIT_MMIO:
		return HUSK_VMEXIT_MMIO;
	case KVM_EXIT_HLT:
		return HUSK_VMEXIT_HLT;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return HUSK_VMEXIT_IRQ_WINDOW;
	case KVM_EXIT_INTR:
		return HUSK_VMEXIT_INTERRUPTED;
	case KVM_EXIT_SYSTEM_EVENT:
		return HUSK_VMEXIT_SYSTEM_EVENT;
	case KVM_EXIT_SHUTDOWN:
		return HUSK_VMEXIT_SHUTDOWN;
	case KVM_EXIT_INTERNAL_ERROR:
	case KVM_EXIT_FAIL_ENTRY:
		return HUSK_VMEXIT_INTERNAL_ERROR;
	default:
		return HUSK_VMEXIT_OTHER;
	}
}

void exit_stats_count_run(struct exit_stats *s, const struct kvm_run *run)
{
	enum husk_vmexit_kind kind = exit_stats_kind(run->exit_reason);

	exit_stats_inc(&s->runs);
	exit_stats_inc(&s->kinds[kind]);
	if (kind == HUSK_VMEXIT_PIO)
		exit_stats_inc(&s->pio[exit_stats_pio_range(run->io.port)]);
	else if (kind == HUSK_VMEXIT_MMIO)
		exit_stats_inc(&s->mmio[exit_stats_mmio_range(run->mmio.phys_addr)]);
}

void exit_stats_count_error(struct exit_stats *s, int errnum)
{
	exit_stats_inc(&s->runs);
	if (errnum == EINTR || errnum == EAGAIN)
		exit_stats_inc(&s->kinds[HUSK_VMEXIT_INTERRUPTED]);
	else
		exit_stats_inc(&s->kinds[HUSK_VMEXIT_OTHER]);
}

static uint64_t exit_stats_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void exit_stats_sum(const struct exit_stats *s, struct husk_vm_exit_stats *out)
{
	unsigned int i;

	out->runs += exit_stats_read(&s->runs);
	for (i = 0; i < HUSK_VMEXIT_KINDS; i++)
		out->kinds[i] += exit_stats_read(&s->kinds[i]);
	for (i = 0; i < HUSK_PIO_RANGES; i++)
		out->pio[i] += exit_stats_read(&s->pio[i]);
	for (i = 0; i < HUSK_MMIO_RANGES; i++)
		out->mmio[i] += exit_stats_read(&s->mmio[i]);
}

const char *husk_vmexit_kind_string(unsigned int kind)
{
	static const char *const names[HUSK_VMEXIT_KINDS] = {
		[HUSK_VMEXIT_PIO] = "pio",
		[HUSK_VMEXIT_MMIO] = "mmio",
		[HUSK_VMEXIT_HLT] = "hlt",
		[HUSK_VMEXIT_IRQ_WINDOW] = "irq-window",
		[HUSK_VMEXIT_INTERRUPTED] = "interrupted",
		[HUSK_VMEXIT_SYSTEM_EVENT] = "system-event",
		[HUSK_VMEXIT_SHUTDOWN] = "shutdown",
		[HUSK_VMEXIT_INTERNAL_ERROR] = "internal-error",
		[HUSK_VMEXIT_OTHER] = "other",
	};

	return kind < HUSK_VMEXIT_KINDS ? names[kind] : "unknown";
}

const char *husk_pio_range_string(unsigned int range)
{
	static const char *const names[HUSK_PIO_RANGES] = {
		[HUSK_PIO_COM1] = "com1 0x3f8-0x3ff",
		[HUSK_PIO_SERIAL_PROBE] = "com2-4 probes",
		[HUSK_PIO_I8042] = "i8042 0x60-0x64",
		[HUSK_PIO_PIC] = "pic 0x20,0xa0",
		[HUSK_PIO_PIT] = "pit 0x40-0x43,0x61",
		[HUSK_PIO_CMOS] = "cmos 0x70-0x71",
		[HUSK_PIO_PCI_CONFIG] = "pci-config 0xcf8-0xcff",
		[HUSK_PIO_POST] = "post 0x80-0x8f,0xed",
		[HUSK_PIO_BOOT_MARKER] = "boot-marker 0x440",
		[HUSK_PIO_OTHER] = "other",
	};

	return range < HUSK_PIO_RANGES ? names[range] : "unknown";
}

const char *husk_mmio_range_string(unsigned int range)
{
	/* Slot n's window is X86_VIRTIO_MMIO_BASE + n * X86_VIRTIO_MMIO_SLOT. */
	static const char *const names[HUSK_MMIO_RANGES] = {
		"virtio0 0xd0000000",
		"virtio1 0xd0001000",
		"virtio2 0xd0002000",
		"virtio3 0xd0003000",
		"virtio4 0xd0004000",
		"virtio5 0xd0005000",
		"virtio6 0xd0006000",
		"virtio7 0xd0007000",
		"virtio8 0xd0008000",
		"virtio9 0xd0009000",
		"virtio10 0xd000a000",
		"virtio11 0xd000b000",
		"virtio12 0xd000c000",
		"virtio13 0xd000d000",
		"virtio14 0xd000e000",
		"virtio15 0xd000f000",
		"virtio16 0xd0010000",
		"virtio17 0xd0011000",
		"virtio18 0xd0012000",
		[HUSK_MMIO_IOAPIC] = "ioapic 0xfec00000",
		[HUSK_MMIO_LAPIC] = "lapic 0xfee00000",
		[HUSK_MMIO_OTHER] = "other",
	};

	return range < HUSK_MMIO_RANGES ? names[range] : "unknown";
}
