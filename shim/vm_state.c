// SPDX-License-Identifier: Apache-2.0
/* vm_state.c - the bundle's record of per-container artifacts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm_state.h"

void vm_state_dir(const char *bundle, char *out, size_t len)
{
	struct stat st;

	snprintf(out, len, "%s/work", bundle);
	if (stat(out, &st) || !S_ISDIR(st.st_mode))
		snprintf(out, len, "%s", bundle);
}

int vm_state_add(const char *bundle, const char *path)
{
	char file[PATH_MAX];
	FILE *f;
	int ret;

	snprintf(file, sizeof(file), "%s/%s", bundle, VM_STATE_FILE);
	f = fopen(file, "ae");
	if (!f)
		return -errno;
	fprintf(f, "file %s\n", path);
	ret = fclose(f) ? -errno : 0;
	return ret;
}

void vm_state_cleanup(const char *bundle)
{
	char file[PATH_MAX], line[PATH_MAX + 16];
	FILE *f;
	size_t n;

	snprintf(file, sizeof(file), "%s/%s", bundle, VM_STATE_FILE);
	f = fopen(file, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strncmp(line, "file /", 6) && unlink(line + 5) && errno != ENOENT)
			fprintf(stderr, "remove %s: %s\n", line + 5, strerror(errno));
	}
	fclose(f);
	unlink(file);
}
