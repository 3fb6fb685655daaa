/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_daemon_cache.h - virtiofsd's flavour (C or Rust) remembered across
 * shims, so that a sandbox's start need not run `virtiofsd --version`
 * before the daemon itself: each run is an exec, and in the rig that
 * probe took 160-220 ms of the launch that the VM's virtio-fs device
 * waits for.
 *
 * One line in the cache file: "v1 DEV INO SIZE MTIME_S MTIME_NS C|Rust
 * PATH". It holds only for the very file it was learnt from (same path,
 * device, inode, size and modification time): an upgraded or replaced
 * virtiofsd is probed again. The file lives in /run (a tmpfs), so a
 * reboot forgets it.
 */
#ifndef HUSK_SHIM_SHARE_FS_DAEMON_CACHE_H
#define HUSK_SHIM_SHARE_FS_DAEMON_CACHE_H

#include "shim/share/fs_daemon.h"

#define FS_DAEMON_FLAVOUR_CACHE "/run/husk/virtiofsd-flavour"

/*
 * fs_daemon_cache_get - the flavour of @bin remembered in @cache for this
 * very file: 0 and *@out, or -ENOENT (no cache, another file, a changed
 * file, or a line that does not parse).
 */
int fs_daemon_cache_get(const char *cache, const char *bin, enum fs_daemon_flavour *out);

/*
 * fs_daemon_cache_put - remember @f for @bin in @cache, replacing the file
 * atomically (a temporary file renamed over it). Best effort: -errno when
 * it could not be written, which only costs the next start a probe.
 */
int fs_daemon_cache_put(const char *cache, const char *bin, enum fs_daemon_flavour f);

#endif
