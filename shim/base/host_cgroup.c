// SPDX-License-Identifier: Apache-2.0
/*
 * host_cgroup.c - making the pod's cgroup directories under a cgroup
 * mount root, moving the shim into them (noting where it came from),
 * moving it back and removing what it made (host_cgroup.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/host_cgroup.h"
#include "shim/base/shim_log.h"

static bool is_file(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return !stat(p, &st) && S_ISREG(st.st_mode);
}

static bool seen(char (*roots)[PATH_MAX], size_t n, const char *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(roots[i], r))
			return true;
	return false;
}

/*
 * The hierarchies' roots: @root itself on v2; on v1 the mounts of the
 * controllers a pod is charged by, once each (cpu and cpuacct are often
 * one mount, reached through symlinks).
 */
static size_t find_hierarchies(const char *root, char (*roots)[PATH_MAX])
{
	static const char *const v1[] = { "memory", "cpu", "cpuacct", "pids" };
	char p[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t i, n = 0;

	if (is_file(root, "cgroup.controllers")) {
		snprintf(roots[0], PATH_MAX, "%s", root);
		return 1;
	}
	for (i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, v1[i]);
		if (stat(p, &st) || !S_ISDIR(st.st_mode) || !realpath(p, real))
			continue;
		if (!seen(roots, n, real))
			snprintf(roots[n++], PATH_MAX, "%s", real);
	}
	return n;
}

/* mkdir -p @base@rel (@rel is "/a/b"; @base exists), each one made recorded. */
static int make_dirs(struct host_cgroup *cg, const char *base, const char *rel,
		     struct husk_error **err)
{
	char p[PATH_MAX];
	const char *c;

	for (c = rel + 1;; c++) {
		if (*c && *c != '/')
			continue;
		if (snprintf(p, sizeof(p), "%s%.*s", base, (int)(c - rel), rel) >= (int)sizeof(p))
			return husk_err(err, ENAMETOOLONG, "cgroup %s%s", base, rel);
		if (!mkdir(p, 0755)) {
			if (cg->n_made == HOST_CGROUP_MAX_MADE ||
			    !(cg->made[cg->n_made] = strdup(p)))
				return husk_err(err, ENOMEM, "cgroup %s", p);
			cg->n_made++;
		} else if (errno != EEXIST) {
			return husk_err(err, errno, "mkdir %s", p);
		}
		if (!*c)
			return 0;
	}
}

/* Record @root@rel as the cgroup's directory in the hierarchy at @root. */
static int add_dir(struct host_cgroup *cg, const char *root, const char *rel,
		   struct husk_error **err)
{
	char *dir, *r = strdup(root);

	/* asprintf leaves dir undefined on failure: nothing of it to free. */
	if (!r || asprintf(&dir, "%s%s", root, rel) < 0) {
		free(r);
		return husk_err(err, ENOMEM, "cgroup %s", rel);
	}
	cg->dirs[cg->n_dirs] = dir;
	cg->roots[cg->n_dirs++] = r;
	return 0;
}

int host_cgroup_make(struct host_cgroup *cg, const char *root, const char *cgroups_path,
		     struct husk_error **err)
{
	char rel[PATH_MAX], roots[HOST_CGROUP_MAX_HIER][PATH_MAX];
	size_t i, n;
	int ret;

	memset(cg, 0, sizeof(*cg));
	ret = host_cgroup_path(cgroups_path, rel, sizeof(rel), err);
	if (ret)
		return ret;
	n = find_hierarchies(root, roots);
	if (!n)
		return husk_err(err, ENODEV, "no cgroup hierarchy under %s", root);
	for (i = 0; i < n && !ret; i++) {
		ret = make_dirs(cg, roots[i], rel, err);
		if (!ret)
			ret = add_dir(cg, roots[i], rel, err);
	}
	if (ret)
		host_cgroup_leave(cg);
	return ret;
}

/* The hierarchy of @root that a /proc/PID/cgroup line's @ctrls names. */
static int origin_slot(const struct host_cgroup *cg, const char *id, const char *ctrls)
{
	const char *base;
	size_t i;

	for (i = 0; i < cg->n_dirs; i++) {
		base = strrchr(cg->roots[i], '/');
		base = base ? base + 1 : cg->roots[i];
		if (is_file(cg->roots[i], "cgroup.controllers") ? !strcmp(id, "0") && !*ctrls :
								  !strcmp(base, ctrls))
			return (int)i;
	}
	return -1;
}

void host_cgroup_note_origin(struct host_cgroup *cg, const char *proc_cgroup)
{
	char line[PATH_MAX + 64], *ctrls, *path;
	FILE *f = fopen(proc_cgroup, "re");
	int slot;

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ctrls = strchr(line, ':');
		path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!path || path[1] != '/')
			continue;
		*ctrls++ = '\0';
		*path++ = '\0';
		slot = origin_slot(cg, line, ctrls);
		if (slot >= 0 && !cg->origin[slot] &&
		    asprintf(&cg->origin[slot], "%s%s", cg->roots[slot], path) < 0)
			cg->origin[slot] = NULL;
	}
	if (f)
		fclose(f);
}

/* Write @pid into @dir's cgroup.procs. */
static int procs_write(const char *dir, pid_t pid, struct husk_error **err)
{
	char p[PATH_MAX], buf[32];
	int fd, len;

	len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	/* cgroup.procs, not tasks: the whole process, every vCPU thread. */
	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_err(err, errno, "open %s", p);
	if (write(fd, buf, (size_t)len) != len) {
		int e = errno;

		close(fd);
		return husk_err(err, e, "write %d to %s", (int)pid, p);
	}
	close(fd);
	return 0;
}

int host_cgroup_enter(struct host_cgroup *cg, pid_t pid, struct husk_error **err)
{
	size_t i;
	int ret;

	for (i = 0; i < cg->n_dirs; i++) {
		ret = procs_write(cg->dirs[i], pid, err);
		if (ret)
			return ret;
		cg->pid = pid;
	}
	return 0;
}

int host_cgroup_join(struct host_cgroup *cg, const char *root, const char *cgroups_path, pid_t pid,
		     struct husk_error **err)
{
	char proc[64];
	int ret = host_cgroup_make(cg, root, cgroups_path, err);

	if (ret)
		return ret;
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	host_cgroup_note_origin(cg, proc);
	return host_cgroup_enter(cg, pid, err);
}

/* The process entered back where it was, so that its leaf can go. */
static void host_cgroup_return(const struct host_cgroup *cg)
{
	struct husk_error *err = NULL;
	size_t i;

	for (i = 0; cg->pid && i < cg->n_dirs; i++) {
		if (cg->origin[i] && procs_write(cg->origin[i], cg->pid, &err)) {
			shim_debug("cgroup: stays in %s: %s", cg->dirs[i], husk_error_message(err));
			husk_error_free(err);
			err = NULL;
		}
	}
}

void host_cgroup_leave(struct host_cgroup *cg)
{
	size_t i;

	host_cgroup_return(cg);
	for (i = cg->n_made; i-- > 0;) {
		/* Parents first in the list: deepest first here. EBUSY: we are still in it. */
		if (rmdir(cg->made[i]))
			shim_debug("cgroup %s left in place: %s", cg->made[i], strerror(errno));
		free(cg->made[i]);
	}
	for (i = 0; i < cg->n_dirs; i++) {
		free(cg->dirs[i]);
		free(cg->roots[i]);
		free(cg->origin[i]);
	}
	memset(cg, 0, sizeof(*cg));
}
