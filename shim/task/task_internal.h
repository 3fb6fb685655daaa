/* SPDX-License-Identifier: Apache-2.0 */
/*
 * task_internal.h - the process table shared by the task_*.c files:
 * task_table.c (the table), task_exit.c (exits and their order),
 * task_core.c (the service object, which registers the handlers), the
 * ttrpc handlers (task_create.c, task_lifecycle.c, task_control.c,
 * task_query.c, task_container.c) and their helpers (task_request.c).
 *
 * Locking: tasks->lock guards every field below. Backend ops are called
 * with it released; a process with a call in flight is marked `busy`, so
 * a second Start/Delete on it fails with FAILED_PRECONDITION instead of
 * racing, and it cannot be freed under the call. Events are queued (never
 * sent) under the lock, which is what keeps them in order.
 */
#ifndef HUSK_SHIM_TASK_TASK_INTERNAL_H
#define HUSK_SHIM_TASK_TASK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "shim/task/task.h"
#include "shim/ttrpc/ttrpc.h"

/* Values match containerd.v1.types.Status. */
enum shim_status {
	SHIM_CREATED = 1,
	SHIM_RUNNING = 2,
	SHIM_STOPPED = 3,
	SHIM_PAUSED = 4,
};

struct shim_task;

struct shim_proc {
	char *cid;		/* container id */
	char *exec_id;		/* NULL for init */
	struct shim_task *task; /* NULL once removed */
	uint32_t pid;
	enum shim_status status;
	bool busy;	 /* a start/exec/delete call in flight */
	bool starting;	 /* that call is start */
	bool exit_known; /* exit_status/exited_at are set */
	bool exit_held;	 /* known, not yet published (see below) */
	uint32_t exit_status;
	struct timespec exited_at;
	char *stdin_path, *stdout_path, *stderr_path;
	bool terminal;
	unsigned waiters;	/* Wait calls blocked on this process */
	bool removed;		/* deleted; freed by the last waiter */
	struct shim_proc *next; /* in task->execs */
};

struct shim_task {
	char *id;
	char *bundle;
	bool creating; /* backend create in flight: invisible */
	struct shim_proc *init;
	struct shim_proc *execs;
	struct shim_task *next;
};

struct shim_tasks {
	pthread_mutex_t lock;
	pthread_cond_t exited; /* broadcast on every exit/removal */
	struct shim_task *list;
	const struct shim_backend_ops *ops;
	void *be;
	struct shim_events *ev;
	struct shim_tasks_config cfg;
	char *default_config_path;
	bool cancelled;
	bool start_logged; /* the first Create logged cfg.clock */
};

/* Lookups (lock held). NULL exec_id or "" means init. */
struct shim_task *task_find(struct shim_tasks *t, const char *id);
/* task_find_proc - a process of a task whose Create is done. */
struct shim_proc *task_find_proc(struct shim_tasks *t, const char *id, const char *exec_id);
/* task_proc_of - the process @exec_id of @task (its init for none). */
struct shim_proc *task_proc_of(struct shim_task *task, const char *exec_id);

/* Creation and removal (lock held). */
struct shim_proc *task_proc_new(const char *cid, const char *exec_id,
				const struct shim_stdio *stdio);
void task_proc_remove(struct shim_tasks *t, struct shim_proc *p);
void task_proc_release(struct shim_proc *p);
struct shim_task *task_insert(struct shim_tasks *t, const char *id, const char *bundle,
			      const struct shim_stdio *stdio);
void task_remove(struct shim_tasks *t, struct shim_task *task);

/*
 * task_proc_exit - record an exit (lock held) and publish TaskExit unless it
 * must wait: while the process's start is in flight (Start publishes the
 * start event first), or for init while execs still run.
 */
void task_proc_exit(struct shim_tasks *t, struct shim_proc *p, uint32_t status,
		    const struct timespec *at);

/* task_proc_release_held - publish an exit task_proc_exit() held back, if now allowed. */
void task_proc_release_held(struct shim_tasks *t, struct shim_proc *p);

/* task_publish - queue an event (lock held, so order is kept). */
void task_publish(struct shim_tasks *t, const char *topic, const ProtobufCMessage *msg);

/* Go-shim "exec id or container id" for events and State. */
const char *task_proc_name(const struct shim_proc *p);

/* ---- handler helpers (task_request.c) ---- */

/*
 * task_decode - unpack the request of @call as @desc; on failure reply
 * INVALID_ARGUMENT and return NULL. Free with protobuf_c_message_free_unpacked.
 */
void *task_decode(const ProtobufCMessageDescriptor *desc, const struct ttrpc_call *call,
		  struct ttrpc_reply *reply);

/* task_reply_backend - fail with the code for @ret and @err's message. */
void task_reply_backend(struct ttrpc_reply *reply, int ret, struct husk_error *err,
			const char *what);

/* task_reply_unknown - NOT_FOUND for "id" or "id/exec_id". */
void task_reply_unknown(struct ttrpc_reply *reply, const char *id, const char *exec_id);

/*
 * task_lookup - t->lock held: the process @id/@exec_id (any state), or
 * NULL after replying NOT_FOUND (task_reply_unknown). The start of every
 * handler about one process.
 */
struct shim_proc *task_lookup(struct shim_tasks *t, const char *id, const char *exec_id,
			      struct ttrpc_reply *reply);

/* exec id as a backend wants it: NULL for init. */
static inline const char *task_exec_arg(const char *exec_id)
{
	return exec_id && *exec_id ? exec_id : NULL;
}

/*
 * The handlers, one per Task method (task_create.c, task_lifecycle.c,
 * task_control.c, task_query.c, task_container.c).
 */
ttrpc_handler_fn task_create, task_start, task_delete, task_exec, task_state, task_wait, task_kill,
	task_pids, task_pause, task_resume, task_close_io, task_resize_pty, task_stats, task_update,
	task_checkpoint, task_connect, task_shutdown;

/* task_core.c: every Task method by name, as registered with the ttrpc server. */
extern const struct ttrpc_method task_methods[];
extern const size_t task_n_methods;

#endif
