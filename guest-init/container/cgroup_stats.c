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

#include "guest-init/container/container.h"
#include "guest-init/replies/replies.h"
#include "guest-init/system/system.h"

/* The value of "key N" in a flat-keyed cgroup file, or -1. */
static int64_t cgroup_key(const char *cg, const char *file, const char *key)
{
	char path[PATH_MAX + 32], buf[4096], *p;
	size_t n = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	if (util_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
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

int cgroup_stats(const struct container *c, yajl_gen g, struct husk_error **e)
{
	if (!c->cg[0])
		return husk_err(e, EOPNOTSUPP, "stats of %s: no cgroup v2 hierarchy", c->id);
	json_write_key(g, "cpu");
	yajl_gen_map_open(g);
	json_write_int(g, "usage_usec", cgroup_key(c->cg, "cpu.stat", "usage_usec"));
	json_write_int(g, "user_usec", cgroup_key(c->cg, "cpu.stat", "user_usec"));
	json_write_int(g, "system_usec", cgroup_key(c->cg, "cpu.stat", "system_usec"));
	yajl_gen_map_close(g);
	json_write_key(g, "memory");
	yajl_gen_map_open(g);
	json_write_int(g, "current", cgroup_value(c->cg, "memory.current"));
	json_write_int(g, "max", cgroup_value(c->cg, "memory.max"));
	json_write_int(g, "oom_kill", (long long)cgroup_oom_kills(c));
	yajl_gen_map_close(g);
	json_write_key(g, "pids");
	yajl_gen_map_open(g);
	json_write_int(g, "current", cgroup_value(c->cg, "pids.current"));
	json_write_int(g, "max", cgroup_value(c->cg, "pids.max"));
	yajl_gen_map_close(g);
	json_write_key(g, "io");
	yajl_gen_map_open(g);
	json_write_int(g, "rbytes", cgroup_io(c->cg, "rbytes"));
	json_write_int(g, "wbytes", cgroup_io(c->cg, "wbytes"));
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
