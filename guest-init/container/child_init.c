// SPDX-License-Identifier: Apache-2.0
/*
 * child_init.c - the container's first process, from clone() (new pid
 * namespace, so it is PID 1 there) up to its start: a private mount
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

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

static int init_namespaces(struct husk_error **e)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC) < 0)
		return husk_err(e, errno, "unshare mount, uts and ipc namespaces");
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

static int init_setup(struct container *c, const struct spec *spec, struct husk_error **e)
{
	const char *host = spec->hostname;

	if (init_namespaces(e) < 0 || mounts_setup(c->rootfs, spec, e) < 0 ||
	    init_pivot(c->rootfs, e) < 0)
		return -husk_error_errno(*e);
	if (host && sethostname(host, strlen(host)) < 0)
		return husk_err(e, errno, "sethostname %s", host);
	/* sysctls go in while /proc/sys is writable: readonlyPaths lists it */
	if (init_sysctl(spec, e) < 0 || mounts_finish(spec, e) < 0)
		return -husk_error_errno(*e);
	if ((spec->rootfs_propagation & ~MS_REC) != MS_PRIVATE &&
	    mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
		return husk_err(e, errno, "rootfs propagation");
	return 0;
}

void child_init_main(struct container *c, const struct spec *spec, struct proc *p, int sync)
{
	struct husk_error *e = NULL;

	if (init_setup(c, spec, &e) < 0 || child_ready_and_wait(sync, p, &e) < 0)
		child_fail(sync, e);
	child_run(&spec->process, p, sync);
}
