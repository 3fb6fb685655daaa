// SPDX-License-Identifier: Apache-2.0
/*
 * process_exit.c - reaping: every child of husk-init is waited for (PID 1
 * adopts orphans too); a container process's end becomes an EXIT event
 * on every control connection and the reply to its pending WAITs.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/replies/replies.h"
#include "guest-init/system/system.h"

static struct proc *proc_by_pid(struct agent *ag, pid_t pid)
{
	struct list *cpos, *ctmp, *ppos, *ptmp;

	list_for_each_safe(cpos, ctmp, &ag->containers) {
		struct container *c = container_of(cpos, struct container, link);

		list_for_each_safe(ppos, ptmp, &c->procs) {
			struct proc *p = container_of(ppos, struct proc, link);

			if (p->pid == pid && p->state != PROC_EXITED)
				return p;
		}
	}
	return NULL;
}

void proc_exit_fields(const struct proc *p, yajl_gen g)
{
	json_write_string(g, "id", p->c->id);
	json_write_string(g, "exec_id", p->exec_id);
	json_write_int(g, "pid", p->pid);
	json_write_int(g, "exit_status", p->exit_status);
	json_write_int(g, "signal", p->signal);
	json_write_int(g, "exited_at", p->exited_at);
	json_write_bool(g, "oom", p->oom);
}

static void proc_notify(struct proc *p)
{
	struct list *pos, *tmp;
	yajl_gen g = reply_gen();

	if (g) {
		proc_exit_fields(p, g);
		event_broadcast(p->c->ag, HUSK_MSG_EVENT_EXIT, g);
	}
	list_for_each_safe(pos, tmp, &p->waiters) {
		struct waiter *w = container_of(pos, struct waiter, link);

		g = reply_gen();
		if (g) {
			proc_exit_fields(p, g);
			reply_ok(w->conn, w->req_id, g);
		}
		list_del(&w->link);
		free(w);
	}
}

static void proc_exited(struct proc *p, int status)
{
	p->state = PROC_EXITED;
	p->exited_at = util_now_ns();
	if (WIFSIGNALED(status)) {
		p->signal = WTERMSIG(status);
		p->exit_status = 128 + p->signal;
	} else {
		p->exit_status = WEXITSTATUS(status);
	}
	/*
	 * The kernel's OOM killer uses SIGKILL and counts in memory.events.
	 * The inotify watch on that file may not have fired yet (or the
	 * container may go before it does): report the OOM here, so the OOM
	 * event always comes before the EXIT event.
	 */
	if (p->signal == SIGKILL && cgroup_oom_kills(p->c) > p->oom_base)
		p->oom = true;
	cgroup_oom_check(p->c);
	if (p->sync_fd >= 0)
		close(p->sync_fd);
	p->sync_fd = -1;
	/* nobody reads stdin any more: end the stream now */
	if (p->io.relay[STREAM_IN])
		relay_close(p->io.relay[STREAM_IN]);
	proc_notify(p);
}

void proc_reap(struct agent *ag)
{
	struct proc *p;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (!WIFEXITED(status) && !WIFSIGNALED(status))
			continue;
		p = proc_by_pid(ag, pid);
		if (p)
			proc_exited(p, status);
	}
}
