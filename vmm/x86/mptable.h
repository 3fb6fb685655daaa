/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mptable.h - Intel MultiProcessor Specification 1.4 tables, which tell
 * the kernel how many CPUs there are and how ISA IRQs reach the IOAPIC
 * (no ACPI in husk guests).
 */
#ifndef HUSK_VMM_X86_MPTABLE_H
#define HUSK_VMM_X86_MPTABLE_H

#include <stddef.h>

#include "common/error.h"
#include "vmm/base/guest_mem.h"

/* APIC IDs 0..N-1 are CPUs and N is the IOAPIC; 0xff is broadcast. */
#define X86_MAX_CPUS 254

/*
 * x86_mptable_size - bytes the floating pointer plus configuration table
 * take for @nr_cpus processors.
 */
size_t x86_mptable_size(unsigned int nr_cpus);

/*
 * x86_mptable_write - write the floating pointer at X86_MPTABLE_START and
 * the configuration table right after it: @nr_cpus processors (APIC IDs
 * 0..nr_cpus-1, CPU 0 the BSP), an ISA bus, the IOAPIC (ID nr_cpus) with
 * ISA IRQs 0-15 and device GSIs up to 23 routed to the same pins, ExtINT on
 * LINT0 and NMI on LINT1. Errors are prefixed "mptable: ".
 */
int x86_mptable_write(struct guest_mem *gm, unsigned int nr_cpus, struct husk_error **err);

#endif
