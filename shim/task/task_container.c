// SPDX-License-Identifier: Apache-2.0
/*
 * task_container.c - Task methods about a whole container: Pids, Pause,
 * Resume, Stats, Update, Checkpoint. Backend ops for these are optional:
 * without one the method answers UNIMPLEMENTED (Stats: NOT_FOUND, which
 * containerd's metrics code skips quietly, whereas a foreign type would
 * break CRI's ListContainerStats).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"
#include "shim/task/task_metrics.h"

static void reply_empty(struct ttrpc_reply *reply)
{
	Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;

	ttrpc_reply_msg(reply, &empty.base);
}

/* Lock held: the created container @id, or NULL after replying NOT_FOUND. */
static struct shim_task *container(struct shim_tasks *t, const char *id, struct ttrpc_reply *reply)
{
	struct shim_task *task = task_find(t, id);

	if (task && !task->creating)
		return task;
	task_reply_unknown(reply, id, NULL);
	return NULL;
}

static bool container_known(struct shim_tasks *t, const char *id, struct ttrpc_reply *reply)
{
	bool ok;

	pthread_mutex_lock(&t->lock);
	ok = container(t, id, reply) != NULL;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

/* Lock held: one ProcessInfo; exec pids carry runc's ProcessDetails. */
static int fill_info(struct shim_task *task, uint32_t pid, Containerd__V1__Types__ProcessInfo *pi,
		     Google__Protobuf__Any *any)
{
	Containerd__Runc__V1__ProcessDetails d = CONTAINERD__RUNC__V1__PROCESS_DETAILS__INIT;
	struct shim_proc *e;

	containerd__v1__types__process_info__init(pi);
	pi->pid = pid;
	for (e = task ? task->execs : NULL; e; e = e->next) {
		if (e->pid != pid || e->status == SHIM_CREATED)
			continue;
		d.exec_id = e->exec_id;
		if (pb_any_pack(any, &d.base))
			return -ENOMEM;
		pi->info = any;
		break;
	}
	return 0;
}

static void reply_pids(struct shim_tasks *t, const char *id, const uint32_t *pids, size_t n,
		       struct ttrpc_reply *reply)
{
	Containerd__Task__V2__PidsResponse r = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
	Containerd__V1__Types__ProcessInfo *infos = calloc(n + 1, sizeof(*infos));
	Containerd__V1__Types__ProcessInfo **ptrs = calloc(n + 1, sizeof(*ptrs));
	Google__Protobuf__Any *anys = calloc(n + 1, sizeof(*anys));
	size_t i;
	int ret = infos && ptrs && anys ? 0 : -ENOMEM;

	pthread_mutex_lock(&t->lock);
	for (i = 0; !ret && i < n; i++) {
		ret = fill_info(task_find(t, id), pids[i], &infos[i], &anys[i]);
		ptrs[i] = &infos[i];
	}
	pthread_mutex_unlock(&t->lock);
	r.processes = ptrs;
	r.n_processes = n;
	if (ret)
		ttrpc_reply_error(reply, TTRPC_INTERNAL, "pids: out of memory");
	else
		ttrpc_reply_msg(reply, &r.base);
	for (i = 0; anys && i < n; i++)
		pb_any_clear(&anys[i]);
	free(anys);
	free(ptrs);
	free(infos);
}

void task_pids(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__PidsRequest *rq;
	struct husk_error *err = NULL;
	uint32_t *pids = NULL;
	size_t n = 0;
	int ret;

	rq = task_decode(&containerd__task__v2__pids_request__descriptor, call, reply);
	if (!rq)
		return;
	if (container_known(t, rq->id, reply)) {
		if (!t->ops->pids) {
			ttrpc_reply_error(reply, TTRPC_UNIMPLEMENTED, "pids: not supported");
		} else if ((ret = t->ops->pids(t->be, rq->id, &pids, &n, &err))) {
			task_reply_backend(reply, ret, err, "pids");
		} else {
			reply_pids(t, rq->id, pids, n, reply);
			free(pids);
		}
	}
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/* Lock held: the state change and its event, unless init exited meanwhile. */
static void publish_pause(struct shim_tasks *t, struct shim_proc *init, bool pause)
{
	Containerd__Events__TaskPaused paused = CONTAINERD__EVENTS__TASK_PAUSED__INIT;
	Containerd__Events__TaskResumed resumed = CONTAINERD__EVENTS__TASK_RESUMED__INIT;

	if (init->status == SHIM_STOPPED || init->removed)
		return;
	init->status = pause ? SHIM_PAUSED : SHIM_RUNNING;
	paused.container_id = resumed.container_id = init->cid;
	task_publish(t, pause ? "/tasks/paused" : "/tasks/resumed",
		     pause ? &paused.base : &resumed.base);
}

/* Pause (@pause) or Resume: the init must be RUNNING resp. PAUSED. */
static void pause_resume(struct shim_tasks *t, const char *id, bool pause,
			 struct ttrpc_reply *reply)
{
	enum shim_status from = pause ? SHIM_RUNNING : SHIM_PAUSED;
	int (*op)(void *, const char *, struct husk_error **) = pause ? t->ops->pause :
									t->ops->resume;
	struct husk_error *err = NULL;
	struct shim_task *task;
	struct shim_proc *init = NULL;
	int ret;

	pthread_mutex_lock(&t->lock);
	task = container(t, id, reply);
	if (task && !op)
		ttrpc_reply_error(reply, TTRPC_UNIMPLEMENTED, "%s: not supported",
				  pause ? "pause" : "resume");
	else if (task && (task->init->status != from || task->init->busy))
		ttrpc_reply_error(reply, TTRPC_FAILED_PRECONDITION, "container %s is not %s", id,
				  pause ? "running" : "paused");
	else if (task)
		(init = task->init)->busy = true;
	pthread_mutex_unlock(&t->lock);
	if (!init)
		return;
	ret = op(t->be, id, &err);
	pthread_mutex_lock(&t->lock);
	init->busy = false;
	if (!ret)
		publish_pause(t, init, pause);
	pthread_mutex_unlock(&t->lock);
	if (ret)
		task_reply_backend(reply, ret, err, pause ? "pause" : "resume");
	else
		reply_empty(reply);
}

void task_pause(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	Containerd__Task__V2__PauseRequest *rq;

	rq = task_decode(&containerd__task__v2__pause_request__descriptor, call, reply);
	if (!rq)
		return;
	pause_resume(opaque, rq->id, true, reply);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

void task_resume(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	Containerd__Task__V2__ResumeRequest *rq;

	rq = task_decode(&containerd__task__v2__resume_request__descriptor, call, reply);
	if (!rq)
		return;
	pause_resume(opaque, rq->id, false, reply);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

/* Answer with @st as an io.containerd.cgroups.v2.Metrics Any. */
static void reply_metrics(const struct shim_stats *st, struct ttrpc_reply *reply)
{
	Containerd__Task__V2__StatsResponse r = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
	Google__Protobuf__Any any;

	if (task_metrics_pack(st, &any)) {
		ttrpc_reply_error(reply, TTRPC_INTERNAL, "stats: out of memory");
		return;
	}
	r.stats = &any;
	ttrpc_reply_msg(reply, &r.base);
	pb_any_clear(&any);
}

void task_stats(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__StatsRequest *rq;
	struct husk_error *err = NULL;
	struct shim_stats st;
	int ret;

	rq = task_decode(&containerd__task__v2__stats_request__descriptor, call, reply);
	if (!rq)
		return;
	memset(&st, 0, sizeof(st));
	if (!container_known(t, rq->id, reply)) {
		/* replied NOT_FOUND */
	} else if (!t->ops->stats) {
		ttrpc_reply_error(reply, TTRPC_NOT_FOUND, "container %s: no metrics", rq->id);
	} else if ((ret = t->ops->stats(t->be, rq->id, &st, &err))) {
		task_reply_backend(reply, ret, err, "stats");
	} else {
		reply_metrics(&st, reply);
	}
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

void task_update(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	Containerd__Task__V2__UpdateTaskRequest *rq;
	struct husk_error *err = NULL;
	int ret;

	rq = task_decode(&containerd__task__v2__update_task_request__descriptor, call, reply);
	if (!rq)
		return;
	if (!container_known(t, rq->id, reply)) {
		/* replied NOT_FOUND */
	} else if (!t->ops->update) {
		ttrpc_reply_error(reply, TTRPC_UNIMPLEMENTED, "update: not supported");
	} else if (!rq->resources || !rq->resources->value.len) {
		ttrpc_reply_error(reply, TTRPC_INVALID_ARGUMENT, "update: no resources");
	} else if ((ret = t->ops->update(t->be, rq->id, (const char *)rq->resources->value.data,
					 rq->resources->value.len, &err))) {
		task_reply_backend(reply, ret, err, "update");
	} else {
		reply_empty(reply);
	}
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}

void task_checkpoint(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	ttrpc_reply_error(reply, TTRPC_UNIMPLEMENTED, "checkpoint: not supported by husk");
}
