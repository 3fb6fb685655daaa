/* SPDX-License-Identifier: Apache-2.0 */
/*
 * husk.h - the public API of libhusk, a KVM virtual machine monitor library.
 *
 * Conventions, for every function below unless its comment says otherwise:
 *  - Handles are opaque pointers; there is no global state, so several VMs
 *    may live in one process.
 *  - Fallible functions return 0 (or a non-negative value) on success and a
 *    negative errno on failure. When they take `struct husk_error **err` and
 *    it is not NULL, a failure also stores an error object there whose
 *    message names the operation and the cause ("open /dev/kvm: Permission
 *    denied"). The caller frees it with husk_error_free().
 *  - The library never exits, aborts or prints on its own.
 */
#ifndef HUSK_H
#define HUSK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HUSK_BUILDING_LIB)
#define HUSK_API __attribute__((visibility("default")))
#else
#define HUSK_API
#endif

/* ---------------------------------------------------------------- errors */

/* An error: an errno value and a message with context. */
struct husk_error;

/*
 * husk_error_message - the error's text.
 * Returns: a NUL-terminated string owned by @e, valid until husk_error_free().
 */
HUSK_API const char *husk_error_message(const struct husk_error *e);

/* husk_error_errno - the positive errno value the error carries. */
HUSK_API int husk_error_errno(const struct husk_error *e);

/* husk_error_free - free @e (NULL is allowed). */
HUSK_API void husk_error_free(struct husk_error *e);

/* husk_version - the library's version string, e.g. "0.1.0". */
HUSK_API const char *husk_version(void);

/* ---------------------------------------------------------------- logging */

/* Message levels, most severe first. */
enum husk_log_level {
	HUSK_LOG_ERROR = 0,
	HUSK_LOG_WARN = 1,
	HUSK_LOG_INFO = 2,
	HUSK_LOG_DEBUG = 3,
};

/*
 * husk_log_fn - the embedder's log sink. @msg is one line without a trailing
 * newline, valid only during the call. Called on whichever thread logs (the
 * caller of a husk_* function, a vCPU thread, the device thread, a disk I/O
 * thread or the console input thread), possibly on several at once: it
 * must be thread-safe and must not call back into the VM's lifecycle
 * functions. On the library's threads with HUSK_VM_SECCOMP it runs under
 * their filters: see there what it may do.
 */
typedef void (*husk_log_fn)(void *opaque, int level, const char *msg);

/* ---------------------------------------------------------------- VMs */

/* A virtual machine. Opaque; created by husk_vm_create(). */
struct husk_vm;

/*
 * husk_console_fn - receives guest console (COM1) output. Called on a vCPU
 * thread with the UART's lock held, in guest order; @buf is valid only
 * during the call. It must not block for long (the guest waits) and must
 * not call husk_vm_* functions on the same VM. With HUSK_VM_SECCOMP it runs
 * under the vCPU filter (see there).
 */
typedef void (*husk_console_fn)(void *opaque, const uint8_t *buf, size_t len);

/*
 * husk_sample_fn - one sample of where a vCPU's guest was (see
 * husk_vm_config.sample_us): @t_ns nanoseconds after husk_vm_start(), the
 * vCPU, its guest RIP (a guest virtual address: resolve it with the guest
 * kernel's symbol table, e.g. `nm vmlinux`). Called on that vCPU's
 * thread, under its seccomp filter (write and writev are allowed there);
 * the guest waits while it runs, so it must not block.
 */
typedef void (*husk_sample_fn)(void *opaque, unsigned int vcpu, uint64_t t_ns, uint64_t rip);

/*
 * HUSK_LINUX_CMDLINE - the kernel options that fit a Linux guest to husk's
 * machine, for husk_vm_config.cmdline (the husk CLI's default, the start of
 * the shim's): the console on the 16550 (ttyS0), a reboot through the
 * i8042's reset line (reboot=k, which ends the VM), no wait after a panic,
 * no probing of i8042 features husk does not emulate, and noreplace-smp:
 * a kernel built for SMP that finds one CPU rewrites every lock prefix of
 * its text, one text_poke() each, which was a sixth of a 1-vCPU boot's
 * profile in the rig (README, "Guest kernel options").
 */
#define HUSK_LINUX_CMDLINE \
	"console=ttyS0 reboot=k panic=-1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd " \
	"noreplace-smp"

/* husk_vm_config.flags */
#define HUSK_VM_MEMFD	     (1u << 0) /* back guest RAM with a memfd */
/*
 * HUSK_VM_HUGEPAGES - madvise(MADV_HUGEPAGE) on guest RAM: Linux then backs
 * it with 2 MiB pages where it can, when transparent_hugepage/enabled (or,
 * with HUSK_VM_MEMFD, .../shmem_enabled) is "advise" or "always". A kernel
 * without transparent huge pages ignores the wish.
 */
#define HUSK_VM_HUGEPAGES    (1u << 1)
/*
 * HUSK_VM_EXPECT_LINUX - the kernel is an unmodified Linux: on a host whose
 * KVM cannot run one (PVM, see husk_vm_create()) fail up front instead of
 * after a long emulated boot. Leave it clear for small freestanding guests.
 */
#define HUSK_VM_EXPECT_LINUX (1u << 2)
/*
 * HUSK_VM_SECCOMP - least privilege for the library's own threads: each
 * thread libhusk starts (vCPUs, the device thread, disk I/O threads, the
 * console input thread) installs on itself, before any work, a seccomp
 * filter allowing only the system calls that kind of thread makes, with
 * ioctl requests, fcntl commands, socket families and mmap/mprotect
 * protections checked where the code allows (no executable mappings, AF_UNIX
 * sockets on the device thread only, KVM_RUN, KVM_GET_REGS, KVM_IRQ_LINE
 * and TUNSETOFFLOAD ioctls on vCPU threads). The embedder's threads never
 * get a filter: it binds only the thread that installs it.
 *
 * A forbidden call kills the whole process, as by SIGSYS
 * (SECCOMP_RET_KILL_PROCESS): the wait status says WTERMSIG == SIGSYS and
 * the kernel logs an audit record ("audit: type=1326 ... syscall=N") that
 * names the call. Needs Linux >= 4.14 with seccomp filters; otherwise
 * husk_vm_start() (or husk_vm_add_disk(), whose I/O threads start there)
 * fails with the error of the thread that could not install its filter.
 *
 * Embedder code the library calls on those threads runs under the same
 * filter: husk_log_fn (any library thread), husk_console_fn (vCPU
 * threads) and husk_vsock_accept_fn (the device thread, or a vCPU thread
 * during a device reset). There it may take locks, allocate memory, read
 * the clock, write(2)/writev(2)/pwrite(2)/pread(2)/ftruncate(2) on fds
 * it already has, fstat them, and close the fd an accept callback is given; it must not open files,
 * create processes or threads, or make other system calls (C library
 * functions that open files on first use, such as localtime() reading the
 * time zone, must have been used once before the VM starts). Under the
 * disk I/O and console input filters close(2) is not allowed either. The
 * CLI and the shim set this flag by default (husk run --no-seccomp and
 * "seccomp": false in the shim's configuration file turn it off).
 */
#define HUSK_VM_SECCOMP	     (1u << 3)

/*
 * struct husk_vm_config - what to boot. Fill it with husk_vm_config_init(),
 * then set fields. struct_size must be sizeof(struct husk_vm_config) as the
 * caller compiled it: an older, smaller struct gets defaults for the fields
 * it lacks; a newer, larger one is refused (E2BIG) unless its extra bytes
 * are all zero.
 */
struct husk_vm_config {
	size_t struct_size;
	const char *kernel_path; /* ELF vmlinux or bzImage (required) */
	const char *initrd_path; /* NULL for none */
	const char *cmdline;	 /* NULL for an empty command line */
	uint32_t mem_mib;	 /* guest RAM in MiB (default 128) */
	uint32_t nr_cpus;	 /* vCPUs, 1..64 (default 1) */
	/*
	 * Console output: console_fn if set, else console_out_fd if >= 0,
	 * else discarded. The fd is borrowed: the caller keeps it open until
	 * husk_vm_destroy() and closes it. The library never waits on it: a
	 * byte the fd cannot take at once (a full pipe or socket nobody
	 * reads, a terminal with no room) is dropped and counted in
	 * husk_vm_exit_stats.console_dropped, so a stalled reader cannot
	 * freeze the guest or husk_vm_pause/stop/wait/destroy. Its flags are
	 * left alone: a socket gets send(MSG_DONTWAIT), a pipe or FIFO is
	 * written through a second, non-blocking open of it (/proc/self/fd;
	 * it counts as a writer until husk_vm_destroy()), a terminal only
	 * when poll() says it has room; regular files are written as usual.
	 */
	husk_console_fn console_fn;
	void *console_opaque;
	int console_out_fd; /* default -1 */
	/*
	 * Console input: bytes read from this fd (borrowed, as above) are
	 * received by the guest's COM1; -1 for none. Read by a thread the
	 * library starts in husk_vm_start().
	 */
	int console_in_fd;  /* default -1 */
	uint32_t flags;	    /* HUSK_VM_* */
	husk_log_fn log_fn; /* NULL: the library says nothing */
	void *log_opaque;
	int log_level; /* highest HUSK_LOG_* passed on (default WARN) */
	/*
	 * A static init program (e.g. husk-init): the library builds an
	 * uncompressed cpio (newc) initramfs in memory holding it as /init
	 * (0755), the char device /dev/console (5:1) and the directories
	 * /dev, /proc, /sys and /tmp, so no initramfs file has to exist.
	 * When initrd_path is also set, that archive is loaded first and this
	 * one is appended after it, 4-byte aligned (the kernel unpacks both;
	 * this /init replaces the initrd's). Read at create. NULL for none.
	 */
	const char *init_path;
	/*
	 * Guest profiling: every sample_us microseconds (0: never; else at
	 * least HUSK_SAMPLE_US_MIN) the device thread interrupts each vCPU
	 * once, and the vCPU passes where its guest was to sample_fn. Each
	 * sample is one more KVM_RUN return, counted as
	 * HUSK_VMEXIT_INTERRUPTED. Guest time has no other view from outside:
	 * this is how `husk run --profile` finds where a boot spends it.
	 */
	husk_sample_fn sample_fn;
	void *sample_opaque;
	uint32_t sample_us;
};

/* The shortest husk_vm_config.sample_us: a sample costs a VM exit. */
#define HUSK_SAMPLE_US_MIN 100

/* husk_vm_config_init - set struct_size and every default (fds -1). */
HUSK_API void husk_vm_config_init(struct husk_vm_config *cfg);

/* How a VM ended. */
enum husk_exit_reason {
	HUSK_EXIT_NONE = 0,	   /* not ended (yet) */
	HUSK_EXIT_POWEROFF,	   /* the guest powered off */
	HUSK_EXIT_RESET,	   /* the guest rebooted (e.g. i8042 reset, reboot=k) */
	HUSK_EXIT_TRIPLE_FAULT,	   /* a vCPU shut down on a triple fault */
	HUSK_EXIT_INTERNAL_ERROR,  /* KVM could not run the guest (suberror, rip) */
	HUSK_EXIT_HOST_ERROR,	   /* the host side failed; see message */
	HUSK_EXIT_STOPPED,	   /* husk_vm_request_stop() */
	HUSK_EXIT_PVM_UNSUPPORTED, /* PVM host cannot run this (Linux) guest */
};

struct husk_exit_info {
	enum husk_exit_reason reason;
	uint32_t vcpu;	   /* the vCPU that ended the VM (0 when not known) */
	uint32_t suberror; /* KVM internal-error suberror, else 0 */
	uint64_t rip;	   /* guest RIP at a fault or internal error, else 0 (after
			 * a triple fault AMD hosts report the reset RIP 0xfff0) */
	int host_errno;	   /* HOST_ERROR: the errno, else 0 */
	char message[256]; /* one human-readable line, never empty once ended */
};

/*
 * husk_exit_reason_string - a short fixed name for @reason ("poweroff",
 * "reset", "triple fault", "internal error", "host error", "stopped",
 * "PVM unsupported", "running"). Static storage; never NULL.
 */
HUSK_API const char *husk_exit_reason_string(enum husk_exit_reason reason);

/*
 * husk_vm_create - set up a VM from @cfg without running it: open /dev/kvm
 * and check its capabilities, map guest RAM, read and load the kernel,
 * initrd (and init_path's initramfs) and command line, create the vCPUs and
 * devices (COM1 16550A on 0x3f8/IRQ 4, i8042 on 0x60/0x64, boot marker on
 * 0x440; PIC, IOAPIC, LAPICs and PIT are KVM's). Files are read here and
 * not kept open. Virtio devices added afterwards (husk_vm_add_*) extend
 * the command line written here.
 *
 * On a PVM host (/sys/module/kvm_pvm exists) with HUSK_VM_EXPECT_LINUX in
 * cfg->flags it fails with -ENOTSUP and a message saying so.
 *
 * Returns 0 and stores the VM in *@vm, or a negative errno with *@err set:
 * -ENOENT/-EACCES (open /dev/kvm or a file), -ENOTSUP (KVM API version or
 * a capability missing, PVM as above), -EINVAL (bad config or image),
 * -E2BIG (config from a newer library), -ENOMEM.
 */
HUSK_API int husk_vm_create(const struct husk_vm_config *cfg, struct husk_vm **vm,
			    struct husk_error **err);

/*
 * husk_vm_start - start the device thread, the vCPU threads and the
 * console input thread. Returns at once; no device can be added after. Threads are created with all signals blocked except
 * the vCPU kick signal, SIGRTMIN: libhusk installs a handler for it that
 * does nothing (it only interrupts KVM_RUN); the embedder must not use
 * SIGRTMIN for anything else.
 * Returns 0, -EINVAL when already started, or -errno with *@err set.
 */
HUSK_API int husk_vm_start(struct husk_vm *vm, struct husk_error **err);

/*
 * husk_vm_pause - stop all vCPUs between instructions and return when every
 * running vCPU is parked. Returns 0 (also when the VM already ended) or
 * -EINVAL when not started.
 */
HUSK_API int husk_vm_pause(struct husk_vm *vm);

/* husk_vm_resume - let paused vCPUs run again. Returns 0 or -EINVAL. */
HUSK_API int husk_vm_resume(struct husk_vm *vm);

/*
 * husk_vm_request_stop - end the VM with reason HUSK_EXIT_STOPPED unless it
 * already ended for another reason. Does not wait: the vCPUs leave KVM_RUN
 * shortly after; husk_vm_wait() returns when they have. Safe from any
 * thread (not from a signal handler). Returns 0 or -EINVAL when not started.
 */
HUSK_API int husk_vm_request_stop(struct husk_vm *vm);

/*
 * husk_vm_wait - block until the VM has ended and all its vCPU threads have
 * stopped, then fill *@info (may be NULL). Call from one thread at a time.
 * Returns 0 or -EINVAL when not started.
 */
HUSK_API int husk_vm_wait(struct husk_vm *vm, struct husk_exit_info *info);

/*
 * husk_vm_exit_eventfd - an eventfd that becomes readable once the VM has
 * ended and its vCPU threads have stopped (then husk_vm_wait() does not
 * block). Owned by the VM: do not close it; valid until husk_vm_destroy().
 */
HUSK_API int husk_vm_exit_eventfd(const struct husk_vm *vm);

/*
 * Timestamps, CLOCK_MONOTONIC nanoseconds; 0 = has not happened. In the
 * order they happen: create <= load_done <= created <= start <= first_run
 * <= boot_marker <= exit (a phase that did not happen is 0). Fields are
 * only ever appended (see husk_vm_get_timing()).
 */
struct husk_vm_timing {
	uint64_t create_ns;	 /* husk_vm_create() was entered */
	uint64_t first_run_ns;	 /* the first KVM_RUN of any vCPU was entered */
	uint64_t boot_marker_ns; /* first guest write to the boot marker port */
	uint64_t exit_ns;	 /* the VM ended */
	/* Appended later: filled only for callers built with them (see below). */
	uint64_t load_done_ns; /* kernel, initrd, command line and boot tables in guest RAM */
	uint64_t created_ns;   /* husk_vm_create() returned (vCPUs and devices made) */
	uint64_t start_ns;     /* husk_vm_start() was entered */
};

/*
 * husk_vm_get_timing - copy the VM's timestamps; safe from any thread,
 * any time between create and destroy.
 *
 * A macro over husk_vm_get_timing_sized() that passes sizeof(*@t), so the
 * library fills only the fields the caller's struct has. The function
 * husk_vm_get_timing() itself still exists for programs built against an
 * older husk.h (and for bindings that cannot use the macro): it fills the
 * first four fields only, as it always did.
 */
HUSK_API void husk_vm_get_timing_sized(const struct husk_vm *vm, struct husk_vm_timing *t,
				       size_t size);
HUSK_API void(husk_vm_get_timing)(const struct husk_vm *vm, struct husk_vm_timing *t);
#define husk_vm_get_timing(vm, t) husk_vm_get_timing_sized((vm), (t), sizeof(*(t)))

/*
 * husk_vm_destroy - stop the VM if it runs (as husk_vm_request_stop() then
 * husk_vm_wait()), then tear down the virtio devices (every vsock
 * connection is reset, disk I/O is waited for, fds the VM owns are closed),
 * stop the device and console input threads and free everything.
 * Borrowed fds are not closed. NULL is allowed. Logs at info level where
 * the time went: "VM destroyed in MS ms: stop, devices, vCPUs, KVM VM
 * (closing the KVM VM, the kernel's own teardown), guest RAM".
 */
HUSK_API void husk_vm_destroy(struct husk_vm *vm);

/* ---------------------------------------------------------------- devices
 *
 * virtio-mmio devices (virtio 1.2, transport version 2) are added after
 * husk_vm_create() and before husk_vm_start(); each takes the next device
 * slot - MMIO window 0xd0000000 + 0x1000 * slot, IOAPIC pin 5 + slot, at
 * most 19 devices - and appends its `virtio_mmio.device=4K@<base>:<pin>`
 * entry to the kernel command line, in the order added (so the first disk
 * is /dev/vda, the first network interface eth0). The guest kernel needs
 * CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES.
 *
 * Every add function: call it from the thread that owns the VM (not
 * concurrently with husk_vm_start() or husk_vm_destroy()); it returns 0,
 * or a negative errno with *@err set and the VM unchanged: -EBUSY (the VM
 * has started), -EINVAL (bad config, or the command line would exceed the
 * kernel's limit), -E2BIG (config from a newer library), -ENOSPC (no free
 * slot), -ENOMEM, or the errno of the failing host call (open, ioctl).
 * Device I/O runs on the VM's device thread (started by husk_vm_start())
 * and, for disks, on two I/O threads per disk; all stop in husk_vm_destroy().
 * Config structs follow husk_vm_config's struct_size rule; strings in them
 * are used during the call only.
 */

/*
 * Rate limits (disks, and each direction of a network interface), token
 * buckets refilled by elapsed CLOCK_MONOTONIC time:
 *
 * - bandwidth counts bytes: a disk request's data buffers (header and
 *   status byte not counted: a read or write of N bytes is N), a network
 *   frame's Ethernet bytes (the 12-byte vnet header not counted);
 * - ops counts requests: one per disk request (of any type), one per frame.
 *
 * A bucket holds one second's worth of its rate and starts full; an idle
 * device so saves up to one second of traffic. one_time_burst tokens come
 * on top, once: spent first, never refilled. A request goes when both
 * buckets hold enough for it; otherwise the device stops taking requests
 * from that queue (the tap, for receive) and a timer on the VM's device
 * thread resumes it once the tokens are back: nothing waits busily and no
 * thread blocks. A request larger than a bucket (a 4 MiB write on a
 * 1 MiB/s disk) waits for a full bucket, then goes whole and leaves a
 * debt that the refill pays back before the next request: the average
 * rate holds. Guest requests are taken in order, so one waiting request
 * holds back the ones behind it. The limit fields come last in their
 * config structs: a caller built against an older husk.h (a smaller
 * struct_size) gets no limits.
 */
#define HUSK_RATE_LIMIT_MAX (1ULL << 48) /* largest rate or burst accepted */

struct husk_token_bucket {
	uint64_t rate;		 /* tokens per second, ≤ HUSK_RATE_LIMIT_MAX; 0: unlimited */
	uint64_t one_time_burst; /* extra tokens, once; needs a rate; ≤ HUSK_RATE_LIMIT_MAX */
};

struct husk_rate_limit {
	struct husk_token_bucket bandwidth; /* bytes */
	struct husk_token_bucket ops;	    /* requests or frames */
};

/*
 * struct husk_disk_config - a virtio-blk disk. Init with husk_disk_config_init().
 * Neither path nor fd: an empty slot (capacity 0) for husk_vm_disk_attach().
 */
struct husk_disk_config {
	size_t struct_size;
	const char *path; /* raw image file or block device; or NULL and fd */
	/*
	 * An open image (read-write unless read_only), used instead of path
	 * when >= 0. On success the VM owns it (it is closed by the call, the
	 * VM keeps its own duplicate until destroy); on failure the caller
	 * still does. Default -1.
	 */
	int fd;
	int read_only;	    /* non-zero: opened O_RDONLY, the guest sees VIRTIO_BLK_F_RO */
	const char *serial; /* GET_ID serial, at most 20 bytes; NULL: none */
	/* The disk's limit (all zero: none); it belongs to the slot: kept
	 * across husk_vm_disk_attach(), which ignores this field. */
	struct husk_rate_limit rate_limit;
};

/* husk_disk_config_init - struct_size, fd -1, everything else zero. */
HUSK_API void husk_disk_config_init(struct husk_disk_config *cfg);

/*
 * husk_vm_add_disk - add a virtio-blk device backed by @cfg->path or
 * @cfg->fd (regular file: its size rounded down to 512-byte sectors; block
 * device: BLKGETSIZE64). Errors besides the common ones: -ENOENT/-EACCES
 * opening the path, -EINVAL for a serial over 20 bytes or a rate limit out
 * of range (a rate or burst over HUSK_RATE_LIMIT_MAX, a burst without a rate).
 */
HUSK_API int husk_vm_add_disk(struct husk_vm *vm, const struct husk_disk_config *cfg,
			      struct husk_error **err);

/*
 * Hot media change: a disk keeps its slot and /dev node for the VM's life,
 * the medium behind it can change while the guest runs (like a card
 * reader). Disks are numbered 0, 1, ... in the order husk_vm_add_disk()
 * added them. Both calls may run before or after husk_vm_start(), from
 * any thread but not concurrently with husk_vm_destroy(). Each waits for
 * the disk's in-flight requests (they complete on the old medium), swaps,
 * sets the capacity, bumps ConfigGeneration and raises a configuration
 * interrupt, on which Linux re-reads the capacity (asynchronously: the
 * guest should wait for /sys/block/vdX/size to change). An empty disk
 * answers every request but GET_ID with an I/O error.
 *
 * Features are negotiated once when the guest probes the disk: an empty
 * slot is offered writable, with discard and write-zeroes; a read-only
 * medium attached later refuses writes with an I/O error (mount it
 * read-only), one without fallocate support answers discard and
 * write-zeroes with UNSUPP. Detach only what the guest no longer has
 * mounted: its page cache is its own business.
 */

/*
 * husk_vm_disk_attach - put @cfg's medium (path or fd, ownership as in
 * husk_vm_add_disk(); read_only honoured, serial ignored: it belongs to
 * the slot) into empty disk @index. Errors: -ENOENT (no such disk),
 * -EBUSY (it has a medium), -EINVAL (neither path nor fd), open's errno.
 */
HUSK_API int husk_vm_disk_attach(struct husk_vm *vm, unsigned int index,
				 const struct husk_disk_config *cfg, struct husk_error **err);

/*
 * husk_vm_disk_detach - take the medium out of disk @index (its fd is
 * closed) and leave it empty. Errors: -ENOENT (no such disk), -ENXIO
 * (already empty).
 */
HUSK_API int husk_vm_disk_detach(struct husk_vm *vm, unsigned int index, struct husk_error **err);

/*
 * struct husk_net_config - a virtio-net interface on a TAP device.
 * Neither tap_name nor tap_fd: an interface without a tap yet, for
 * husk_vm_net_attach().
 */
struct husk_net_config {
	size_t struct_size;
	/* An existing tap in the caller's network namespace, or a new one
	 * (needs CAP_NET_ADMIN); or NULL and tap_fd. */
	const char *tap_name;
	/*
	 * An open tap fd (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), used instead of
	 * tap_name when >= 0; ownership as husk_disk_config.fd. Default -1.
	 */
	int tap_fd;
	uint8_t mac[6]; /* the guest's MAC; all zero: a random local unicast MAC */
	uint32_t mtu;	/* offered to the guest (VIRTIO_NET_F_MTU), 68..65535; 0: none */
	struct husk_rate_limit rx_rate_limit; /* frames to the guest (all zero: none) */
	struct husk_rate_limit tx_rate_limit; /* frames from the guest (all zero: none) */
};

/* husk_net_config_init - struct_size, tap_fd -1, everything else zero. */
HUSK_API void husk_net_config_init(struct husk_net_config *cfg);

/*
 * husk_vm_add_net - add a virtio-net device on the tap. Frames move on the
 * VM's device thread. Errors besides the common ones: -ENOENT (no
 * /dev/net/tun), -EPERM (creating a tap without CAP_NET_ADMIN), -EBUSY
 * (the tap is attached elsewhere), -EINVAL (multicast MAC, MTU out of range,
 * a rate limit out of range as for husk_vm_add_disk()).
 */
HUSK_API int husk_vm_add_net(struct husk_vm *vm, const struct husk_net_config *cfg,
			     struct husk_error **err);

/*
 * Late tap: virtio-mmio devices cannot be hot-plugged (the guest finds
 * them on its command line), so a VM booted before its network exists
 * (a warm spare) gets an interface without a tap and is given the tap
 * once it runs. Until then the guest sees the link down (the interface
 * exists, its carrier is off): what it transmits is dropped and counted
 * (husk_net_stats.tx_dropped), nothing is received. MAC, MTU and rate
 * limits are the ones husk_vm_add_net() set; the offloads are offered as
 * for a tap (the guest may set its own MAC over netlink, as Linux allows).
 */

/*
 * husk_vm_net_attach - give interface @index (numbered as in
 * husk_vm_get_net_stats()), added without a tap, the open tap @tap_fd
 * (as husk_net_config.tap_fd: on success the VM owns it, on failure the
 * caller still does). Before or after husk_vm_start(), from any thread
 * but not concurrently with husk_vm_destroy(); with the guest's driver
 * running, frames flow at once and the link goes up with a configuration
 * interrupt. An interface gets one tap for the VM's life. Errors:
 * -ENOENT (no such interface), -EBUSY (it has a tap), -EBADF (@tap_fd is
 * not an open fd), the errno of TUNSETOFFLOAD or of watching the tap.
 */
HUSK_API int husk_vm_net_attach(struct husk_vm *vm, unsigned int index, int tap_fd,
				struct husk_error **err);

/* struct husk_vsock_config - the VM's virtio-vsock device (at most one). */
struct husk_vsock_config {
	size_t struct_size;
	uint32_t guest_cid; /* 3..UINT32_MAX - 1 */
	/*
	 * Optional Firecracker-compatible Unix-socket face: the library
	 * listens on uds_path (a stale socket file there is replaced), a
	 * client writes `CONNECT <port>\n` and reads `OK <hostport>\n` once the
	 * guest accepted; guest connections to host port P with no
	 * husk_vm_vsock_listen() listener go to a listener at `<uds_path>_<P>`.
	 * NULL: none. The socket file is removed by husk_vm_destroy().
	 */
	const char *uds_path;
};

/* husk_vsock_config_init - struct_size, everything else zero. */
HUSK_API void husk_vsock_config_init(struct husk_vsock_config *cfg);

/*
 * husk_vm_add_vsock - add the vsock device (stream sockets only). Errors
 * besides the common ones: -EEXIST (the VM has one), -EINVAL (CID out of
 * range), -EADDRINUSE or another bind/listen errno for uds_path.
 *
 * Connection slots: at most 256 connections exist at once, of every kind.
 * Those the guest opens (to a listener or to `<uds_path>_<P>`) may take
 * 192; beyond that the guest's REQUEST is answered with RST. The other 64
 * are kept for the host's (husk_vm_vsock_connect() and uds_path clients),
 * which may also use any slot the guest leaves free. A guest that stops
 * taking packets cannot hold the host's slots: a connection whose RST it
 * does not take is freed 2 s later (the RST still reaches the guest
 * first when it reads again, queue room allowed), and one whose host end
 * closed but whose data it has not taken for 30 s is reset when a host
 * connection finds no free slot (until then a slow reader loses nothing).
 * Out of file descriptors, the uds_path listener pauses 100 ms between
 * tries instead of spinning; waiting clients are served once fds free up.
 */
HUSK_API int husk_vm_add_vsock(struct husk_vm *vm, const struct husk_vsock_config *cfg,
			       struct husk_error **err);

/*
 * husk_vm_vsock_connect - connect to guest port @port and wait up to
 * @timeout_ms (<= 0: 2000 ms) for the guest to accept. On success *@fd is
 * a connected SOCK_STREAM socket owned by the caller (close it to end the
 * connection), bridged to the guest's connection.
 *
 * Returns 0, or a negative errno with *@err set: -ENODEV (the VM has no
 * vsock), -ENOTCONN (the guest driver is not up yet, or the VM has not
 * started: retry later), -ECONNREFUSED (nothing listens on @port),
 * -ETIMEDOUT, -ECONNRESET (the guest reset the device meanwhile), -EAGAIN
 * (all 256 slots in use, see husk_vm_add_vsock(): the guest alone fills at
 * most 192, so this takes 64 or more host connections open at once, or
 * closed ones within the times given there), -ENOMEM,
 * -EMFILE/-ENFILE (no fds for the socketpair).
 *
 * Blocks; any thread except a husk_vsock_accept_fn callback (which runs on
 * the device thread the connection needs). Not after husk_vm_destroy().
 */
HUSK_API int husk_vm_vsock_connect(struct husk_vm *vm, uint32_t port, int timeout_ms, int *fd,
				   struct husk_error **err);

/*
 * husk_vsock_accept_fn - the guest connected from its port @guest_port to
 * host port @host_port; @fd is the host end, a SOCK_STREAM socket the
 * callee owns (it must close it). Runs on the VM's device thread with no
 * library lock held: it must not block and must not call
 * husk_vm_vsock_connect() or husk_vm_destroy(). With HUSK_VM_SECCOMP it
 * runs under that thread's filter (see there).
 */
typedef void (*husk_vsock_accept_fn)(void *opaque, uint32_t host_port, uint32_t guest_port, int fd);

/*
 * husk_vm_vsock_listen - deliver guest connections to host port @port
 * (CID 2) through @fn(@opaque, ...); takes precedence over the uds_path
 * face for that port. Allowed before and after husk_vm_start(), any
 * thread. Returns 0, or -ENODEV (no vsock), -EINVAL (@fn NULL), -EADDRINUSE
 * (the port has a listener), -ENOMEM, with *@err set.
 */
HUSK_API int husk_vm_vsock_listen(struct husk_vm *vm, uint32_t port, husk_vsock_accept_fn fn,
				  void *opaque, struct husk_error **err);

/*
 * struct husk_fs_config - a virtio-fs device (virtio 1.2 section 5.11)
 * whose requests are served by a vhost-user-fs backend process such as
 * virtiofsd. Init with husk_fs_config_init().
 *
 * The backend reads and writes guest RAM itself, so the VM must have been
 * created with HUSK_VM_MEMFD (guest RAM in a shared memfd, passed to the
 * backend). libhusk is the vhost-user front end: it serves the MMIO
 * registers and the config space (tag, one request queue) and hands the
 * rings to the backend when the guest driver is ready; guest notifications
 * go to the backend through KVM ioeventfds and its completions come back
 * through the device's KVM irqfd, so no request passes through a libhusk
 * thread. A device reset by the guest driver (unbind/bind, module reload)
 * stops the rings and the next DRIVER_OK starts them again on the same
 * connection.
 *
 * If the backend dies or breaks the protocol while the VM runs, the VM
 * goes on: the failure is logged (HUSK_LOG_ERROR), and the device answers
 * every FUSE request the guest still sends, and the ones the backend had
 * not answered, with ENOTCONN, so guest processes get an I/O error
 * instead of hanging. A backend that does not answer a message within
 * reply_timeout_ms, or takes none for that long (it stopped reading:
 * SIGSTOP, a full socket buffer), is treated as dead: the vCPU whose
 * register write sent the message (and with it husk_vm_pause() and
 * husk_vm_stop()) is held for one such timeout, plus up to 2 s while the
 * device takes the rings over, not for good. (Unanswered means from the used
 * index on: the backend is assumed to complete requests in order, as
 * virtiofsd does with --thread-pool-size of 0 or 1.) The embedder who
 * started the backend may also watch its pid and stop the VM by policy.
 *
 * The caller starts the backend, e.g. Debian 12's
 *   /usr/lib/qemu/virtiofsd --socket-path=S -o source=DIR -o cache=auto
 *       -o announce_submounts --thread-pool-size=1
 * (as root), and passes S or a socket already connected to it. virtiofsd
 * serves exactly one connection and exits when it closes. Messages go out
 * with MSG_NOSIGNAL: a dead backend never raises SIGPIPE in the embedder.
 */
struct husk_fs_config {
	size_t struct_size;
	const char *tag; /* the guest's mount source, 1..36 bytes, no NUL (required) */
	/* The backend's listening Unix socket (connected here); or NULL and socket_fd. */
	const char *socket_path;
	/*
	 * A socket already connected to the backend, used instead of
	 * socket_path when >= 0; ownership as husk_disk_config.fd. Default -1.
	 */
	int socket_fd;
	uint16_t
		queue_size; /* QueueNumMax of both queues, a power of two 16..1024 (default 1024) */
	int reply_timeout_ms; /* per message sent and per backend reply; <= 0: 5000 */
};

/* husk_fs_config_init - struct_size, socket_fd -1, queue_size 1024, reply_timeout_ms 5000. */
HUSK_API void husk_fs_config_init(struct husk_fs_config *cfg);

/*
 * husk_vm_add_fs - connect to the backend and add the virtio-fs device.
 * The handshake (features, protocol features, owner) happens here, so a
 * backend that is missing or refuses fails this call, not the boot.
 * The guest mounts it with `mount -t virtiofs <tag> <dir>` (guest kernel:
 * CONFIG_FUSE_FS, CONFIG_VIRTIO_FS). Errors besides the common ones:
 * -EINVAL (tag empty, too long or already used; VM without HUSK_VM_MEMFD;
 * bad queue size), -ENOENT/-ECONNREFUSED/-EACCES connecting the socket,
 * -EPROTO (the backend broke the protocol or lacks a feature virtio-fs
 * needs), -ETIMEDOUT (no reply in time), -EPIPE/-ECONNRESET (it hung up),
 * -EBUSY (the VM has started). Messages name the share and the step, e.g.
 * "fs share: vhost-user fs0: GET_FEATURES: Connection reset by peer".
 * The VM owns the connection; husk_vm_destroy() closes it, which makes
 * virtiofsd exit. Any thread, before husk_vm_start(); the handshake
 * blocks up to reply_timeout_ms per message. Each share takes one device
 * slot (as a disk does); the guest sees them in the order added.
 */
HUSK_API int husk_vm_add_fs(struct husk_vm *vm, const struct husk_fs_config *cfg,
			    struct husk_error **err);

/* ---------------------------------------------------------------- measuring */

/* struct husk_vm_memory - where the process's memory goes. */
struct husk_vm_memory {
	uint64_t guest_ram_bytes;      /* configured guest RAM */
	uint64_t guest_resident_bytes; /* guest RAM resident in host memory (mincore) */
	uint64_t process_rss_bytes;    /* the whole process's resident set (/proc/self/statm) */
};

/*
 * husk_vm_get_memory - fill @m. For one VM per process, the VMM's own
 * overhead is process_rss_bytes - guest_resident_bytes. Guest RAM the
 * guest never touched is not resident; RAM it freed stays resident (no
 * balloon). Any thread, any time between create and destroy; costs one
 * mincore() per 16 MiB of guest RAM. Returns 0 or a negative errno
 * (mincore, /proc/self/statm).
 */
HUSK_API int husk_vm_get_memory(const struct husk_vm *vm, struct husk_vm_memory *m);

/*
 * VM exits: each time a vCPU's KVM_RUN returns to libhusk, counted by what
 * made it return, and port I/O and MMIO exits also by where they went.
 * Exits KVM handles in the kernel (the in-kernel PIC, IOAPIC, LAPIC and
 * PIT, HLT with its in-kernel LAPIC, EPT faults on RAM) never reach
 * libhusk and are not counted: these are the exits that cost a trip to
 * user space. A string instruction (rep outsb) is one exit however many
 * items it moves.
 *
 * Array indices are the enums below; each array has room to spare
 * (HUSK_VMEXIT_KINDS_MAX, ...) so that a later kind or range fills a
 * zero slot instead of moving the fields after it.
 */
enum husk_vmexit_kind {
	HUSK_VMEXIT_PIO = 0,	    /* port I/O (KVM_EXIT_IO) */
	HUSK_VMEXIT_MMIO,	    /* MMIO outside RAM (KVM_EXIT_MMIO) */
	HUSK_VMEXIT_HLT,	    /* KVM_EXIT_HLT (never with the in-kernel LAPIC) */
	HUSK_VMEXIT_IRQ_WINDOW,	    /* KVM_EXIT_IRQ_WINDOW_OPEN (IRQ injection) */
	HUSK_VMEXIT_INTERRUPTED,    /* KVM_RUN returned EINTR: a kick (pause, stop) */
	HUSK_VMEXIT_SYSTEM_EVENT,   /* KVM_EXIT_SYSTEM_EVENT: power off, reset, crash */
	HUSK_VMEXIT_SHUTDOWN,	    /* KVM_EXIT_SHUTDOWN: a triple fault */
	HUSK_VMEXIT_INTERNAL_ERROR, /* KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_FAIL_ENTRY */
	HUSK_VMEXIT_OTHER,	    /* any other exit reason, or KVM_RUN failing */
	HUSK_VMEXIT_KINDS,	    /* how many kinds this header knows */
};
#define HUSK_VMEXIT_KINDS_MAX 16

/* Port ranges of port I/O exits (each name says its ports). */
enum husk_pio_range {
	HUSK_PIO_COM1 = 0,     /* 0x3f8-0x3ff: the console UART */
	HUSK_PIO_SERIAL_PROBE, /* 0x2e8, 0x2f8, 0x3e8 (+8): COM2-4, probed, absent */
	HUSK_PIO_I8042,	       /* 0x60-0x64: keyboard controller (reset line) */
	HUSK_PIO_PIC,	       /* 0x20-0x21, 0xa0-0xa1 (in-kernel: 0 normally) */
	HUSK_PIO_PIT,	       /* 0x40-0x43, 0x61 (in-kernel: 0 normally) */
	HUSK_PIO_CMOS,	       /* 0x70-0x71: CMOS/RTC index and data */
	HUSK_PIO_PCI_CONFIG,   /* 0xcf8-0xcff: PCI configuration mechanism #1 */
	HUSK_PIO_POST,	       /* 0x80-0x8f, 0xed: POST code, DMA pages, I/O delay */
	HUSK_PIO_BOOT_MARKER,  /* 0x440-0x443: the boot marker port */
	HUSK_PIO_OTHER,	       /* any other port */
	HUSK_PIO_RANGES,       /* how many ranges this header knows */
};
#define HUSK_PIO_RANGES_MAX 16

/*
 * MMIO ranges: virtio-mmio device slot n (0xd0000000 + 0x1000 * n, see
 * "devices" above) is index HUSK_MMIO_VIRTIO0 + n; the IOAPIC and LAPIC
 * pages only appear if KVM ever hands their accesses to user space.
 */
#define HUSK_VIRTIO_SLOTS 19
enum husk_mmio_range {
	HUSK_MMIO_VIRTIO0 = 0,
	HUSK_MMIO_IOAPIC = HUSK_VIRTIO_SLOTS, /* 0xfec00000, 4 KiB */
	HUSK_MMIO_LAPIC,		      /* 0xfee00000, 4 KiB */
	HUSK_MMIO_OTHER,		      /* any other address outside RAM */
	HUSK_MMIO_RANGES,		      /* how many ranges this header knows */
};
#define HUSK_MMIO_RANGES_MAX 32

/*
 * struct husk_vm_exit_stats - the VM's exit counts, summed over its vCPUs.
 * The caller sets struct_size to sizeof(struct husk_vm_exit_stats) as it
 * compiled it; the library fills that many bytes (fields appended later
 * stay unknown to an older caller, an older library leaves a newer
 * caller's extra fields zero).
 */
struct husk_vm_exit_stats {
	size_t struct_size;
	uint64_t runs;			       /* KVM_RUN returns: the sum of kinds[] */
	uint64_t kinds[HUSK_VMEXIT_KINDS_MAX]; /* by enum husk_vmexit_kind */
	uint64_t pio[HUSK_PIO_RANGES_MAX];     /* HUSK_VMEXIT_PIO by enum husk_pio_range */
	uint64_t mmio[HUSK_MMIO_RANGES_MAX];   /* HUSK_VMEXIT_MMIO by enum husk_mmio_range */
	uint32_t nr_vcpus;		       /* how many vCPUs were summed */
	/*
	 * Guest console bytes that console_out_fd could not take at once
	 * (a full pipe or socket nobody reads, a terminal with no room, a
	 * closed reader, a full disk): dropped, never waited for.
	 */
	uint64_t console_dropped;
};

/*
 * husk_vm_get_exit_stats - fill @s (its struct_size set by the caller)
 * with the counts so far. Any thread, any time between create and
 * destroy, also while the vCPUs run: each vCPU thread counts its own exits
 * without a lock and this reads every counter once, atomically, so a
 * running VM's figures are a moment's snapshot per counter (runs may be a
 * few ahead of or behind the sum of kinds[]); once husk_vm_wait() has
 * returned they are final and consistent. Returns 0, or -EINVAL when
 * struct_size is smaller than the struct's first two fields.
 */
HUSK_API int husk_vm_get_exit_stats(const struct husk_vm *vm, struct husk_vm_exit_stats *s);

/*
 * struct husk_net_stats - what a virtio-net interface dropped or held
 * back so far. struct_size as in husk_vm_exit_stats. None of these
 * breaks the device: a growing count points at a guest driver sending
 * malformed frames (tx_oversize, tx_bad_hdr), a tap nobody drains
 * (tx_dropped), receive buffers too small for the frames (rx_dropped), or
 * a rate limit at work (the throttled counts).
 */
struct husk_net_stats {
	size_t struct_size;
	uint64_t tx_oversize; /* guest frames over 65550 bytes (plus the 12-byte header): dropped */
	/* guest frames shorter than the vnet header, or asking for a checksum
	 * or segmentation offload the driver did not negotiate: dropped */
	uint64_t tx_bad_hdr;
	uint64_t tx_dropped;   /* guest frames the tap did not take (full, down): dropped */
	uint64_t rx_dropped;   /* frames for the guest shorter than an Ethernet header, or
				* larger than its receive buffer: dropped */
	uint64_t rx_throttled; /* times rx_rate_limit held a frame back (it waits, not dropped) */
	uint64_t tx_throttled; /* times tx_rate_limit held a frame back (it waits, not dropped) */
};

/*
 * husk_vm_get_net_stats - fill @s (its struct_size set by the caller)
 * with interface @index's counts; interfaces are numbered 0, 1, ... in
 * the order husk_vm_add_net() added them. Any thread, any time between
 * create and destroy, also while the VM runs (each counter is read once,
 * atomically). Returns 0, -ENOENT (no such interface) or -EINVAL
 * (struct_size smaller than struct_size and tx_oversize).
 */
HUSK_API int husk_vm_get_net_stats(const struct husk_vm *vm, unsigned int index,
				   struct husk_net_stats *s);

/* struct husk_disk_stats - what a disk's rate limit held back so far. */
struct husk_disk_stats {
	size_t struct_size;
	uint64_t throttled; /* times rate_limit held a request back (it waits, not dropped) */
};

/*
 * husk_vm_get_disk_stats - as husk_vm_get_net_stats() for disk @index (in
 * husk_vm_add_disk() order). -EINVAL when struct_size is smaller than the
 * struct.
 */
HUSK_API int husk_vm_get_disk_stats(const struct husk_vm *vm, unsigned int index,
				    struct husk_disk_stats *s);

/*
 * Where a stream through vsock or a device's ring stands, for telling a
 * stalled transfer's side apart (a shim's SIGUSR1 dump shows these).
 *
 * struct husk_queue_status - one virtqueue's indices, read from the ring
 * in guest RAM and from the device. avail_idx - used_idx chains are with
 * the device (taken and not yet returned, or not yet taken); for a device
 * in libhusk, avail_idx != last_avail with nothing running means chains
 * the device was never told about. Ring indices are free-running mod
 * 2^16. struct_size as in husk_vm_exit_stats.
 */
struct husk_queue_status {
	size_t struct_size;
	uint32_t active;      /* the driver set the queue up and the device runs */
	uint32_t size;	      /* entries */
	uint32_t event_idx;   /* VIRTIO_RING_F_EVENT_IDX negotiated */
	uint32_t external;    /* the ring is served by a vhost-user backend (virtio-fs):
			       * last_avail and next_used are then not known (0) */
	uint16_t avail_idx;   /* avail.idx: chains the driver offered */
	uint16_t used_idx;    /* used.idx: chains returned to the driver */
	uint16_t last_avail;  /* the next chain the device takes */
	uint16_t used_event;  /* with event_idx: the driver wants an interrupt past this */
	uint16_t avail_event; /* with event_idx: the device wants a notify past this */
	uint16_t avail_flags; /* avail.flags (VRING_AVAIL_F_NO_INTERRUPT) */
	uint16_t used_flags;  /* used.flags (VRING_USED_F_NO_NOTIFY) */
	uint16_t reserved;
	uint64_t kicks; /* notifications libhusk's loop delivered (0: external) */
};

/*
 * husk_vm_get_queue_status - fill @st for queue @queue of the device
 * named @device ("vsock", "blk0", "net0", "fs0": the names the VM's log
 * uses, in add order). Any thread, between create and destroy; it waits
 * at most 200 ms for the queue's lock (-EBUSY when a thread holds it
 * longer, itself a sign of where things stand). Returns 0, -ENOENT (no
 * such device or queue), -EBUSY, or -EINVAL (struct_size smaller than
 * struct_size and active).
 */
HUSK_API int husk_vm_get_queue_status(const struct husk_vm *vm, const char *device,
				      unsigned int queue, struct husk_queue_status *st);

/* enum husk_vsock_conn_state - a vsock connection's life on the host. */
enum husk_vsock_conn_state {
	HUSK_VSOCK_HANDSHAKE = 0, /* Unix mux client, "CONNECT <port>" not read yet */
	HUSK_VSOCK_CONNECTING,	  /* REQUEST sent to the guest, RESPONSE awaited */
	HUSK_VSOCK_ESTABLISHED,	  /* streaming */
	HUSK_VSOCK_DYING,	  /* host side gone, our RST still to send */
};

/* struct husk_vsock_conn_status flags */
#define HUSK_VSOCK_READABLE   (1u << 0) /* the host socket may have bytes for the guest */
#define HUSK_VSOCK_HOST_EOF   (1u << 1) /* the host socket said EOF */
#define HUSK_VSOCK_HOST_HUP   (1u << 2) /* the host end closed */
#define HUSK_VSOCK_WR_SHUT    (1u << 3) /* the host socket was shut for writing */
#define HUSK_VSOCK_WAITING_RX (1u << 4) /* waiting for an rx buffer to send the guest a packet */
#define HUSK_VSOCK_FROM_GUEST (1u << 5) /* the guest opened it */

/*
 * struct husk_vsock_conn_status - one vsock connection. Byte counts are
 * the protocol's, free-running mod 2^32 (virtio 1.2 5.10.6.3).
 * Guest -> host: from_guest bytes arrived, of which fwd_cnt went into the
 * host socket and queued wait in the connection's buffer (buf_alloc
 * bytes); fwd_cnt_sent is what the guest was last told, so the guest sees
 * buf_alloc - (from_guest - fwd_cnt_sent) bytes of room. Host -> guest:
 * to_guest bytes sent; the guest last said it has buf_alloc
 * guest_buf_alloc and consumed guest_fwd_cnt, which leaves guest_credit.
 */
struct husk_vsock_conn_status {
	size_t struct_size;
	uint32_t host_port, guest_port;
	uint32_t state;	       /* enum husk_vsock_conn_state */
	uint32_t flags;	       /* HUSK_VSOCK_* */
	uint32_t pending;      /* control packets owed: bit 0 REQUEST, 1 RESPONSE,
				* 2 SHUTDOWN, 3 CREDIT_UPDATE, 4 RST */
	uint32_t guest_shut;   /* SHUTDOWN flags the guest sent (1 RCV, 2 SEND) */
	uint32_t host_shut;    /* SHUTDOWN flags sent to the guest */
	uint32_t from_guest;   /* guest -> host bytes received */
	uint32_t fwd_cnt;      /* of them handed to the host socket */
	uint32_t fwd_cnt_sent; /* fwd_cnt as last told to the guest */
	uint32_t queued;       /* bytes in the buffer, waiting for the host socket */
	uint32_t buf_alloc;    /* our buffer, as told to the guest */
	uint32_t to_guest;     /* host -> guest bytes sent */
	uint32_t guest_buf_alloc, guest_fwd_cnt;
	uint32_t guest_credit; /* bytes the host may still send the guest */
};

/*
 * husk_vm_get_vsock_conn - fill @st for the @index-th connection of the
 * VM's vsock device (0, 1, ...; the order is the device's table's, so
 * connections opened or closed between calls may shift it). Any thread,
 * between create and destroy; it waits at most 200 ms for the device's
 * lock. Returns 0, -ENOENT (no such connection, or no vsock device),
 * -EBUSY, or -EINVAL (struct_size smaller than the struct up to state).
 */
HUSK_API int husk_vm_get_vsock_conn(const struct husk_vm *vm, unsigned int index,
				    struct husk_vsock_conn_status *st);

/*
 * Short fixed names for tables: husk_vmexit_kind_string ("pio", "mmio",
 * "hlt", "irq-window", "interrupted", "system-event", "shutdown",
 * "internal-error", "other"), husk_pio_range_string (the range's name
 * and ports, "com1 0x3f8-0x3ff"), husk_mmio_range_string ("virtio0
 * 0xd0000000", "ioapic 0xfec00000", "lapic 0xfee00000", "other"). Static
 * storage; never NULL ("unknown" for an index out of range).
 */
HUSK_API const char *husk_vmexit_kind_string(unsigned int kind);
HUSK_API const char *husk_pio_range_string(unsigned int range);
HUSK_API const char *husk_mmio_range_string(unsigned int range);

/*
 * What each vCPU is doing now, for telling a stuck guest from a stuck host
 * side (a shim's SIGUSR1 dump shows it): inside KVM_RUN (running guest
 * code, or halted in the guest's idle loop: with the in-kernel LAPIC both
 * look alike from user space), in libhusk handling an exit (a device that
 * blocks shows here, with the exit's kind and place), parked by
 * husk_vm_pause(), or with its thread ended.
 */
enum husk_vcpu_state {
	HUSK_VCPU_NOT_STARTED = 0, /* husk_vm_start() has not started its thread */
	HUSK_VCPU_IN_GUEST,	   /* in KVM_RUN */
	HUSK_VCPU_IN_EXIT,	   /* handling the exit exit_kind/exit_range says */
	HUSK_VCPU_PAUSED,	   /* parked by husk_vm_pause() */
	HUSK_VCPU_STOPPED,	   /* its thread has left the run loop */
};

/*
 * struct husk_vcpu_status - one vCPU's state, the kind of its current (in
 * an exit) or last exit, and since when it is in that state. The caller
 * sets struct_size to sizeof(struct husk_vcpu_status) as it compiled it,
 * as for husk_vm_exit_stats.
 */
struct husk_vcpu_status {
	size_t struct_size;
	uint32_t state;	    /* enum husk_vcpu_state */
	int32_t exit_kind;  /* enum husk_vmexit_kind, -1 before the first exit */
	int32_t exit_range; /* pio/mmio exits: enum husk_pio_range or husk_mmio_range, else -1 */
	uint64_t since_ns;  /* CLOCK_MONOTONIC when the state began, 0 before the start;
			     * read from the coarse clock: a few ms of error */
};

/*
 * husk_vm_get_vcpu_status - fill @st with vCPU @vcpu's status. Read-only
 * and lock-free: any thread, any time between create and destroy, also
 * while that vCPU is stuck. The vCPU thread publishes its state, exit and
 * time as one word, so the three always belong together; the state may
 * have changed by the time the caller looks at it. Returns 0, -ERANGE
 * when the VM has no vCPU @vcpu (so a caller counts from 0 until then),
 * or -EINVAL when struct_size is smaller than the struct's first field
 * plus state.
 */
HUSK_API int husk_vm_get_vcpu_status(const struct husk_vm *vm, unsigned int vcpu,
				     struct husk_vcpu_status *st);

/*
 * husk_vcpu_state_string - "not started", "in guest", "in exit", "paused",
 * "stopped"; "unknown" for other values. Static storage.
 */
HUSK_API const char *husk_vcpu_state_string(unsigned int state);

#ifdef __cplusplus
}
#endif
#endif /* HUSK_H */
