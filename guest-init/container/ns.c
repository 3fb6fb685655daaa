// SPDX-License-Identifier: Apache-2.0
/*
 * ns.c - a container's namespaces seen from husk-init.
 *
 * ns_join: a spec may name another container's uts, ipc or pid namespace
 * as /proc/PID/ns/TYPE (Kubernetes: the pod sandbox's). PID is resolved
 * to the container of this VM whose live init has it, and that
 * container's kept namespace fd is duplicated into the new container's
 * c->ns[] before its init is forked: an fd there at fork time means
 * "join", -1 means "a new one" (child_init.c, process.c). The path itself
 * is never opened: it comes from the host.
 *
 * ns_keep: once the init has set up, its namespaces and root stay open so
 * EXEC can join them later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "guest-init/container/container.h"

static const char *const ns_proc_names[NS_COUNT] = { "mnt", "uts", "ipc", "pid", "cgroup" };

/* The container whose init, not exited, has husk-init's pid @pid. */
static struct container *ns_owner(struct agent *ag, pid_t pid)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &ag->containers) {
		struct container *o = container_of(pos, struct container, link);

		if (o->init && o->init->pid == pid && o->init->state != PROC_EXITED)
			return o;
	}
	return NULL;
}

int ns_join(struct container *c, const struct spec *spec, struct husk_error **e)
{
	static const struct {
		enum spec_ns_type t;
		int ns;
	} joinable[] = { { SPEC_NS_UTS, NS_UTS },
			 { SPEC_NS_IPC, NS_IPC },
			 { SPEC_NS_PID, NS_PID } };
	const struct spec_ns *sn;
	struct container *o;
	size_t i;

	for (i = 0; i < sizeof(joinable) / sizeof(joinable[0]); i++) {
		sn = &spec->ns[joinable[i].t];
		if (!sn->pid)
			continue;
		o = ns_owner(c->ag, sn->pid);
		if (!o || o->ns[joinable[i].ns] < 0)
			return husk_err(e, ESRCH,
					"linux.namespaces: %s path %s: no container in this VM "
					"has init pid %d",
					spec_ns_name(joinable[i].t), sn->path, (int)sn->pid);
		c->ns[joinable[i].ns] = fcntl(o->ns[joinable[i].ns], F_DUPFD_CLOEXEC, 3);
		if (c->ns[joinable[i].ns] < 0)
			return husk_err(e, errno, "linux.namespaces: %s of container %s",
					spec_ns_name(joinable[i].t), o->id);
	}
	return 0;
}

/*
 * The root is kept because setns() puts a process at its mount
 * namespace's root mount, which is not the container's root when
 * husk-init itself runs chrooted (the tests' rig). The cgroup namespace
 * only when the init made one (c->cgroup_ns).
 */
int ns_keep(struct container *c, pid_t pid, struct husk_error **e)
{
	char path[64];
	int i;

	for (i = 0; i < NS_COUNT; i++) {
		if (c->ns[i] >= 0 || (i == NS_CGROUP && !c->cgroup_ns))
			continue; /* joined: the same namespace already */
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_proc_names[i]);
		c->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (c->ns[i] < 0)
			return husk_err(e, errno, "open %s", path);
	}
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	c->rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		return husk_err(e, errno, "open %s", path);
	return 0;
}

void ns_close(struct container *c)
{
	int i;

	for (i = 0; i < NS_COUNT; i++) {
		if (c->ns[i] >= 0)
			close(c->ns[i]);
		c->ns[i] = -1;
	}
	if (c->rootfd >= 0)
		close(c->rootfd);
	c->rootfd = -1;
}
