// SPDX-License-Identifier: Apache-2.0
/*
 * task_lifecycle.c - Start and Delete of a process: the state checks,
 * the backend call made without the lock (the process marked busy
 * meanwhile), and the TaskStart/TaskExecStarted and TaskDelete events.
 * (Create is in task_create.c, Exec and the other process methods in
 * task_control.c, State/Wait/Connect/Shutdown in task_query.c.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"

/* runc reports 128 + SIGKILL for a process deleted without an exit. */
#define EXIT_STATUS_KILLED 137

static void publish_started(struct shim_tasks *t, const struct shim_proc *p)
{
	Containerd__Events__TaskStart st = CONTAINERD__EVENTS__TASK_START__INIT;
	Containerd__Events__TaskExecStarted ex = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;

	if (!p->exec_id) {
		st.container_id = p->cid;
		st.pid = p->pid;
		task_publish(t, "/tasks/start", &st.base);
		return;
	}
	ex.container_id = p->cid;
	ex.exec_id = p->exec_id;
	ex.pid = p->pid;
	task_publish(t, "/tasks/exec-started", &ex.base);
}

/* Lock held: can @p start now? Replies and returns false if not. */
static bool start_allowed(struct shim_proc *p, struct ttrpc_reply *reply)
{
	if (p->busy || p->status != SHIM_CREATED) {
		ttrpc_reply_error(reply, TTRPC_FAILED_PRECONDITION,
				  "process %s: cannot start: not in created state",
				  task_proc_name(p));
		return false;
	}
	if (p->exec_id && p->task->init->status != SHIM_RUNNING) {
		ttrpc_reply_error(reply, TTRPC_FAILED_PRECONDITION, "container %s is not running",
				  p->cid);
		return false;
	}
	return true;
}

/* Lock held: record the outcome of the backend's start of @p. */
static void start_done(struct shim_tasks *t, struct shim_proc *p, int ret, uint32_t pid)
{
	struct shim_task *task = p->task;

	p->busy = p->starting = false;
	if (!ret) {
		p->pid = pid;
		p->status = SHIM_RUNNING;
		/* Under the lock, before any exit of it can be published. */
		publish_started(t, p);
	}
	task_proc_release_held(t, p);
	if (p->exec_id && task && task->init->exit_held)
		task_proc_release_held(t, task->init);
}

void task_start(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__StartRequest *rq;
	Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
	struct husk_error *err = NULL;
	struct shim_proc *p;
	uint32_t pid = 0;
	int ret;

	rq = task_decode(&containerd__task__v2__start_request__descriptor, call, reply);
	if (!rq)
		return;
	pthread_mutex_lock(&t->lock);
	p = task_lookup(t, rq->id, rq->exec_id, reply);
	if (p && start_allowed(p, reply))
		p->busy = p->starting = true;
	else
		p = NULL;
	pthread_mutex_unlock(&t->lock);
	if (p) {
		ret = t->ops->start(t->be, rq->id, task_exec_arg(rq->exec_id), &pid, &err);
		pthread_mutex_lock(&t->lock);
		start_done(t, p, ret, pid);
		pthread_mutex_unlock(&t->lock);
		resp.pid = pid;
		if (ret)
			task_reply_backend(reply, ret, err, "start");
		else
			ttrpc_reply_msg(reply, &resp.base);
	}
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/* Lock held: may @p be deleted now? Replies and returns false if not. */
static bool delete_allowed(struct shim_proc *p, struct ttrpc_reply *reply)
{
	const struct shim_proc *e;

	if (p->status == SHIM_RUNNING || p->status == SHIM_PAUSED || p->busy) {
		ttrpc_reply_error(reply, TTRPC_FAILED_PRECONDITION,
				  "process %s: cannot delete a running process", task_proc_name(p));
		return false;
	}
	for (e = p->exec_id ? NULL : p->task->execs; e; e = e->next) {
		if (e->busy) {
			ttrpc_reply_error(reply, TTRPC_FAILED_PRECONDITION,
					  "container %s: exec %s is busy", p->cid, e->exec_id);
			return false;
		}
	}
	return true;
}

/* Lock held: a process gone without a reported exit counts as killed. */
static void settle_exit(struct shim_proc *p)
{
	if (p->exit_known)
		return;
	p->exit_known = true;
	p->exit_status = EXIT_STATUS_KILLED;
	clock_gettime(CLOCK_REALTIME, &p->exited_at);
}

static void publish_delete(struct shim_tasks *t, const struct shim_proc *p,
			   Google__Protobuf__Timestamp *ts)
{
	Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;

	ev.container_id = p->cid;
	ev.pid = p->pid;
	ev.exit_status = p->exit_status;
	ev.exited_at = ts;
	task_publish(t, "/tasks/delete", &ev.base);
}

/* Lock held: the backend deleted @p; drop it and answer with its exit. */
static void delete_done(struct shim_tasks *t, struct shim_proc *p, struct ttrpc_reply *reply)
{
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts;
	struct shim_proc *e;

	settle_exit(p);
	p->status = SHIM_STOPPED;
	pb_timestamp(&ts, &p->exited_at);
	resp.pid = p->pid;
	resp.exit_status = p->exit_status;
	resp.exited_at = &ts;
	ttrpc_reply_msg(reply, &resp.base);
	if (p->exec_id) {
		task_proc_remove(t, p); /* runc publishes nothing for an exec */
		return;
	}
	for (e = p->task->execs; e; e = e->next) {
		settle_exit(e);
		e->status = SHIM_STOPPED;
	}
	publish_delete(t, p, &ts);
	task_remove(t, p->task);
}

void task_delete(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__DeleteRequest *rq;
	struct husk_error *err = NULL;
	struct shim_proc *p;
	int ret;

	rq = task_decode(&containerd__task__v2__delete_request__descriptor, call, reply);
	if (!rq)
		return;
	pthread_mutex_lock(&t->lock);
	p = task_lookup(t, rq->id, rq->exec_id, reply);
	if (p && delete_allowed(p, reply))
		p->busy = true;
	else
		p = NULL;
	pthread_mutex_unlock(&t->lock);
	if (p) {
		ret = t->ops->delete (t->be, rq->id, task_exec_arg(rq->exec_id), &err);
		pthread_mutex_lock(&t->lock);
		p->busy = false;
		if (ret)
			task_reply_backend(reply, ret, err, "delete");
		else
			delete_done(t, p, reply);
		pthread_mutex_unlock(&t->lock);
	}
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}
