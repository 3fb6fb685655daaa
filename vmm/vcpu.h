/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vcpu.h - one virtual CPU: its KVM fd, its kvm_run page and its thread.
 *
 * Each vCPU runs on its own thread (vcpu_start()) in a KVM_RUN loop that
 * dispatches port and MMIO exits to the VM's buses and turns terminal exits
 * into the VM's exit reason. Another thread makes it leave KVM_RUN with
 * vcpu_kick(): immediate_exit plus the kick signal (SIGRTMIN), so a kick
 * that lands just before KVM_RUN is not lost.
 *
 * vcpu_request_sample() is a kick that also reads the guest's RIP, for
 * profiling. Each KVM_RUN return is counted in the vCPU's own struct exit_stats, and
 * the loop publishes where the vCPU is (in the guest, in an exit) in its
 * struct vcpu_status.
 *
 * A vCPU does not know the VM it belongs to: what it needs from it (the
 * buses, the log, the pause/stop requests, the VM's end) comes through
 * struct vcpu_host, so calls run one way, VM -> vCPU.
 */
#ifndef HUSK_VMM_VCPU_H
#define HUSK_VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "common/error.h"
#include "husk.h"
#include "vmm/base/bus.h"
#include "vmm/base/kvm.h"
#include "vmm/base/log.h"
#include "vmm/exit_stats.h"
#include "vmm/vcpu_status.h"

/* What the VM does for its vCPU threads; each gets vcpu_host.opaque. */
struct vcpu_ops {
	/* Before each KVM_RUN: parks while paused; true once the VM stops. */
	bool (*should_stop)(void *opaque);
	/* Before each KVM_RUN: the VM records its first run. */
	void (*entering)(void *opaque);
	/* A vCPU ends the VM (the first reason wins); any number of times. */
	void (*end)(void *opaque, const struct husk_exit_info *info);
	/* The thread's last act. */
	void (*exited)(void *opaque);
};

/* The VM as its vCPUs see it; shared by all of them, outlives them. */
struct vcpu_host {
	const struct kvm *kvm;
	struct bus *pio, *mmio;
	struct log_sink *log;
	const struct vcpu_ops *ops;
	void *opaque;
	bool seccomp;		  /* each vCPU thread installs the vCPU filter (vmm/seccomp/) */
	husk_sample_fn sample_fn; /* NULL: no profiling (husk_vm_config.sample_us) */
	void *sample_opaque;
	uint64_t t_start; /* husk_vm_start()'s clock, for the samples' times */
};

struct vcpu {
	const struct vcpu_host *host;
	unsigned int id;     /* also its APIC ID */
	int fd;		     /* -1 until created */
	struct kvm_run *run; /* shared with KVM; NULL until created */
	pthread_t thread;
	bool thread_started;
	struct exit_stats stats;   /* written by the vCPU's thread only */
	struct vcpu_status status; /* likewise (the VM's pause wait runs on it) */
	bool sample_req;	   /* atomic: vcpu_request_sample() asked for one */
};

enum vcpu_exit_action {
	VCPU_CONTINUE,
	VCPU_STOP,
};

/* vcpu_create - KVM_CREATE_VCPU and map its kvm_run page. */
int vcpu_create(struct vcpu *v, const struct vcpu_host *host, unsigned int id,
		struct husk_error **err);

/* vcpu_start - start the vCPU's thread (caller blocks signals first). */
int vcpu_start(struct vcpu *v, struct husk_error **err);

/* vcpu_kick - make the vCPU leave (or not enter) KVM_RUN soon. Any thread. */
void vcpu_kick(struct vcpu *v);

/*
 * vcpu_request_sample - vcpu_kick(), and on leaving KVM_RUN the vCPU
 * passes its guest RIP to the host's sample_fn. Any thread.
 */
void vcpu_request_sample(struct vcpu *v);

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

/* vcpu_end_reason - end the VM through the host's end op, message formatted. */
void vcpu_end_reason(struct vcpu *v, enum husk_exit_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
