// SPDX-License-Identifier: Apache-2.0
/*
 * fs_daemon_args.c - which virtiofsd, which flavour, which arguments
 * (fs_daemon.h); no process is started here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/share/fs_daemon.h"

static bool fs_daemon_runnable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

int fs_daemon_find(const char *configured, const char *const *candidates, char *out, size_t len,
		   struct husk_error **err)
{
	size_t i;

	if (configured && *configured) {
		if (!fs_daemon_runnable(configured))
			return husk_err(
				err, ENOENT,
				"virtiofsd %s (\"virtiofsd\" in the runtime config) is not an executable file",
				configured);
		snprintf(out, len, "%s", configured);
		return 0;
	}
	for (i = 0; candidates && candidates[i]; i++) {
		if (fs_daemon_runnable(candidates[i])) {
			snprintf(out, len, "%s", candidates[i]);
			return 0;
		}
	}
	return husk_err(
		err, ENOENT,
		"virtiofsd not found: install qemu-system-common or set \"virtiofsd\" in /etc/husk/config.json");
}

/* The first number after @p (skipping non-digits on the same line). */
static long fs_daemon_major(const char *p)
{
	while (*p && *p != '\n' && (*p < '0' || *p > '9'))
		p++;
	return *p >= '0' && *p <= '9' ? strtol(p, NULL, 10) : -1;
}

int fs_daemon_flavour(const char *text, enum fs_daemon_flavour *out)
{
	const char *p = text ? strstr(text, "virtiofsd") : NULL;
	long major;

	if (!p)
		return -EINVAL;
	p += strlen("virtiofsd");
	major = fs_daemon_major(p);
	if (major < 0)
		return -EINVAL;
	/*
	 * The C daemon took QEMU's version (5.0 .. 7.2) and says "version";
	 * the Rust daemon counts from 1.0 and prints just the number.
	 */
	*out = major >= 5 ? FS_DAEMON_C : FS_DAEMON_RUST;
	return 0;
}

/* The source option's slot in the templates below. */
#define FS_DAEMON_SOURCE "@source"

int fs_daemon_argv(enum fs_daemon_flavour f, const char *bin, const char *dir,
		   struct fs_daemon_args *a)
{
	/* As Kata runs them: one pool thread, submounts announced (own st_dev). */
	static const char *const c_args[] = { "--fd=3",
					      "-o",
					      FS_DAEMON_SOURCE,
					      "-o",
					      "cache=auto",
					      "-o",
					      "sandbox=namespace",
					      "-o",
					      "announce_submounts",
					      "--thread-pool-size=1",
					      NULL };
	static const char *const rust_args[] = { "--fd=3",
						 FS_DAEMON_SOURCE,
						 "--cache=auto",
						 "--sandbox=namespace",
						 "--announce-submounts",
						 "--thread-pool-size=1",
						 NULL };
	const char *const *t = f == FS_DAEMON_C ? c_args : rust_args;
	size_t n = 0;
	int len;

	/* A comma would end the C daemon's -o value early. */
	if (dir[0] != '/' || (f == FS_DAEMON_C && strchr(dir, ',')))
		return -EINVAL;
	len = snprintf(a->source, sizeof(a->source), "%s%s",
		       f == FS_DAEMON_C ? "source=" : "--shared-dir=", dir);
	if (len < 0 || (size_t)len >= sizeof(a->source))
		return -ENAMETOOLONG;
	a->argv[n++] = bin;
	for (; *t; t++)
		a->argv[n++] = strcmp(*t, FS_DAEMON_SOURCE) ? *t : a->source;
	a->argv[n] = NULL;
	return 0;
}
