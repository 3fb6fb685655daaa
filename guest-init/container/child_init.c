// SPDX-License-Identifier: Apache-2.0
/*
 * child_init.c - the container's first process, from fork() (in a new pid
 * namespace, so it is PID 1 there, or in the pod's) up to its start: a
 * private mount namespace, uts and ipc new or the pod's, a cgroup
 * namespace, the spec's mounts, pivot_root, hostname and sysctls. Then it
 * reports ready, waits for START and becomes the OCI process (child.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

/*
 * A new mount namespace always; uts and ipc new, or the pod's when
 * c->ns[] holds one at fork time (ns.c); a cgroup namespace when asked
 * for, now that the process is in the container's cgroup, so that its
 * root is that cgroup.
 */
static int init_namespaces(const struct container *c, struct husk_error **e)
{
	int flags = CLONE_NEWNS | (c->cgroup_ns ? CLONE_NEWCGROUP : 0);

	flags |= c->ns[NS_UTS] < 0 ? CLONE_NEWUTS : 0;
	flags |= c->ns[NS_IPC] < 0 ? CLONE_NEWIPC : 0;
	if (unshare(flags) < 0)
		return husk_err(e, errno, "unshare namespaces (flags %#x)", flags);
	if (c->ns[NS_UTS] >= 0 && setns(c->ns[NS_UTS], CLONE_NEWUTS) < 0)
		return husk_err(e, errno, "join the pod's uts namespace");
	if (c->ns[NS_IPC] >= 0 && setns(c->ns[NS_IPC], CLONE_NEWIPC) < 0)
		return husk_err(e, errno, "join the pod's ipc namespace");
	/* nothing the container mounts may propagate back to the VM */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return husk_err(e, errno, "make / private");
	return 0;
}

/*
 * pivot_root(".", ".") stacks the old root on top of the new one; the
 * detaching unmount then drops the old root, leaving only the container's.
 */
static int init_pivot(const char *rootfs, struct husk_error **e)
{
	if (chdir(rootfs) < 0)
		return husk_err(e, errno, "chdir %s", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return husk_err(e, errno, "pivot_root %s", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return husk_err(e, errno, "detach the old root");
	if (chdir("/") < 0)
		return husk_err(e, errno, "chdir /");
	return 0;
}

static int init_sysctl(const struct spec *spec, struct husk_error **e)
{
	char path[PATH_MAX];
	yajl_val v = spec->sysctl;
	size_t i, j;

	for (i = 0; v && i < v->u.object.len; i++) {
		const char *key = v->u.object.keys[i];
		yajl_val val = v->u.object.values[i];

		if (!YAJL_IS_STRING(val) || strstr(key, "..") || strchr(key, '/'))
			return husk_err(e, 0, "sysctl \"%.100s\" is not valid", key);
		if (snprintf(path, sizeof(path), "/proc/sys/%s", key) >= (int)sizeof(path))
			return husk_err(e, ENAMETOOLONG, "sysctl %.100s", key);
		for (j = strlen("/proc/sys/"); path[j]; j++)
			if (path[j] == '.')
				path[j] = '/';
		if (util_write_file(path, val->u.string, strlen(val->u.string), e) < 0)
			return husk_err_wrap(e, "sysctl %s", key);
	}
	return 0;
}

/* The setup, with the end of each of CHILD_INIT_STEP_NAMES in @steps. */
static int init_setup(struct container *c, const struct spec *spec,
		      uint64_t steps[CHILD_INIT_STEPS], struct husk_error **e)
{
	const char *host = spec->hostname;

	if (init_namespaces(c, e) < 0)
		return -husk_error_errno(*e);
	steps[0] = husk_now_ns();
	if (mounts_setup(c->rootfs, spec, e) < 0)
		return -husk_error_errno(*e);
	steps[1] = husk_now_ns();
	if (init_pivot(c->rootfs, e) < 0)
		return -husk_error_errno(*e);
	steps[2] = husk_now_ns();
	/* a pod's app containers leave it empty: keep the pod's name */
	if (host && (host[0] || c->ns[NS_UTS] < 0) && sethostname(host, strlen(host)) < 0)
		return husk_err(e, errno, "sethostname %s", host);
	/* sysctls go in while /proc/sys is writable: readonlyPaths lists it */
	if (init_sysctl(spec, e) < 0 || mounts_finish(spec, e) < 0)
		return -husk_error_errno(*e);
	if ((spec->rootfs_propagation & ~MS_REC) != MS_PRIVATE &&
	    mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
		return husk_err(e, errno, "rootfs propagation");
	steps[3] = husk_now_ns();
	return 0;
}

void child_init_main(struct container *c, const struct spec *spec, struct proc *p, int sync)
{
	uint64_t steps[CHILD_INIT_STEPS];
	struct husk_error *e = NULL;

	child_wait_attached(sync);
	if (init_setup(c, spec, steps, &e) < 0 ||
	    child_ready_and_wait(sync, p, steps, CHILD_INIT_STEPS, &e) < 0)
		child_fail(sync, e);
	child_run(&spec->process, p, sync);
}
