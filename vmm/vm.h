/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.h - struct husk_vm and what the vCPU threads call back into.
 *
 * Threads: the embedder's thread runs the lifecycle functions; each vCPU
 * has a thread running vcpu.c's loop; the UART may have an input thread;
 * the event loop has one thread for virtio notifications and device I/O
 * (started with the vCPUs, stopped in destroy after the devices).
 * The device table, cmdline and dev_cmdline are under dev_lock and only
 * change before start.
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

#include "vmm/bus.h"
#include "vmm/guest_mem.h"
#include "husk.h"
#include "vmm/i8042.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/uart.h"
#include "vmm/event_loop.h"
#include "vmm/vcpu.h"
#include "vmm/x86/boot.h"
#include "vmm/x86/layout.h"

struct virtio_fs;
struct virtio_vsock;
struct vm_vdev;

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

	struct event_loop loop;		/* virtio notifications, taps, sockets */
	pthread_mutex_t dev_lock;
	struct vm_vdev *vdevs[X86_VIRTIO_MMIO_SLOTS];	/* by slot */
	unsigned int nr_vdevs;
	unsigned int nr_disks, nr_nets;	/* for device names */
	struct virtio_vsock *vsock;	/* also in vdevs; NULL: none */
	struct virtio_blk *disks[X86_VIRTIO_MMIO_SLOTS];	/* by disk index; also in vdevs */
	struct virtio_fs *fs[X86_VIRTIO_MMIO_SLOTS];	/* by fs index; also in vdevs */
	unsigned int nr_fs;
	char *cmdline;			/* the caller's command line, copied */
	/* " virtio_mmio.device=..." per slot, appended to cmdline at boot */
	char dev_cmdline[X86_VIRTIO_MMIO_SLOTS * 48];

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

/*
 * vm_boot_load - read the kernel, initrd and init files and load them
 * (with the in-memory initramfs around init_path) into guest RAM.
 */
int vm_boot_load(struct husk_vm *vm, const struct husk_vm_config *cfg,
		 struct husk_error **err);

/*
 * vm_boot_write_cmdline - write vm->cmdline followed by vm->dev_cmdline
 * into guest RAM and the zero page. -EINVAL when longer than the kernel
 * accepts (the previous line is then left in place).
 */
int vm_boot_write_cmdline(struct husk_vm *vm, struct husk_error **err);

/*
 * vm_vdev_kicks - queue notifications slot @slot received through its
 * ioeventfds (0 for an empty slot); for tests proving that path.
 */
uint64_t vm_vdev_kicks(struct husk_vm *vm, unsigned int slot);

/* vm_guest_mem - guest RAM, for tests reading what a guest wrote. */
struct guest_mem *vm_guest_mem(struct husk_vm *vm);

#endif
