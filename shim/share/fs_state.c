// SPDX-License-Identifier: Apache-2.0
/* fs_state.c - share records and the cleanup after a killed shim (fs_state.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/share/fs_daemon.h"
#include "shim/share/fs_share.h"
#include "shim/share/fs_state.h"
#include "shim/base/bundle_state.h"

#define FS_STATE_KILL_WAIT_MS 3000

int fs_state_share(const char *bundle, const char *root, pid_t pid, unsigned long long start)
{
	int ret = bundle_state_append(bundle, "fs-share %s\n", root);

	if (!ret && pid > 0)
		ret = bundle_state_append(bundle, "fs-daemon %d %llu\n", (int)pid, start);
	return ret;
}

int fs_state_entry(const char *bundle, const char *root, const char *entry)
{
	return bundle_state_append(bundle, "fs-entry %s %s\n", root, entry);
}

/* A recorded root: right under @base, one plain name. */
static bool fs_state_root_ok(const char *root, const char *base)
{
	size_t n = strlen(base);
	const char *name = root + n + 1;

	return !strncmp(root, base, n) && root[n] == '/' && *name && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

static void fs_state_daemon(char *rest, void *opaque)
{
	unsigned long long start = 0;
	int pid = 0;

	(void)opaque;
	if (sscanf(rest, "%d %llu", &pid, &start) == 2 &&
	    fs_daemon_kill_recorded(pid, start, FS_STATE_KILL_WAIT_MS))
		fprintf(stderr, "killed virtiofsd %d of a dead shim\n", pid);
}

static void fs_state_entry_one(char *rest, void *opaque)
{
	char *entry = strchr(rest, ' ');

	if (!entry)
		return;
	*entry++ = '\0';
	if (fs_state_root_ok(rest, opaque))
		fs_share_del(rest, entry);
}

static void fs_state_share_one(char *rest, void *opaque)
{
	if (fs_state_root_ok(rest, opaque))
		fs_share_remove(rest);
}

void fs_state_cleanup(const char *bundle, const char *base)
{
	/* The daemon first: its namespace holds copies of the share's mounts. */
	bundle_state_each(bundle, "fs-daemon", fs_state_daemon, NULL);
	bundle_state_each(bundle, "fs-entry", fs_state_entry_one, (void *)base);
	bundle_state_each(bundle, "fs-share", fs_state_share_one, (void *)base);
}
