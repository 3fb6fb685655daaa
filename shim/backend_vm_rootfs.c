// SPDX-License-Identifier: Apache-2.0
/*
 * backend_vm_rootfs.c - a container's root file system into the VM and
 * out again, whichever way vm_plan_rootfs() chose: a host mount in the
 * sandbox's virtio-fs share (vm_rootfs_share.h; husk-init binds
 * HUSK_AGENT_SHARE_DIR/<entry>), or the container's disks in free disk
 * slots (backend_vm_disks.c). Also the CREATE request's ROOTFS object.
 *
 * Everything here runs under be->boot_lock.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/backend_vm.h"
#include "common/error.h"
#include "husk_agent.h"
#include "shim/shim_log.h"
#include "shim/vm_rootfs_share.h"

static int bvm_rootfs_share(struct bvm *be, const struct shim_create_req *req,
			    struct bvm_ctr *c, struct husk_error **err)
{
	int ret;

	if (!be->share_made)
		return husk_err(err, ENODEV, "rootfs of %s: the VM has no share", c->id);
	ret = vm_rootfs_share_mount(&c->share, be->share_root, c->id, req->bundle, err);
	c->share_mounted = !ret;
	if (!ret)
		__atomic_store_n(&be->roots_on_share, true, __ATOMIC_RELEASE);
	return ret;
}

int bvm_rootfs_attach(struct bvm *be, const struct shim_create_req *req, struct bvm_ctr *c,
		      struct husk_error **err)
{
	if (c->share.source)
		return bvm_rootfs_share(be, req, c, err);
	return bvm_disks_attach(be, c, err);
}

void bvm_rootfs_release(struct bvm *be, struct bvm_ctr *c)
{
	bvm_disks_detach(be, c);
	/* After teardown the share is gone, and the entry with it. */
	if (c->share_mounted && be->share_made)
		vm_rootfs_share_umount(be->share_root, c->id);
	c->share_mounted = false;
}

void bvm_rootfs_json(const struct bvm_ctr *c, char *buf, size_t len)
{
	char lower[16], node[16], upper[80] = "", entry[256];

	if (c->share.source) {
		vm_rootfs_share_entry(c->id, entry, sizeof(entry));
		snprintf(buf, len, "{\"dir\":\"%s/%s\"}", HUSK_AGENT_SHARE_DIR, entry);
		return;
	}
	bvm_disk_node(c->slot[0], lower, sizeof(lower));
	if (c->slot[1] >= 0) {
		bvm_disk_node(c->slot[1], node, sizeof(node));
		snprintf(upper, sizeof(upper), ",\"upper\":{\"source\":\"%s\",\"fstype\":\"ext4\"}",
			 node);
	}
	snprintf(buf, len, "{\"lower\":[{\"source\":\"%s\",\"fstype\":\"%s\"}]%s%s}", lower,
		 c->disks.lower_fstype, upper, c->disks.lower_writable ? ",\"writable\":true" : "");
}
