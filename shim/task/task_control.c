// SPDX-License-Identifier: Apache-2.0
/*
 * task_control.c - Task methods that act on one process: Exec, Kill,
 * CloseIO, ResizePty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"

typedef Containerd__Task__V2__ExecProcessRequest ExecReq;

static void reply_empty(struct ttrpc_reply *reply)
{
	Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;

	ttrpc_reply_msg(reply, &empty.base);
}

static bool exec_valid(const ExecReq *rq, struct ttrpc_reply *reply)
{
	if (!shim_id_valid(rq->exec_id)) {
		ttrpc_reply_error(reply, TTRPC_INVALID_ARGUMENT, "invalid exec id \"%s\"",
				  rq->exec_id);
		return false;
	}
	if (!rq->spec || !rq->spec->value.len) {
		ttrpc_reply_error(reply, TTRPC_INVALID_ARGUMENT, "exec %s: no process spec",
				  rq->exec_id);
		return false;
	}
	return true;
}

/* Lock held: add a CREATED exec to its task, marked busy, or reply why not. */
static struct shim_proc *exec_reserve(struct shim_tasks *t, const ExecReq *rq,
				      struct ttrpc_reply *reply)
{
	struct shim_stdio io = { rq->stdin, rq->stdout, rq->stderr, rq->terminal };
	struct shim_task *task = task_find(t, rq->id);
	struct shim_proc *p;

	if (!task || task->creating) {
		task_reply_unknown(reply, rq->id, NULL);
		return NULL;
	}
	if (task->init->status != SHIM_RUNNING) {
		ttrpc_reply_error(reply, TTRPC_FAILED_PRECONDITION, "container %s is not running",
				  rq->id);
		return NULL;
	}
	if (task_find_proc(t, rq->id, rq->exec_id)) {
		ttrpc_reply_error(reply, TTRPC_ALREADY_EXISTS, "exec %s: already exists",
				  rq->exec_id);
		return NULL;
	}
	p = task_proc_new(rq->id, rq->exec_id, &io);
	if (!p) {
		ttrpc_reply_error(reply, TTRPC_INTERNAL, "out of memory");
		return NULL;
	}
	p->task = task;
	p->busy = true;
	p->next = task->execs;
	task->execs = p;
	return p;
}

static void exec_done(struct shim_tasks *t, struct shim_proc *p, int ret)
{
	Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;

	p->busy = false;
	if (ret) {
		task_proc_remove(t, p);
		return;
	}
	ev.container_id = p->cid;
	ev.exec_id = p->exec_id;
	task_publish(t, "/tasks/exec-added", &ev.base);
}

void task_exec(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	struct husk_error *err = NULL;
	struct shim_proc *p = NULL;
	ExecReq *rq;
	int ret;

	rq = task_decode(&containerd__task__v2__exec_process_request__descriptor, call, reply);
	if (!rq)
		return;
	if (exec_valid(rq, reply)) {
		pthread_mutex_lock(&t->lock);
		p = exec_reserve(t, rq, reply);
		pthread_mutex_unlock(&t->lock);
	}
	if (p) {
		struct shim_exec_req req = {
			rq->id,
			rq->exec_id,
			{ rq->stdin, rq->stdout, rq->stderr, rq->terminal },
			(const char *)rq->spec->value.data,
			rq->spec->value.len,
		};

		ret = t->ops->exec(t->be, &req, &err);
		pthread_mutex_lock(&t->lock);
		exec_done(t, p, ret);
		pthread_mutex_unlock(&t->lock);
		if (ret)
			task_reply_backend(reply, ret, err, "exec");
		else
			reply_empty(reply);
	}
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/*
 * Lock held: NOT_FOUND unless @id/@exec_id names a process that has not
 * finished (Kill on a finished process must say NOT_FOUND: CRI's stop
 * path ignores exactly that code).
 */
static bool alive(struct shim_tasks *t, const char *id, const char *exec_id,
		  struct ttrpc_reply *reply)
{
	struct shim_proc *p = task_lookup(t, id, exec_id, reply);

	if (!p)
		return false;
	if (p->status == SHIM_STOPPED) {
		ttrpc_reply_error(reply, TTRPC_NOT_FOUND, "process %s: process already finished",
				  task_proc_name(p));
		return false;
	}
	return true;
}

void task_kill(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__KillRequest *rq;
	struct husk_error *err = NULL;
	bool ok;
	int ret;

	rq = task_decode(&containerd__task__v2__kill_request__descriptor, call, reply);
	if (!rq)
		return;
	pthread_mutex_lock(&t->lock);
	ok = alive(t, rq->id, rq->exec_id, reply);
	pthread_mutex_unlock(&t->lock);
	if (ok) {
		ret = t->ops->kill(t->be, rq->id, task_exec_arg(rq->exec_id), rq->signal, rq->all,
				   &err);
		if (ret)
			task_reply_backend(reply, ret, err, "kill");
		else
			reply_empty(reply);
	}
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

void task_close_io(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__CloseIORequest *rq;
	struct husk_error *err = NULL;
	struct shim_task *task;
	int ret = 0;
	bool ok;

	rq = task_decode(&containerd__task__v2__close_iorequest__descriptor, call, reply);
	if (!rq)
		return;
	pthread_mutex_lock(&t->lock);
	/*
	 * ctr sends CloseIO as soon as its stdin ends, which for piped input
	 * is while Create still runs; like runc's shim (whose service lock
	 * serialises the two), wait for Create rather than lose it.
	 */
	while ((task = task_find(t, rq->id)) && task->creating)
		pthread_cond_wait(&t->exited, &t->lock);
	ok = task_lookup(t, rq->id, rq->exec_id, reply) != NULL;
	pthread_mutex_unlock(&t->lock);
	if (ok && rq->stdin && t->ops->close_io)
		ret = t->ops->close_io(t->be, rq->id, task_exec_arg(rq->exec_id), &err);
	if (ok && ret)
		task_reply_backend(reply, ret, err, "close stdin");
	else if (ok)
		reply_empty(reply);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/* Without a terminal (or a backend op) this succeeds, as runc does. */
void task_resize_pty(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__ResizePtyRequest *rq;
	struct husk_error *err = NULL;
	int ret = 0;
	bool ok;

	rq = task_decode(&containerd__task__v2__resize_pty_request__descriptor, call, reply);
	if (!rq)
		return;
	pthread_mutex_lock(&t->lock);
	ok = task_lookup(t, rq->id, rq->exec_id, reply) != NULL;
	pthread_mutex_unlock(&t->lock);
	if (ok && t->ops->resize_pty)
		ret = t->ops->resize_pty(t->be, rq->id, task_exec_arg(rq->exec_id), rq->width,
					 rq->height, &err);
	if (ok && ret)
		task_reply_backend(reply, ret, err, "resize pty");
	else if (ok)
		reply_empty(reply);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}
