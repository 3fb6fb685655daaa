// SPDX-License-Identifier: Apache-2.0
/*
 * task_exit.c - recording exits and publishing TaskExit in the order
 * containerd needs: never before the process's create/start event is
 * out, and an init's exit only after the exits of its running execs
 * (runc does the same since containerd #9719; moby treats the init
 * TaskExit as the container's death and would lose later exec exits).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shim/base/shim_log.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"

/* An exec that started (or is starting) and whose exit is not out yet. */
static bool execs_running(const struct shim_task *task)
{
	const struct shim_proc *e;

	for (e = task->execs; e; e = e->next)
		if (e->starting || e->status == SHIM_RUNNING || e->status == SHIM_PAUSED)
			return true;
	return false;
}

static void publish_exit(struct shim_tasks *t, const struct shim_proc *p)
{
	Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
	Google__Protobuf__Timestamp ts;

	pb_timestamp(&ts, &p->exited_at);
	ev.container_id = p->cid;
	ev.id = (char *)task_proc_name(p);
	ev.pid = p->pid;
	ev.exit_status = p->exit_status;
	ev.exited_at = &ts;
	task_publish(t, "/tasks/exit", &ev.base);
}

void task_proc_release_held(struct shim_tasks *t, struct shim_proc *p)
{
	struct shim_task *task = p->task;

	if (!p->exit_held || p->starting || (task && task->creating))
		return;
	if (!p->exec_id && task && execs_running(task))
		return;
	p->exit_held = false;
	p->status = SHIM_STOPPED;
	publish_exit(t, p);
	pthread_cond_broadcast(&t->exited);
	/* This may have been the last exec an init exit was waiting for. */
	if (p->exec_id && task && task->init->exit_held)
		task_proc_release_held(t, task->init);
}

void task_proc_exit(struct shim_tasks *t, struct shim_proc *p, uint32_t status,
		    const struct timespec *at)
{
	if (p->exit_known)
		return; /* reported twice: the first report stands */
	p->exit_known = true;
	p->exit_status = status;
	if (at && (at->tv_sec || at->tv_nsec))
		p->exited_at = *at;
	else
		clock_gettime(CLOCK_REALTIME, &p->exited_at);
	p->exit_held = true;
	task_proc_release_held(t, p);
}

/* Also finds a task whose create is in flight: its exit is held. */
static struct shim_proc *find_any(struct shim_tasks *t, const char *id, const char *exec_id)
{
	struct shim_task *task = task_find(t, id);

	return task ? task_proc_of(task, exec_id) : NULL;
}

void shim_tasks_exited(struct shim_tasks *t, const char *id, const char *exec_id,
		       uint32_t exit_status, const struct timespec *at)
{
	struct shim_proc *p;

	pthread_mutex_lock(&t->lock);
	p = find_any(t, id, exec_id);
	if (p)
		task_proc_exit(t, p, exit_status, at);
	else
		shim_debug("exit of unknown process %s/%s ignored", id, exec_id ? exec_id : "");
	pthread_mutex_unlock(&t->lock);
}

void shim_tasks_oom(struct shim_tasks *t, const char *id)
{
	Containerd__Events__TaskOOM ev = CONTAINERD__EVENTS__TASK_OOM__INIT;

	pthread_mutex_lock(&t->lock);
	if (task_find(t, id)) {
		/* Its memory limit, or with none the whole VM's memory, ran out. */
		shim_warn(
			"container %s: out of memory: the guest's OOM killer ended one of its processes",
			id);
		ev.container_id = (char *)id;
		task_publish(t, "/tasks/oom", &ev.base);
	}
	pthread_mutex_unlock(&t->lock);
}
