/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_profile.h - `husk run --profile FILE`: every sample of the guest's
 * RIP that libhusk takes (husk_vm_config.sample_us) as one line of FILE,
 * "T_MS VCPU RIP" (ms after the VM's start, the vCPU, the RIP in hex),
 * after a "#" header line. scripts/husk-profile turns the file into a
 * table of guest functions.
 */
#ifndef HUSK_CLI_PROFILE_H
#define HUSK_CLI_PROFILE_H

#include <stdint.h>
#include <stdio.h>

#include "husk.h"

struct cli_profile {
	FILE *f; /* NULL: no --profile */
	char buf[1 << 16];
};

/*
 * cli_profile_open - create @path and point @cfg's sample_fn at it, every
 * @us microseconds. Returns 0, or -1 after printing why on stderr.
 */
int cli_profile_open(struct cli_profile *p, const char *path, uint32_t us,
		     struct husk_vm_config *cfg);

/* cli_profile_close - flush and close, once no vCPU runs; 0 or -1 (printed). */
int cli_profile_close(struct cli_profile *p, const char *path);

#endif
