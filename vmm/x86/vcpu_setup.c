// SPDX-License-Identifier: Apache-2.0
/* vcpu_setup.c - a vCPU's initial CPUID, MSRs, FPU, LAPIC and registers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/x86/cpuid.h"
#include "vmm/x86/vcpu_setup.h"
#include "vmm/x86/bootcpu.h"

#define MSR_IA32_TSC	      0x00000010
#define MSR_IA32_SYSENTER_CS  0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_MISC_ENABLE  0x000001a0
#define MSR_MTRR_DEF_TYPE     0x000002ff
#define MSR_STAR	      0xc0000081
#define MSR_LSTAR	      0xc0000082
#define MSR_CSTAR	      0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102

#define MISC_ENABLE_FAST_STRING (1ull << 0)
#define MTRR_DEF_TYPE_ENABLE	(1ull << 11)
#define MTRR_TYPE_WRBACK	6ull

#define FPU_DEFAULT_FCW	  0x37f	 /* what FNINIT leaves */
#define FPU_DEFAULT_MXCSR 0x1f80 /* all SSE exceptions masked */

/* Local APIC register offsets and LVT delivery modes (SDM vol. 3, 11.5.1). */
#define APIC_LVT_LINT0	   0x350
#define APIC_LVT_LINT1	   0x360
#define APIC_LVT_MODE_MASK 0x700u
#define APIC_MODE_NMI	   0x400u
#define APIC_MODE_EXTINT   0x700u

static const struct {
	uint32_t index;
	uint64_t value;
} vcpu_boot_msrs[] = {
	{ MSR_IA32_SYSENTER_CS, 0 },
	{ MSR_IA32_SYSENTER_ESP, 0 },
	{ MSR_IA32_SYSENTER_EIP, 0 },
	{ MSR_STAR, 0 },
	{ MSR_CSTAR, 0 },
	{ MSR_KERNEL_GS_BASE, 0 },
	{ MSR_SYSCALL_MASK, 0 },
	{ MSR_LSTAR, 0 },
	{ MSR_IA32_TSC, 0 },
	{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
	/* No MTRR ranges are set up: the default type must make RAM WB. */
	{ MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_ENABLE | MTRR_TYPE_WRBACK },
};

#define VCPU_NR_BOOT_MSRS (sizeof(vcpu_boot_msrs) / sizeof(vcpu_boot_msrs[0]))

static int vcpu_setup_cpuid(int fd, unsigned int id, const struct kvm_cpuid2 *supported,
			    unsigned int nr_cpus, struct husk_error **err)
{
	struct kvm_cpuid2 *c = cpuid_alloc();
	int ret;

	if (!c)
		return husk_err(err, ENOMEM, "vCPU %u: cpuid table", id);
	c->nent = supported->nent;
	memcpy(c->entries, supported->entries, supported->nent * sizeof(c->entries[0]));
	ret = cpuid_patch(c, id, nr_cpus);
	if (ret < 0) {
		free(c);
		return husk_err(err, -ret, "vCPU %u: cpuid table", id);
	}
	ret = ioctl(fd, KVM_SET_CPUID2, c);
	free(c);
	if (ret < 0)
		return husk_err(err, errno, "vCPU %u: KVM_SET_CPUID2", id);
	return 0;
}

static int vcpu_setup_msrs(int fd, unsigned int id, struct husk_error **err)
{
	struct kvm_msrs *m;
	unsigned int i;
	int n;

	m = calloc(1, sizeof(*m) + VCPU_NR_BOOT_MSRS * sizeof(m->entries[0]));
	if (!m)
		return husk_err(err, ENOMEM, "vCPU %u: MSR list", id);
	m->nmsrs = VCPU_NR_BOOT_MSRS;
	for (i = 0; i < VCPU_NR_BOOT_MSRS; i++) {
		m->entries[i].index = vcpu_boot_msrs[i].index;
		m->entries[i].data = vcpu_boot_msrs[i].value;
	}
	n = ioctl(fd, KVM_SET_MSRS, m);
	free(m);
	if (n < 0)
		return husk_err(err, errno, "vCPU %u: KVM_SET_MSRS", id);
	/* KVM stops at the first MSR it refuses and returns how many it set. */
	if (n < (int)VCPU_NR_BOOT_MSRS)
		return husk_err(err, ENOTSUP, "vCPU %u: KVM_SET_MSRS refused MSR 0x%x", id,
				vcpu_boot_msrs[n].index);
	return 0;
}

static int vcpu_setup_fpu(int fd, unsigned int id, struct husk_error **err)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = FPU_DEFAULT_FCW;
	fpu.mxcsr = FPU_DEFAULT_MXCSR;
	if (ioctl(fd, KVM_SET_FPU, &fpu) < 0)
		return husk_err(err, errno, "vCPU %u: KVM_SET_FPU", id);
	return 0;
}

static void vcpu_lapic_set_mode(struct kvm_lapic_state *l, unsigned int reg, uint32_t mode)
{
	uint32_t val;

	memcpy(&val, &l->regs[reg], sizeof(val));
	val = (val & ~APIC_LVT_MODE_MASK) | mode;
	memcpy(&l->regs[reg], &val, sizeof(val));
}

/*
 * Wire LINT0 to the PIC (ExtINT) and LINT1 to NMI, as PC firmware does
 * (virtual wire mode, MP spec 3.6.2.2); the kernel relies on it until it
 * programs the IOAPIC.
 */
static int vcpu_setup_lapic(int fd, unsigned int id, struct husk_error **err)
{
	struct kvm_lapic_state l;

	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		return husk_err(err, errno, "vCPU %u: KVM_GET_LAPIC", id);
	vcpu_lapic_set_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	vcpu_lapic_set_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (ioctl(fd, KVM_SET_LAPIC, &l) < 0)
		return husk_err(err, errno, "vCPU %u: KVM_SET_LAPIC", id);
	return 0;
}

static int vcpu_setup_boot_regs(int fd, unsigned int id, const struct x86_boot_state *boot,
				struct husk_error **err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		return husk_err(err, errno, "vCPU %u: KVM_GET_SREGS", id);
	x86_bootcpu_sregs(boot, &sregs);
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0)
		return husk_err(err, errno, "vCPU %u: KVM_SET_SREGS", id);
	x86_bootcpu_regs(boot, &regs);
	if (ioctl(fd, KVM_SET_REGS, &regs) < 0)
		return husk_err(err, errno, "vCPU %u: KVM_SET_REGS", id);
	return 0;
}

int vcpu_setup(int fd, unsigned int id, const struct kvm_cpuid2 *supported, unsigned int nr_cpus,
	       const struct x86_boot_state *boot, struct husk_error **err)
{
	int ret;

	ret = vcpu_setup_cpuid(fd, id, supported, nr_cpus, err);
	if (!ret)
		ret = vcpu_setup_msrs(fd, id, err);
	if (!ret)
		ret = vcpu_setup_fpu(fd, id, err);
	if (!ret)
		ret = vcpu_setup_lapic(fd, id, err);
	if (!ret && boot)
		ret = vcpu_setup_boot_regs(fd, id, boot, err);
	return ret;
}
