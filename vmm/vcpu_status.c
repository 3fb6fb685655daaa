// SPDX-License-Identifier: Apache-2.0
/*
 * vcpu_status.c - a vCPU's published status word (vcpu_status.h) and the
 * names of its states.
 *
 * The word: bits 0-7 the state, 8-15 the exit kind, 16-23 the exit's port
 * or MMIO range (0xff: none), 24-63 CLOCK_MONOTONIC in ms (2^40 ms is 34
 * years of uptime).
 */
#include <errno.h>
#include <time.h>

#include "vmm/exit_stats.h"
#include "vmm/vcpu_status.h"

#define NONE 0xff

static uint64_t coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void publish(struct vcpu_status *s, enum husk_vcpu_state state)
{
	uint64_t w = (uint64_t)state | (uint64_t)s->kind << 8 | (uint64_t)s->range << 16 |
		     coarse_ms() << 24;

	__atomic_store_n(&s->word, w, __ATOMIC_RELEASE);
}

void vcpu_status_init(struct vcpu_status *s)
{
	s->kind = s->range = NONE;
	/* Time 0: "not started" has no beginning worth showing. */
	s->word = HUSK_VCPU_NOT_STARTED | (uint64_t)NONE << 8 | (uint64_t)NONE << 16;
}

void vcpu_status_set(struct vcpu_status *s, enum husk_vcpu_state state)
{
	publish(s, state);
}

void vcpu_status_exit(struct vcpu_status *s, const struct kvm_run *run)
{
	enum husk_vmexit_kind kind = exit_stats_kind(run->exit_reason);

	s->kind = (uint8_t)kind;
	s->range = NONE;
	if (kind == HUSK_VMEXIT_PIO)
		s->range = (uint8_t)exit_stats_pio_range(run->io.port);
	else if (kind == HUSK_VMEXIT_MMIO)
		s->range = (uint8_t)exit_stats_mmio_range(run->mmio.phys_addr);
	publish(s, HUSK_VCPU_IN_EXIT);
}

void vcpu_status_interrupted(struct vcpu_status *s, int errnum)
{
	s->kind = errnum == EINTR || errnum == EAGAIN ? HUSK_VMEXIT_INTERRUPTED : HUSK_VMEXIT_OTHER;
	s->range = NONE;
	publish(s, HUSK_VCPU_IN_EXIT);
}

void vcpu_status_read(const struct vcpu_status *s, struct husk_vcpu_status *out)
{
	uint64_t w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
	uint8_t kind = (uint8_t)(w >> 8), range = (uint8_t)(w >> 16);

	out->state = (uint32_t)(w & 0xff);
	out->exit_kind = kind == NONE ? -1 : kind;
	out->exit_range = range == NONE ? -1 : range;
	out->since_ns = (w >> 24) * 1000000u;
}

const char *husk_vcpu_state_string(unsigned int state)
{
	static const char *const names[] = {
		[HUSK_VCPU_NOT_STARTED] = "not started", [HUSK_VCPU_IN_GUEST] = "in guest",
		[HUSK_VCPU_IN_EXIT] = "in exit",	 [HUSK_VCPU_PAUSED] = "paused",
		[HUSK_VCPU_STOPPED] = "stopped",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}
