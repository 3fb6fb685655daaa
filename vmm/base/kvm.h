/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm.h - /dev/kvm and the VM file descriptor.
 *
 * kvm_open() checks the API version and every capability the rest of the
 * library relies on, so a host that lacks one fails at create time with the
 * capability's name instead of later with a bare errno. kvm_vm_create()
 * builds the machine core: VM fd, TSS and identity-map pages, in-kernel
 * PIC/IOAPIC/LAPIC and PIT. Helpers for IRQ lines, irqfds and ioeventfds
 * are here for the devices. One struct kvm per VM; nothing global.
 */
#ifndef HUSK_VMM_BASE_KVM_H
#define HUSK_VMM_BASE_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/guest_mem.h"

#define KVM_DEV_PATH "/dev/kvm"
#define KVM_PVM_PATH "/sys/module/kvm_pvm"

/* What to tell the user when a Linux guest meets a PVM host. */
#define KVM_PVM_MESSAGE \
	"this host's KVM is PVM (" KVM_PVM_PATH "): it cannot run an unmodified " \
	"Linux guest; use the nested rig (tests/rig/run)"

struct kvm {
	int sys_fd;	    /* /dev/kvm, -1 when closed */
	int vm_fd;	    /* -1 until kvm_vm_create() */
	int vcpu_mmap_size; /* size of each vCPU's struct kvm_run mapping */
	bool pvm;	    /* host KVM is the PVM backend */
};

/* kvm_init_fds - mark @k empty so kvm_close() is safe on it. */
void kvm_init_fds(struct kvm *k);

/*
 * kvm_open - open /dev/kvm, require API version 12 and the capabilities in
 * kvm.c's table; record the kvm_run mapping size and whether this is PVM.
 */
int kvm_open(struct kvm *k, struct husk_error **err);

/*
 * kvm_vm_create - KVM_CREATE_VM, then the TSS (3 pages at @tss_gpa) and
 * identity-map page (@idmap_gpa) that VMX needs for real-mode emulation,
 * the in-kernel irqchip and the PIT.
 */
int kvm_vm_create(struct kvm *k, uint64_t tss_gpa, uint64_t idmap_gpa, struct husk_error **err);

/* kvm_add_guest_mem - one memory slot per guest_mem region (slot = index). */
int kvm_add_guest_mem(struct kvm *k, const struct guest_mem *gm, struct husk_error **err);

/* kvm_close - close both fds; idempotent. */
void kvm_close(struct kvm *k);

/*
 * kvm_irq_line - drive GSI @gsi of the in-kernel PIC/IOAPIC to @level.
 * Returns 0 or -errno; called from device code on any thread, no allocation.
 */
int kvm_irq_line(struct kvm *k, uint32_t gsi, int level);

/* kvm_irqfd - (de)assign @fd as a trigger for GSI @gsi. */
int kvm_irqfd(struct kvm *k, int fd, uint32_t gsi, bool deassign, struct husk_error **err);

struct kvm_ioevent {
	uint64_t addr;
	uint32_t len;	/* 0 (any), 1, 2, 4 or 8 */
	bool pio;	/* port I/O instead of MMIO */
	bool datamatch; /* only writes of @data signal @fd */
	uint64_t data;
};

/* kvm_ioeventfd - (de)assign @fd to be signalled on guest writes to @ev. */
int kvm_ioeventfd(struct kvm *k, int fd, const struct kvm_ioevent *ev, bool deassign,
		  struct husk_error **err);

/* kvm_host_is_pvm - true when the host KVM is PVM (kvm_pvm module loaded). */
bool kvm_host_is_pvm(void);

#endif
