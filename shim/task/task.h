/* SPDX-License-Identifier: Apache-2.0 */
/*
 * task.h - the containerd.task.v2.Task service (also answered as
 * containerd.task.v3.Task): process table, state machine, Wait, events,
 * status codes, over a backend (backend.h) that runs the processes.
 *
 * States (containerd.v1.types.Status): a process is CREATED after Create
 * or Exec, RUNNING after Start, STOPPED once its exit is known, PAUSED
 * between Pause and Resume (init only). Wrong-state calls fail with
 * FAILED_PRECONDITION, unknown ids and finished processes (Kill) with
 * NOT_FOUND, a duplicate exec id with ALREADY_EXISTS.
 *
 * Events, in the order containerd requires: TaskCreate; TaskStart after
 * it; TaskExecAdded, TaskExecStarted; TaskExit only after the start event
 * of its process and, for init, after the exits of running execs;
 * TaskDelete (init only, as runc) after TaskExit, or after TaskCreate for
 * a process that never started; TaskPaused/TaskResumed; TaskOOM.
 */
#ifndef HUSK_SHIM_TASK_TASK_H
#define HUSK_SHIM_TASK_TASK_H

#include <stddef.h>

#include "shim/task/backend.h"

struct husk_error;
struct shim_events;
struct ttrpc_server;

#define SHIM_TASK_SERVICE_V2 "containerd.task.v2.Task"
#define SHIM_TASK_SERVICE_V3 "containerd.task.v3.Task"
#define SHIM_ID_MAX	     76 /* containerd's identifier limit */

/*
 * When a spawned daemon came to be (CLOCK_MONOTONIC ns): `start` began,
 * the daemon's own run began, and it reported ready. The first Create
 * logs them with its arrival (task_create.c). The daemon sets daemon_ns
 * and ready_ns always, start_ns only when `start` passed it.
 */
struct shim_start_clock {
	uint64_t start_ns, daemon_ns, ready_ns;
};

struct shim_tasks_config {
	/*
	 * Runtime config used when CreateTaskRequest.options names none;
	 * NULL means RUNTIME_CONFIG_DEFAULT_PATH.
	 */
	const char *default_config_path;
	/*
	 * Called (on a request thread) when Shutdown finds no task left; the
	 * daemon then exits. NULL: Shutdown only answers.
	 */
	void (*on_shutdown)(void *opaque);
	void *opaque;
	/* The daemon's start, set before any request comes; NULL: none. */
	const struct shim_start_clock *clock;
};

/*
 * shim_tasks_new - the service over backend @ops/@be (ops->attach is
 * called here), publishing to @ev (may be NULL). @cfg is copied.
 */
int shim_tasks_new(const struct shim_backend_ops *ops, void *be, struct shim_events *ev,
		   const struct shim_tasks_config *cfg, struct shim_tasks **out,
		   struct husk_error **err);

/* shim_tasks_register - serve the Task service (v2 and v3 names) on @srv. */
int shim_tasks_register(struct shim_tasks *tasks, struct ttrpc_server *srv);

/* shim_tasks_count - containers currently known (created, not deleted). */
size_t shim_tasks_count(struct shim_tasks *tasks);

/*
 * shim_tasks_cancel_waits - release every blocked Wait with UNAVAILABLE
 * and make new ones fail the same way: the shim is going away.
 */
void shim_tasks_cancel_waits(struct shim_tasks *tasks);

/* shim_tasks_free - free the table and call the backend's destroy. */
void shim_tasks_free(struct shim_tasks *tasks);

/*
 * shim_id_valid - containerd's identifier rule: at most SHIM_ID_MAX
 * characters, ^[A-Za-z0-9]+([._-][A-Za-z0-9]+)*$.
 */
int shim_id_valid(const char *id);

#endif
