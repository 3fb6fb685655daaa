/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mount_opts.h - containerd's mount "options" strings (as in a Create
 * request's rootfs mounts) to mount(2) flags and file-system data, the
 * way mount(8) splits them: "ro", "nosuid", "rbind", ... become MS_* bits,
 * propagation words are dropped (the caller decides propagation), and
 * every other option ("lowerdir=...", "index=off") goes to the file
 * system as data.
 */
#ifndef HUSK_SHIM_SHARE_MOUNT_OPTS_H
#define HUSK_SHIM_SHARE_MOUNT_OPTS_H

#include <stddef.h>

struct mount_opts {
	unsigned long flags;	/* MS_* */
	char *data;		/* file-system options, comma-joined; NULL: none */
};

/* mount_opts_parse - fold @n @opts into @out. Returns 0 or -ENOMEM. */
int mount_opts_parse(const char *const *opts, size_t n, struct mount_opts *out);
void mount_opts_clear(struct mount_opts *o);

#endif
