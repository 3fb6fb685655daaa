/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_devices.h - the husk CLI's device options (--disk, --net, --fs, --vsock):
 * parsing their comma-separated values and adding the devices to a VM.
 */
#ifndef HUSK_CLI_DEVICES_H
#define HUSK_CLI_DEVICES_H

#include <stdbool.h>

#include "husk.h"

/* The library allows 19 virtio devices in all; this bounds each kind. */
#define CLI_MAX_DEVS 19

struct cli_devices {
	struct husk_disk_config disks[CLI_MAX_DEVS];
	unsigned int nr_disks;
	struct husk_net_config nets[CLI_MAX_DEVS];
	unsigned int nr_nets;
	struct husk_fs_config fss[CLI_MAX_DEVS];
	unsigned int nr_fss;
	struct husk_vsock_config vsock;
	bool has_vsock;
	char *bufs[3 * CLI_MAX_DEVS + 1]; /* option copies the configs point into */
	unsigned int nr_bufs;
};

/*
 * cli_parse_disk/net/fs/vsock - parse one option value into @d. Return 0,
 * or print one "husk: --OPT: ..." line on stderr and return 2 (usage).
 */
int cli_parse_disk(struct cli_devices *d, const char *arg);
int cli_parse_net(struct cli_devices *d, const char *arg);
int cli_parse_fs(struct cli_devices *d, const char *arg);
int cli_parse_vsock(struct cli_devices *d, const char *arg);

/* cli_add_devices - add every parsed device to @vm; on failure *@err says why. */
int cli_add_devices(struct husk_vm *vm, const struct cli_devices *d, struct husk_error **err);

/* cli_devices_free - free the option copies. */
void cli_devices_free(struct cli_devices *d);

#endif
