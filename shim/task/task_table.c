// SPDX-License-Identifier: Apache-2.0
/*
 * task_table.c - the process table: id check, lookup, insertion,
 * removal, and task_publish (events queued under the lock, so in order).
 * Exits are recorded in task_exit.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/task/events.h"
#include "shim/base/shim_log.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"

int shim_id_valid(const char *id)
{
	size_t i, len = id ? strlen(id) : 0;

	if (!len || len > SHIM_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');

		if (alnum)
			continue;
		/* A separator needs an alphanumeric on both sides. */
		if (!strchr("._-", c) || i == 0 || i == len - 1 || strchr("._-", id[i + 1]))
			return 0;
	}
	return 1;
}

struct shim_task *task_find(struct shim_tasks *t, const char *id)
{
	struct shim_task *task;

	for (task = t->list; task; task = task->next)
		if (!strcmp(task->id, id))
			return task;
	return NULL;
}

struct shim_proc *task_proc_of(struct shim_task *task, const char *exec_id)
{
	struct shim_proc *p;

	if (!exec_id || !*exec_id)
		return task->init;
	for (p = task->execs; p; p = p->next)
		if (!strcmp(p->exec_id, exec_id))
			return p;
	return NULL;
}

struct shim_proc *task_find_proc(struct shim_tasks *t, const char *id, const char *exec_id)
{
	struct shim_task *task = task_find(t, id);

	return task && !task->creating ? task_proc_of(task, exec_id) : NULL;
}

const char *task_proc_name(const struct shim_proc *p)
{
	return p->exec_id ? p->exec_id : p->cid;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

struct shim_proc *task_proc_new(const char *cid, const char *exec_id,
				const struct shim_stdio *stdio)
{
	struct shim_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->status = SHIM_CREATED;
	p->cid = strdup(cid);
	p->exec_id = exec_id && *exec_id ? strdup(exec_id) : NULL;
	p->stdin_path = dup_or_empty(stdio->stdin_path);
	p->stdout_path = dup_or_empty(stdio->stdout_path);
	p->stderr_path = dup_or_empty(stdio->stderr_path);
	p->terminal = stdio->terminal;
	if (!p->cid || (exec_id && *exec_id && !p->exec_id) || !p->stdin_path || !p->stdout_path ||
	    !p->stderr_path) {
		p->removed = true;
		task_proc_release(p);
		return NULL;
	}
	return p;
}

/* Free @p once it is out of the table and no Wait still looks at it. */
void task_proc_release(struct shim_proc *p)
{
	if (!p->removed || p->waiters)
		return;
	free(p->cid);
	free(p->exec_id);
	free(p->stdin_path);
	free(p->stdout_path);
	free(p->stderr_path);
	free(p);
}

void task_proc_remove(struct shim_tasks *t, struct shim_proc *p)
{
	struct shim_proc **pp;

	if (p->task && p->exec_id) {
		for (pp = &p->task->execs; *pp; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
	}
	p->task = NULL;
	p->removed = true;
	pthread_cond_broadcast(&t->exited);
	task_proc_release(p);
}

struct shim_task *task_insert(struct shim_tasks *t, const char *id, const char *bundle,
			      const struct shim_stdio *stdio)
{
	struct shim_task *task = calloc(1, sizeof(*task));

	if (!task)
		return NULL;
	task->id = strdup(id);
	task->bundle = strdup(bundle);
	task->init = task_proc_new(id, NULL, stdio);
	if (!task->id || !task->bundle || !task->init) {
		if (task->init)
			task_proc_remove(t, task->init);
		free(task->id);
		free(task->bundle);
		free(task);
		return NULL;
	}
	task->init->task = task;
	task->creating = true;
	task->next = t->list;
	t->list = task;
	return task;
}

void task_remove(struct shim_tasks *t, struct shim_task *task)
{
	struct shim_task **pp;

	while (task->execs)
		task_proc_remove(t, task->execs);
	task_proc_remove(t, task->init);
	for (pp = &t->list; *pp; pp = &(*pp)->next) {
		if (*pp == task) {
			*pp = task->next;
			break;
		}
	}
	free(task->id);
	free(task->bundle);
	free(task);
}

void task_publish(struct shim_tasks *t, const char *topic, const ProtobufCMessage *msg)
{
	int ret = shim_events_publish(t->ev, topic, msg);

	if (ret)
		shim_err("event %s not queued: %s", topic, strerror(-ret));
}
