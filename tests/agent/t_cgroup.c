// SPDX-License-Identifier: Apache-2.0
/* t_cgroup.c - memory limit, OOM kill report, stats (cgroup v2 only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

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
		suite_fail(s, "memory-limit-oom", "signal %lld oom %d, wanted 9 and true (stderr %s)",
			   r.signal, r.oom, r.err.data ? r.err.data : "");
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

static void t_stats(struct suite *s)
{
	struct tspec t = { .sh = "exec sleep 1003", .mem_limit = 48 * MiB };
	char why[512] = "";
	struct ac_msg *m = NULL;

	if (start_sleeper(s, "cg-stats", &t, why) < 0 ||
	    !(m = must(s, HUSK_MSG_STATS, "{\"id\":\"cg-stats\"}", why))) {
		suite_fail(s, "stats", "%s", why);
	} else {
		const char *mem[] = { "memory", "max", NULL }, *cur[] = { "memory", "current", NULL };
		const char *pids[] = { "pids", "current", NULL }, *cpu[] = { "cpu", "usage_usec", NULL };
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
	}
	ac_msg_free(m);
	ac_msg_free(ac_call(s->ac, HUSK_MSG_DELETE, "{\"id\":\"cg-stats\"}", 30000));
}

void tests_cgroup(struct suite *s)
{
	if (!s->memory) {
		suite_skip(s, "memory-limit-oom", "cgroup", "no cgroup v2 memory controller on this machine");
		suite_skip(s, "oom-event", "cgroup", "no cgroup v2 memory controller on this machine");
		suite_skip(s, "stats", "cgroup", "no cgroup v2 memory controller on this machine");
		return;
	}
	t_oom(s);
	t_stats(s);
}
