// SPDX-License-Identifier: Apache-2.0
/*
 * cli_stats.c - the --stats table: boot phases in ms after husk_vm_create()
 * was entered, then exit counts by kind, by port range and by MMIO range,
 * busiest first, zero rows (and a range section with no exits) left out,
 * then the console bytes dropped (when any), then per network interface
 * and disk what it dropped or its rate limit held back (when any). Every
 * line starts "husk: stats: " so that it stands apart from the guest's
 * console in a shared log.
 */
#include "cli/cli_stats.h"

#define ROW "husk: stats:   %-24s %12s\n"

static void print_phase(FILE *f, const char *name, uint64_t t, uint64_t t0)
{
	char ms[32] = "-"; /* the phase did not happen */

	if (t)
		snprintf(ms, sizeof(ms), "%.3f", (double)(t - t0) / 1e6);
	fprintf(f, ROW, name, ms);
}

static void print_phases(FILE *f, const struct husk_vm *vm)
{
	struct husk_vm_timing t;

	husk_vm_get_timing(vm, &t);
	fprintf(f, "husk: stats: boot phase, ms after create\n");
	print_phase(f, "loaded", t.load_done_ns, t.create_ns);
	print_phase(f, "created", t.created_ns, t.create_ns);
	print_phase(f, "started", t.start_ns, t.create_ns);
	print_phase(f, "first entry", t.first_run_ns, t.create_ns);
	print_phase(f, "boot marker", t.boot_marker_ns, t.create_ns);
	print_phase(f, "exit", t.exit_ns, t.create_ns);
}

static void print_count(FILE *f, const char *name, uint64_t n)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)n);
	fprintf(f, ROW, name, s);
}

_Static_assert(HUSK_MMIO_RANGES <= 64 && HUSK_PIO_RANGES <= 64 && HUSK_VMEXIT_KINDS <= 64,
	       "print_busiest marks rows in a 64-bit mask");

/* Rows of @counts[0..@nr) that are not zero, largest first. */
static void print_busiest(FILE *f, const uint64_t *counts, unsigned int nr,
			  const char *(*name)(unsigned int))
{
	uint64_t done = 0, best;
	unsigned int i, pick, left = nr;

	/* Selection by count, ties in index order: a few dozen rows at most. */
	while (left--) {
		best = 0;
		pick = nr;
		for (i = 0; i < nr; i++) {
			if (!(done & (1ULL << i)) && counts[i] > best) {
				best = counts[i];
				pick = i;
			}
		}
		if (pick == nr)
			return;
		done |= 1ULL << pick;
		print_count(f, name(pick), best);
	}
}

/* A counter's row, left out when zero. */
static void print_nonzero(FILE *f, const char *name, uint64_t n)
{
	if (n)
		print_count(f, name, n);
}

void cli_print_net_counts(FILE *f, unsigned int index, const struct husk_net_stats *s)
{
	if (!(s->tx_oversize | s->tx_bad_hdr | s->tx_dropped | s->rx_dropped | s->rx_throttled |
	      s->tx_throttled))
		return;
	fprintf(f, "husk: stats: net%u frames dropped or held back\n", index);
	print_nonzero(f, "tx oversize (dropped)", s->tx_oversize);
	print_nonzero(f, "tx bad header (dropped)", s->tx_bad_hdr);
	print_nonzero(f, "tx tap full (dropped)", s->tx_dropped);
	print_nonzero(f, "rx bad size (dropped)", s->rx_dropped);
	print_nonzero(f, "rx throttled", s->rx_throttled);
	print_nonzero(f, "tx throttled", s->tx_throttled);
}

void cli_print_disk_counts(FILE *f, unsigned int index, const struct husk_disk_stats *s)
{
	if (!s->throttled)
		return;
	fprintf(f, "husk: stats: disk%u requests held back\n", index);
	print_count(f, "throttled", s->throttled);
}

/* Every interface and disk, 0, 1, ... until the first that is not there. */
static void print_devices(FILE *f, const struct husk_vm *vm)
{
	struct husk_net_stats n = { .struct_size = sizeof(n) };
	struct husk_disk_stats d = { .struct_size = sizeof(d) };
	unsigned int i;

	for (i = 0; husk_vm_get_net_stats(vm, i, &n) == 0; i++)
		cli_print_net_counts(f, i, &n);
	for (i = 0; husk_vm_get_disk_stats(vm, i, &d) == 0; i++)
		cli_print_disk_counts(f, i, &d);
}

void cli_print_stats(FILE *f, const struct husk_vm *vm)
{
	struct husk_vm_exit_stats s = { .struct_size = sizeof(s) };

	print_phases(f, vm);
	if (husk_vm_get_exit_stats(vm, &s) < 0) {
		fprintf(f, "husk: stats: exits: not available\n");
		print_devices(f, vm);
		return;
	}
	fprintf(f, "husk: stats: exits to husk (KVM_RUN returns), %u vCPU%s\n", s.nr_vcpus,
		s.nr_vcpus == 1 ? "" : "s");
	print_count(f, "total", s.runs);
	print_busiest(f, s.kinds, HUSK_VMEXIT_KINDS, husk_vmexit_kind_string);
	if (s.kinds[HUSK_VMEXIT_PIO]) {
		fprintf(f, "husk: stats: pio exits by port range\n");
		print_busiest(f, s.pio, HUSK_PIO_RANGES, husk_pio_range_string);
	}
	if (s.kinds[HUSK_VMEXIT_MMIO]) {
		fprintf(f, "husk: stats: mmio exits by range\n");
		print_busiest(f, s.mmio, HUSK_MMIO_RANGES, husk_mmio_range_string);
	}
	if (s.console_dropped) {
		fprintf(f, "husk: stats: guest console bytes the output could not take\n");
		print_count(f, "dropped", s.console_dropped);
	}
	print_devices(f, vm);
}
