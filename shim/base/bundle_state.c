// SPDX-License-Identifier: Apache-2.0
/* bundle_state.c - the bundle's record of per-container artifacts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim/base/bundle_state.h"

void bundle_state_dir(const char *bundle, char *out, size_t len)
{
	struct stat st;

	snprintf(out, len, "%s/work", bundle);
	if (stat(out, &st) || !S_ISDIR(st.st_mode))
		snprintf(out, len, "%s", bundle);
}

int bundle_state_append(const char *bundle, const char *fmt, ...)
{
	char file[PATH_MAX];
	va_list ap;
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s", bundle, BUNDLE_STATE_FILE);
	f = fopen(file, "ae");
	if (!f)
		return -errno;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f) ? -errno : 0;
}

void bundle_state_each(const char *bundle, const char *kind, void (*fn)(char *rest, void *opaque),
		       void *opaque)
{
	char file[PATH_MAX], line[PATH_MAX + 64];
	size_t n, k = strlen(kind);
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s", bundle, BUNDLE_STATE_FILE);
	f = fopen(file, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strncmp(line, kind, k) && line[k] == ' ')
			fn(line + k + 1, opaque);
	}
	fclose(f);
}

int bundle_state_add(const char *bundle, const char *path)
{
	return bundle_state_append(bundle, "file %s\n", path);
}

int bundle_state_add_dir(const char *bundle, const char *path)
{
	return bundle_state_append(bundle, "dir %s\n", path);
}

static void bundle_state_unlink(char *path, void *opaque)
{
	(void)opaque;
	if (path[0] == '/' && unlink(path) && errno != ENOENT)
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
}

static void bundle_state_rmdir(char *path, void *opaque)
{
	(void)opaque;
	if (path[0] == '/' && rmdir(path) && errno != ENOENT)
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
}

void bundle_state_cleanup(const char *bundle)
{
	char file[PATH_MAX];

	bundle_state_each(bundle, "file", bundle_state_unlink, NULL);
	bundle_state_each(bundle, "dir", bundle_state_rmdir, NULL); /* emptied by the files */
	snprintf(file, sizeof(file), "%s/%s", bundle, BUNDLE_STATE_FILE);
	unlink(file);
}
