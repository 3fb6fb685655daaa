// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_rootfs_share.c - a container's root mounted on the host in the
 * share (see sandbox_rootfs_share.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/share/fs_share.h"
#include "shim/base/shim_log.h"
#include "shim/sandbox/sandbox_plan.h"
#include "shim/sandbox/sandbox_rootfs_share.h"
#include "shim/base/bundle_state.h"

void sandbox_rootfs_share_entry(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s-rootfs", id);
}

/* The snapshot's overlay (a fresh mount: it is born with its flags). */
static int share_overlay(const struct sandbox_host_mount *m, const char *root, const char *entry,
			 struct husk_error **err)
{
	unsigned long flags = (m->flags & ~(MS_BIND | MS_REC)) | MS_NOSUID | MS_NODEV;
	char path[PATH_MAX];
	int ret;

	if (m->data && strlen(m->data) >= (size_t)sysconf(_SC_PAGESIZE))
		return husk_err(err, E2BIG,
				"overlay for %s: %zu bytes of options (too many layers)", entry,
				strlen(m->data));
	fs_share_path(root, "mounts", entry, path, sizeof(path));
	if (mkdir(path, 0755))
		return husk_err(err, errno, "mkdir %s", path);
	if (!mount(m->source, path, m->type, flags, m->data))
		return 0;
	ret = husk_err(err, errno, "mount %s (%s) on %s", m->source, m->type, path);
	rmdir(path);
	return ret;
}

int sandbox_rootfs_share_mount(const struct sandbox_host_mount *m, const char *root, const char *id,
			       const char *bundle, struct husk_error **err)
{
	unsigned int flags = (m->flags & MS_RDONLY ? FS_SHARE_RO : 0) |
			     (m->flags & MS_REC ? FS_SHARE_REC : 0);
	char entry[FS_SHARE_ENTRY_MAX + 1];
	int ret;

	sandbox_rootfs_share_entry(id, entry, sizeof(entry));
	ret = bundle_state_append(bundle, SANDBOX_ROOTFS_SHARE_KIND " %s %s\n", root, entry);
	if (ret)
		return husk_err(err, -ret, "record %s in %s", entry, bundle);
	ret = m->type ? share_overlay(m, root, entry, err) :
			fs_share_add(root, entry, m->source, flags, err);
	if (ret)
		return husk_err_wrap(err, "rootfs %s in the share", entry);
	shim_info("rootfs of %s: %s in the share as %s", id, m->type ? m->type : "bind", entry);
	return 0;
}

void sandbox_rootfs_share_umount(const char *root, const char *id)
{
	char entry[FS_SHARE_ENTRY_MAX + 1];

	sandbox_rootfs_share_entry(id, entry, sizeof(entry));
	fs_share_del(root, entry);
}

/* "<root> <entry>": fs_share_del() refuses entries that would leave the share. */
static void share_cleanup_one(char *rest, void *opaque)
{
	char *entry = strchr(rest, ' ');

	(void)opaque;
	if (rest[0] != '/' || !entry)
		return;
	*entry++ = '\0';
	fs_share_del(rest, entry);
}

void sandbox_rootfs_share_cleanup(const char *bundle)
{
	bundle_state_each(bundle, SANDBOX_ROOTFS_SHARE_KIND, share_cleanup_one, NULL);
}
