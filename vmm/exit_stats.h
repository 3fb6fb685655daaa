/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exit_stats.h - one vCPU's VM exit counters: KVM_RUN returns, by kind
 * (enum husk_vmexit_kind) and, for port I/O and MMIO, by where they went
 * (enum husk_pio_range, enum husk_mmio_range).
 *
 * Each vCPU owns its struct exit_stats and only its thread writes it, so
 * counting needs no lock and no locked instruction: an increment is an
 * atomic load and an atomic store of the counter (relaxed), which a reader
 * on another thread (exit_stats_sum()) sees whole, never torn.
 */
#ifndef HUSK_VMM_EXIT_STATS_H
#define HUSK_VMM_EXIT_STATS_H

#include <linux/kvm.h>
#include <stdint.h>

#include "husk.h"

struct exit_stats {
	uint64_t runs;
	uint64_t kinds[HUSK_VMEXIT_KINDS];
	uint64_t pio[HUSK_PIO_RANGES];
	uint64_t mmio[HUSK_MMIO_RANGES];
};

/* Single writer: a plain increment, published whole to readers. */
static inline void exit_stats_inc(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* exit_stats_count_run - KVM_RUN returned 0: count it by @run's exit. */
void exit_stats_count_run(struct exit_stats *s, const struct kvm_run *run);

/* exit_stats_count_error - KVM_RUN failed with @errnum (EINTR: a kick). */
void exit_stats_count_error(struct exit_stats *s, int errnum);

/*
 * exit_stats_sum - add @s's counters into @out's arrays and runs (the
 * caller zeroed it). Any thread, while the owner counts.
 */
void exit_stats_sum(const struct exit_stats *s, struct husk_vm_exit_stats *out);

/* exit_stats_kind - the kind of a KVM_RUN return with @reason (KVM_EXIT_*). */
enum husk_vmexit_kind exit_stats_kind(uint32_t reason);

/* exit_stats_pio_range, exit_stats_mmio_range - where an access counts. */
enum husk_pio_range exit_stats_pio_range(uint16_t port);
enum husk_mmio_range exit_stats_mmio_range(uint64_t addr);

#endif
