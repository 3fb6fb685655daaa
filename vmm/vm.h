/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.h - struct husk_vm and what the vCPU threads call back into.
 *
 * Threads: the embedder's thread runs the lifecycle functions; each vCPU
 * has a thread running vcpu.c's loop; the UART may have an input thread.
 * Lifecycle state (started, ended, pause/stop requests, running/paused
 * counts, exit info) is under vm->lock; stop_req and pause_req are also
 * read without it on the vCPU fast path (atomics) and only ever change
 * under it. Device state has each device's own lock.
 */
#ifndef HUSK_VMM_VM_H
#define HUSK_VMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "guest_mem.h"
#include "husk.h"
#include "i8042.h"
#include "kvm.h"
#include "log.h"
#include "uart.h"
#include "vcpu.h"
#include "x86/boot.h"

#define VM_MAX_CPUS		64
#define VM_DEFAULT_MEM_MIB	128

#define VM_PVM_MESSAGE \
	"this host's KVM is PVM (" KVM_PVM_PATH "): it cannot run an unmodified " \
	"Linux guest; use the nested rig (tests/rig/run)"

struct husk_vm {
	struct husk_vm_config cfg;	/* copy; strings are not kept after create */
	struct log_sink log;
	struct kvm kvm;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct uart uart;
	struct i8042 i8042;
	struct x86_boot_state boot;
	struct kvm_cpuid2 *cpuid;	/* KVM's supported table, unpatched */
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	int exit_efd;
	bool devices_ready;	/* vm_devices_init() ran: fini needed */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, ended, joined;
	bool stop_req, pause_req;	/* also read atomically without lock */
	unsigned int nr_running, nr_paused;
	struct husk_exit_info exit;

	uint64_t t_create, t_first_run, t_marker, t_exit;	/* atomics */
};

/* vm_now_ns - CLOCK_MONOTONIC in nanoseconds. */
uint64_t vm_now_ns(void);

/*
 * vm_end - end the VM with @info unless it already ended (the first reason
 * wins), then make every vCPU leave KVM_RUN. Any thread.
 */
void vm_end(struct husk_vm *vm, const struct husk_exit_info *info);

/* vm_end_reason - vm_end() with a formatted message. */
void vm_end_reason(struct husk_vm *vm, enum husk_exit_reason reason,
		   uint32_t vcpu, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * vm_vcpu_should_stop - a vCPU thread's check before KVM_RUN: parks while
 * a pause is requested, returns true once the VM is stopping.
 */
bool vm_vcpu_should_stop(struct husk_vm *vm);

/* vm_vcpu_exited - a vCPU thread's last act: the last one signals the end. */
void vm_vcpu_exited(struct husk_vm *vm);

/* vm_note_first_run - record the first KVM_RUN entry (first caller wins). */
void vm_note_first_run(struct husk_vm *vm);

/* vm_devices_init - register COM1, i8042, boot marker and quiet port sinks. */
int vm_devices_init(struct husk_vm *vm, struct husk_error **err);

/* vm_devices_fini - stop the console input thread, free device state. */
void vm_devices_fini(struct husk_vm *vm);

/* vm_boot_load - read kernel/initrd files and load them into guest RAM. */
int vm_boot_load(struct husk_vm *vm, const struct husk_vm_config *cfg,
		 struct husk_error **err);

/* vm_guest_mem - guest RAM, for tests reading what a guest wrote. */
struct guest_mem *vm_guest_mem(struct husk_vm *vm);

#endif
