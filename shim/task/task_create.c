// SPDX-License-Identifier: Apache-2.0
/*
 * task_create.c - Task.Create: check the request, read the bundle's
 * config.json and husk's runtime config, let the backend prepare the
 * init process (it does not run until Start), publish TaskCreate. The
 * container's start phases (base/phase_log.h) begin here: the request's
 * arrival, then "spec" once it is checked and its inputs read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/base/phase_log.h"
#include "shim/base/shim_log.h"
#include "shim/base/oci_spec.h"
#include "shim/ttrpc/pb.h"
#include "shim/base/runtime_config.h"
#include "shim/io/stdio_uri.h"
#include "shim/task/runtime_options.h"
#include "shim/task/task_internal.h"

typedef Containerd__Task__V2__CreateTaskRequest CreateReq;

struct create_inputs {
	struct oci_spec *spec;
	struct runtime_config config;
	struct shim_mount *mounts;
};

static int load_inputs(struct shim_tasks *t, const CreateReq *rq, struct create_inputs *in,
		       struct husk_error **err)
{
	char spec_path[4096];
	char *cfg_path = NULL;
	bool other;
	int ret;

	snprintf(spec_path, sizeof(spec_path), "%s/config.json", rq->bundle);
	ret = oci_spec_load(spec_path, &in->spec, err);
	if (ret)
		return -EINVAL;
	if (in->spec->terminal != rq->terminal)
		return husk_err(err, 0,
				"terminal=%d in the request but process.terminal=%d in config.json",
				rq->terminal, in->spec->terminal);
	ret = oci_spec_check_network(in->spec, err);
	if (ret)
		return -EPERM; /* FAILED_PRECONDITION */
	ret = runtime_options_config_path(rq->options, &cfg_path, &other, err);
	if (!ret && other)
		shim_info("runtime options of type %s ignored", rq->options->type_url);
	if (!ret)
		ret = runtime_config_load(cfg_path ? cfg_path : t->cfg.default_config_path,
					  &in->config, err);
	free(cfg_path);
	return ret ? -EPERM : 0;
}

static int check_request(const CreateReq *rq, struct husk_error **err)
{
	struct stdio_config sc;
	int ret;

	if (!shim_id_valid(rq->id))
		return husk_err(err, 0, "invalid container id \"%s\"", rq->id);
	if (rq->bundle[0] != '/')
		return husk_err(err, 0, "bundle \"%s\" is not an absolute path", rq->bundle);
	if (*rq->checkpoint)
		return husk_err(err, ENOTSUP, "restoring from a checkpoint");
	ret = stdio_config_parse(rq->stdin, rq->stdout, rq->stderr, rq->terminal, &sc, err);
	if (!ret)
		stdio_config_clear(&sc);
	return ret;
}

static int build_mounts(const CreateReq *rq, struct create_inputs *in)
{
	size_t i;

	in->mounts = calloc(rq->n_rootfs + 1, sizeof(*in->mounts));
	if (!in->mounts)
		return -ENOMEM;
	for (i = 0; i < rq->n_rootfs; i++) {
		const Containerd__Types__Mount *m = rq->rootfs[i];

		in->mounts[i] = (struct shim_mount){
			m->type,      m->source, m->target, (const char *const *)m->options,
			m->n_options,
		};
	}
	return 0;
}

static void publish_create(struct shim_tasks *t, const CreateReq *rq, uint32_t pid)
{
	Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
	Containerd__Events__TaskIO io = CONTAINERD__EVENTS__TASK_IO__INIT;

	io.stdin = rq->stdin;
	io.stdout = rq->stdout;
	io.stderr = rq->stderr;
	io.terminal = rq->terminal;
	ev.container_id = rq->id;
	ev.bundle = rq->bundle;
	ev.rootfs = rq->rootfs;
	ev.n_rootfs = rq->n_rootfs;
	ev.io = &io;
	ev.checkpoint = rq->checkpoint;
	ev.pid = pid;
	task_publish(t, "/tasks/create", &ev.base);
}

/* Run the backend's create for a task already reserved in the table. */
static int run_create(struct shim_tasks *t, const CreateReq *rq, struct create_inputs *in,
		      const struct phase_log *phases, uint32_t *pid, struct husk_error **err)
{
	struct shim_create_req req = {
		.id = rq->id,
		.bundle = rq->bundle,
		.rootfs = in->mounts,
		.n_rootfs = rq->n_rootfs,
		.stdio = { rq->stdin, rq->stdout, rq->stderr, rq->terminal },
		.spec = in->spec,
		.config = &in->config,
		.checkpoint = rq->checkpoint,
		.phases = phases,
	};

	return t->ops->create(t->be, &req, pid, err);
}

/* Reserve the id (invisible until created), or say why not. */
static struct shim_task *reserve(struct shim_tasks *t, const CreateReq *rq,
				 struct ttrpc_reply *reply)
{
	struct shim_stdio io = { rq->stdin, rq->stdout, rq->stderr, rq->terminal };
	struct shim_task *task = NULL;

	pthread_mutex_lock(&t->lock);
	if (task_find(t, rq->id))
		ttrpc_reply_error(reply, TTRPC_ALREADY_EXISTS, "container %s: already exists",
				  rq->id);
	else if (!(task = task_insert(t, rq->id, rq->bundle, &io)))
		ttrpc_reply_error(reply, TTRPC_INTERNAL, "out of memory");
	pthread_mutex_unlock(&t->lock);
	return task;
}

static void finish(struct shim_tasks *t, struct shim_task *task, const CreateReq *rq, int ret,
		   uint32_t pid)
{
	pthread_mutex_lock(&t->lock);
	if (ret) {
		task_remove(t, task);
	} else {
		task->creating = false;
		task->init->pid = pid;
		publish_create(t, rq, pid);
		/* An exit reported while create ran is published now, in order. */
		task_proc_release_held(t, task->init);
	}
	pthread_cond_broadcast(&t->exited); /* CloseIO waits for Create */
	pthread_mutex_unlock(&t->lock);
}

static void reply_pid(struct ttrpc_reply *reply, uint32_t pid)
{
	Containerd__Task__V2__CreateTaskResponse resp =
		CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;

	resp.pid = pid;
	ttrpc_reply_msg(reply, &resp.base);
}

/*
 * The first Create of a spawned daemon: where the time before it went,
 * the line "shim-start phases of ID": `start` up to the daemon's run
 * (start's work, two forks and an exec), the daemon's setup up to its
 * ready report, and containerd's time from then to this Create.
 */
static void log_shim_start(struct shim_tasks *t, const char *id, uint64_t create_ns)
{
	const struct shim_start_clock *c = t->cfg.clock;
	struct phase_log pl;
	char title[160];
	bool first;

	pthread_mutex_lock(&t->lock);
	first = !t->start_logged;
	t->start_logged = true;
	pthread_mutex_unlock(&t->lock);
	/* start_ns is 0 when no `start` spawned this daemon (a spare, a test). */
	if (!first || !c || !c->start_ns)
		return;
	phase_log_start(&pl, c->start_ns);
	phase_log_mark_at(&pl, "start", c->daemon_ns);
	phase_log_mark_at(&pl, "daemon", c->ready_ns);
	phase_log_mark_at(&pl, "containerd", create_ns);
	snprintf(title, sizeof(title), "shim-start phases of %s", id);
	phase_log_debug(&pl, title);
}

void task_create(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	struct shim_tasks *t = opaque;
	struct create_inputs in = { 0 };
	struct husk_error *err = NULL;
	struct phase_log phases;
	struct shim_task *task;
	uint32_t pid = 0;
	CreateReq *rq;
	int ret;

	/* The container's start phases begin as the request arrives. */
	phase_log_start(&phases, husk_now_ns());
	rq = task_decode(&containerd__task__v2__create_task_request__descriptor, call, reply);
	if (!rq)
		return;
	ret = check_request(rq, &err);
	if (!ret)
		log_shim_start(t, rq->id, phases.t0_ns);
	if (!ret)
		ret = load_inputs(t, rq, &in, &err);
	if (!ret)
		ret = build_mounts(rq, &in);
	phase_log_mark(&phases, "spec");
	if (ret) {
		task_reply_backend(reply, ret, err, "create");
	} else if ((task = reserve(t, rq, reply))) {
		ret = run_create(t, rq, &in, &phases, &pid, &err);
		finish(t, task, rq, ret, pid);
		if (ret)
			task_reply_backend(reply, ret, err, "create");
		else
			reply_pid(reply, pid);
	}
	oci_spec_free(in.spec);
	runtime_config_clear(&in.config);
	free(in.mounts);
	protobuf_c_message_free_unpacked(&rq->base, NULL);
}
