// SPDX-License-Identifier: Apache-2.0
/* t_cgroup.c - memory limit, OOM kill report, stats, pause and resume
 * (cgroup v2 only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/agent/suite.h"

#define MiB (1024LL * 1024)

static void t_oom(struct suite *s)
{
	struct tspec t = { .sh = "exec dd if=/dev/zero of=/dev/null bs=96M count=1",
			   .mem_limit = 32 * MiB };
	struct ac_msg *ev;
	struct tresult r;

	if (run_container(s, "cg-oom", &t, NULL, 0, &r) < 0)
		suite_fail(s, "memory-limit-oom", "%s", r.why);
	else if (r.signal != 9 || !r.oom)
		suite_fail(s, "memory-limit-oom",
			   "signal %lld oom %d, wanted 9 and true (stderr %s)", r.signal, r.oom,
			   r.err.data ? r.err.data : "");
	else
		suite_pass(s, "memory-limit-oom");
	tresult_free(&r);
	ev = ac_event(s->ac, HUSK_MSG_EVENT_OOM, "cg-oom", NULL, 5000);
	if (!ev)
		suite_fail(s, "oom-event", "no OOM event for cg-oom");
	else
		suite_pass(s, "oom-event");
	ac_msg_free(ev);
}

/* memory.stat reaches the reply: a running sleep has anonymous memory
 * (its stack, its heap) and faulted pages in; inactive_file (the kubelet's
 * working set subtracts it) is there, if possibly 0. */
static void stats_memory_stat(struct suite *s, const struct ac_msg *m)
{
	const char *anon[] = { "memory", "anon", NULL },
		   *inf[] = { "memory", "inactive_file", NULL },
		   *pgf[] = { "memory", "pgfault", NULL }, *rios[] = { "io", "rios", NULL };
	yajl_val va = yajl_tree_get(m->tree, anon, yajl_t_number);
	yajl_val vi = yajl_tree_get(m->tree, inf, yajl_t_number);
	yajl_val vf = yajl_tree_get(m->tree, pgf, yajl_t_number);
	yajl_val vr = yajl_tree_get(m->tree, rios, yajl_t_number);

	if (!va || YAJL_GET_INTEGER(va) <= 0 || !vi || YAJL_GET_INTEGER(vi) < 0 || !vf ||
	    YAJL_GET_INTEGER(vf) <= 0 || !vr)
		suite_fail(s, "stats-memory-stat", "anon, inactive_file, pgfault, rios in %s",
			   m->payload);
	else
		suite_pass(s, "stats-memory-stat");
}

static void t_stats(struct suite *s)
{
	struct tspec t = { .sh = "exec sleep 1003", .mem_limit = 48 * MiB };
	char why[512] = "";
	struct ac_msg *m = NULL;

	if (start_sleeper(s, "cg-stats", &t, why) < 0 ||
	    !(m = must(s, HUSK_MSG_STATS, "{\"id\":\"cg-stats\"}", why))) {
		suite_fail(s, "stats", "%s", why);
	} else {
		const char *mem[] = { "memory", "max", NULL },
			   *cur[] = { "memory", "current", NULL };
		const char *pids[] = { "pids", "current", NULL },
			   *cpu[] = { "cpu", "usage_usec", NULL };
		yajl_val vmax = yajl_tree_get(m->tree, mem, yajl_t_number);
		yajl_val vcur = yajl_tree_get(m->tree, cur, yajl_t_number);
		yajl_val vp = yajl_tree_get(m->tree, pids, yajl_t_number);
		yajl_val vc = yajl_tree_get(m->tree, cpu, yajl_t_number);

		if (!vmax || YAJL_GET_INTEGER(vmax) != 48 * MiB || !vcur ||
		    YAJL_GET_INTEGER(vcur) <= 0 || !vp || YAJL_GET_INTEGER(vp) < 1 || !vc ||
		    YAJL_GET_INTEGER(vc) < 0)
			suite_fail(s, "stats", "unexpected %s", m->payload);
		else
			suite_pass(s, "stats");
		stats_memory_stat(s, m);
	}
	ac_msg_free(m);
	ac_msg_free(ac_call(s->ac, HUSK_MSG_DELETE, "{\"id\":\"cg-stats\"}", 30000));
}

/* cpu.stat usage_usec of container @id, or -1 (with @why filled). */
static long long cpu_usec(struct suite *s, const char *id, char *why)
{
	const char *path[] = { "cpu", "usage_usec", NULL };
	char json[128];
	struct ac_msg *m;
	yajl_val v;
	long long us = -1;

	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	m = must(s, HUSK_MSG_STATS, json, why);
	if (m && (v = yajl_tree_get(m->tree, path, yajl_t_number)))
		us = YAJL_GET_INTEGER(v);
	else if (m)
		snprintf(why, 512, "no cpu.usage_usec in %s", m->payload);
	ac_msg_free(m);
	return us;
}

/* PAUSE or RESUME of cg-pause; -1 with @why filled on failure. */
static int freeze(struct suite *s, uint16_t type, char *why)
{
	struct ac_msg *m = must(s, type, "{\"id\":\"cg-pause\"}", why);

	ac_msg_free(m);
	return m ? 0 : -1;
}

/* A busy container is paused: its CPU time stands still while paused
 * (the freeze is complete when PAUSE answers), and moves after RESUME. */
static int pause_check(struct suite *s, char *why)
{
	struct tspec t = { .sh = "while :; do :; done" };
	long long a, b, c = -1;
	int i;

	if (start_sleeper(s, "cg-pause", &t, why) < 0 || freeze(s, HUSK_MSG_PAUSE, why) < 0)
		return -1;
	a = cpu_usec(s, "cg-pause", why);
	usleep(300 * 1000);
	b = cpu_usec(s, "cg-pause", why);
	if (a < 0 || b < 0 || freeze(s, HUSK_MSG_RESUME, why) < 0)
		return -1;
	for (i = 0; i < 100 && (c = cpu_usec(s, "cg-pause", why)) == b; i++)
		usleep(50 * 1000);
	if (a == b && c > b)
		return 0;
	snprintf(why, 512, "cpu usage_usec while paused %lld then %lld, after resume %lld", a, b,
		 c);
	return -1;
}

/* UPDATE raises the memory limit and sets a pids limit of a running
 * container; STATS reads them back. A malformed UPDATE is refused. */
static int update_check(struct suite *s, char *why)
{
	const char *mem[] = { "memory", "max", NULL }, *pids[] = { "pids", "max", NULL };
	struct tspec t = { .sh = "exec sleep 1004", .mem_limit = 48 * MiB };
	struct ac_msg *m;
	yajl_val vm, vp;
	int ret = -1;

	if (start_sleeper(s, "cg-upd", &t, why) < 0)
		return -1;
	m = ac_call(s->ac, HUSK_MSG_UPDATE, "{\"id\":\"cg-upd\",\"resources\":\"64M\"}", 30000);
	if (!m || m->hdr.type != HUSK_MSG_ERROR) {
		snprintf(why, 512, "a string as resources was not refused");
		ac_msg_free(m);
		return -1;
	}
	ac_msg_free(m);
	m = must(s, HUSK_MSG_UPDATE,
		 "{\"id\":\"cg-upd\",\"resources\":{\"memory\":"
		 "{\"limit\":67108864},\"pids\":{\"limit\":20}}}",
		 why);
	ac_msg_free(m);
	if (!m || !(m = must(s, HUSK_MSG_STATS, "{\"id\":\"cg-upd\"}", why)))
		return -1;
	vm = yajl_tree_get(m->tree, mem, yajl_t_number);
	vp = yajl_tree_get(m->tree, pids, yajl_t_number);
	if (vm && YAJL_GET_INTEGER(vm) == 64 * MiB && vp && YAJL_GET_INTEGER(vp) == 20)
		ret = 0;
	else
		snprintf(why, 512, "after UPDATE: %s", m->payload);
	ac_msg_free(m);
	return ret;
}

/* The verdict of @check as test @name, then container @id goes. */
static void checked(struct suite *s, const char *name, const char *id,
		    int (*check)(struct suite *, char *))
{
	char why[512] = "", json[128];

	if (check(s, why) == 0)
		suite_pass(s, name);
	else
		suite_fail(s, name, "%s", why);
	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	ac_msg_free(ac_call(s->ac, HUSK_MSG_DELETE, json, 30000));
}

void tests_cgroup(struct suite *s)
{
	if (!s->memory) {
		suite_skip(s, "memory-limit-oom", "cgroup",
			   "no cgroup v2 memory controller on this machine");
		suite_skip(s, "oom-event", "cgroup",
			   "no cgroup v2 memory controller on this machine");
		suite_skip(s, "stats", "cgroup", "no cgroup v2 memory controller on this machine");
		suite_skip(s, "stats-memory-stat", "cgroup",
			   "no cgroup v2 memory controller on this machine");
		suite_skip(s, "pause-resume", "cgroup", "no cgroup v2 on this machine");
		suite_skip(s, "update", "cgroup", "no cgroup v2 memory controller on this machine");
		return;
	}
	t_oom(s);
	t_stats(s);
	checked(s, "pause-resume", "cg-pause", pause_check);
	checked(s, "update", "cg-upd", update_check);
}
