// SPDX-License-Identifier: Apache-2.0
/* mount_opts.c - mount(8) option words to flags and data (see mount_opts.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "shim/share/mount_opts.h"

struct mount_word {
	const char *name;
	bool clear;		/* the word clears the flag ("rw", "suid") */
	unsigned long flag;	/* 0: known, no flag (propagation, "defaults") */
};

static const struct mount_word words[] = {
	{ "ro", false, MS_RDONLY },	{ "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID },	{ "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV },	{ "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC },	{ "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS }, { "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },
	{ "noatime", false, MS_NOATIME }, { "atime", true, MS_NOATIME },
	{ "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME },
	{ "bind", false, MS_BIND },	{ "rbind", false, MS_BIND | MS_REC },
	{ "defaults", false, 0 },
	{ "private", false, 0 },	{ "rprivate", false, 0 },
	{ "shared", false, 0 },		{ "rshared", false, 0 },
	{ "slave", false, 0 },		{ "rslave", false, 0 },
	{ "unbindable", false, 0 },	{ "runbindable", false, 0 },
};

static const struct mount_word *word_find(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(words[i].name, s))
			return &words[i];
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

int mount_opts_parse(const char *const *opts, size_t n, struct mount_opts *out)
{
	const struct mount_word *w;
	size_t i;

	out->flags = 0;
	out->data = NULL;
	for (i = 0; i < n; i++) {
		w = word_find(opts[i]);
		if (!w) {
			if (data_append(&out->data, opts[i])) {
				mount_opts_clear(out);
				return -ENOMEM;
			}
			continue;
		}
		out->flags = w->clear ? out->flags & ~w->flag : out->flags | w->flag;
	}
	return 0;
}

void mount_opts_clear(struct mount_opts *o)
{
	free(o->data);
	o->data = NULL;
	o->flags = 0;
}
