// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_fs.c - the VM's host file sharing: the sandbox's share
 * (fs_share.h) and its virtiofsd (fs_daemon.h) come up with the VM, as
 * its virtio-fs device, whether or not the first container binds
 * anything: a VM's devices are fixed at boot and the pod's later
 * containers may need the share. Each Create rewrites its spec's mounts
 * (sandbox_mounts.h); each Delete takes its entries out again; the VM's end
 * stops the daemon and removes the share.
 *
 * Everything here runs under be->boot_lock.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "shim/sandbox/sandbox.h"
#include "common/error.h"
#include "shim/share/fs_share.h"
#include "shim/share/fs_state.h"
#include "husk.h"
#include "husk_agent.h"
#include "shim/base/config_file.h"
#include "shim/base/oci_spec.h"
#include "shim/base/runtime_config.h"
#include "shim/base/shim_log.h"

int sandbox_fs_share(struct sandbox *be, const struct shim_create_req *req, struct husk_error **err)
{
	const char *sid = oci_spec_group(req->spec, req->id);
	int ret;

	if (fs_share_root(FS_SHARE_BASE, sid, be->share_root, sizeof(be->share_root)))
		return husk_err(err, ENAMETOOLONG, "share of sandbox %s", sid);
	/* Recorded before it is made: a shim killed from here on leaves nothing. */
	ret = fs_state_share(req->bundle, be->share_root, 0, 0);
	if (ret)
		return husk_err(err, -ret, "record the share in %s", req->bundle);
	ret = fs_share_create(be->share_root, err);
	be->share_made = !ret;
	return ret;
}

int sandbox_fs_daemon(struct sandbox *be, const struct shim_create_req *req,
		      struct husk_error **err)
{
	const char *const candidates[] = FS_DAEMON_CANDIDATES;
	char bin[PATH_MAX], shared[PATH_MAX], sock[PATH_MAX];
	int ret;

	ret = fs_daemon_find(req->config->virtiofsd, candidates, bin, sizeof(bin), err);
	if (ret)
		return ret;
	fs_share_path(be->share_root, "shared", NULL, shared, sizeof(shared));
	fs_share_path(be->share_root, FS_SHARE_SOCKET, NULL, sock, sizeof(sock));
	return fs_daemon_launch(&be->fsd, bin, shared, sock, err);
}

int sandbox_fs_daemon_wait(struct sandbox *be, const struct shim_create_req *req,
			   struct husk_error **err)
{
	int ret = fs_daemon_launch_wait(&be->fsd, err);

	if (be->fsd.pid > 0 &&
	    fs_state_share(req->bundle, be->share_root, be->fsd.pid, be->fsd.start_time))
		shim_warn("record virtiofsd pid %d in %s failed", (int)be->fsd.pid, req->bundle);
	return ret;
}

/*
 * virtiofsd died under a running VM. Binds then answer ENOTCONN, which a
 * container may survive; a root on the share cannot be survived: the
 * guest faults on its own binaries' pages for good (seen: the vCPU
 * spinning, level 1's soft-lockup watchdog firing). So, as Kata does,
 * such a sandbox ends: the VM stops and its containers exit. Runs under
 * the daemon's lock, which teardown takes before destroying the VM.
 */
static void sandbox_fs_died(void *opaque)
{
	struct sandbox *be = opaque;

	if (!__atomic_load_n(&be->roots_on_share, __ATOMIC_ACQUIRE) || !be->vm)
		return;
	shim_err("container roots were on the share: stopping the VM");
	husk_vm_request_stop(be->vm);
}

int sandbox_fs_add_device(struct sandbox *be, struct husk_error **err)
{
	struct husk_fs_config fc;
	char sock[PATH_MAX];
	int ret;

	fs_share_path(be->share_root, FS_SHARE_SOCKET, NULL, sock, sizeof(sock));
	husk_fs_config_init(&fc);
	fc.tag = HUSK_AGENT_SHARE_TAG;
	fc.socket_path = sock;
	ret = husk_vm_add_fs(be->vm, &fc, err);
	if (ret)
		return fs_daemon_failed(&be->fsd, err);
	be->fsd.on_death = sandbox_fs_died;
	be->fsd.on_death_opaque = be;
	fs_daemon_serving(&be->fsd);
	return 0;
}

int sandbox_fs_record(struct sandbox *be, const char *bundle, struct husk_error **err)
{
	int ret;

	if (!be->share_made)
		return 0;
	ret = fs_state_share(bundle, be->share_root, be->fsd.pid, be->fsd.start_time);
	return ret ? husk_err(err, -ret, "record the share in %s", bundle) : 0;
}

int sandbox_fs_rewrite(struct sandbox *be, const struct shim_create_req *req,
		       struct sandbox_container *c, struct husk_error **err)
{
	struct sandbox_mounts_ctx ctx = { .cid = req->id,
					  .bundle = req->bundle,
					  .share_root = be->share_made ? be->share_root : NULL };
	char path[PATH_MAX], *spec;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/config.json", req->bundle);
	ret = config_file_read(path, &spec, &len, err);
	if (ret)
		return ret;
	ret = sandbox_mounts_rewrite(spec, len, &ctx, &c->mounts, err);
	free(spec);
	if (!ret && c->mounts.n_entries)
		shim_info("container %s: %zu host path(s) in the share", c->id,
			  c->mounts.n_entries);
	return ret;
}

void sandbox_fs_release(struct sandbox *be, struct sandbox_container *c)
{
	if (be->share_made)
		sandbox_mounts_release(be->share_root, &c->mounts);
	sandbox_mounts_clear(&c->mounts);
}

void sandbox_fs_stop(struct sandbox *be)
{
	int status;

	/* After the VM: its connection closed, the daemon leaves by itself. */
	status = fs_daemon_stop(&be->fsd);
	if (status > 0)
		shim_info("virtiofsd ended with status %d", status);
	if (be->share_made)
		fs_share_remove(be->share_root);
	be->share_made = false;
}
