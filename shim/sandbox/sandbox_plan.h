/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_plan.h - the pure decisions of the VM backend, kept apart from the
 * code that acts on them so unit tests can check them: how big the VM
 * is, and how containerd's rootfs mounts reach the guest: as a host
 * mount in the sandbox's virtio-fs share, or as the VM's disks.
 */
#ifndef HUSK_SHIM_SANDBOX_SANDBOX_PLAN_H
#define HUSK_SHIM_SANDBOX_SANDBOX_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/task/backend.h"

struct oci_spec;
struct runtime_config;

#define SANDBOX_PLAN_OVERHEAD_MIB 64	      /* guest kernel + husk-init on top of a limit */
#define SANDBOX_PLAN_MAX_MIB	  (64u << 10) /* a spec may ask for at most 64 GiB */
#define SANDBOX_PLAN_MAX_VCPUS	  16	      /* ...and at most 16 vCPUs */

struct sandbox_size {
	uint32_t mem_mib;
	uint32_t vcpus;
	char why[128]; /* where mem_mib came from, for the errors of sandbox_plan_fits */
};

/*
 * sandbox_plan_size - guest RAM and vCPUs: the runtime config's values,
 * raised to the spec's memory limit + SANDBOX_PLAN_OVERHEAD_MIB and to
 * ceil(quota / period) vCPUs when the spec sets them, and, for a CRI pod
 * sandbox, likewise to the pod's io.kubernetes.cri.sandbox-memory and
 * -cpu-quota/-cpu-period annotations; all bounded by the SANDBOX_PLAN_MAX_*.
 * Returns 0, or -EINVAL for a malformed annotation (named in *err).
 */
int sandbox_plan_size(const struct runtime_config *cfg, const struct oci_spec *spec,
		      struct sandbox_size *out, struct husk_error **err);

/*
 * sandbox_plan_fits - a container joining a VM of size @vm: its spec's
 * memory limit must fit in what the VM leaves to containers (mem_mib less
 * the overhead), else the kernel's OOM killer would be its only answer.
 * Returns 0, or -EINVAL with a message giving both sizes.
 */
int sandbox_plan_fits(const struct sandbox_size *vm, const struct oci_spec *spec,
		      struct husk_error **err);

/*
 * sandbox_plan_warm_fits - whether a spare VM booted for @cfg alone (no
 * spec: cmd_warm.c) is the VM the first Create of @spec would boot: the
 * same size, roots on the share. A network namespace is no obstacle here
 * (its links are read only by the Create: sandbox_warm_net.c). A Create
 * checks again (sandbox_warm.c).
 */
bool sandbox_plan_warm_fits(const struct runtime_config *cfg, const struct oci_spec *spec);

enum sandbox_rootfs_kind {
	SANDBOX_ROOTFS_LAYERS, /* overlay lowers: one cached erofs of their merge */
	SANDBOX_ROOTFS_DIR,    /* one host directory: an erofs of it, per container */
	SANDBOX_ROOTFS_BLOCK,  /* a block device (devmapper): the disk itself, read-write */
	SANDBOX_ROOTFS_SHARE,  /* a host mount in the sandbox's virtio-fs share */
};

/* A mount to make on the host: containerd's rootfs mount, split up. */
struct sandbox_host_mount {
	char *type; /* "overlay"; NULL: a bind of source */
	char *source;
	unsigned long flags; /* MS_* (MS_BIND[|MS_REC] for a bind) */
	char *data;	     /* overlay's lowerdir=..,upperdir=..; NULL: none */
};

/*
 * struct sandbox_rootfs_plan - what becomes the guest's root: a host mount
 * in the share (SHARE), or the lower disk (an image to build or a device)
 * and whether a fresh ext4 upper disk takes the container's writes
 * (overlayfs in the guest).
 */
struct sandbox_rootfs_plan {
	enum sandbox_rootfs_kind kind;
	char *lowerdir; /* LAYERS: "top:...:bottom" as containerd sent it */
	char *dir;	/* DIR: the directory */
	char *device;	/* BLOCK: the device path */
	char *fstype;	/* BLOCK: the device's file system */
	char key[65];	/* LAYERS: hex sha256 of lowerdir, the cache key */
	bool upper;	/* a writable ext4 upper disk is needed */
	/*
	 * BLOCK: the guest mounts the device read-write as the root. A
	 * devmapper snapshot is the container's own writable layer: its
	 * writes must land there (a later commit of the snapshot keeps
	 * them) and it is as large as the snapshotter made it.
	 */
	bool writable;
	struct sandbox_host_mount host; /* SHARE: what to mount */
};

/*
 * sandbox_plan_rootfs - plan from CreateTaskRequest.rootfs (@n mounts). With
 * none, @root_dir (spec root.path made absolute) is the directory and
 * @root_ro says whether it is read-only. With @share (the runtime
 * config's "rootfs": "virtio-fs") an overlay, a bind or a host directory
 * becomes a SHARE plan, mounted on the host just as containerd asked; a
 * block device becomes disks either way. Returns 0, or -ENOTSUP/-EINVAL
 * with a message naming the mount.
 */
int sandbox_plan_rootfs(const struct shim_mount *m, size_t n, const char *root_dir, bool root_ro,
			bool share, struct sandbox_rootfs_plan *p, struct husk_error **err);
void sandbox_rootfs_plan_clear(struct sandbox_rootfs_plan *p);
void sandbox_host_mount_clear(struct sandbox_host_mount *m);

/* sandbox_plan_option - the value of "key=value" among @opts, or NULL. */
const char *sandbox_plan_option(const char *const *opts, size_t n, const char *key);
/* sandbox_plan_flag - true when the bare word @word is among @opts. */
bool sandbox_plan_flag(const char *const *opts, size_t n, const char *word);

#endif
