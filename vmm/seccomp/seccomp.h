/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp.h - least privilege for libhusk's own threads (HUSK_VM_SECCOMP).
 *
 * Each kind of thread libhusk starts has its own allow list (policy.c),
 * built into a seccomp-BPF program (bpf.c) that the thread installs on
 * itself before running any of its work (thread.c). Without TSYNC a filter
 * binds only the calling thread (and threads it would create, none), so
 * the embedder's threads - the shim's, the CLI's main thread - never carry
 * one.
 *
 * A call no rule allows kills the whole process (SECCOMP_RET_KILL_PROCESS,
 * as Firecracker does): reaching one means a libhusk bug or a device
 * thread the guest has taken over, and neither a thread that goes on with
 * an error it never expected nor a half-dead VM holding locks is safe.
 * What the embedder sees: the process ends as if by SIGSYS (wait status
 * WTERMSIG == SIGSYS, a core dump if enabled) and the kernel logs an audit
 * record, "audit: type=1326 ... sig=31 arch=c000003e syscall=N", naming
 * the call (dmesg or the audit log).
 */
#ifndef HUSK_VMM_SECCOMP_SECCOMP_H
#define HUSK_VMM_SECCOMP_SECCOMP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "vmm/seccomp/bpf.h"

enum seccomp_thread_kind {
	SECCOMP_THREAD_VCPU,	   /* KVM_RUN and the devices' register handlers */
	SECCOMP_THREAD_EVENT_LOOP, /* virtio queues, taps, vsock sockets, vhost-user */
	SECCOMP_THREAD_BLK_IO,	   /* virtio-blk reads, writes, flushes, discards */
	SECCOMP_THREAD_CONSOLE_IN, /* COM1 input: poll and read one fd */
	SECCOMP_THREAD_KINDS,
};

/* seccomp_thread_kind_name - "vCPU", "event loop", "disk I/O", "console input". */
const char *seccomp_thread_kind_name(enum seccomp_thread_kind kind);

/*
 * seccomp_policy - the rule tables of @kind, in *@sets; returns how many.
 * Sanitizer builds (HUSK_SANITIZER_RUNTIME) add one more table.
 */
size_t seccomp_policy(enum seccomp_thread_kind kind, const struct seccomp_rules **sets);

/*
 * seccomp_install - set no_new_privs and install @kind's filter on the
 * calling thread only. Returns 0 or -errno (prctl, seccomp, -E2BIG).
 */
int seccomp_install(enum seccomp_thread_kind kind);

/*
 * seccomp_thread_create - pthread_create(@t, NULL, @fn, @arg); when
 * @filtered, the new thread first installs @kind's filter on itself and
 * runs @fn only if that worked, and this call waits to learn which: a
 * thread whose filter failed has ended (and been joined) when this
 * returns its error. Returns 0 or a negative errno with *@err set
 * ("pthread_create: ..." or "seccomp filter for a vCPU thread: ...").
 */
int seccomp_thread_create(pthread_t *t, void *(*fn)(void *), void *arg, bool filtered,
			  enum seccomp_thread_kind kind, struct husk_error **err);

#endif
