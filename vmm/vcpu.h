/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vcpu.h - one virtual CPU: its KVM fd, its kvm_run page and its thread.
 *
 * Each vCPU runs on its own thread (vcpu_start()) in a KVM_RUN loop that
 * dispatches port and MMIO exits to the VM's buses and turns terminal exits
 * into the VM's exit reason. Another thread makes it leave KVM_RUN with
 * vcpu_kick(): immediate_exit plus the kick signal (SIGRTMIN), so a kick
 * that lands just before KVM_RUN is not lost.
 */
#ifndef HUSK_VMM_VCPU_H
#define HUSK_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "common/error.h"
#include "vmm/x86/boot.h"

struct husk_vm;

struct vcpu {
	struct husk_vm *vm;
	unsigned int id;	/* also its APIC ID */
	int fd;			/* -1 until created */
	struct kvm_run *run;	/* shared with KVM; NULL until created */
	pthread_t thread;
	bool thread_started;
};

enum vcpu_exit_action {
	VCPU_CONTINUE,
	VCPU_STOP,
};

/* vcpu_create - KVM_CREATE_VCPU and map its kvm_run page. */
int vcpu_create(struct vcpu *v, struct husk_vm *vm, unsigned int id,
		struct husk_error **err);

/*
 * vcpu_setup - CPUID (@supported patched for this vCPU of @nr_cpus), MSRs,
 * FPU, LAPIC LINT0/LINT1; with @boot (vCPU 0 only) also the long-mode
 * entry registers. Without @boot the vCPU waits for INIT/SIPI in the
 * in-kernel LAPIC, as an AP does on hardware.
 */
int vcpu_setup(struct vcpu *v, const struct kvm_cpuid2 *supported,
	       unsigned int nr_cpus, const struct x86_boot_state *boot,
	       struct husk_error **err);

/* vcpu_start - start the vCPU's thread (caller blocks signals first). */
int vcpu_start(struct vcpu *v, struct husk_error **err);

/* vcpu_kick - make the vCPU leave (or not enter) KVM_RUN soon. Any thread. */
void vcpu_kick(struct vcpu *v);

/* vcpu_join - wait for the thread to end; no-op when never started. */
void vcpu_join(struct vcpu *v);

/* vcpu_destroy - unmap and close; the thread must have been joined. */
void vcpu_destroy(struct vcpu *v);

/* vcpu_signal_init - install the no-op kick signal handler (idempotent). */
int vcpu_signal_init(struct husk_error **err);

/* vcpu_kick_signal - the signal number used to kick vCPUs (SIGRTMIN). */
int vcpu_kick_signal(void);

/* vcpu_current_id - the calling vCPU thread's vCPU id, -1 on other threads. */
int vcpu_current_id(void);

/* vcpu_handle_exit - act on run->exit_reason after KVM_RUN returned 0. */
enum vcpu_exit_action vcpu_handle_exit(struct vcpu *v);

#endif
