/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vcpu_status.h - what a vCPU is doing now (enum husk_vcpu_state), the
 * kind and place of its current or last exit, and since when, for
 * husk_vm_get_vcpu_status().
 *
 * Only the vCPU's own thread writes it (vcpu.c's run loop, and the VM's
 * pause wait on that thread), and it publishes all of it as one 64-bit
 * word with one atomic store, so a reader on another thread never sees a
 * state with another state's time. Time comes from CLOCK_MONOTONIC_COARSE
 * (a few ms of resolution, no TSC read): two reads per exit cost next to
 * nothing beside the exit itself.
 */
#ifndef HUSK_VMM_VCPU_STATUS_H
#define HUSK_VMM_VCPU_STATUS_H

#include <linux/kvm.h>
#include <stdint.h>

#include "husk.h"

struct vcpu_status {
	uint64_t word;	     /* published: state, kind, range, ms (see vcpu_status.c) */
	uint8_t kind, range; /* the writer's copy of the last exit's (0xff: none) */
};

/* vcpu_status_init - not started, no exit yet. Before the thread starts. */
void vcpu_status_init(struct vcpu_status *s);

/* vcpu_status_set - enter @state (not IN_EXIT), keeping the last exit. */
void vcpu_status_set(struct vcpu_status *s, enum husk_vcpu_state state);

/* vcpu_status_exit - KVM_RUN returned 0: in an exit of @run's kind. */
void vcpu_status_exit(struct vcpu_status *s, const struct kvm_run *run);

/* vcpu_status_interrupted - KVM_RUN failed (EINTR: a kick): in an exit. */
void vcpu_status_interrupted(struct vcpu_status *s, int errnum);

/* vcpu_status_read - the published word as husk.h's fields (any thread). */
void vcpu_status_read(const struct vcpu_status *s, struct husk_vcpu_status *out);

#endif
