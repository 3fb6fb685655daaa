/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_share.h - the host side of a sandbox's virtio-fs share, laid out as
 * Kata does (docs/virtio-fs.md section 7), under FS_SHARE_BASE/<sandbox>:
 *
 *   mounts/   where the shim bind-mounts each container's host sources,
 *             one entry each; a bind of itself made MS_SHARED, so that
 *             entries added while virtiofsd runs propagate to it
 *   shared/   a read-only bind of mounts/, MS_SLAVE: what virtiofsd
 *             serves. The guest cannot create top-level entries, and
 *             each entry keeps its own read-only or writable mount
 *   private/  scratch (a private bind of itself): each entry is first
 *             bound here, made nosuid,nodev (and read-only) there, and
 *             only then bound into mounts/. A remount under the share
 *             would not reach virtiofsd's mount namespace, so a volume
 *             remounted read-only there would stay writable for the guest
 *   virtiofsd.sock  the daemon's listening socket
 *
 * The share lives outside the bundle, which containerd removes
 * recursively, and nothing here ever removes recursively: mounts are
 * detached first, then only the empty placeholders (folder or file) the
 * shim made are removed, and only when they are no mount point. The
 * shim never deletes host data.
 */
#ifndef HUSK_SHIM_SHARE_FS_SHARE_H
#define HUSK_SHIM_SHARE_FS_SHARE_H

#include <stdbool.h>
#include <stddef.h>

struct husk_error;

#define FS_SHARE_BASE	   "/run/husk/share"
#define FS_SHARE_SOCKET	   "virtiofsd.sock"
#define FS_SHARE_ENTRY_MAX 220 /* an entry's name, below NAME_MAX */

/* Entry flags. */
#define FS_SHARE_RO  (1u << 0) /* read-only on the host side too */
#define FS_SHARE_REC (1u << 1) /* rbind: submounts come along */

/*
 * fs_share_root - the share folder of sandbox @sid under @base: the id
 * itself when it is a plain name ([A-Za-z0-9._-], 1..64 bytes, not "."
 * or ".."), else its SHA-256 in hex (any group key is then safe, and the socket path stays short).
 */
int fs_share_root(const char *base, const char *sid, char *out, size_t len);

/*
 * fs_share_create - make the layout above at @root (its parent folders as
 * needed). A @root that exists already is refused: another sandbox uses
 * that id, or a killed shim's share is left (its `delete` removes it).
 * On failure nothing is left.
 */
int fs_share_create(const char *root, struct husk_error **err);

/*
 * fs_share_entry_name - "<cid>-<16 hex random>-<basename of @dest>"
 * (unsafe bytes of the basename replaced by '_', cut to fit).
 */
int fs_share_entry_name(const char *cid, const char *dest, char *out, size_t len);

/*
 * fs_share_add - bind host path @source (folder or any other file) as
 * mounts/@entry, nosuid,nodev, read-only with FS_SHARE_RO (on the host
 * side: nobody writes through it), recursive with FS_SHARE_REC. A source
 * that does not exist fails with ENOENT naming it. On failure nothing is
 * left.
 */
int fs_share_add(const char *root, const char *entry, const char *source, unsigned int flags,
		 struct husk_error **err);

/* fs_share_del - unmount mounts/@entry (and what propagated) and remove its placeholder. */
void fs_share_del(const char *root, const char *entry);

/*
 * fs_share_remove - the whole share at @root: every entry, the three
 * binds, the socket, the folders. Safe on a partial or missing share.
 */
void fs_share_remove(const char *root);

/* fs_share_path - "@root/@sub/@name" (@name may be NULL). */
void fs_share_path(const char *root, const char *sub, const char *name, char *out, size_t len);

/* fs_share_unmount - detach every mount stacked on @path (none: nothing). */
void fs_share_unmount(const char *path);

/*
 * fs_share_unplace - remove the placeholder @path if it is an empty
 * folder or an empty regular file and nothing is mounted on it;
 * anything else stays (with a warning).
 */
void fs_share_unplace(const char *path);

#endif
