// SPDX-License-Identifier: Apache-2.0
/* mntopt.c - the mount(8) option vocabulary the OCI spec uses (see mntopt.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "agent-codec/mntopt.h"

struct opt {
	const char *name;
	bool clear; /* the option clears the flag ("rw", "suid") */
	unsigned long flag;
};

static const struct opt flag_opts[] = {
	{ "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID },
	{ "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV },
	{ "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC },
	{ "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS },
	{ "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },
	{ "noatime", false, MS_NOATIME },
	{ "atime", true, MS_NOATIME },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "diratime", true, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME },
	{ "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME },
	{ "nostrictatime", true, MS_STRICTATIME },
	{ "bind", false, MS_BIND },
	{ "rbind", false, MS_BIND | MS_REC },
	{ "remount", false, MS_REMOUNT },
	{ "defaults", false, 0 }, /* mount(8)'s "no options": nothing to set */
	{ "mand", false, 0 },
	{ "nomand", false, 0 },
	{ "tmpcopyup", false, 0 },
};

static const struct opt prop_opts[] = {
	{ "private", false, MS_PRIVATE },	{ "rprivate", false, MS_PRIVATE | MS_REC },
	{ "shared", false, MS_SHARED },		{ "rshared", false, MS_SHARED | MS_REC },
	{ "slave", false, MS_SLAVE },		{ "rslave", false, MS_SLAVE | MS_REC },
	{ "unbindable", false, MS_UNBINDABLE }, { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

static const struct opt *opt_find(const struct opt *tab, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tab[i].name, s) == 0)
			return &tab[i];
	return NULL;
}

static int data_append(char **data, const char *opt)
{
	size_t old = *data ? strlen(*data) : 0, add = strlen(opt);
	char *p = realloc(*data, old + add + 2);

	if (!p)
		return -ENOMEM;
	if (old)
		p[old++] = ',';
	memcpy(p + old, opt, add + 1);
	*data = p;
	return 0;
}

int mntopt_parse_list(const char *const *opts, size_t n, struct mntopt *out, struct husk_error **e)
{
	const struct opt *o;
	size_t i;

	out->flags = out->propagation = 0;
	out->data = NULL;
	for (i = 0; i < n; i++) {
		o = opt_find(flag_opts, sizeof(flag_opts) / sizeof(*o), opts[i]);
		if (o) {
			out->flags = o->clear ? out->flags & ~o->flag : out->flags | o->flag;
			continue;
		}
		o = opt_find(prop_opts, sizeof(prop_opts) / sizeof(*o), opts[i]);
		if (o) {
			out->propagation = o->flag;
			continue;
		}
		if (data_append(&out->data, opts[i]) < 0) {
			mntopt_clear(out);
			return husk_err(e, ENOMEM, "mount option %s", opts[i]);
		}
	}
	return 0;
}

int mntopt_parse(const char *const *opts, struct mntopt *out, struct husk_error **e)
{
	size_t n = 0;

	while (opts && opts[n])
		n++;
	return mntopt_parse_list(opts, n, out, e);
}

void mntopt_clear(struct mntopt *o)
{
	free(o->data);
	o->data = NULL;
	o->flags = o->propagation = 0;
}
