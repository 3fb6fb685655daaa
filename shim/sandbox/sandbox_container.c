// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_container.c - the VM backend's containers: Create plans the
 * rootfs, makes the disks, boots the VM (first container of the pod),
 * rewrites the spec's mounts (host paths into the share, network files
 * into CREATE's "files"), puts the disks into free slots, has husk-init
 * prepare the init process and runs the spec's prestart and createRuntime
 * hooks on the host; Delete undoes it, freeing the slots and the share
 * entries (the last Delete shuts the VM down), then runs poststop; Destroy
 * (the shim exits) does it for every container left, without hooks. See
 * sandbox.h for the layout.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "shim/agent/agent_client.h"
#include "shim/sandbox/sandbox.h"
#include "husk_agent.h"
#include "common/error.h"
#include "shim/base/oci_spec.h"
#include "shim/base/runtime_config.h"
#include "shim/base/shim_log.h"
#include "shim/base/bundle_state.h"

void sandbox_proc_free(struct sandbox_proc *p)
{
	if (!p)
		return;
	sandbox_stdio_stop(&p->io);
	free(p->exec_id);
	free(p);
}

static void sandbox_container_free(struct sandbox_container *c)
{
	struct sandbox_proc *p;

	while ((p = c->procs)) {
		c->procs = p->next;
		sandbox_proc_free(p);
	}
	sandbox_rootfs_remove(&c->disks);
	sandbox_host_mount_clear(&c->share);
	sandbox_mounts_clear(&c->mounts);
	oci_hook_ctx_clear(&c->hooks);
	free(c->id);
	free(c->bundle);
	free(c);
}

/* The CREATE payload: the rewritten config.json, rootfs, stdio, files. */
static int sandbox_create_json(const struct shim_create_req *req, const struct sandbox_proc *p,
			       char **out, struct husk_error **err)
{
	char rootfs[PATH_MAX], stdio[128], *extra;
	const struct sandbox_container *c = p->container;
	int ret;

	sandbox_rootfs_json(c, rootfs, sizeof(rootfs));
	sandbox_stdio_json(&p->io, stdio, sizeof(stdio));
	if (sandbox_mounts_extra_json(&c->mounts, &extra))
		return husk_err(err, ENOMEM, "CREATE request");
	ret = asprintf(out, "{\"id\":\"%s\",\"spec\":%.*s,\"rootfs\":%s,\"stdio\":%s%s}", req->id,
		       (int)c->mounts.spec_len, c->mounts.spec, rootfs, stdio, extra);
	free(extra);
	return ret < 0 ? husk_err(err, ENOMEM, "CREATE request") : 0;
}

static struct sandbox_container *sandbox_container_new(const struct shim_create_req *req)
{
	struct sandbox_container *c = calloc(1, sizeof(*c));
	struct sandbox_proc *p = calloc(1, sizeof(*p));

	if (!c || !p || !(c->id = strdup(req->id)) || !(c->bundle = strdup(req->bundle))) {
		if (c)
			free(c->id);
		free(c);
		free(p);
		return NULL;
	}
	p->container = c;
	p->io.stop_fd = p->io.stdin_keep = -1;
	c->procs = p;
	c->slot[0] = c->slot[1] = -1;
	c->mounts.shm_size = -1;
	return c;
}

static int sandbox_prepare_rootfs(const struct shim_create_req *req, struct sandbox_container *c,
				  struct husk_error **err)
{
	struct sandbox_rootfs_plan plan;
	char root[PATH_MAX], state[PATH_MAX];
	const char *rp = req->spec->root_path ? req->spec->root_path : "rootfs";
	int ret;

	if (rp[0] == '/')
		snprintf(root, sizeof(root), "%s", rp);
	else
		snprintf(root, sizeof(root), "%s/%s", req->bundle, rp);
	ret = sandbox_plan_rootfs(req->rootfs, req->n_rootfs, root, req->spec->root_readonly,
				  req->config->rootfs == RUNTIME_ROOTFS_VIRTIO_FS, &plan, err);
	if (ret)
		return ret;
	if (plan.kind == SANDBOX_ROOTFS_SHARE) {
		/* Mounted in the share once the VM (and so the share) is up. */
		c->share = plan.host;
		memset(&plan.host, 0, sizeof(plan.host));
		ret = 0;
	} else {
		bundle_state_dir(req->bundle, state, sizeof(state));
		ret = sandbox_rootfs_prepare(&plan, req->bundle, state, &c->disks, &c->start, err);
	}
	sandbox_rootfs_plan_clear(&plan);
	return ret;
}

/*
 * The VM side of @c: the share (made by the first container), @c's binds
 * in it and its spec for the VM, then (first container) the VM with its
 * virtiofsd and its network; @c's disks in their slots. A spec with a bad bind
 * fails before any daemon or VM is started. A VM a spare booted ahead
 * (sandbox_warm.c) stands in for the share, virtiofsd and the boot when
 * it is what this Create would boot: the phase "warm".
 */
static int sandbox_create_vm_side(struct sandbox *be, const struct shim_create_req *req,
				  struct sandbox_container *c, struct husk_error **err)
{
	bool warm = false, first, boot;
	int ret = 0;

	if (be->warm_pending)
		ret = sandbox_warm_settle(be, req, c, &warm, err);
	first = warm || !be->vm;
	boot = first && !warm;
	if (!ret)
		ret = boot ? sandbox_fs_share(be, req, err) :
			     sandbox_fs_record(be, req->bundle, err);
	if (!ret)
		ret = sandbox_fs_rewrite(be, req, c, err);
	phase_log_mark(&c->start, warm ? "warm" : "share");
	if (!ret && boot) {
		be->nr_slots = c->share.source ? SANDBOX_DISK_SLOTS_SHARED : SANDBOX_DISK_SLOTS;
		ret = sandbox_vm_boot(be, req, false, &c->start, err);
	}
	if (!ret && first) {
		ret = sandbox_configure_net(be, &c->mounts.etc, err);
		phase_log_mark(&c->start, "net");
	}
	if (!ret)
		ret = sandbox_rootfs_attach(be, req, c, err);
	phase_log_mark(&c->start, "rootfs");
	return ret;
}

/*
 * The VM's size from the first container (the pod's pause, with the
 * pod's limits in its annotations); a later one must fit in it.
 */
static int sandbox_size_container(struct sandbox *be, const struct shim_create_req *req,
				  struct husk_error **err)
{
	struct sandbox_size size;
	int ret;

	ret = sandbox_plan_size(req->config, req->spec, &size, err);
	if (ret)
		return ret;
	if (!be->vm || be->warm_pending) {
		/* A warm VM serves only a Create that would boot the same size. */
		be->warm_size_ok = be->warm_pending && size.mem_mib == be->size.mem_mib &&
				   size.vcpus == be->size.vcpus;
		be->size = size;
		return 0;
	}
	return sandbox_plan_fits(&be->size, req->spec, err);
}

/*
 * The pause's Create: the shim, which will hold the guest RAM, into the
 * pod's host cgroup before the VM exists, so that memory is charged to the
 * pod as Kubernetes expects. No cgroup mount at all: a warning.
 */
static int sandbox_join_cgroup(struct sandbox *be, const struct shim_create_req *req,
			       struct husk_error **err)
{
	const char *path = req->spec->cgroups_path;
	struct husk_error *e = NULL;
	int ret;

	if ((be->vm && !be->warm_pending) || be->cgroup.n_dirs || !path || !*path ||
	    oci_spec_container_type(req->spec) != OCI_CONTAINER_SANDBOX)
		return 0;
	ret = host_cgroup_join(&be->cgroup, HOST_CGROUP_ROOT, path, getpid(), &e);
	if (!ret)
		shim_info("shim joined the pod's cgroup %s", be->cgroup.dirs[0]);
	else if (ret == -ENODEV)
		shim_warn("shim stays in its cgroup: %s", husk_error_message(e));
	if (ret && ret != -ENODEV && err) {
		husk_error_free(*err);
		*err = e;
		return ret;
	}
	husk_error_free(e);
	return ret == -ENODEV ? 0 : ret;
}

/* Everything up to a prepared init with its streams bound. */
static int sandbox_create_container(struct sandbox *be, const struct shim_create_req *req,
				    struct sandbox_container *c, uint32_t *pid,
				    struct husk_error **err)
{
	struct sandbox_proc *p = c->procs;
	char *json = NULL;
	int ret;

	ret = sandbox_size_container(be, req, err);
	if (!ret)
		ret = sandbox_join_cgroup(be, req, err);
	if (!ret)
		ret = sandbox_stdio_parse(&req->stdio, &p->io, err);
	if (!ret)
		ret = sandbox_prepare_rootfs(req, c, err);
	if (!ret)
		ret = sandbox_create_vm_side(be, req, c, err);
	if (ret)
		return ret;
	pthread_mutex_lock(&be->lock);
	c->next = be->containers;
	be->containers = c;
	pthread_mutex_unlock(&be->lock);
	ret = sandbox_create_json(req, p, &json, err);
	if (!ret)
		ret = sandbox_call_pid(be, HUSK_MSG_CREATE, json, &p->pid, err);
	free(json);
	*pid = p->pid;
	phase_log_mark(&c->start, "create");
	if (!ret)
		ret = sandbox_stdio_attach(be, p, err);
	phase_log_mark(&c->start, "stdio");
	return ret;
}

static void sandbox_unlink_container(struct sandbox *be, struct sandbox_container *c)
{
	struct sandbox_container **pp;

	pthread_mutex_lock(&be->lock);
	for (pp = &be->containers; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&be->lock);
}

/*
 * Has husk-init forget container @c (it unmounts its root). Returns
 * whether its disks may leave the VM: a guest that did not answer may
 * still have them mounted, so their slots stay taken until the VM ends.
 */
static bool sandbox_guest_release(struct sandbox *be, const struct sandbox_container *c)
{
	char json[512];
	int ret;

	if (be->vm_dead)
		return true;
	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", c->id);
	ret = sandbox_call(be, HUSK_MSG_DELETE, json, NULL, NULL);
	/* ENOENT: a CREATE that failed in the guest, which unmounted already. */
	if (!ret || ret == -ENOENT)
		return true;
	shim_warn("DELETE %s in the guest failed: its disk slots stay taken", c->id);
	return false;
}

/* Under boot_lock: a Create that failed leaves the other containers be. */
static void sandbox_create_undo(struct sandbox *be, struct sandbox_container *c, const char *bundle)
{
	bool linked = false;
	struct sandbox_container *i;

	for (i = be->containers; i; i = i->next)
		linked |= i == c;
	/* Once linked, CREATE may have reached husk-init: have it let go first. */
	if (linked && !sandbox_guest_release(be, c))
		c->slot[0] = c->slot[1] = -1;
	sandbox_unlink_container(be, c);
	sandbox_rootfs_release(be, c);
	sandbox_fs_release(be, c);
	if (!be->containers)
		sandbox_vm_teardown(be, NULL);
	sandbox_container_free(c);
	bundle_state_cleanup(bundle);
}

/*
 * The spec's prestart and createRuntime hooks, on the host once the
 * container exists in the VM (its namespaces are there, held before init
 * runs), in runc's order; a failure fails Create.
 */
static int sandbox_create_hooks(struct sandbox_container *c, uint32_t pid, struct husk_error **err)
{
	int ret = oci_hooks_run(&c->hooks, OCI_HOOK_PRESTART, "creating", pid, err);

	return ret ? ret : oci_hooks_run(&c->hooks, OCI_HOOK_CREATE_RUNTIME, "creating", pid, err);
}

int sandbox_create(void *opaque, const struct shim_create_req *req, uint32_t *pid,
		   struct husk_error **err)
{
	struct sandbox *be = opaque;
	struct sandbox_container *c;
	int ret;

	ret = oci_hooks_check_host(&req->spec->hooks, err);
	if (ret) {
		husk_err_wrap(err, "container %s", req->id);
		return ret;
	}
	c = sandbox_container_new(req);
	if (!c)
		return husk_err(err, ENOMEM, "container %s", req->id);
	sandbox_phases_begin(c, req);
	ret = oci_hook_ctx_init(&c->hooks, req->spec, req->id, req->bundle, err);
	if (ret) {
		sandbox_container_free(c);
		return ret;
	}
	pthread_mutex_lock(&be->boot_lock);
	ret = sandbox_create_container(be, req, c, pid, err);
	if (!ret)
		ret = sandbox_create_hooks(c, *pid, err);
	phase_log_mark(&c->start, "hooks");
	if (ret) {
		husk_err_wrap(err, "container %s", req->id);
		sandbox_create_undo(be, c, req->bundle);
	}
	pthread_mutex_unlock(&be->boot_lock);
	return ret;
}

/* Delete of an exec: forget it in the guest, stop its relays. */
static int sandbox_delete_exec(struct sandbox *be, struct sandbox_proc *p, const char *id,
			       const char *exec_id)
{
	struct sandbox_proc **pp;
	char json[512];

	sandbox_ids_json(json, sizeof(json) - 1, id, exec_id);
	strcat(json, "}");
	if (!be->vm_dead && sandbox_call(be, HUSK_MSG_DELETE, json, NULL, NULL))
		shim_debug("DELETE %s/%s in the guest failed", id, exec_id);
	pthread_mutex_lock(&be->lock);
	while (p->drainers > 0)
		pthread_cond_wait(&be->cond, &be->lock);
	for (pp = &p->container->procs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	pthread_mutex_unlock(&be->lock);
	sandbox_proc_free(p);
	return 0;
}

static void sandbox_wait_drainers(struct sandbox *be, struct sandbox_container *c)
{
	struct sandbox_proc *p;

	pthread_mutex_lock(&be->lock);
	for (p = c->procs; p; p = p->next)
		while (p->drainers > 0)
			pthread_cond_wait(&be->cond, &be->lock);
	pthread_mutex_unlock(&be->lock);
}

int sandbox_delete(void *opaque, const char *id, const char *exec_id, struct husk_error **err)
{
	struct sandbox *be = opaque;
	struct sandbox_proc *p;
	struct sandbox_container *c;
	char *bundle;
	bool vm_gone;

	pthread_mutex_lock(&be->lock);
	p = sandbox_find(be, id, exec_id);
	pthread_mutex_unlock(&be->lock);
	if (!p)
		return husk_err(err, ENOENT, "delete %s/%s: no such process", id,
				exec_id ? exec_id : "init");
	if (exec_id)
		return sandbox_delete_exec(be, p, id, exec_id);
	c = p->container;
	sandbox_phase_stop(be, &c->stop, "delete");
	pthread_mutex_lock(&be->boot_lock);
	if (!sandbox_guest_release(be, c))
		c->slot[0] = c->slot[1] = -1; /* taken until the VM ends */
	sandbox_unlink_container(be, c);
	sandbox_rootfs_release(be, c);
	sandbox_fs_release(be, c); /* the guest let go of them (or is gone) */
	sandbox_phase_stop(be, &c->stop, "release");
	vm_gone = !be->containers;
	if (vm_gone)
		sandbox_vm_teardown(be, &c->stop);
	pthread_mutex_unlock(&be->boot_lock);
	sandbox_wait_drainers(be, c);
	/* After the container is gone; a failure is only a warning (the spec). */
	oci_hooks_run(&c->hooks, OCI_HOOK_POSTSTOP, "stopped", 0, NULL);
	sandbox_phases_deleted(be, c, vm_gone);
	bundle = strdup(c->bundle);
	sandbox_container_free(c);
	if (bundle)
		bundle_state_cleanup(bundle);
	free(bundle);
	return 0;
}

void sandbox_destroy(void *opaque)
{
	struct sandbox *be = opaque;
	struct sandbox_container *c;

	pthread_mutex_lock(&be->boot_lock);
	sandbox_vm_teardown(be, sandbox_phases_destroy(be));
	pthread_mutex_unlock(&be->boot_lock);
	while ((c = be->containers)) {
		be->containers = c->next;
		sandbox_wait_drainers(be, c);
		sandbox_rootfs_release(be, c);
		bundle_state_cleanup(c->bundle);
		sandbox_container_free(c);
	}
	sandbox_phases_exit(be);
	pthread_cond_destroy(&be->cond);
	pthread_mutex_destroy(&be->lock);
	pthread_mutex_destroy(&be->boot_lock);
	pthread_mutex_destroy(&be->dump_lock);
	host_cgroup_leave(&be->cgroup); /* what it made, if empty: not the shim's own leaf */
	free(be);
}
