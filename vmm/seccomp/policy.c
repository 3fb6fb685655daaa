// SPDX-License-Identifier: Apache-2.0
/*
 * policy.c - which system calls each kind of libhusk thread may make.
 *
 * Written from what the code on each thread calls (and checked with
 * strace -f on the unit tests and in the rig):
 *  - every thread: locks (futex), malloc (anonymous, never executable
 *    memory), the clock, the end of a thread, the kick signal, and what the
 *    embedder's log and console callbacks do on it (write, writev, fstat,
 *    and pread, pwrite, ftruncate for a console file's rotation: see
 *    husk.h);
 *  - vCPU threads: KVM_RUN and the few KVM/tap ioctls an exit can need
 *    (registers after a triple fault, the legacy IRQ lines, TUNSETOFFLOAD
 *    when the guest starts a network device), plus the device calls the
 *    virtio register handlers make (resets close sockets, start vhost-user
 *    rings); no socket is ever created on them;
 *  - the event loop thread: epoll and the device I/O - taps, vsock's Unix
 *    sockets (it may create AF_UNIX sockets only), vhost-user messages;
 *  - disk I/O threads: positioned reads and writes, fdatasync, fallocate;
 *  - the console input thread: poll, read, the COM1 interrupt line.
 * Built with sanitizers (HUSK_SANITIZER_RUNTIME, set by the Makefile's
 * SANITIZE=...), every kind also gets what the ASan/UBSan runtime does on
 * a thread: its allocator's mappings and madvise calls, its alternate
 * signal stack, and what writing a report and exiting takes (reading
 * /proc/self/maps and the binary, writing stderr, exit_group), so a bug
 * report is printed instead of the process being killed mid-report; its
 * attempts to start an external symbolizer (fork, exec) fail with
 * EPERM instead, and the report uses the built-in symbolizer.
 */
#include <errno.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "vmm/seccomp/seccomp.h"

#define RULES(a) \
	{ \
		(a), sizeof(a) / sizeof((a)[0]) \
	}

/* Every thread: glibc's locks, allocator and clocks; a thread's end. */
static const struct seccomp_rule rules_thread[] = {
	SECCOMP_ALLOW(SYS_futex),
	SECCOMP_ALLOW_IF(SYS_mmap, SECCOMP_ARG_CLEAR(2, PROT_EXEC),
			 SECCOMP_ARG_SET(3, MAP_ANONYMOUS)),
	SECCOMP_ALLOW_IF(SYS_mprotect, SECCOMP_ARG_CLEAR(2, PROT_EXEC)),
	SECCOMP_ALLOW(SYS_munmap),
	SECCOMP_ALLOW(SYS_mremap),
	SECCOMP_ALLOW(SYS_brk),
	SECCOMP_ALLOW_IF(SYS_madvise, SECCOMP_ARG_EQ(2, MADV_DONTNEED)),
	SECCOMP_ALLOW_IF(SYS_madvise, SECCOMP_ARG_EQ(2, MADV_FREE)),
	SECCOMP_ALLOW(SYS_clock_gettime),
	SECCOMP_ALLOW(SYS_clock_nanosleep),
	SECCOMP_ALLOW(SYS_nanosleep),
	SECCOMP_ALLOW(SYS_sched_yield),
	SECCOMP_ALLOW(SYS_sched_getaffinity), /* malloc sizing its arenas */
	SECCOMP_ALLOW(SYS_getrandom),
	SECCOMP_ALLOW(SYS_getpid),
	SECCOMP_ALLOW(SYS_gettid),
	SECCOMP_ALLOW(SYS_rt_sigprocmask),
	SECCOMP_ALLOW(SYS_rt_sigreturn),
	SECCOMP_ALLOW(SYS_restart_syscall),
	/* vm_end() kicks the vCPUs (pthread_kill); no other signal. */
	SECCOMP_ALLOW_IF(SYS_tgkill, SECCOMP_ARG_EQ(2, SECCOMP_VALUE_KICK_SIGNAL)),
	SECCOMP_ALLOW(SYS_exit),
	SECCOMP_ALLOW(SYS_exit_group),
	/* eventfds (interrupts, wakeups) and the embedder's log and console sinks */
	SECCOMP_ALLOW(SYS_write),
	SECCOMP_ALLOW(SYS_writev),
	SECCOMP_ALLOW(SYS_fstat),
	SECCOMP_ALLOW(SYS_newfstatat),
	/* a console file's rotation (common/rotating_file.c): copy and truncate open fds */
	SECCOMP_ALLOW(SYS_pread64),
	SECCOMP_ALLOW(SYS_pwrite64),
	SECCOMP_ALLOW(SYS_ftruncate),
};

/* Device work, on the event loop and (register handlers) on vCPU threads. */
static const struct seccomp_rule rules_device[] = {
	SECCOMP_ALLOW(SYS_read),
	SECCOMP_ALLOW(SYS_readv),
	SECCOMP_ALLOW(SYS_recvfrom),
	SECCOMP_ALLOW(SYS_recvmsg),
	SECCOMP_ALLOW(SYS_sendto),
	SECCOMP_ALLOW(SYS_sendmsg),
	SECCOMP_ALLOW(SYS_shutdown),
	SECCOMP_ALLOW(SYS_close),
	SECCOMP_ALLOW(SYS_poll), /* vhost-user replies */
	SECCOMP_ALLOW(SYS_epoll_ctl),
	SECCOMP_ALLOW(SYS_timerfd_settime), /* vsock connect deadlines */
	SECCOMP_ALLOW_IF(SYS_fcntl, SECCOMP_ARG_EQ(1, F_GETFL)),
	SECCOMP_ALLOW_IF(SYS_fcntl, SECCOMP_ARG_EQ(1, F_SETFL)),
};

static const struct seccomp_rule rules_vcpu[] = {
	SECCOMP_ALLOW_IF(SYS_ioctl, SECCOMP_ARG_EQ(1, KVM_RUN)),
	SECCOMP_ALLOW_IF(SYS_ioctl, SECCOMP_ARG_EQ(1, KVM_GET_REGS)),
	SECCOMP_ALLOW_IF(SYS_ioctl, SECCOMP_ARG_EQ(1, KVM_IRQ_LINE)),
	SECCOMP_ALLOW_IF(SYS_ioctl, SECCOMP_ARG_EQ(1, TUNSETOFFLOAD)),
};

static const struct seccomp_rule rules_event_loop[] = {
	SECCOMP_ALLOW(SYS_epoll_wait),
	SECCOMP_ALLOW(SYS_epoll_pwait),
	/* vsock: the Unix-socket face's clients, its per-port listeners, local accepts */
	SECCOMP_ALLOW(SYS_accept4),
	SECCOMP_ALLOW(SYS_connect),
	SECCOMP_ALLOW_IF(SYS_socket, SECCOMP_ARG_EQ(0, AF_UNIX)),
	SECCOMP_ALLOW_IF(SYS_socketpair, SECCOMP_ARG_EQ(0, AF_UNIX)),
};

static const struct seccomp_rule rules_blk_io[] = {
	SECCOMP_ALLOW(SYS_preadv),
	SECCOMP_ALLOW(SYS_pwritev),
	SECCOMP_ALLOW(SYS_fdatasync),
	SECCOMP_ALLOW(SYS_fallocate),
	/* a worker that frees the last slot of a full pool pops the next requests
	 * itself (blk_finish), and a rate-limited disk may then arm its timer */
	SECCOMP_ALLOW(SYS_timerfd_settime),
};

static const struct seccomp_rule rules_console_in[] = {
	SECCOMP_ALLOW(SYS_poll),
	SECCOMP_ALLOW(SYS_read),
	SECCOMP_ALLOW_IF(SYS_ioctl, SECCOMP_ARG_EQ(1, KVM_IRQ_LINE)),
};

/*
 * The C library opens files on its own on rare paths: malloc reads
 * /proc/sys/vm/overcommit_memory the first time a thread's heap shrinks
 * (seen: the shim's event loop thread killed there, in the rig), and the
 * time zone code may look for /etc/localtime. Both carry on without the
 * file, so opening fails with EACCES instead of killing the process; the
 * thread still cannot open anything. Last in each policy, so that the
 * sanitizer runtime's own opens (allowed above it) still work.
 */
static const struct seccomp_rule rules_libc_opens[] = {
	SECCOMP_REFUSE(SYS_open, EACCES),
	SECCOMP_REFUSE(SYS_openat, EACCES),
};

#ifdef HUSK_SANITIZER_RUNTIME
static const struct seccomp_rule rules_sanitizer[] = {
	SECCOMP_ALLOW_IF(SYS_mmap, SECCOMP_ARG_CLEAR(2, PROT_EXEC)),
	SECCOMP_ALLOW(SYS_madvise),
	SECCOMP_ALLOW(SYS_sigaltstack),
	SECCOMP_ALLOW_IF(SYS_ioctl, SECCOMP_ARG_EQ(1, TCGETS)), /* isatty(2): colours */
	SECCOMP_ALLOW(SYS_rt_sigaction),
	SECCOMP_ALLOW(SYS_prctl),
	SECCOMP_ALLOW(SYS_open),
	SECCOMP_ALLOW(SYS_openat),
	SECCOMP_ALLOW(SYS_read),
	SECCOMP_ALLOW(SYS_pread64),
	SECCOMP_ALLOW(SYS_close),
	SECCOMP_ALLOW(SYS_lseek),
	SECCOMP_ALLOW(SYS_fcntl), /* libbacktrace: FD_CLOEXEC on the binary it reads */
	SECCOMP_ALLOW(SYS_readlink),
	SECCOMP_ALLOW(SYS_readlinkat),
	SECCOMP_ALLOW(SYS_stat),
	SECCOMP_ALLOW(SYS_getrlimit),
	SECCOMP_ALLOW(SYS_prlimit64),
	SECCOMP_ALLOW(SYS_uname),
	SECCOMP_ALLOW(SYS_kill),
	SECCOMP_ALLOW(SYS_tgkill),
	SECCOMP_ALLOW(SYS_pipe), /* probing whether memory it prints is readable */
	SECCOMP_ALLOW(SYS_pipe2),
	/*
	 * No external symbolizer from here: the runtime's attempt to start one
	 * fails cleanly (EPERM) and it reports with its built-in symbolizer.
	 */
	SECCOMP_REFUSE(SYS_fork, EPERM),
	SECCOMP_REFUSE(SYS_vfork, EPERM),
	SECCOMP_REFUSE(SYS_clone, EPERM),
	SECCOMP_REFUSE(SYS_clone3, EPERM),
	SECCOMP_REFUSE(SYS_execve, EPERM),
};
#define SANITIZER_SET , RULES(rules_sanitizer)
#else
#define SANITIZER_SET
#endif

static const struct seccomp_rules policy_vcpu[] = { RULES(rules_thread), RULES(rules_device),
						    RULES(rules_vcpu) SANITIZER_SET,
						    RULES(rules_libc_opens) };
static const struct seccomp_rules policy_event_loop[] = { RULES(rules_thread), RULES(rules_device),
							  RULES(rules_event_loop) SANITIZER_SET,
							  RULES(rules_libc_opens) };
static const struct seccomp_rules policy_blk_io[] = { RULES(rules_thread),
						      RULES(rules_blk_io) SANITIZER_SET,
						      RULES(rules_libc_opens) };
static const struct seccomp_rules policy_console_in[] = { RULES(rules_thread),
							  RULES(rules_console_in) SANITIZER_SET,
							  RULES(rules_libc_opens) };

size_t seccomp_policy(enum seccomp_thread_kind kind, const struct seccomp_rules **sets)
{
	switch (kind) {
	case SECCOMP_THREAD_VCPU:
		*sets = policy_vcpu;
		return sizeof(policy_vcpu) / sizeof(policy_vcpu[0]);
	case SECCOMP_THREAD_EVENT_LOOP:
		*sets = policy_event_loop;
		return sizeof(policy_event_loop) / sizeof(policy_event_loop[0]);
	case SECCOMP_THREAD_BLK_IO:
		*sets = policy_blk_io;
		return sizeof(policy_blk_io) / sizeof(policy_blk_io[0]);
	case SECCOMP_THREAD_CONSOLE_IN:
	default:
		*sets = policy_console_in;
		return sizeof(policy_console_in) / sizeof(policy_console_in[0]);
	}
}

const char *seccomp_thread_kind_name(enum seccomp_thread_kind kind)
{
	static const char *const names[SECCOMP_THREAD_KINDS] = {
		[SECCOMP_THREAD_VCPU] = "vCPU",
		[SECCOMP_THREAD_EVENT_LOOP] = "event loop",
		[SECCOMP_THREAD_BLK_IO] = "disk I/O",
		[SECCOMP_THREAD_CONSOLE_IN] = "console input",
	};

	return (unsigned int)kind < SECCOMP_THREAD_KINDS ? names[kind] : "unknown";
}
