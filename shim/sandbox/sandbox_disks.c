// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_disks.c - the VM's disk slots, shared by the containers of a
 * pod. The VM boots with be->nr_slots empty virtio-blk disks (the first
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

#include "shim/sandbox/sandbox.h"
#include "common/error.h"
#include "husk.h"
#include "shim/base/shim_log.h"

int sandbox_disks_add_slots(struct sandbox *be, const struct husk_rate_limit *limit,
			    struct husk_error **err)
{
	struct husk_disk_config dc;
	char serial[24];
	int i, ret;

	if (be->nr_slots <= 0 || be->nr_slots > SANDBOX_DISK_SLOTS)
		be->nr_slots = SANDBOX_DISK_SLOTS;
	for (i = 0; i < be->nr_slots; i++) {
		husk_disk_config_init(&dc); /* no path, no fd: empty */
		snprintf(serial, sizeof(serial), "husk-slot-%d", i);
		dc.serial = serial;
		dc.rate_limit = *limit; /* the slot's: kept across its media */
		ret = husk_vm_add_disk(be->vm, &dc, err);
		if (ret)
			return husk_err_wrap(err, "disk slot %d", i);
		be->slot_used[i] = false;
	}
	return 0;
}

void sandbox_disk_node(int slot, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/vd%c", 'a' + slot);
}

static int sandbox_slot_take(struct sandbox *be)
{
	int i;

	for (i = 0; i < be->nr_slots; i++) {
		if (!be->slot_used[i]) {
			be->slot_used[i] = true;
			return i;
		}
	}
	return -1;
}

static int sandbox_disk_put(struct sandbox *be, int slot, const char *path, bool ro,
			    struct husk_error **err)
{
	struct husk_disk_config dc;

	husk_disk_config_init(&dc);
	dc.path = path;
	dc.read_only = ro;
	return husk_vm_disk_attach(be->vm, (unsigned int)slot, &dc, err);
}

/* One image into a free slot; *@slot stays -1 on failure. */
static int sandbox_disk_attach_one(struct sandbox *be, const char *path, bool ro, int *slot,
				   struct husk_error **err)
{
	int s = sandbox_slot_take(be), ret;

	if (s < 0)
		return husk_err(err, ENOSPC,
				"%s: all %d disk slots of the VM are in use (a container "
				"with a writable root of its own takes two)",
				path, be->nr_slots);
	ret = sandbox_disk_put(be, s, path, ro, err);
	if (ret) {
		be->slot_used[s] = false;
		return husk_err_wrap(err, "disk slot %d", s);
	}
	*slot = s;
	return 0;
}

int sandbox_disks_attach(struct sandbox *be, struct sandbox_container *c, struct husk_error **err)
{
	int ret;

	if (!be->vm || be->vm_dead)
		return husk_err(err, ESRCH, "disks of %s: the VM has ended", c->id);
	ret = sandbox_disk_attach_one(be, c->disks.lower, !c->disks.lower_writable, &c->slot[0],
				      err);
	if (!ret && c->disks.upper[0])
		ret = sandbox_disk_attach_one(be, c->disks.upper, false, &c->slot[1], err);
	if (ret)
		sandbox_disks_detach(be, c);
	else
		shim_info("container %s: disk slots %d and %d", c->id, c->slot[0], c->slot[1]);
	return ret;
}

void sandbox_disks_detach(struct sandbox *be, struct sandbox_container *c)
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

void sandbox_disks_forget(struct sandbox *be)
{
	struct sandbox_container *c;
	int i;

	/* The list is stable: it changes only under boot_lock, held here. */
	for (c = be->containers; c; c = c->next)
		c->slot[0] = c->slot[1] = -1;
	for (i = 0; i < SANDBOX_DISK_SLOTS; i++)
		be->slot_used[i] = false;
}
