/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_rootfs_image.h - the disks behind a container's root file system, made
 * from a sandbox_rootfs_plan:
 *   - overlay layers: one read-only erofs image of the merged lowers,
 *     cached under SANDBOX_IMAGE_DIR (or $HUSK_IMAGE_DIR) as <key>.erofs, built
 *     once per layer set and shared by every shim (made under a temporary
 *     name and renamed into place, so concurrent builds do not clash);
 *   - a directory (bind mount, spec root.path): an erofs of it, made per
 *     container in the state folder;
 *   - a block device: used as it is;
 * plus, unless the root is read-only, a fresh sparse ext4 image per
 * container (SANDBOX_UPPER_BYTES) that takes the container's writes.
 * Per-container files are recorded in the bundle's state file (bundle_state.h)
 * as they are made, so `delete` can remove them after a killed shim.
 */
#ifndef HUSK_SHIM_SANDBOX_SANDBOX_ROOTFS_IMAGE_H
#define HUSK_SHIM_SANDBOX_SANDBOX_ROOTFS_IMAGE_H

#include <limits.h>
#include <stdbool.h>

#include "shim/base/phase_log.h"
#include "shim/sandbox/sandbox_plan.h"

#define SANDBOX_IMAGE_DIR   "/var/lib/husk/images"
#define SANDBOX_UPPER_BYTES (1ull << 30)

struct sandbox_disks {
	char lower[PATH_MAX];	  /* image file or block device */
	const char *lower_fstype; /* "erofs" or "ext4" */
	bool lower_owned;	  /* a per-container file: removed with the container */
	bool lower_writable;	  /* the guest mounts lower read-write (a devmapper snapshot) */
	char upper[PATH_MAX];	  /* "" when the root is read-only */
};

/*
 * sandbox_rootfs_prepare - make the disks of @p; per-container files go to
 * @state_dir and are recorded in @bundle's state file. Marks "image" (the
 * lower found, built or taken) and "upper" (made, or none) in @pl (may be
 * NULL). Returns 0 or -errno.
 */
int sandbox_rootfs_prepare(const struct sandbox_rootfs_plan *p, const char *bundle,
			   const char *state_dir, struct sandbox_disks *d, struct phase_log *pl,
			   struct husk_error **err);

/* sandbox_rootfs_remove - delete the per-container files of @d. */
void sandbox_rootfs_remove(struct sandbox_disks *d);

#endif
