// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup_stats.c - reading a container's cgroup: STATS and PIDS replies,
 * and the OOM kill counter of memory.events (watched with inotify, which
 * cgroup v2 signals when the file's values change).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-init/container/cgroup_keys.h"
#include "guest-init/container/container.h"
#include "guest-init/replies/replies.h"
#include "guest-init/system/system.h"

/* Fill @vals with the values of @keys in @cg/@file (each -1 when missing),
 * reading the file once. 8 KiB holds a memory.stat of every kernel we
 * boot (about 2 KiB); cgroup_keys_pick ignores a line cut off at the end. */
static void cgroup_keys(const char *cg, const char *file, const char *const *keys, int64_t *vals,
			size_t n)
{
	char path[PATH_MAX + 32], buf[8192];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	if (util_read_file(path, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	cgroup_keys_pick(buf, keys, vals, n);
}

/* The value of "key N" in a flat-keyed cgroup file, or -1. */
static int64_t cgroup_key(const char *cg, const char *file, const char *key)
{
	int64_t v;

	cgroup_keys(cg, file, &key, &v, 1);
	return v;
}

/* A single-value file; "max" reads as -1, a missing file as -1. */
static int64_t cgroup_value(const char *cg, const char *file)
{
	char path[PATH_MAX + 32], buf[64];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	if (util_read_file(path, buf, sizeof(buf)) <= 0 || strncmp(buf, "max", 3) == 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/* Sum of one io.stat field over every device line. */
static int64_t cgroup_io(const char *cg, const char *field)
{
	char path[PATH_MAX + 32], buf[8192], *p;
	size_t n = strlen(field);
	int64_t sum = 0;

	snprintf(path, sizeof(path), "%s/io.stat", cg);
	if (util_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; (p = strstr(p, field)); p += n)
		if ((p == buf || p[-1] == ' ') && p[n] == '=')
			sum += strtoll(p + n + 1, NULL, 10);
	return sum;
}

uint64_t cgroup_oom_kills(const struct container *c)
{
	int64_t v = c->cg[0] ? cgroup_key(c->cg, "memory.events", "oom_kill") : -1;

	return v < 0 ? 0 : (uint64_t)v;
}

/* The keys of cpu.stat and memory.stat STATS reports, by their kernel names
 * (the reply uses the same names; the shim maps them to cgroups v2
 * Metrics). The kubelet's working set is memory.current - inactive_file,
 * its RSS is anon. */
static const char *const cpu_keys[] = { "usage_usec", "user_usec",    "system_usec",
					"nr_periods", "nr_throttled", "throttled_usec" };
static const char *const memory_keys[] = {
	"anon",		 "file",	"kernel_stack",	 "slab",	   "sock",
	"shmem",	 "file_mapped", "file_dirty",	 "file_writeback", "anon_thp",
	"inactive_anon", "active_anon", "inactive_file", "active_file",	   "unevictable",
	"pgfault",	 "pgmajfault",
};
#define N_CPU_KEYS    (sizeof(cpu_keys) / sizeof(cpu_keys[0]))
#define N_MEMORY_KEYS (sizeof(memory_keys) / sizeof(memory_keys[0]))

/* Write "key": value for each of @n keys (-1: could not be read). */
static void cgroup_write_keys(yajl_gen g, const char *const *keys, const int64_t *vals, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_write_int(g, keys[i], vals[i]);
}

static void cgroup_stats_cpu(const struct container *c, yajl_gen g)
{
	int64_t vals[N_CPU_KEYS];

	cgroup_keys(c->cg, "cpu.stat", cpu_keys, vals, N_CPU_KEYS);
	json_write_key(g, "cpu");
	yajl_gen_map_open(g);
	cgroup_write_keys(g, cpu_keys, vals, N_CPU_KEYS);
	yajl_gen_map_close(g);
}

static void cgroup_stats_memory(const struct container *c, yajl_gen g)
{
	int64_t vals[N_MEMORY_KEYS];

	cgroup_keys(c->cg, "memory.stat", memory_keys, vals, N_MEMORY_KEYS);
	json_write_key(g, "memory");
	yajl_gen_map_open(g);
	json_write_int(g, "current", cgroup_value(c->cg, "memory.current"));
	json_write_int(g, "max", cgroup_value(c->cg, "memory.max"));
	json_write_int(g, "oom_kill", (long long)cgroup_oom_kills(c));
	cgroup_write_keys(g, memory_keys, vals, N_MEMORY_KEYS);
	yajl_gen_map_close(g);
}

int cgroup_stats(const struct container *c, yajl_gen g, struct husk_error **e)
{
	if (!c->cg[0])
		return husk_err(e, EOPNOTSUPP, "stats of %s: no cgroup v2 hierarchy", c->id);
	cgroup_stats_cpu(c, g);
	cgroup_stats_memory(c, g);
	json_write_key(g, "pids");
	yajl_gen_map_open(g);
	json_write_int(g, "current", cgroup_value(c->cg, "pids.current"));
	json_write_int(g, "max", cgroup_value(c->cg, "pids.max"));
	yajl_gen_map_close(g);
	json_write_key(g, "io");
	yajl_gen_map_open(g);
	json_write_int(g, "rbytes", cgroup_io(c->cg, "rbytes"));
	json_write_int(g, "wbytes", cgroup_io(c->cg, "wbytes"));
	json_write_int(g, "rios", cgroup_io(c->cg, "rios"));
	json_write_int(g, "wios", cgroup_io(c->cg, "wios"));
	yajl_gen_map_close(g);
	return 0;
}

static void cgroup_pids_known(const struct container *c, yajl_gen g)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &c->procs) {
		struct proc *p = container_of(pos, struct proc, link);

		if (p->state != PROC_EXITED)
			yajl_gen_integer(g, p->pid);
	}
}

int cgroup_pids(const struct container *c, yajl_gen g, struct husk_error **e)
{
	char path[PATH_MAX + 16], line[32];
	FILE *f = NULL;

	json_write_key(g, "pids");
	yajl_gen_array_open(g);
	if (c->cg[0]) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", c->cg);
		f = fopen(path, "re");
	}
	if (f) {
		while (fgets(line, sizeof(line), f))
			yajl_gen_integer(g, atoi(line));
		fclose(f);
	} else {
		cgroup_pids_known(c, g); /* no cgroup: the processes we started */
	}
	yajl_gen_array_close(g);
	return 0;
}

void cgroup_oom_check(struct container *c)
{
	uint64_t kills = cgroup_oom_kills(c);
	yajl_gen g;

	if (kills <= c->oom_kills)
		return;
	c->oom_kills = kills;
	g = reply_gen();
	if (!g)
		return;
	json_write_string(g, "id", c->id);
	event_broadcast(c->ag, HUSK_MSG_EVENT_OOM, g);
}

void cgroup_oom_event(struct agent *ag, int wd)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &ag->containers) {
		struct container *c = container_of(pos, struct container, link);

		if (c->oom_wd == wd) {
			cgroup_oom_check(c);
			return;
		}
	}
}
