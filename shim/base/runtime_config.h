/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime_config.h - husk's own runtime settings, a JSON file:
 *
 *   {
 *     "kernel": "/usr/local/share/husk/vmlinuz",   absolute path
 *     "init": "/usr/local/bin/husk-init",          absolute path (default:
 *                                                  next to the shim binary)
 *     "memory_mib": 256,                           64 .. 1048576
 *     "vcpus": 1,                                  1 .. 254
 *     "kernel_params": "quiet",                    appended to the cmdline
 *     "debug_console": false,                      guest console to the shim log
 *     "console_log_max_bytes": 1048576,            cap of <bundle>/husk-console.log,
 *                                                  one older .1 kept; 0: no cap,
 *                                                  else 4096 .. 2^40
 *     "seccomp": true,                             libhusk's threads filter their
 *                                                  system calls (HUSK_VM_SECCOMP)
 *     "virtiofsd": "/usr/lib/qemu/virtiofsd",      absolute path (default: the
 *                                                  first of /usr/lib/qemu/virtiofsd,
 *                                                  /usr/libexec/virtiofsd,
 *                                                  /usr/lib/virtiofsd that exists)
 *     "rootfs": "virtio-fs",                       or "block" (see below)
 *     "disk_rate_limit": LIMIT,                    each disk slot of the VM
 *     "net_rx_rate_limit": LIMIT,                  each interface, to the guest
 *     "net_tx_rate_limit": LIMIT,                  each interface, from the guest
 *     "warm_vms": 0,                               0 .. 8 VMs booted ahead (below)
 *     "warm_vm_idle_seconds": 600                  1 .. 86400: an unused one ends
 *   }
 *
 * LIMIT is {"bandwidth": BUCKET, "ops": BUCKET}, BUCKET {"rate": N,
 * "one_time_burst": N}: bytes or requests (frames) per second and extra
 * tokens once, 0 .. HUSK_RATE_LIMIT_MAX, a burst only with a rate; what
 * is left out is unlimited (include/husk.h's struct husk_rate_limit).
 *
 * "rootfs" says how a directory root file system (overlayfs or native
 * snapshotter, spec root.path) reaches the guest: "virtio-fs" mounts it
 * on the host in the sandbox's virtio-fs share (sandbox_rootfs_share.h);
 * "block" makes erofs/ext4 images for the VM's disk slots (sandbox_rootfs_image.h).
 * A block-device root (devmapper) always goes through a disk slot.
 *
 * "warm_vms" keeps that many VMs booted ahead of need, each in a spare
 * shim (shim/warm/warm_pool.h): `start` hands a new sandbox to one of
 * them instead of booting, and starts another. Only a sandbox the spare
 * fits takes one: no network namespace to join, the size and every VM
 * setting of this file as the spare booted with, a root on the share.
 * Each spare costs its guest RAM's resident pages while it waits.
 *
 * Every key is optional; an unknown key is an error (a typo should not
 * silently fall back to a default). The file is
 * RUNTIME_CONFIG_DEFAULT_PATH unless the runtime options name another
 * (CRI: [...runtimes.husk.options] ConfigPath = "..."; ctr:
 * --runtime-config-path). A missing default file means built-in defaults;
 * a missing file that was asked for explicitly is an error.
 */
#ifndef HUSK_SHIM_BASE_RUNTIME_CONFIG_H
#define HUSK_SHIM_BASE_RUNTIME_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "husk.h"

struct husk_error;

#define RUNTIME_CONFIG_DEFAULT_PATH "/etc/husk/config.json"
#ifndef HUSK_DATADIR
#define HUSK_DATADIR "/usr/local/share"
#endif
#define RUNTIME_CONFIG_DEFAULT_KERNEL	   HUSK_DATADIR "/husk/vmlinuz"
#define RUNTIME_CONFIG_MIN_MIB		   64
#define RUNTIME_CONFIG_MAX_MIB		   (1u << 20)
#define RUNTIME_CONFIG_MAX_VCPUS	   254
#define RUNTIME_CONFIG_MAX_PARAMS	   1024
/* The guest console log: 1 MiB and one rotated 1 MiB file (rotating_file.h). */
#define RUNTIME_CONFIG_DEFAULT_CONSOLE_MAX (1ull << 20)
#define RUNTIME_CONFIG_MIN_CONSOLE_MAX	   4096ll
#define RUNTIME_CONFIG_MAX_CONSOLE_MAX	   (1ll << 40)
#define RUNTIME_CONFIG_MAX_WARM_VMS	   8
#define RUNTIME_CONFIG_DEFAULT_WARM_IDLE_S 600
#define RUNTIME_CONFIG_MAX_WARM_IDLE_S	   86400

enum runtime_rootfs {
	RUNTIME_ROOTFS_VIRTIO_FS, /* the default */
	RUNTIME_ROOTFS_BLOCK,
};

struct runtime_config {
	char *kernel;
	char *init; /* NULL: the default (see sandbox_boot.c) */
	uint64_t memory_mib;
	uint32_t vcpus;
	char *kernel_params; /* "" when none */
	bool debug_console;
	uint64_t console_log_max_bytes; /* 0: no cap */
	bool seccomp;			/* default true */
	enum runtime_rootfs rootfs;
	char *virtiofsd;			/* NULL: look in the usual places (fs_daemon.h) */
	char *source;				/* the file read, or NULL for defaults */
	struct husk_rate_limit disk_rate_limit; /* all zero: none */
	struct husk_rate_limit net_rx_rate_limit, net_tx_rate_limit;
	uint32_t warm_vms;	       /* 0: none booted ahead */
	uint32_t warm_vm_idle_seconds; /* a spare unused this long ends */
};

/* runtime_config_defaults - built-in values (allocates; clear afterwards). */
int runtime_config_defaults(struct runtime_config *cfg);

/*
 * runtime_config_parse - defaults overridden by the JSON text. On error
 * *@cfg is cleared. Returns 0, -EINVAL or -ENOMEM.
 */
int runtime_config_parse(const char *json, size_t len, struct runtime_config *cfg,
			 struct husk_error **err);

/*
 * runtime_config_load - @path NULL or "" means the default path, where a
 * missing file is fine. Returns 0 or -errno.
 */
int runtime_config_load(const char *path, struct runtime_config *cfg, struct husk_error **err);

void runtime_config_clear(struct runtime_config *cfg);

/*
 * runtime_config_same_vm - whether a VM booted with @a is the VM @b would
 * boot: every key that shapes the VM or its devices is equal (the warm
 * pool keys and "rootfs" aside; sandbox_warm.c checks the root's kind).
 */
bool runtime_config_same_vm(const struct runtime_config *a, const struct runtime_config *b);

#endif
