// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup.c - one cgroup v2 folder per container under the agent's cgroup
 * root, with the spec's memory, cpu and pids limits. In a VM the root is
 * the hierarchy's top (/sys/fs/cgroup): husk-init stays in the top cgroup,
 * which the "no internal processes" rule does not bind. In test mode the
 * root is a folder the test names, below the test's own cgroup.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

static const char *const cg_wanted[] = { "cpu", "cpuset", "io", "memory", "pids" };

int cgroup_write(const char *dir, const char *file, const char *val, struct husk_error **e)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return husk_err(e, ENAMETOOLONG, "cgroup file %s", file);
	return util_write_file(path, val, strlen(val), e);
}

/* Enable what @dir's parent offers for @dir's children; what is not
 * offered stays off, and CREATE refuses limits that need it. */
static void cgroup_enable(const char *dir)
{
	struct husk_error *e = NULL;
	char cmd[16];
	size_t i;

	for (i = 0; i < sizeof(cg_wanted) / sizeof(cg_wanted[0]); i++) {
		snprintf(cmd, sizeof(cmd), "+%s", cg_wanted[i]);
		cgroup_write(dir, "cgroup.subtree_control", cmd, &e);
	}
	husk_error_free(e);
}

int cgroup_setup(struct agent *ag, const char *dir, struct husk_error **e)
{
	char path[PATH_MAX + 32], parent[sizeof(ag->cg_root)];
	ssize_t n;

	if (util_mkdir_p(dir, 0755, e) < 0)
		return -husk_error_errno(*e);
	snprintf(parent, sizeof(parent), "%s", dir);
	if (strrchr(parent, '/') && strrchr(parent, '/') != parent)
		*strrchr(parent, '/') = '\0';
	if (!ag->vm)
		cgroup_enable(parent);
	cgroup_enable(dir);
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	n = util_read_file(path, ag->cg_ctrls, sizeof(ag->cg_ctrls));
	if (n < 0)
		return husk_err(e, (int)-n, "%s is not a cgroup v2 folder", dir);
	ag->cg_ctrls[strcspn(ag->cg_ctrls, "\n")] = '\0';
	snprintf(ag->cg_root, sizeof(ag->cg_root), "%s", dir);
	return 0;
}

static bool cgroup_has(const struct agent *ag, const char *ctrl)
{
	const char *p = ag->cg_ctrls;
	size_t n = strlen(ctrl);

	while ((p = strstr(p, ctrl))) {
		if ((p == ag->cg_ctrls || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static int cgroup_set(const struct container *c, const char *ctrl, const char *file, int64_t v,
		      struct husk_error **e)
{
	char val[32];

	if (v == SPEC_UNSET)
		return 0;
	if (!cgroup_has(c->ag, ctrl))
		return husk_err(e, EOPNOTSUPP, "%s: the %s controller is not available", file,
				ctrl);
	if (v < 0)
		snprintf(val, sizeof(val), "max");
	else
		snprintf(val, sizeof(val), "%" PRId64, v);
	return cgroup_write(c->cg, file, val, e);
}

/* OCI's swap is memory+swap; cgroup v2's swap.max is swap alone. */
static int cgroup_memory(const struct container *c, const struct spec_resources *r,
			 struct husk_error **e)
{
	int64_t swap = r->mem_swap;

	if (swap > 0 && r->mem_limit > 0)
		swap = swap >= r->mem_limit ? swap - r->mem_limit : 0;
	if (cgroup_set(c, "memory", "memory.max", r->mem_limit, e) < 0 ||
	    cgroup_set(c, "memory", "memory.low", r->mem_reservation, e) < 0)
		return -husk_error_errno(*e);
	/* without swap accounting the file is missing: nothing to limit */
	if (swap != SPEC_UNSET && cgroup_set(c, "memory", "memory.swap.max", swap, e) < 0 &&
	    husk_error_errno(*e) != ENOENT)
		return -husk_error_errno(*e);
	return 0;
}

static int cgroup_cpu(const struct container *c, const struct spec_resources *r,
		      struct husk_error **e)
{
	char val[48];
	int64_t weight = SPEC_UNSET;

	/* shares 2..262144 map linearly onto weight 1..10000 */
	if (r->cpu_shares > 0)
		weight = 1 + ((r->cpu_shares < 2 ? 2 : r->cpu_shares) - 2) * 9999 / 262142;
	if (weight > 10000)
		weight = 10000;
	if (cgroup_set(c, "cpu", "cpu.weight", weight, e) < 0)
		return -husk_error_errno(*e);
	if (r->cpu_quota != SPEC_UNSET || r->cpu_period != SPEC_UNSET) {
		if (!cgroup_has(c->ag, "cpu"))
			return husk_err(e, EOPNOTSUPP,
					"cpu.max: the cpu controller is not available");
		if (r->cpu_quota > 0)
			snprintf(val, sizeof(val), "%" PRId64 " %" PRId64, r->cpu_quota,
				 r->cpu_period > 0 ? r->cpu_period : 100000);
		else
			snprintf(val, sizeof(val), "max %" PRId64,
				 r->cpu_period > 0 ? r->cpu_period : 100000);
		if (cgroup_write(c->cg, "cpu.max", val, e) < 0)
			return -husk_error_errno(*e);
	}
	if (r->cpus && r->cpus[0] && cgroup_write(c->cg, "cpuset.cpus", r->cpus, e) < 0)
		return -husk_error_errno(*e);
	if (r->mems && r->mems[0] && cgroup_write(c->cg, "cpuset.mems", r->mems, e) < 0)
		return -husk_error_errno(*e);
	return 0;
}

static int cgroup_unified(const struct container *c, yajl_val u, struct husk_error **e)
{
	size_t i;

	for (i = 0; u && i < u->u.object.len; i++) {
		const char *k = u->u.object.keys[i];
		yajl_val v = u->u.object.values[i];

		if (!YAJL_IS_STRING(v) || strchr(k, '/') || k[0] == '.' || !k[0])
			return husk_err(e, 0, "linux.resources.unified \"%.60s\" is not valid", k);
		if (cgroup_write(c->cg, k, v->u.string, e) < 0)
			return -husk_error_errno(*e);
	}
	return 0;
}

/* The limits @r sets; what it leaves SPEC_UNSET is not touched. */
static int cgroup_apply(const struct container *c, const struct spec_resources *r,
			struct husk_error **e)
{
	if (cgroup_memory(c, r, e) < 0 || cgroup_cpu(c, r, e) < 0 ||
	    cgroup_set(c, "pids", "pids.max", r->pids_limit, e) < 0 ||
	    cgroup_unified(c, r->unified, e) < 0)
		return husk_err_wrap(e, "cgroup %s", c->id);
	return 0;
}

int cgroup_create(struct container *c, const struct spec_resources *r, struct husk_error **e)
{
	if (!c->ag->cg_root[0]) {
		if (r->mem_limit != SPEC_UNSET || r->pids_limit != SPEC_UNSET ||
		    r->cpu_quota != SPEC_UNSET || r->cpu_shares != SPEC_UNSET)
			return husk_err(e, EOPNOTSUPP,
					"resource limits without a cgroup v2 hierarchy");
		return 0;
	}
	snprintf(c->cg, sizeof(c->cg), "%s/%s", c->ag->cg_root, c->id);
	if (mkdir(c->cg, 0755) < 0) {
		husk_err(e, errno, "mkdir %s", c->cg);
		c->cg[0] = '\0';
		return -husk_error_errno(*e);
	}
	return cgroup_apply(c, r, e);
}

int cgroup_update(const struct container *c, const struct spec_resources *r, struct husk_error **e)
{
	if (!c->cg[0])
		return husk_err(e, ENOTSUP,
				"update %s: the container has no cgroup (no cgroup v2 here)",
				c->id);
	return cgroup_apply(c, r, e);
}

int cgroup_attach(const struct container *c, pid_t pid, struct husk_error **e)
{
	char val[16];

	if (!c->cg[0])
		return 0;
	snprintf(val, sizeof(val), "%d", (int)pid);
	return cgroup_write(c->cg, "cgroup.procs", val, e);
}

void cgroup_kill(const struct container *c, int sig)
{
	char path[PATH_MAX + 16], line[32];
	struct husk_error *e = NULL;
	FILE *f;
	int ret;

	if (!c->cg[0])
		return;
	ret = sig == SIGKILL ? cgroup_write(c->cg, "cgroup.kill", "1", &e) : -1;
	husk_error_free(e);
	if (ret == 0)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", c->cg);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		kill((pid_t)atoi(line), sig);
	fclose(f);
}

/* Removing waits briefly: the kernel frees a cgroup only after its last
 * process is reaped, which the SIGCHLD handling does on the next turns. */
int cgroup_remove(struct container *c, struct husk_error **e)
{
	int i;

	if (!c->cg[0])
		return 0;
	for (i = 0; i < 200; i++) {
		if (rmdir(c->cg) == 0 || errno == ENOENT) {
			c->cg[0] = '\0';
			return 0;
		}
		if (errno != EBUSY)
			break;
		proc_reap(c->ag);
		usleep(5000);
	}
	return husk_err(e, errno, "rmdir %s", c->cg);
}
