/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mntopt.h - mount "options" strings, as in an OCI spec's mounts (husk-init)
 * and in containerd's rootfs mounts (the shim), to mount(2) flags,
 * propagation and file-system data, the way mount(8) splits them.
 */
#ifndef HUSK_AGENT_CODEC_MNTOPT_H
#define HUSK_AGENT_CODEC_MNTOPT_H

#include <stddef.h>

#include "common/error.h"

struct mntopt {
	unsigned long flags;	   /* MS_* for the mount itself */
	unsigned long propagation; /* MS_PRIVATE, MS_SHARED, ... | MS_REC */
	char *data;		   /* file-system options, comma-joined; malloc'd */
};

/*
 * mntopt_parse - fold @opts (NULL-terminated) into @out. Flags known to
 * mount(8) become MS_* bits, "bind"/"rbind" become MS_BIND[|MS_REC], the
 * rest is passed to the file system as data. Returns 0 or -errno.
 */
int mntopt_parse(const char *const *opts, struct mntopt *out, struct husk_error **e);

/* mntopt_parse_list - the same for @n options (containerd's counted lists). */
int mntopt_parse_list(const char *const *opts, size_t n, struct mntopt *out, struct husk_error **e);

/* mntopt_clear - free @o's data and zero it. */
void mntopt_clear(struct mntopt *o);

#endif
