/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cpuid.h - the CPUID table each vCPU sees.
 *
 * Start from what KVM supports on this host (KVM_GET_SUPPORTED_CPUID), then
 * patch what only the VMM knows: that the CPU is virtual (hypervisor bit and
 * KVM's signature leaves, without which a Linux guest does not find
 * kvm-clock and stalls calibrating the TSC), the vCPU's APIC ID and a
 * topology of one socket with nr_cpus single-threaded cores, stated the
 * same way in leaves 1, 4, 0xB, 0x1F and AMD's 0x80000008. The patching
 * works on a plain table and needs no /dev/kvm.
 */
#ifndef HUSK_VMM_X86_CPUID_H
#define HUSK_VMM_X86_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#include "common/error.h"

#define CPUID_MAX_ENTRIES 256 /* room asked of KVM, plus patches */

#define CPUID_LEAF_FEATURES	0x1
#define CPUID_LEAF_CACHE	0x4
#define CPUID_LEAF_TOPOLOGY	0xb
#define CPUID_LEAF_TOPOLOGY2	0x1f
#define CPUID_LEAF_KVM_SIG	0x40000000
#define CPUID_LEAF_KVM_FEATURES 0x40000001
#define CPUID_LEAF_AMD_SIZES	0x80000008

#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR	 (1u << 31)
#define CPUID_1_EDX_HTT		 (1u << 28)

/* "KVMKVMKVM\0\0\0" as EBX, ECX, EDX of leaf 0x40000000. */
#define CPUID_KVM_SIG_EBX 0x4b4d564bu
#define CPUID_KVM_SIG_ECX 0x564b4d56u
#define CPUID_KVM_SIG_EDX 0x0000004du

/* Level types in leaf 0xB/0x1F ECX[15:8]. */
#define CPUID_TOPO_INVALID 0
#define CPUID_TOPO_SMT	   1
#define CPUID_TOPO_CORE	   2

/* cpuid_alloc - a zeroed table with room for CPUID_MAX_ENTRIES entries. */
struct kvm_cpuid2 *cpuid_alloc(void);

/*
 * cpuid_get_supported - KVM_GET_SUPPORTED_CPUID on @sys_fd into a new table
 * (*@out, freed by the caller). Returns 0 or -errno.
 */
int cpuid_get_supported(int sys_fd, struct kvm_cpuid2 **out, struct husk_error **err);

/*
 * cpuid_find - the entry for @function/@index (index ignored for leaves
 * without KVM_CPUID_FLAG_SIGNIFCANT_INDEX), or NULL.
 */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index);

/*
 * cpuid_patch - apply the hypervisor, signature, APIC ID and topology
 * patches for vCPU @apic_id of @nr_cpus to @c (allocated by cpuid_alloc()).
 * Returns 0, or -ENOSPC when an entry had to be added to a full table.
 */
int cpuid_patch(struct kvm_cpuid2 *c, uint32_t apic_id, uint32_t nr_cpus);

#endif
