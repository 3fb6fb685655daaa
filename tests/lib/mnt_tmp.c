// SPDX-License-Identifier: Apache-2.0
/* mnt_tmp.c - temp folders with mounts in them, for tests (mnt_tmp.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/mnt_tmp.h"

void mnt_tmp_make(const char *parent, const char *prefix, char *out)
{
	snprintf(out, 128, "%s/%s-XXXXXX", parent, prefix);
	if (!mkdtemp(out))
		abort();
}

void mnt_tmp_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], *p;
	FILE *f;

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

const char *mnt_tmp_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Mount point @mp (octal escapes as mountinfo writes them) is @path or below. */
static int mnt_tmp_below(const char *mp, const char *path)
{
	size_t n = strlen(path);

	return !strncmp(mp, path, n) && (mp[n] == '\0' || mp[n] == '/');
}

/* The mount points below @path, deepest (longest) last; count returned. */
static int mnt_tmp_list(const char *path, char list[][PATH_MAX], int max)
{
	char line[8192], mp[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int n = 0;

	if (!f)
		abort();
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && mnt_tmp_below(mp, path)) {
			if (list && n < max)
				snprintf(list[n], PATH_MAX, "%s", mp);
			n++;
		}
	}
	fclose(f);
	return n;
}

int mnt_tmp_count(const char *path)
{
	return mnt_tmp_list(path, NULL, 0);
}

void mnt_tmp_remove(const char *dir)
{
	static char list[256][PATH_MAX];
	char cmd[PATH_MAX + 16];
	int n, i, rounds;

	for (rounds = 0; rounds < 16 && (n = mnt_tmp_list(dir, list, 256)) > 0; rounds++)
		for (i = (n > 256 ? 256 : n) - 1; i >= 0; i--)
			umount2(list[i], MNT_DETACH);
	if (mnt_tmp_count(dir)) {
		fprintf(stderr, "mnt_tmp_remove: %s still has mounts, not removed\n", dir);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "mnt_tmp_remove: %s failed\n", cmd);
}
