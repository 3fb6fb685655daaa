// SPDX-License-Identifier: Apache-2.0
/*
 * warm_failed.c - a failed spare's log and console kept in
 * WARM_FAILED_DIR (the newest WARM_FAILED_KEEP), and its replacement
 * (warm_failed.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/bundle_state.h"
#include "shim/warm/warm_failed.h"

struct kept {
	char name[WARM_NAME_MAX];
	long long mtime_ns;
};

static int by_age(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	return (x->mtime_ns > y->mtime_ns) - (x->mtime_ns < y->mtime_ns);
}

static void remove_kept(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.log", WARM_FAILED_DIR, name);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.console", WARM_FAILED_DIR, name);
	unlink(path);
}

/* All but the newest WARM_FAILED_KEEP spares' files go (the oldest by the log's mtime). */
static void prune(void)
{
	struct kept *all = NULL, *grown;
	size_t n = 0, cap = 0, len;
	struct dirent *de;
	struct stat st;
	char path[PATH_MAX];
	DIR *d = opendir(WARM_FAILED_DIR);

	while (d && (de = readdir(d))) {
		len = strlen(de->d_name);
		if (len <= 4 || len - 4 >= WARM_NAME_MAX || strcmp(de->d_name + len - 4, ".log"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", WARM_FAILED_DIR, de->d_name);
		if (stat(path, &st))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(all, cap * sizeof(*all));
			if (!grown)
				break;
			all = grown;
		}
		snprintf(all[n].name, sizeof(all[n].name), "%.*s", (int)(len - 4), de->d_name);
		all[n++].mtime_ns = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
	}
	if (d)
		closedir(d);
	qsort(all, n, sizeof(*all), by_age);
	for (size_t i = 0; n > WARM_FAILED_KEEP && i < n - WARM_FAILED_KEEP; i++)
		remove_kept(all[i].name);
	free(all);
}

int warm_failed_keep(const char *name, const char *dir, char *kept, size_t len)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct stat st;
	int ret = warm_dir_make(WARM_FAILED_DIR, NULL);

	if (ret)
		return ret;
	snprintf(from, sizeof(from), "%s/shim.log", dir);
	snprintf(to, sizeof(to), "%s/%s.log", WARM_FAILED_DIR, name);
	/* rename, not copy: the log's open fd (stderr) follows the file. */
	if (rename(from, to))
		ret = -errno;
	snprintf(kept, len, "%s", ret ? "" : to);
	snprintf(from, sizeof(from), "%s/%s", dir, BUNDLE_CONSOLE_FILE);
	snprintf(to, sizeof(to), "%s/%s.console", WARM_FAILED_DIR, name);
	/* A VM that never ran has written nothing: no empty file is kept. */
	if (!stat(from, &st) && st.st_size > 0 && rename(from, to) && !ret)
		ret = -errno;
	prune();
	return ret;
}

unsigned warm_failed_attempt(void)
{
	const char *v = getenv(WARM_ATTEMPT_ENV);
	char *end;
	unsigned long n = v ? strtoul(v, &end, 10) : 1;

	if (!v || *end || n < 1 || n > WARM_RESPAWN_MAX)
		n = 1;
	unsetenv(WARM_ATTEMPT_ENV);
	return (unsigned)n;
}

unsigned warm_failed_backoff_ms(unsigned attempt)
{
	return 1000u << (attempt > 1 ? (attempt - 1 < 4 ? attempt - 1 : 4) : 0);
}

int warm_failed_respawn(const char *config_path, bool debug, unsigned attempt,
			struct husk_error **err)
{
	char v[16];
	int ret;

	snprintf(v, sizeof(v), "%u", attempt + 1);
	if (setenv(WARM_ATTEMPT_ENV, v, 1))
		return husk_err(err, errno, "setenv %s", WARM_ATTEMPT_ENV);
	ret = warm_pool_spawn(config_path, debug, err);
	unsetenv(WARM_ATTEMPT_ENV);
	return ret;
}
