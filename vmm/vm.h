/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.h - struct husk_vm, shared by the vm*.c files: vm.c (the VM's end
 * and what its vCPU threads call back into, through struct vcpu_ops),
 * vm_create.c (create, destroy), vm_run.c (start, pause, stop, wait),
 * vm_boot.c, vm_memory.c, vm_add_device.c and vm_virtio_devices.c.
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

#include "vmm/base/bus.h"
#include "vmm/base/guest_mem.h"
#include "husk.h"
#include "vmm/base/kvm.h"
#include "vmm/base/log.h"
#include "vmm/legacy/pc_devices.h"
#include "vmm/base/event_loop.h"
#include "vmm/vcpu.h"
#include "vmm/x86/boot.h"
#include "vmm/base/layout.h"

struct virtio_fs;
struct virtio_vsock;
struct vm_vdev;

#define VM_MAX_CPUS	   64
#define VM_DEFAULT_MEM_MIB 128

struct husk_vm {
	struct husk_vm_config cfg; /* copy; strings are not kept after create */
	struct log_sink log;
	struct kvm kvm;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct pc_devices legacy; /* COM1, i8042, boot marker */
	struct x86_boot_state boot;
	struct kvm_cpuid2 *cpuid;   /* KVM's supported table, unpatched */
	struct vcpu_host vcpu_host; /* what the vCPUs see of this VM */
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	int exit_efd;

	struct event_loop loop; /* virtio notifications, taps, sockets */
	pthread_mutex_t dev_lock;
	struct vm_vdev *vdevs[X86_VIRTIO_MMIO_SLOTS]; /* by slot */
	unsigned int nr_vdevs;
	unsigned int nr_disks, nr_nets;			 /* for device names */
	struct virtio_vsock *vsock;			 /* also in vdevs; NULL: none */
	struct virtio_blk *disks[X86_VIRTIO_MMIO_SLOTS]; /* by disk index; also in vdevs */
	struct virtio_net *nets[X86_VIRTIO_MMIO_SLOTS];	 /* by net index; also in vdevs */
	struct virtio_fs *fs[X86_VIRTIO_MMIO_SLOTS];	 /* by fs index; also in vdevs */
	unsigned int nr_fs;
	char *cmdline; /* the caller's command line, copied */
	/* " virtio_mmio.device=..." per slot, appended to cmdline at boot */
	char dev_cmdline[X86_VIRTIO_MMIO_SLOTS * 48];

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, ended, joined;
	bool stop_req, pause_req; /* also read atomically without lock */
	unsigned int nr_running, nr_paused;
	struct husk_exit_info exit;

	/*
	 * Boot phases (husk_vm_timing). t_create, t_load_done and t_created
	 * are written before husk_vm_create() returns the VM; the others are
	 * atomics; the marker is legacy's.
	 */
	uint64_t t_create, t_load_done, t_created;
	uint64_t t_start, t_first_run, t_exit;

	int sample_fd; /* profiling's timerfd (vm_sample.c); -1: not sampling */
};

/*
 * vm_end - end the VM with @info unless it already ended (the first reason
 * wins), then make every vCPU leave KVM_RUN. Any thread.
 */
void vm_end(struct husk_vm *vm, const struct husk_exit_info *info);

/* vm_end_reason - vm_end() with a formatted message. */
void vm_end_reason(struct husk_vm *vm, enum husk_exit_reason reason, uint32_t vcpu, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));

/* vm_kick_all - make every vCPU leave KVM_RUN; caller holds vm->lock. */
void vm_kick_all(struct husk_vm *vm);

/*
 * vm_sample_start - with cfg.sample_fn and sample_us, ask every vCPU for a
 * sample each period from the event loop; after every vCPU thread started.
 */
int vm_sample_start(struct husk_vm *vm, struct husk_error **err);

/* vm_sample_stop - no more asking (and no tick running); before the vCPU
 * threads are joined. Idempotent. */
void vm_sample_stop(struct husk_vm *vm);

/*
 * vm_all_exited - no vCPU thread runs any more: wake waiters and signal the
 * exit eventfd; caller holds vm->lock.
 */
void vm_all_exited(struct husk_vm *vm);

/*
 * vm_vcpu_ops - what the VM does for its vCPU threads (vcpu.h): park them
 * while paused, record the first run, take their end of the VM, count
 * them out. Their opaque is the struct husk_vm.
 */
extern const struct vcpu_ops vm_vcpu_ops;

/* vm_guest_reset - the i8042 reset line: ends the VM as a reset. */
void vm_guest_reset(void *opaque);

/*
 * vm_boot_load - read the kernel, initrd and init files and load them
 * (with the in-memory initramfs around init_path) into guest RAM.
 */
int vm_boot_load(struct husk_vm *vm, const struct husk_vm_config *cfg, struct husk_error **err);

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
