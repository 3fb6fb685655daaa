/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_stats.h - `husk run --stats`: the table printed at the VM's end of
 * where its start-up time went (boot phases) and what made its vCPUs exit
 * to husk (exit kinds, the busiest port ranges and MMIO ranges), and
 * what the network interfaces and disks dropped or held back.
 */
#ifndef HUSK_CLI_STATS_H
#define HUSK_CLI_STATS_H

#include <stdio.h>

#include "husk.h"

/* cli_print_stats - the --stats table on @f, every line "husk: stats: ...". */
void cli_print_stats(FILE *f, const struct husk_vm *vm);

/*
 * cli_print_net_counts / cli_print_disk_counts - device @index's section
 * of the table: a heading and its non-zero counters; nothing when all are
 * zero.
 */
void cli_print_net_counts(FILE *f, unsigned int index, const struct husk_net_stats *s);
void cli_print_disk_counts(FILE *f, unsigned int index, const struct husk_disk_stats *s);

#endif
