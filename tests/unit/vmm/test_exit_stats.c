// SPDX-License-Identifier: Apache-2.0
/*
 * test_exit_stats.c - vmm/exit_stats.c without KVM: where a port or MMIO
 * address counts, a kvm_run page's exit counted by kind and place, failed
 * KVM_RUNs, summing several vCPUs, the names. Counting a real guest's
 * exits is test_kvm_boot.c's.
 */
#include <errno.h>
#include <string.h>

#include "husk.h"
#include "tests/lib/unit.h"
#include "vmm/base/layout.h"
#include "vmm/exit_stats.h"

START_TEST(pio_ranges_by_port)
{
	ck_assert_int_eq(exit_stats_pio_range(0x3f8), HUSK_PIO_COM1);
	ck_assert_int_eq(exit_stats_pio_range(0x3ff), HUSK_PIO_COM1);
	ck_assert_int_eq(exit_stats_pio_range(0x3f7), HUSK_PIO_OTHER);
	ck_assert_int_eq(exit_stats_pio_range(0x2f8), HUSK_PIO_SERIAL_PROBE);
	ck_assert_int_eq(exit_stats_pio_range(0x3ef), HUSK_PIO_SERIAL_PROBE);
	ck_assert_int_eq(exit_stats_pio_range(0x60), HUSK_PIO_I8042);
	ck_assert_int_eq(exit_stats_pio_range(0x64), HUSK_PIO_I8042);
	ck_assert_int_eq(exit_stats_pio_range(0x61), HUSK_PIO_I8042); /* inside 0x60-0x64 */
	ck_assert_int_eq(exit_stats_pio_range(0x21), HUSK_PIO_PIC);
	ck_assert_int_eq(exit_stats_pio_range(0xa1), HUSK_PIO_PIC);
	ck_assert_int_eq(exit_stats_pio_range(0x43), HUSK_PIO_PIT);
	ck_assert_int_eq(exit_stats_pio_range(0x71), HUSK_PIO_CMOS);
	ck_assert_int_eq(exit_stats_pio_range(0xcfc), HUSK_PIO_PCI_CONFIG);
	ck_assert_int_eq(exit_stats_pio_range(0x80), HUSK_PIO_POST);
	ck_assert_int_eq(exit_stats_pio_range(0xed), HUSK_PIO_POST);
	ck_assert_int_eq(exit_stats_pio_range(HUSK_BOOT_MARKER_PORT), HUSK_PIO_BOOT_MARKER);
	ck_assert_int_eq(exit_stats_pio_range(HUSK_BOOT_MARKER_PORT + 3), HUSK_PIO_BOOT_MARKER);
	ck_assert_int_eq(exit_stats_pio_range(HUSK_BOOT_MARKER_PORT + 4), HUSK_PIO_OTHER);
	ck_assert_int_eq(exit_stats_pio_range(0xffff), HUSK_PIO_OTHER);
}
END_TEST

START_TEST(mmio_ranges_by_address)
{
	const uint64_t base = X86_VIRTIO_MMIO_BASE, slot = X86_VIRTIO_MMIO_SLOT;

	ck_assert_int_eq(exit_stats_mmio_range(base), HUSK_MMIO_VIRTIO0);
	ck_assert_int_eq(exit_stats_mmio_range(base + slot - 1), HUSK_MMIO_VIRTIO0);
	ck_assert_int_eq(exit_stats_mmio_range(base + 3 * slot + 0x50), HUSK_MMIO_VIRTIO0 + 3);
	ck_assert_int_eq(exit_stats_mmio_range(base + (HUSK_VIRTIO_SLOTS - 1) * slot),
			 HUSK_MMIO_VIRTIO0 + HUSK_VIRTIO_SLOTS - 1);
	ck_assert_int_eq(exit_stats_mmio_range(base + HUSK_VIRTIO_SLOTS * slot), HUSK_MMIO_OTHER);
	ck_assert_int_eq(exit_stats_mmio_range(base - 1), HUSK_MMIO_OTHER);
	ck_assert_int_eq(exit_stats_mmio_range(X86_IOAPIC_BASE + 0x10), HUSK_MMIO_IOAPIC);
	ck_assert_int_eq(exit_stats_mmio_range(X86_LAPIC_BASE + 0x300), HUSK_MMIO_LAPIC);
	ck_assert_int_eq(exit_stats_mmio_range(X86_LAPIC_BASE + 0x1000), HUSK_MMIO_OTHER);
	ck_assert_int_eq(exit_stats_mmio_range(0), HUSK_MMIO_OTHER);
}
END_TEST

static void count(struct exit_stats *s, uint32_t reason, uint16_t port, uint64_t addr)
{
	struct kvm_run run;

	memset(&run, 0, sizeof(run));
	run.exit_reason = reason;
	if (reason == KVM_EXIT_IO)
		run.io.port = port;
	if (reason == KVM_EXIT_MMIO)
		run.mmio.phys_addr = addr;
	exit_stats_count_run(s, &run);
}

START_TEST(runs_counted_by_kind_and_place)
{
	struct exit_stats s;

	memset(&s, 0, sizeof(s));
	count(&s, KVM_EXIT_IO, 0x3f8, 0);
	count(&s, KVM_EXIT_IO, 0x3fd, 0);
	count(&s, KVM_EXIT_IO, 0x1234, 0);
	count(&s, KVM_EXIT_MMIO, 0, X86_VIRTIO_MMIO_BASE + X86_VIRTIO_MMIO_SLOT);
	count(&s, KVM_EXIT_HLT, 0, 0);
	count(&s, KVM_EXIT_IRQ_WINDOW_OPEN, 0, 0);
	count(&s, KVM_EXIT_SYSTEM_EVENT, 0, 0);
	count(&s, KVM_EXIT_SHUTDOWN, 0, 0);
	count(&s, KVM_EXIT_FAIL_ENTRY, 0, 0);
	count(&s, KVM_EXIT_INTERNAL_ERROR, 0, 0);
	count(&s, 12345, 0, 0);
	exit_stats_count_error(&s, EINTR);
	exit_stats_count_error(&s, EAGAIN);
	exit_stats_count_error(&s, EFAULT);
	ck_assert_uint_eq(s.runs, 14);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_PIO], 3);
	ck_assert_uint_eq(s.pio[HUSK_PIO_COM1], 2);
	ck_assert_uint_eq(s.pio[HUSK_PIO_OTHER], 1);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_MMIO], 1);
	ck_assert_uint_eq(s.mmio[HUSK_MMIO_VIRTIO0 + 1], 1);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_HLT], 1);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_IRQ_WINDOW], 1);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_SYSTEM_EVENT], 1);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_SHUTDOWN], 1);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_INTERNAL_ERROR], 2);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_INTERRUPTED], 2);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_OTHER], 2);
}
END_TEST

START_TEST(sum_adds_vcpus)
{
	struct exit_stats a, b;
	struct husk_vm_exit_stats out;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&out, 0, sizeof(out));
	count(&a, KVM_EXIT_IO, HUSK_BOOT_MARKER_PORT, 0);
	count(&b, KVM_EXIT_IO, HUSK_BOOT_MARKER_PORT, 0);
	count(&b, KVM_EXIT_MMIO, 0, 0xe0000000);
	exit_stats_sum(&a, &out);
	exit_stats_sum(&b, &out);
	ck_assert_uint_eq(out.runs, 3);
	ck_assert_uint_eq(out.kinds[HUSK_VMEXIT_PIO], 2);
	ck_assert_uint_eq(out.pio[HUSK_PIO_BOOT_MARKER], 2);
	ck_assert_uint_eq(out.kinds[HUSK_VMEXIT_MMIO], 1);
	ck_assert_uint_eq(out.mmio[HUSK_MMIO_OTHER], 1);
}
END_TEST

START_TEST(names_fixed_and_unknown)
{
	unsigned int i;

	ck_assert_str_eq(husk_vmexit_kind_string(HUSK_VMEXIT_PIO), "pio");
	ck_assert_str_eq(husk_vmexit_kind_string(HUSK_VMEXIT_INTERRUPTED), "interrupted");
	ck_assert_str_eq(husk_vmexit_kind_string(HUSK_VMEXIT_KINDS), "unknown");
	ck_assert_str_eq(husk_pio_range_string(HUSK_PIO_COM1), "com1 0x3f8-0x3ff");
	ck_assert_str_eq(husk_pio_range_string(HUSK_PIO_RANGES), "unknown");
	ck_assert_str_eq(husk_mmio_range_string(HUSK_MMIO_VIRTIO0 + 10), "virtio10 0xd000a000");
	ck_assert_str_eq(husk_mmio_range_string(HUSK_MMIO_VIRTIO0 + 18), "virtio18 0xd0012000");
	ck_assert_str_eq(husk_mmio_range_string(HUSK_MMIO_LAPIC), "lapic 0xfee00000");
	ck_assert_str_eq(husk_mmio_range_string(HUSK_MMIO_RANGES), "unknown");
	/* No gap in the tables: every index this header knows has a name. */
	for (i = 0; i < HUSK_VMEXIT_KINDS; i++)
		ck_assert_ptr_nonnull(husk_vmexit_kind_string(i));
	for (i = 0; i < HUSK_PIO_RANGES; i++)
		ck_assert_ptr_nonnull(husk_pio_range_string(i));
	for (i = 0; i < HUSK_MMIO_RANGES; i++)
		ck_assert_ptr_nonnull(husk_mmio_range_string(i));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("exit_stats");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, pio_ranges_by_port);
	tcase_add_test(tc, mmio_ranges_by_address);
	tcase_add_test(tc, runs_counted_by_kind_and_place);
	tcase_add_test(tc, sum_adds_vcpus);
	tcase_add_test(tc, names_fixed_and_unknown);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
