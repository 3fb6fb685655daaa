/* SPDX-License-Identifier: Apache-2.0 */
/* mntopt.h - OCI mount "options" strings to mount(2) flags and data. */
#ifndef HUSK_AGENT_CODEC_MNTOPT_H
#define HUSK_AGENT_CODEC_MNTOPT_H

#include "common/error.h"

struct mntopt {
	unsigned long flags;		/* MS_* for the mount itself */
	unsigned long propagation;	/* MS_PRIVATE, MS_SHARED, ... | MS_REC */
	char *data;			/* file-system options, comma-joined; malloc'd */
};

/*
 * mntopt_parse - fold @opts (NULL-terminated) into @out. Flags known to
 * mount(8) become MS_* bits, "bind"/"rbind" become MS_BIND[|MS_REC], the
 * rest is passed to the file system as data. Returns 0 or -errno.
 */
int mntopt_parse(const char *const *opts, struct mntopt *out, struct husk_error **e);

#endif
