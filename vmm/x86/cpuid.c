// SPDX-License-Identifier: Apache-2.0
/* cpuid.c - KVM's supported CPUID table, patched for one vCPU of a VM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/x86/cpuid.h"

#define CPUID_AMD_VENDOR_EBX 0x68747541u /* "Auth" of "AuthenticAMD" */

struct kvm_cpuid2 *cpuid_alloc(void)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (c)
		c->nent = 0;
	return c;
}

/*
 * KVM emulates the LAPIC's TSC-deadline mode but leaves the CPUID bit
 * (leaf 1 ECX[24]) for the VMM to set when KVM_CAP_TSC_DEADLINE_TIMER is
 * there. Without it Linux calibrates the LAPIC timer against the PIT at
 * boot, which costs seconds in a nested guest and can fail ("APIC timer
 * disabled due to verification failure").
 */
static void cpuid_add_tsc_deadline(int sys_fd, struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 1, 0);

	if (e && ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
}

int cpuid_get_supported(int sys_fd, struct kvm_cpuid2 **out, struct husk_error **err)
{
	struct kvm_cpuid2 *c = cpuid_alloc();

	if (!c)
		return husk_err(err, ENOMEM, "cpuid table");
	/* Leave room for the entries cpuid_patch() may have to add. */
	c->nent = CPUID_MAX_ENTRIES - 8;
	if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		free(c);
		return husk_err(err, errno, "KVM_GET_SUPPORTED_CPUID");
	}
	cpuid_add_tsc_deadline(sys_fd, c);
	*out = c;
	return 0;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)
			return e;
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *cpuid_find_or_add(struct kvm_cpuid2 *c, uint32_t function,
						  uint32_t index, uint32_t flags)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, function, index);

	if (e)
		return e;
	if (c->nent >= CPUID_MAX_ENTRIES)
		return NULL;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = flags;
	return e;
}

/* Bits needed to number @n cores: APIC IDs are packed by field width. */
static uint32_t cpuid_id_bits(uint32_t n)
{
	uint32_t bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

static void cpuid_patch_leaf1(struct kvm_cpuid_entry2 *e, uint32_t apic_id, uint32_t nr_cpus)
{
	uint32_t ids = nr_cpus > 1 ? 1u << cpuid_id_bits(nr_cpus) : 1;

	e->ecx |= CPUID_1_ECX_HYPERVISOR;
	/* EBX[31:24] initial APIC ID, [23:16] addressable logical IDs. */
	e->ebx = (e->ebx & 0xffff) | (apic_id << 24) | ((ids & 0xff) << 16);
	if (nr_cpus > 1)
		e->edx |= CPUID_1_EDX_HTT;
	else
		e->edx &= ~CPUID_1_EDX_HTT;
}

/* Leaf 4: EAX[31:26] cores per package - 1, EAX[25:14] sharing IDs - 1. */
static void cpuid_patch_leaf4(struct kvm_cpuid2 *c, uint32_t nr_cpus)
{
	uint32_t ids = (1u << cpuid_id_bits(nr_cpus)) - 1;
	struct kvm_cpuid_entry2 *e;
	uint32_t i, level;

	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function != CPUID_LEAF_CACHE || !(e->eax & 0x1f))
			continue;
		level = (e->eax >> 5) & 0x7;
		e->eax &= 0x3fff;
		e->eax |= ids << 26;
		/* L1 and L2 are per core; L3 is shared by the package. */
		if (level >= 3)
			e->eax |= ids << 14;
	}
}

static void cpuid_topo_fill(struct kvm_cpuid_entry2 *e, uint32_t apic_id, uint32_t nr_cpus)
{
	e->edx = apic_id; /* x2APIC ID */
	switch (e->index) {
	case 0: /* SMT level: one thread per core */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (CPUID_TOPO_SMT << 8) | 0;
		break;
	case 1: /* core level: the whole package */
		e->eax = cpuid_id_bits(nr_cpus);
		e->ebx = nr_cpus;
		e->ecx = (CPUID_TOPO_CORE << 8) | 1;
		break;
	default: /* nothing above the package */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = (CPUID_TOPO_INVALID << 8) | e->index;
		break;
	}
}

/* Rewrite leaf 0xB or 0x1F when the host has it; subleaves 0-2 exist. */
static int cpuid_patch_topology(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t apic_id,
				uint32_t nr_cpus)
{
	const uint32_t flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	struct kvm_cpuid_entry2 *e;
	uint32_t i;

	if (!cpuid_find(c, leaf, 0) && !cpuid_find(c, leaf, 1))
		return 0;
	for (i = 0; i <= 2; i++) {
		if (!cpuid_find_or_add(c, leaf, i, flags))
			return -ENOSPC;
	}
	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function == leaf)
			cpuid_topo_fill(e, apic_id, nr_cpus);
	}
	return 0;
}

/* AMD: ECX[7:0] cores - 1, ECX[15:12] APIC ID bits for the core number. */
static void cpuid_patch_amd(struct kvm_cpuid2 *c, uint32_t nr_cpus)
{
	struct kvm_cpuid_entry2 *v = cpuid_find(c, 0, 0);
	struct kvm_cpuid_entry2 *e = cpuid_find(c, CPUID_LEAF_AMD_SIZES, 0);

	if (!v || v->ebx != CPUID_AMD_VENDOR_EBX || !e)
		return;
	e->ecx &= ~0xf0ffu;
	e->ecx |= (nr_cpus - 1) & 0xff;
	e->ecx |= cpuid_id_bits(nr_cpus) << 12;
}

static int cpuid_patch_kvm(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find_or_add(c, CPUID_LEAF_KVM_SIG, 0, 0);
	if (!e)
		return -ENOSPC;
	e->eax = CPUID_LEAF_KVM_FEATURES;
	e->ebx = CPUID_KVM_SIG_EBX;
	e->ecx = CPUID_KVM_SIG_ECX;
	e->edx = CPUID_KVM_SIG_EDX;
	/* Features stay what KVM reported; an absent leaf reads as none. */
	if (!cpuid_find_or_add(c, CPUID_LEAF_KVM_FEATURES, 0, 0))
		return -ENOSPC;
	return 0;
}

int cpuid_patch(struct kvm_cpuid2 *c, uint32_t apic_id, uint32_t nr_cpus)
{
	struct kvm_cpuid_entry2 *e;
	int ret;

	if (!nr_cpus)
		nr_cpus = 1;
	e = cpuid_find(c, CPUID_LEAF_FEATURES, 0);
	if (e)
		cpuid_patch_leaf1(e, apic_id, nr_cpus);
	cpuid_patch_leaf4(c, nr_cpus);
	ret = cpuid_patch_topology(c, CPUID_LEAF_TOPOLOGY, apic_id, nr_cpus);
	if (!ret)
		ret = cpuid_patch_topology(c, CPUID_LEAF_TOPOLOGY2, apic_id, nr_cpus);
	if (ret)
		return ret;
	cpuid_patch_amd(c, nr_cpus);
	return cpuid_patch_kvm(c);
}
