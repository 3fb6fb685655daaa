// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_rootfs.c - a container's root file system into the VM and
 * out again, whichever way sandbox_plan_rootfs() chose: a host mount in the
 * sandbox's virtio-fs share (sandbox_rootfs_share.h; husk-init binds
 * HUSK_AGENT_SHARE_DIR/<entry>), or the container's disks in free disk
 * slots (sandbox_disks.c). Also the CREATE request's ROOTFS object.
 *
 * Everything here runs under be->boot_lock.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/sandbox/sandbox.h"
#include "common/error.h"
#include "husk_agent.h"
#include "shim/base/shim_log.h"
#include "shim/sandbox/sandbox_rootfs_share.h"

static int sandbox_rootfs_in_share(struct sandbox *be, const struct shim_create_req *req,
				   struct sandbox_container *c, struct husk_error **err)
{
	int ret;

	if (!be->share_made)
		return husk_err(err, ENODEV, "rootfs of %s: the VM has no share", c->id);
	ret = sandbox_rootfs_share_mount(&c->share, be->share_root, c->id, req->bundle, err);
	c->share_mounted = !ret;
	if (!ret)
		__atomic_store_n(&be->roots_on_share, true, __ATOMIC_RELEASE);
	return ret;
}

int sandbox_rootfs_attach(struct sandbox *be, const struct shim_create_req *req,
			  struct sandbox_container *c, struct husk_error **err)
{
	if (c->share.source)
		return sandbox_rootfs_in_share(be, req, c, err);
	return sandbox_disks_attach(be, c, err);
}

void sandbox_rootfs_release(struct sandbox *be, struct sandbox_container *c)
{
	sandbox_disks_detach(be, c);
	/* After teardown the share is gone, and the entry with it. */
	if (c->share_mounted && be->share_made)
		sandbox_rootfs_share_umount(be->share_root, c->id);
	c->share_mounted = false;
}

void sandbox_rootfs_json(const struct sandbox_container *c, char *buf, size_t len)
{
	char lower[16], node[16], upper[80] = "", entry[256];

	if (c->share.source) {
		sandbox_rootfs_share_entry(c->id, entry, sizeof(entry));
		snprintf(buf, len, "{\"dir\":\"%s/%s\"}", HUSK_AGENT_SHARE_DIR, entry);
		return;
	}
	sandbox_disk_node(c->slot[0], lower, sizeof(lower));
	if (c->slot[1] >= 0) {
		sandbox_disk_node(c->slot[1], node, sizeof(node));
		snprintf(upper, sizeof(upper), ",\"upper\":{\"source\":\"%s\",\"fstype\":\"ext4\"}",
			 node);
	}
	snprintf(buf, len, "{\"lower\":[{\"source\":\"%s\",\"fstype\":\"%s\"}]%s%s}", lower,
		 c->disks.lower_fstype, upper, c->disks.lower_writable ? ",\"writable\":true" : "");
}
