// SPDX-License-Identifier: Apache-2.0
/*
 * task_query.c - Task methods that report rather than act: State, Wait,
 * Connect, Shutdown. None of them calls the backend, so State answers
 * within containerd's 2 s budget whatever else is going on.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"

static Containerd__V1__Types__Status visible_status(const struct shim_proc *p)
{
	/* Execs of a paused container are paused too. */
	if (p->status == SHIM_RUNNING && p->task && p->task->init->status == SHIM_PAUSED)
		return CONTAINERD__V1__TYPES__STATUS__PAUSED;
	return (Containerd__V1__Types__Status)p->status;
}

/* Lock held. */
static void reply_state(const struct shim_proc *p, const char *exec_id, struct ttrpc_reply *reply)
{
	Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts;
	bool stopped = p->status == SHIM_STOPPED;

	pb_timestamp(&ts, stopped ? &p->exited_at : NULL);
	r.id = (char *)task_proc_name(p);
	r.bundle = p->task ? p->task->bundle : (char *)"";
	r.pid = p->pid;
	r.status = visible_status(p);
	r.stdin = p->stdin_path;
	r.stdout = p->stdout_path;
	r.stderr = p->stderr_path;
	r.terminal = p->terminal;
	r.exit_status = stopped ? p->exit_status : 0;
	r.exited_at = &ts;
	r.exec_id = (char *)exec_id;
	ttrpc_reply_msg(reply, &r.base);
}

void task_state(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__StateRequest *rq;
	struct shim_proc *p;

	rq = task_decode(&containerd__task__v2__state_request__descriptor, call, reply);
	if (!rq)
		return;
	pthread_mutex_lock(&t->lock);
	p = task_lookup(t, rq->id, rq->exec_id, reply);
	if (p)
		reply_state(p, rq->exec_id, reply);
	pthread_mutex_unlock(&t->lock);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/* Lock held: block until @p's exit is published (or the shim goes). */
static void wait_exit(struct shim_tasks *t, struct shim_proc *p, struct ttrpc_reply *reply)
{
	Containerd__Task__V2__WaitResponse r = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts;

	p->waiters++;
	while (p->status != SHIM_STOPPED && !p->removed && !t->cancelled)
		pthread_cond_wait(&t->exited, &t->lock);
	p->waiters--;
	if (p->status == SHIM_STOPPED || (p->removed && p->exit_known)) {
		pb_timestamp(&ts, &p->exited_at);
		r.exit_status = p->exit_status;
		r.exited_at = &ts;
		ttrpc_reply_msg(reply, &r.base);
	} else {
		ttrpc_reply_error(reply, TTRPC_UNAVAILABLE, "shim is shutting down");
	}
	task_proc_release(p); /* frees it if it was deleted meanwhile */
}

void task_wait(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__WaitRequest *rq;
	struct shim_proc *p;

	rq = task_decode(&containerd__task__v2__wait_request__descriptor, call, reply);
	if (!rq)
		return;
	pthread_mutex_lock(&t->lock);
	p = task_lookup(t, rq->id, rq->exec_id, reply);
	if (p && t->cancelled)
		ttrpc_reply_error(reply, TTRPC_UNAVAILABLE, "shim is shutting down");
	else if (p)
		wait_exit(t, p, reply);
	pthread_mutex_unlock(&t->lock);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/* Connect is containerd's health probe: it never fails for a known id. */
void task_connect(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__ConnectRequest *rq;
	Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
	struct shim_proc *p;

	rq = task_decode(&containerd__task__v2__connect_request__descriptor, call, reply);
	if (!rq)
		return;
	r.shim_pid = (uint32_t)getpid();
	r.version = (char *)"husk " HUSK_VERSION;
	pthread_mutex_lock(&t->lock);
	p = task_find_proc(t, rq->id, NULL);
	r.task_pid = p ? p->pid : 0;
	ttrpc_reply_msg(reply, &r.base);
	pthread_mutex_unlock(&t->lock);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/*
 * containerd sends Shutdown after every task Delete; in a pod the shim
 * still serves the other containers, so it only exits with none left.
 */
void task_shutdown(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__ShutdownRequest *rq;
	Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
	bool last;

	rq = task_decode(&containerd__task__v2__shutdown_request__descriptor, call, reply);
	if (!rq)
		return;
	protobuf_c_message_free_unpacked(&rq->base, NULL);
	pthread_mutex_lock(&t->lock);
	last = !t->list;
	pthread_mutex_unlock(&t->lock);
	ttrpc_reply_msg(reply, &empty.base);
	if (last && t->cfg.on_shutdown)
		t->cfg.on_shutdown(t->cfg.opaque);
}
