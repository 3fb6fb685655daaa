/* SPDX-License-Identifier: Apache-2.0 */
/* vcpu_setup.h - a vCPU's initial x86 state, set once before it first runs. */
#ifndef HUSK_VMM_X86_VCPU_SETUP_H
#define HUSK_VMM_X86_VCPU_SETUP_H

#include <linux/kvm.h>

#include "common/error.h"
#include "vmm/x86/boot.h"

/*
 * vcpu_setup - for the vCPU with KVM fd @fd and APIC ID @id: CPUID
 * (@supported patched for this vCPU of @nr_cpus), MSRs, FPU, LAPIC
 * LINT0/LINT1; with @boot (vCPU 0 only) also the long-mode entry
 * registers. Without @boot the vCPU waits for INIT/SIPI in the
 * in-kernel LAPIC, as an AP does on hardware.
 */
int vcpu_setup(int fd, unsigned int id, const struct kvm_cpuid2 *supported, unsigned int nr_cpus,
	       const struct x86_boot_state *boot, struct husk_error **err);

#endif
