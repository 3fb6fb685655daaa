// SPDX-License-Identifier: Apache-2.0
/*
 * task_core.c - the Task service object: setup, registration of the
 * handlers by method name, teardown. The top of the task folder: it
 * calls the handlers, none of them calls back into it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/base/shim_log.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"

/* The Task service: ttrpc method name -> handler (also what the fuzzer drives). */
const struct ttrpc_method task_methods[] = {
	{ "State", task_state },
	{ "Create", task_create },
	{ "Start", task_start },
	{ "Delete", task_delete },
	{ "Pids", task_pids },
	{ "Pause", task_pause },
	{ "Resume", task_resume },
	{ "Checkpoint", task_checkpoint },
	{ "Kill", task_kill },
	{ "Exec", task_exec },
	{ "ResizePty", task_resize_pty },
	{ "CloseIO", task_close_io },
	{ "Update", task_update },
	{ "Wait", task_wait },
	{ "Stats", task_stats },
	{ "Connect", task_connect },
	{ "Shutdown", task_shutdown },
};
const size_t task_n_methods = sizeof(task_methods) / sizeof(task_methods[0]);

int shim_tasks_new(const struct shim_backend_ops *ops, void *be, struct shim_events *ev,
		   const struct shim_tasks_config *cfg, struct shim_tasks **out,
		   struct husk_error **err)
{
	struct shim_tasks *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return husk_err(err, ENOMEM, "task service");
	if (cfg)
		t->cfg = *cfg;
	if (t->cfg.default_config_path) {
		t->default_config_path = strdup(t->cfg.default_config_path);
		if (!t->default_config_path) {
			free(t);
			return husk_err(err, ENOMEM, "task service");
		}
	}
	t->cfg.default_config_path = t->default_config_path;
	t->ops = ops;
	t->be = be;
	t->ev = ev;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->exited, NULL);
	ret = ops->attach ? ops->attach(be, t) : 0;
	if (ret) {
		t->ops = NULL;
		shim_tasks_free(t);
		return husk_err(err, -ret, "task service: backend attach");
	}
	*out = t;
	return 0;
}

int shim_tasks_register(struct shim_tasks *t, struct ttrpc_server *srv)
{
	size_t n = task_n_methods;
	int ret;

	ret = ttrpc_server_register(srv, SHIM_TASK_SERVICE_V2, task_methods, n, t);
	if (!ret)
		ret = ttrpc_server_register(srv, SHIM_TASK_SERVICE_V3, task_methods, n, t);
	return ret;
}

size_t shim_tasks_count(struct shim_tasks *t)
{
	struct shim_task *task;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	for (task = t->list; task; task = task->next)
		n++;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void shim_tasks_cancel_waits(struct shim_tasks *t)
{
	pthread_mutex_lock(&t->lock);
	t->cancelled = true;
	pthread_cond_broadcast(&t->exited);
	pthread_mutex_unlock(&t->lock);
}

void shim_tasks_free(struct shim_tasks *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	while (t->list)
		task_remove(t, t->list);
	pthread_mutex_unlock(&t->lock);
	if (t->ops && t->ops->destroy)
		t->ops->destroy(t->be);
	pthread_cond_destroy(&t->exited);
	pthread_mutex_destroy(&t->lock);
	free(t->default_config_path);
	free(t);
}
