// SPDX-License-Identifier: Apache-2.0
/*
 * container.c - a container's life in the VM: root file system, cgroup,
 * the held init process and its namespaces (ns.c) on CREATE; everything undone,
 * in reverse, on DELETE (or when CREATE fails half-way), for all of them
 * on SHUTDOWN.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

#define CONTAINER_KILL_WAIT_MS 5000

struct container *container_find(struct agent *ag, const char *id)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &ag->containers) {
		struct container *c = container_of(pos, struct container, link);

		if (strcmp(c->id, id) == 0)
			return c;
	}
	return NULL;
}

struct proc *container_proc(struct container *c, const char *exec_id)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &c->procs) {
		struct proc *p = container_of(pos, struct proc, link);

		if (strcmp(p->exec_id, exec_id) == 0)
			return p;
	}
	return NULL;
}

static struct container *container_new(struct agent *ag, const char *id)
{
	struct container *c = calloc(1, sizeof(*c));
	int i;

	if (!c)
		return NULL;
	c->ag = ag;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->dir, sizeof(c->dir), "%s/c/%s", ag->state_dir, id);
	snprintf(c->rootfs, sizeof(c->rootfs), "%s/c/%s/rootfs", ag->state_dir, id);
	snprintf(c->files, sizeof(c->files), "%s/%s", ag->files_dir, id);
	for (i = 0; i < NS_COUNT; i++)
		c->ns[i] = -1;
	c->rootfd = -1;
	c->oom_wd = -1;
	list_init(&c->procs);
	list_add_tail(&ag->containers, &c->link);
	return c;
}

void container_kill_all(struct container *c, int sig)
{
	struct list *pos, *tmp;

	cgroup_kill(c, sig);
	list_for_each_safe(pos, tmp, &c->procs) {
		struct proc *p = container_of(pos, struct proc, link);

		if (p->state != PROC_EXITED && p->pid > 0)
			kill(p->pid, sig);
	}
}

static bool container_alive(const struct container *c)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &c->procs) {
		struct proc *p = container_of(pos, struct proc, link);

		if (p->state != PROC_EXITED && p->pid > 0)
			return true;
	}
	return false;
}

/* Kill and reap (reporting exits) before the mounts and cgroup go. */
static void container_stop(struct container *c)
{
	int waited;

	container_kill_all(c, SIGKILL);
	for (waited = 0; container_alive(c) && waited < CONTAINER_KILL_WAIT_MS; waited += 5) {
		proc_reap(c->ag);
		if (container_alive(c))
			usleep(5000);
	}
}

static void container_free(struct container *c)
{
	struct list *pos, *tmp;
	char path[PATH_MAX + 16];
	int i;

	list_for_each_safe(pos, tmp, &c->procs)
		proc_free(container_of(pos, struct proc, link));
	ns_close(c);
	if (c->oom_wd >= 0)
		inotify_rm_watch(c->ag->inotify_w.fd, c->oom_wd);
	list_del(&c->link);
	rmdir(c->rootfs);
	for (i = 0; i < AMSG_MAX_LOWER; i++) {
		snprintf(path, sizeof(path), "%s/lower%d", c->dir, i);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/upper", c->dir);
	rmdir(path);
	rmdir(c->dir);
	files_remove(c);
	free(c);
}

int container_delete(struct container *c, struct husk_error **e)
{
	int ret;

	container_stop(c);
	ret = cgroup_remove(c, e);
	rootfs_umount(c);
	container_free(c);
	return ret;
}

void container_delete_all(struct agent *ag)
{
	struct list *pos, *tmp;
	struct husk_error *e = NULL;

	list_for_each_safe(pos, tmp, &ag->containers) {
		struct container *c = container_of(pos, struct container, link);

		if (container_delete(c, &e) < 0)
			log_err(e, "shutdown");
	}
	husk_error_free(e);
	sync();
}

static void container_watch_oom(struct container *c)
{
	char path[PATH_MAX + 16];

	if (!c->cg[0] || c->ag->inotify_w.fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/memory.events", c->cg);
	c->oom_wd = inotify_add_watch(c->ag->inotify_w.fd, path, IN_MODIFY);
	c->oom_kills = cgroup_oom_kills(c);
}

static int container_setup(struct container *c, struct amsg *m, struct phase_log *steps,
			   struct husk_error **e)
{
	struct proc *p;

	if (ns_join(c, &m->spec, e) < 0)
		return -husk_error_errno(*e);
	phase_log_mark(steps, "ns");
	if (files_write(c, m, e) < 0)
		return -husk_error_errno(*e);
	phase_log_mark(steps, "files");
	/* the files and the share exist before the init makes the spec's mounts */
	if (share_resolve(c->ag, &m->spec, m->shm_size, e) < 0)
		return -husk_error_errno(*e);
	phase_log_mark(steps, "share");
	if (util_mkdir_p(c->rootfs, 0755, e) < 0 || rootfs_mount(c, &m->rootfs, e) < 0)
		return -husk_error_errno(*e);
	phase_log_mark(steps, "rootfs");
	if (cgroup_create(c, &m->spec.res, e) < 0)
		return -husk_error_errno(*e);
	container_watch_oom(c);
	phase_log_mark(steps, "cgroup");
	c->cgroup_ns = m->spec.ns[SPEC_NS_CGROUP].listed && c->cg[0];
	p = proc_new(c, "");
	if (!p)
		return husk_err(e, ENOMEM, "process record");
	c->init = p;
	if (proc_spawn(p, &m->spec.process, &m->spec, &m->stdio, steps, e) < 0)
		return -husk_error_errno(*e);
	if (ns_keep(c, p->pid, e) < 0)
		return -husk_error_errno(*e);
	phase_log_mark(steps, "keep");
	return 0;
}

int container_create(struct agent *ag, struct amsg *m, struct phase_log *steps,
		     struct husk_error **e)
{
	struct container *c;

	if (container_find(ag, m->id))
		return husk_err(e, EEXIST, "container %s", m->id);
	c = container_new(ag, m->id);
	if (!c)
		return husk_err(e, ENOMEM, "container %s", m->id);
	if (container_setup(c, m, steps, e) < 0) {
		struct list *pos, *tmp;
		struct husk_error *ignored = NULL;

		husk_err_wrap(e, "create %s", m->id);
		/* a container that never existed sends no EXIT event */
		container_kill_all(c, SIGKILL);
		list_for_each_safe(pos, tmp, &c->procs)
			proc_free(container_of(pos, struct proc, link));
		container_delete(c, &ignored);
		husk_error_free(ignored);
		return -husk_error_errno(*e);
	}
	return 0;
}
