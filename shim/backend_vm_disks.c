// SPDX-License-Identifier: Apache-2.0
/*
 * backend_vm_disks.c - the VM's disk slots, shared by the containers of a
 * pod. The VM boots with BVM_DISK_SLOTS empty virtio-blk disks (the first
 * devices added, so slot N is the guest's /dev/vd<'a'+N>): the disks of a
 * VM are fixed at boot, their media are not (husk_vm_disk_attach). Create
 * puts a container's images into the lowest free slots; Delete takes them
 * out once husk-init has unmounted them, and the slots serve the next
 * container. husk-init waits for a slot's capacity to appear before it
 * mounts it (the guest learns of a new medium asynchronously).
 *
 * Slots are only touched under be->boot_lock (Create, Delete, teardown).
 */
#include <errno.h>
#include <stdio.h>

#include "shim/backend_vm.h"
#include "common/error.h"
#include "husk.h"
#include "shim/shim_log.h"

int bvm_disks_add_slots(struct bvm *be, struct husk_error **err)
{
	struct husk_disk_config dc;
	char serial[24];
	int i, ret;

	for (i = 0; i < BVM_DISK_SLOTS; i++) {
		husk_disk_config_init(&dc);	/* no path, no fd: empty */
		snprintf(serial, sizeof(serial), "husk-slot-%d", i);
		dc.serial = serial;
		ret = husk_vm_add_disk(be->vm, &dc, err);
		if (ret)
			return husk_err_wrap(err, "disk slot %d", i);
		be->slot_used[i] = false;
	}
	return 0;
}

void bvm_disk_node(int slot, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/vd%c", 'a' + slot);
}

static int bvm_slot_take(struct bvm *be)
{
	int i;

	for (i = 0; i < BVM_DISK_SLOTS; i++) {
		if (!be->slot_used[i]) {
			be->slot_used[i] = true;
			return i;
		}
	}
	return -1;
}

static int bvm_disk_put(struct bvm *be, int slot, const char *path, bool ro,
			struct husk_error **err)
{
	struct husk_disk_config dc;

	husk_disk_config_init(&dc);
	dc.path = path;
	dc.read_only = ro;
	return husk_vm_disk_attach(be->vm, (unsigned int)slot, &dc, err);
}

/* One image into a free slot; *@slot stays -1 on failure. */
static int bvm_disk_attach_one(struct bvm *be, const char *path, bool ro, int *slot,
			       struct husk_error **err)
{
	int s = bvm_slot_take(be), ret;

	if (s < 0)
		return husk_err(err, ENOSPC, "%s: all %d disk slots of the VM are in use (%d "
				"containers with a writable root fit)", path, BVM_DISK_SLOTS,
				BVM_DISK_SLOTS / 2);
	ret = bvm_disk_put(be, s, path, ro, err);
	if (ret) {
		be->slot_used[s] = false;
		return husk_err_wrap(err, "disk slot %d", s);
	}
	*slot = s;
	return 0;
}

int bvm_disks_attach(struct bvm *be, struct bvm_ctr *c, struct husk_error **err)
{
	int ret;

	if (!be->vm || be->vm_dead)
		return husk_err(err, ESRCH, "disks of %s: the VM has ended", c->id);
	ret = bvm_disk_attach_one(be, c->disks.lower, !c->disks.lower_writable, &c->slot[0],
				  err);
	if (!ret && c->disks.upper[0])
		ret = bvm_disk_attach_one(be, c->disks.upper, false, &c->slot[1], err);
	if (ret)
		bvm_disks_detach(be, c);
	else
		shim_info("container %s: disk slots %d and %d", c->id, c->slot[0], c->slot[1]);
	return ret;
}

void bvm_disks_detach(struct bvm *be, struct bvm_ctr *c)
{
	struct husk_error *err = NULL;
	int i;

	for (i = 0; i < 2; i++) {
		if (c->slot[i] < 0)
			continue;
		if (be->vm && husk_vm_disk_detach(be->vm, (unsigned int)c->slot[i], &err)) {
			shim_warn("container %s: %s", c->id, husk_error_message(err));
			husk_error_free(err);
			err = NULL;
		}
		be->slot_used[c->slot[i]] = false;
		c->slot[i] = -1;
	}
}

void bvm_disks_forget(struct bvm *be)
{
	struct bvm_ctr *c;
	int i;

	/* The list is stable: it changes only under boot_lock, held here. */
	for (c = be->ctrs; c; c = c->next)
		c->slot[0] = c->slot[1] = -1;
	for (i = 0; i < BVM_DISK_SLOTS; i++)
		be->slot_used[i] = false;
}
