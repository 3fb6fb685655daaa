/* SPDX-License-Identifier: Apache-2.0 */
/*
 * host_cgroup.h - the shim in its pod's host cgroup. The shim holds the
 * guest's RAM, and Kubernetes charges a pod's memory to the pod's cgroup,
 * so on the pause container's Create the shim moves its whole process into
 * the spec's linux.cgroupsPath (cri.md §2), creating what is missing, and
 * at exit moves back to the cgroup it came from and removes the
 * directories it created: a leaf left behind would keep the pod's cgroup
 * from being removed (kubelet removes it when the pod goes).
 *
 * cgroupsPath comes in containerd's two styles:
 *   cgroupfs  "/kubepods/burstable/pod<uid>/<sid>", "/k8s.io/<sid>": a path
 *             under each hierarchy's root;
 *   systemd   "<slice>:<prefix>:<name>": the slice expanded as systemd does
 *             ("a-b.slice" is /a.slice/a-b.slice), the unit
 *             "<prefix>-<name>.scope" under it. Without systemd running
 *             the directories are made here; with it they are made the same
 *             way (no D-Bus): systemd leaves unknown directories alone.
 * The mount root is a parameter (HOST_CGROUP_ROOT in the shim) so unit
 * tests can run against a directory tree that mimics cgroupfs.
 */
#ifndef HUSK_SHIM_BASE_HOST_CGROUP_H
#define HUSK_SHIM_BASE_HOST_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

struct husk_error;

#define HOST_CGROUP_ROOT     "/sys/fs/cgroup"
#define HOST_CGROUP_MAX_HIER 4	/* v2: one; v1: memory, cpu, cpuacct, pids */
#define HOST_CGROUP_MAX_MADE 64 /* directories made, over all hierarchies */

/*
 * host_cgroup_path - @cgroups_path as a path under a hierarchy's root
 * ("/kubepods.slice/.../cri-containerd-<sid>.scope"). A relative or root
 * path, "." or ".." components, control characters, a malformed systemd
 * triple or slice name: -EINVAL with a message quoting the path.
 */
int host_cgroup_path(const char *cgroups_path, char *out, size_t len, struct husk_error **err);

struct host_cgroup {
	size_t n_dirs;
	char *dirs[HOST_CGROUP_MAX_HIER];   /* the cgroup's directory in each hierarchy */
	char *roots[HOST_CGROUP_MAX_HIER];  /* each hierarchy's root, the same order */
	char *origin[HOST_CGROUP_MAX_HIER]; /* where the process was before: NULL unknown */
	pid_t pid;			    /* the process entered, 0 none */
	size_t n_made;
	char *made[HOST_CGROUP_MAX_MADE]; /* directories made here, parents first */
};

/*
 * host_cgroup_make - find the hierarchies under @root (v2: cgroup.controllers
 * at the root; v1: its memory, cpu, cpuacct, pids folders, one per mount)
 * and make @cgroups_path's directory in each. -ENODEV when @root has no
 * cgroup mount, -EINVAL for a bad path, else -errno of the mkdir.
 */
int host_cgroup_make(struct host_cgroup *cg, const char *root, const char *cgroups_path,
		     struct husk_error **err);

/*
 * host_cgroup_note_origin - from @proc_cgroup (the /proc/PID/cgroup of the
 * process about to enter), each hierarchy's directory the process is in
 * now: v2's "0::/path", v1's "N:<controllers>:/path" where <controllers>
 * names the hierarchy's root folder ("memory", "cpu,cpuacct"). Those not
 * found stay unknown; an unreadable file leaves all of them so.
 */
void host_cgroup_note_origin(struct host_cgroup *cg, const char *proc_cgroup);

/* host_cgroup_enter - move process @pid (all its threads) into every directory. */
int host_cgroup_enter(struct host_cgroup *cg, pid_t pid, struct husk_error **err);

/* host_cgroup_join - make, note @pid's origin (/proc/PID/cgroup), then enter. */
int host_cgroup_join(struct host_cgroup *cg, const char *root, const char *cgroups_path, pid_t pid,
		     struct husk_error **err);

/*
 * host_cgroup_leave - move the process entered back to its origin, where
 * known, then remove the directories made here, deepest first, those that
 * are empty (one still holding a process is logged at debug and left);
 * forget them all.
 */
void host_cgroup_leave(struct host_cgroup *cg);

#endif
