// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_plan.c - VM size, and the share mount or disks of a rootfs,
 * from the request (see sandbox_plan.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/error.h"
#include "agent-codec/mntopt.h"
#include "shim/base/oci_spec.h"
#include "shim/base/runtime_config.h"
#include "shim/base/sha256.h"
#include "shim/sandbox/sandbox_plan.h"

/* Raise @out to @mib + overhead when that is more, saying why. */
static void size_raise(struct sandbox_size *out, uint64_t *mem, uint64_t mib, const char *src)
{
	if (!mib || mib + SANDBOX_PLAN_OVERHEAD_MIB <= *mem)
		return;
	*mem = mib + SANDBOX_PLAN_OVERHEAD_MIB;
	snprintf(out->why, sizeof(out->why), "%s %" PRIu64 " MiB + %u MiB overhead", src, mib,
		 SANDBOX_PLAN_OVERHEAD_MIB);
}

static void size_bound(const struct runtime_config *cfg, uint64_t mem, uint32_t cpus,
		       struct sandbox_size *out)
{
	size_t n = strlen(out->why);

	if (mem > SANDBOX_PLAN_MAX_MIB) {
		mem = cfg->memory_mib > SANDBOX_PLAN_MAX_MIB ? cfg->memory_mib :
							       SANDBOX_PLAN_MAX_MIB;
		snprintf(out->why + n, sizeof(out->why) - n, ", bounded at %" PRIu64 " MiB", mem);
	}
	if (cpus > SANDBOX_PLAN_MAX_VCPUS)
		cpus = cfg->vcpus > SANDBOX_PLAN_MAX_VCPUS ? cfg->vcpus : SANDBOX_PLAN_MAX_VCPUS;
	out->mem_mib = (uint32_t)mem;
	out->vcpus = cpus ? cpus : 1;
}

int sandbox_plan_size(const struct runtime_config *cfg, const struct oci_spec *spec,
		      struct sandbox_size *out, struct husk_error **err)
{
	struct oci_vm_hint hint = { 0 }, pod = { 0 };
	uint64_t mem = cfg->memory_mib;
	uint32_t cpus = cfg->vcpus;

	if (spec)
		oci_spec_vm_hint(spec, &hint);
	/* Only the pause spec carries the pod's sum (cri.md §2). */
	if (spec && oci_spec_container_type(spec) == OCI_CONTAINER_SANDBOX &&
	    oci_spec_pod_hint(spec, &pod, err))
		return -EINVAL;
	snprintf(out->why, sizeof(out->why),
		 "the runtime config's memory_mib, %u MiB of it overhead",
		 SANDBOX_PLAN_OVERHEAD_MIB);
	size_raise(out, &mem, hint.memory_mib, "the container's memory limit");
	size_raise(out, &mem, pod.memory_mib, "sandbox-memory");
	if (hint.vcpus > cpus)
		cpus = hint.vcpus;
	if (pod.vcpus > cpus)
		cpus = pod.vcpus;
	size_bound(cfg, mem, cpus, out);
	return 0;
}

bool sandbox_plan_warm_fits(const struct runtime_config *cfg, const struct oci_spec *spec)
{
	struct sandbox_size want, warm;

	if (cfg->rootfs != RUNTIME_ROOTFS_VIRTIO_FS)
		return false;
	if (sandbox_plan_size(cfg, spec, &want, NULL) || sandbox_plan_size(cfg, NULL, &warm, NULL))
		return false;
	return want.mem_mib == warm.mem_mib && want.vcpus == warm.vcpus;
}

int sandbox_plan_fits(const struct sandbox_size *vm, const struct oci_spec *spec,
		      struct husk_error **err)
{
	uint64_t want, have;

	if (!spec || spec->memory_limit <= 0)
		return 0;
	want = ((uint64_t)spec->memory_limit + (1u << 20) - 1) >> 20;
	have = vm->mem_mib > SANDBOX_PLAN_OVERHEAD_MIB ? vm->mem_mib - SANDBOX_PLAN_OVERHEAD_MIB :
							 0;
	if (want <= have)
		return 0;
	return husk_err(err, 0,
			"it asks for %" PRIu64
			" MiB of memory; the pod's VM has %u MiB (%s), %" PRIu64
			" MiB of it for containers",
			want, vm->mem_mib, vm->why, have);
}

const char *sandbox_plan_option(const char *const *opts, size_t n, const char *key)
{
	size_t klen = strlen(key), i;

	for (i = 0; i < n; i++)
		if (!strncmp(opts[i], key, klen) && opts[i][klen] == '=')
			return opts[i] + klen + 1;
	return NULL;
}

bool sandbox_plan_flag(const char *const *opts, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(opts[i], word))
			return true;
	return false;
}

static int plan_dir(const char *dir, bool ro, struct sandbox_rootfs_plan *p)
{
	p->kind = SANDBOX_ROOTFS_DIR;
	p->upper = !ro;
	p->dir = strdup(dir);
	return p->dir ? 0 : -ENOMEM;
}

static int plan_overlay(const struct shim_mount *m, struct sandbox_rootfs_plan *p,
			struct husk_error **err)
{
	const char *lower = sandbox_plan_option(m->options, m->n_options, "lowerdir");
	const char *upper = sandbox_plan_option(m->options, m->n_options, "upperdir");

	if (!lower || !*lower)
		return husk_err(err, 0, "rootfs overlay mount has no lowerdir");
	/* One lower is a directory already; several get merged (once). */
	p->kind = SANDBOX_ROOTFS_LAYERS;
	p->upper = upper != NULL;
	p->lowerdir = strdup(lower);
	if (!p->lowerdir)
		return -ENOMEM;
	sha256_hex(lower, strlen(lower), p->key);
	return 0;
}

static int plan_block(const struct shim_mount *m, struct sandbox_rootfs_plan *p,
		      struct husk_error **err)
{
	if (strcmp(m->type, "ext4"))
		return husk_err(err, ENOTSUP,
				"rootfs %s on %s: only ext4 block devices are supported", m->type,
				m->source);
	p->kind = SANDBOX_ROOTFS_BLOCK;
	/* No upper: writes go to the snapshot itself (see sandbox_plan.h). */
	p->writable = !sandbox_plan_flag(m->options, m->n_options, "ro");
	p->device = strdup(m->source);
	p->fstype = strdup(m->type);
	return p->device && p->fstype ? 0 : -ENOMEM;
}

/* A host directory, bound into the share; @ro: the bind is read-only. */
static int plan_share_dir(const char *dir, bool ro, struct sandbox_rootfs_plan *p)
{
	p->kind = SANDBOX_ROOTFS_SHARE;
	p->upper = !ro;
	p->host.flags = MS_BIND | MS_REC | (ro ? MS_RDONLY : 0);
	p->host.source = strdup(dir);
	return p->host.source ? 0 : -ENOMEM;
}

/*
 * containerd's overlay or bind mount as it is: the host kernel's overlayfs
 * gives the writable layer (whiteouts and all) in the snapshot's upperdir.
 */
static int plan_share(const struct shim_mount *m, struct sandbox_rootfs_plan *p,
		      struct husk_error **err)
{
	struct mntopt o;
	bool overlay = !strcmp(m->type, "overlay");

	if (overlay && !sandbox_plan_option(m->options, m->n_options, "lowerdir"))
		return husk_err(err, 0, "rootfs overlay mount has no lowerdir");
	/* Propagation words are dropped: the share decides propagation. */
	if (mntopt_parse_list((const char *const *)m->options, m->n_options, &o, err))
		return -ENOMEM;
	p->kind = SANDBOX_ROOTFS_SHARE;
	p->host.flags = o.flags;
	p->host.data = o.data;
	p->host.source = strdup(m->source);
	if (overlay) {
		/* A view (lowerdir alone) is read-only for overlayfs itself. */
		p->upper = !(o.flags & MS_RDONLY) &&
			   sandbox_plan_option(m->options, m->n_options, "upperdir");
		p->host.type = strdup("overlay");
		return p->host.source && p->host.type ? 0 : -ENOMEM;
	}
	p->host.flags |= MS_BIND;
	p->upper = !(o.flags & MS_RDONLY);
	return p->host.source ? 0 : -ENOMEM;
}

static bool plan_is_dir(const struct shim_mount *m)
{
	return !strcmp(m->type, "overlay") || !strcmp(m->type, "bind") || !strcmp(m->type, "rbind");
}

int sandbox_plan_rootfs(const struct shim_mount *m, size_t n, const char *root_dir, bool root_ro,
			bool share, struct sandbox_rootfs_plan *p, struct husk_error **err)
{
	int ret;

	memset(p, 0, sizeof(*p));
	if (n > 1)
		return husk_err(err, ENOTSUP, "rootfs: %zu mounts (husk takes one)", n);
	if (share && n == 0)
		ret = plan_share_dir(root_dir, root_ro, p);
	else if (share && plan_is_dir(m))
		ret = plan_share(m, p, err);
	else if (n == 0)
		ret = plan_dir(root_dir, root_ro, p);
	else if (!strcmp(m->type, "overlay"))
		ret = plan_overlay(m, p, err);
	else if (!strcmp(m->type, "bind") || !strcmp(m->type, "rbind"))
		ret = plan_dir(m->source, sandbox_plan_flag(m->options, m->n_options, "ro"), p);
	else if (!strncmp(m->source, "/dev/", 5))
		ret = plan_block(m, p, err);
	else
		ret = husk_err(err, ENOTSUP, "rootfs mount of type \"%s\" from %s", m->type,
			       m->source);
	if (ret == -ENOMEM)
		husk_err(err, ENOMEM, "rootfs plan");
	if (ret)
		sandbox_rootfs_plan_clear(p);
	return ret;
}

void sandbox_rootfs_plan_clear(struct sandbox_rootfs_plan *p)
{
	free(p->lowerdir);
	free(p->dir);
	free(p->device);
	free(p->fstype);
	sandbox_host_mount_clear(&p->host);
	memset(p, 0, sizeof(*p));
}

void sandbox_host_mount_clear(struct sandbox_host_mount *m)
{
	free(m->type);
	free(m->source);
	free(m->data);
	memset(m, 0, sizeof(*m));
}
