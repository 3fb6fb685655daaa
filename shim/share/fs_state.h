/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_state.h - the share's lines in a bundle's state file (bundle_state.h),
 * written before what they name is made, so that `delete` after a
 * killed shim removes it:
 *
 *   fs-share ROOT            the sandbox's share folder (fs_share.h)
 *   fs-daemon PID START      its virtiofsd (pid and /proc start time)
 *   fs-entry ROOT ENTRY      one of this container's entries
 *
 * Every container of the sandbox records the share and the daemon, not
 * only the one that booted the VM: containerd may delete the bundles in
 * any order, and whichever `delete` comes first after the shim died
 * must find them. That is safe because the VM died with the shim.
 */
#ifndef HUSK_SHIM_SHARE_FS_STATE_H
#define HUSK_SHIM_SHARE_FS_STATE_H

#include <sys/types.h>

/* fs_state_share - the share and its daemon (@pid 0: none yet). Returns 0 or -errno. */
int fs_state_share(const char *bundle, const char *root, pid_t pid, unsigned long long start);

/* fs_state_entry - one entry of the bundle's container. Returns 0 or -errno. */
int fs_state_entry(const char *bundle, const char *root, const char *entry);

/*
 * fs_state_cleanup - after a killed shim: SIGKILL the recorded daemons
 * that still run, remove the recorded entries, then the shares. Roots
 * outside @base (FS_SHARE_BASE) are ignored: a record never makes this
 * touch another place.
 */
void fs_state_cleanup(const char *bundle, const char *base);

#endif
