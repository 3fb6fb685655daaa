/* SPDX-License-Identifier: Apache-2.0 */
/*
 * container.h - containers and their processes: create and delete
 * (container.c), the root file system and mounts (and where bind sources
 * on the share, the pod shm or in CREATE's files are: share.c), the forked
 * child that becomes the process (child*.c), users, capabilities, devices,
 * cgroups.
 * Called by the request handlers and at shutdown.
 */
#ifndef HUSK_INIT_CONTAINER_H
#define HUSK_INIT_CONTAINER_H

#include "common/phase_log.h"
#include "guest-init/state/agent.h"

/*
 * container.c. @steps (NULL: none) records where CREATE's time goes, for
 * its reply: ns, files, share, rootfs, cgroup, then proc_spawn's, keep.
 */
struct container *container_find(struct agent *ag, const char *id);
struct proc *container_proc(struct container *c, const char *exec_id);
int container_create(struct agent *ag, struct amsg *m, struct phase_log *steps,
		     struct husk_error **e);
int container_delete(struct container *c, struct husk_error **e);
/* container_delete_all - every container deleted (errors logged), then the file systems synced. */
void container_delete_all(struct agent *ag);
void container_kill_all(struct container *c, int sig);

/* ns.c: the namespaces a container joins (a pod's), and keeps for EXEC */
int ns_join(struct container *c, const struct spec *spec, struct husk_error **e);
int ns_keep(struct container *c, pid_t pid, struct husk_error **e);
void ns_close(struct container *c);

/* files.c: a container's own files (CREATE "files") */
int files_write(const struct container *c, const struct amsg *m, struct husk_error **e);
void files_remove(const struct container *c);

/* rootfs.c */
int rootfs_mount(struct container *c, const struct amsg_rootfs *r, struct husk_error **e);
void rootfs_umount(struct container *c);

/*
 * process.c. @steps as for container_create: proc_spawn marks streams,
 * fork, attach, ready (the child's setup); proc_start marks exec.
 */
struct proc *proc_new(struct container *c, const char *exec_id);
void proc_free(struct proc *p);
int proc_spawn(struct proc *p, const struct spec_process *op, const struct spec *spec,
	       const struct amsg_stdio *want, struct phase_log *steps, struct husk_error **e);
int proc_start(struct proc *p, struct phase_log *steps, struct husk_error **e);
void proc_reap(struct agent *ag);
void proc_exit_fields(const struct proc *p, yajl_gen g);
int proc_signal(struct proc *p, int sig, struct husk_error **e);

/* child.c, child_init.c: run in the forked child, never return */
void child_init_main(struct container *c, const struct spec *spec, struct proc *p, int sync)
	__attribute__((noreturn));
void child_exec_main(struct container *c, const struct spec_process *op, struct proc *p, int sync)
	__attribute__((noreturn));
void child_run(const struct spec_process *op, struct proc *p, int sync) __attribute__((noreturn));
void child_fail(int sync, const struct husk_error *e) __attribute__((noreturn));
/* Bytes of an error message a child sends its parent (longer ones are cut). */
#define CHILD_FAIL_MSG_MAX 512
/* child_wait_attached - wait until the parent has put this process in
 * the container's cgroup (a cgroup namespace made before would be rooted
 * in husk-init's cgroup); exits when the parent gives up instead. */
void child_wait_attached(int sync);
/* child_ready_and_wait - make the pty (process.terminal), report ready
 * with its master and the @n CLOCK_MONOTONIC times of @steps (the init's
 * own setup: CHILD_INIT_STEP_NAMES), wait for START. */
int child_ready_and_wait(int sync, struct proc *p, const uint64_t *steps, size_t n,
			 struct husk_error **e);
/* What a container's init reports the end of in its ready record, in order. */
#define CHILD_INIT_STEPS 4
#define CHILD_INIT_STEP_NAMES \
	{ \
		"unshare", "mounts", "pivot", "finish" \
	}

/* mounts.c: the container's mounts, in the child before pivot_root */
int mounts_setup(const char *rootfs, const struct spec *spec, struct husk_error **e);
/* mounts_finish - after pivot_root: masked and readonly paths, read-only root */
int mounts_finish(const struct spec *spec, struct husk_error **e);
/* devices.c */
int devices_setup(int rootfd, bool dev_tmpfs, const struct spec *spec, struct husk_error **e);

/* user.c */
int user_resolve(struct spec_user *u, const char **home, struct husk_error **e);

/* caps.c */
int caps_bounding(const struct spec_caps *c, struct husk_error **e);
int caps_apply(const struct spec_caps *c, struct husk_error **e);

/* cgroup.c, cgroup_stats.c */
int cgroup_setup(struct agent *ag, const char *dir, struct husk_error **e);
int cgroup_create(struct container *c, const struct spec_resources *r, struct husk_error **e);
/* cgroup_update - UPDATE: the limits @r gives, on a running container. */
int cgroup_update(const struct container *c, const struct spec_resources *r, struct husk_error **e);
int cgroup_attach(const struct container *c, pid_t pid, struct husk_error **e);
void cgroup_kill(const struct container *c, int sig);
int cgroup_remove(struct container *c, struct husk_error **e);
uint64_t cgroup_oom_kills(const struct container *c);
void cgroup_oom_event(struct agent *ag, int wd);
/* cgroup_oom_check - broadcast an OOM event if @c has new OOM kills. */
void cgroup_oom_check(struct container *c);
int cgroup_stats(const struct container *c, yajl_gen g, struct husk_error **e);
int cgroup_pids(const struct container *c, yajl_gen g, struct husk_error **e);
int cgroup_write(const char *dir, const char *file, const char *val, struct husk_error **e);
/* cgroup_freeze.c - freeze (PAUSE) or thaw (RESUME), waiting until done. */
int cgroup_freeze(const struct container *c, bool freeze, struct husk_error **e);

/* share.c: bind sources that are not plain VM paths (share, pod shm, files) */
int share_init(struct agent *ag, const char *share, struct husk_error **e);
int share_resolve(struct agent *ag, struct spec *spec, int64_t shm_size, struct husk_error **e);
/*
 * share_resolve_dir - @dir as husk-init reaches it, into *@out (malloc'd):
 * under HUSK_AGENT_SHARE_DIR the share is mounted first (test mode: the
 * --share folder); *@shared says so. Any other path is used as it is.
 */
int share_resolve_dir(struct agent *ag, const char *dir, char **out, bool *shared,
		      struct husk_error **e);
/* share_source_open - in the child: an O_PATH fd of @m's source, beneath its folder */
int share_source_open(const struct spec_mount *m, struct husk_error **e);

#endif
