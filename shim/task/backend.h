/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backend.h - what the Task service (task_*.c) needs from the layer that
 * really runs processes: the VM/agent layer in the shim, a fake in
 * tests/lib/fake_backend.c.
 *
 * Division of labour. The task layer owns everything containerd can see:
 * the process table, the state machine, status codes, Wait, the events
 * and their order. A backend only acts: it creates, starts, signals and
 * deletes processes and reports what happened to them. It never tracks
 * task state for containerd and never publishes events.
 *
 * Calls. Every op is called without task-layer locks held, possibly from
 * several threads at once (one per ttrpc request), and may block (create
 * boots a VM). The task layer never calls start/delete twice at once for
 * one process, and never calls anything for a process after its delete
 * returned 0. exec_id is NULL for a container's init process. Ops return
 * 0 or a negative errno and may fill *err with a message for containerd;
 * the errno picks the status code (ttrpc_code_from_errno): -ESRCH/-ENOENT
 * not found, -EINVAL bad argument, -EBUSY wrong state, -ENOSYS/-ENOTSUP
 * unimplemented, anything else internal. Optional ops may be NULL.
 *
 * Exits. Exits are pushed, not polled: when a started (or created, then
 * killed) process ends, the backend calls shim_tasks_exited() once, from
 * any thread, possibly from inside start/kill/delete. When a container's
 * init ends, the backend also reports every exec of that container that
 * is still running (the guest's pid namespace kills them); the task layer
 * holds the init's TaskExit back until those exec exits are in, the order
 * containerd expects. OOM kills are reported with shim_tasks_oom().
 */
#ifndef HUSK_SHIM_TASK_BACKEND_H
#define HUSK_SHIM_TASK_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct husk_error;
struct oci_spec;
struct phase_log;
struct runtime_config;
struct shim_tasks;

struct shim_mount {
	const char *type; /* "overlay", "bind", "ext4", ... */
	const char *source;
	const char *target; /* "" from containerd 1.6 */
	const char *const *options;
	size_t n_options;
};

/* containerd's stdio strings as sent; parse them with stdio.h. */
struct shim_stdio {
	const char *stdin_path;
	const char *stdout_path;
	const char *stderr_path;
	bool terminal;
};

struct shim_create_req {
	const char *id;
	const char *bundle;		 /* absolute; config.json is there */
	const struct shim_mount *rootfs; /* mount in order on bundle/rootfs */
	size_t n_rootfs;		 /* 0: spec root.path is a host dir */
	struct shim_stdio stdio;
	const struct oci_spec *spec;	     /* parsed config.json (borrowed) */
	const struct runtime_config *config; /* husk config (borrowed) */
	const char *checkpoint;		     /* "" unless restoring */
	/*
	 * The Create's phases so far (base/phase_log.h), from the request's
	 * arrival to the spec read; the backend continues its own copy up to
	 * Start. NULL: none.
	 */
	const struct phase_log *phases;
};

struct shim_exec_req {
	const char *id;
	const char *exec_id;
	struct shim_stdio stdio;
	const char *spec_json; /* the OCI Process object, JSON */
	size_t spec_len;
};

/* The subset of cgroup v2 statistics Stats reports (see cgroups_v2.proto). */
struct shim_stats {
	uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_usec;
	uint64_t mem_usage, mem_limit, mem_anon, mem_file;
	/* memory.stat, by its key names (MemoryStat's fields of the same names) */
	uint64_t mem_kernel_stack, mem_slab, mem_sock, mem_shmem;
	uint64_t mem_file_mapped, mem_file_dirty, mem_file_writeback, mem_anon_thp;
	uint64_t mem_inactive_anon, mem_active_anon, mem_inactive_file, mem_active_file;
	uint64_t mem_unevictable, mem_pgfault, mem_pgmajfault;
	uint64_t mem_swap_usage, mem_swap_limit;
	uint64_t pids_current, pids_limit;
	uint64_t io_rbytes, io_wbytes, io_rios, io_wios;
	uint64_t oom, oom_kill;
};

struct shim_backend_ops {
	/* attach - remember @tasks for shim_tasks_exited(); first call made. */
	int (*attach)(void *be, struct shim_tasks *tasks);
	/* create - prepare the init process, held before it runs; *pid is its pid. */
	int (*create)(void *be, const struct shim_create_req *req, uint32_t *pid,
		      struct husk_error **err);
	/* start - let init (exec_id NULL) or a prepared exec run; *pid is its pid. */
	int (*start)(void *be, const char *id, const char *exec_id, uint32_t *pid,
		     struct husk_error **err);
	/* exec - record an exec process (spec, stdio); nothing runs until start. */
	int (*exec)(void *be, const struct shim_exec_req *req, struct husk_error **err);
	/* kill - signal one process, or with @all every process of the container. */
	int (*kill)(void *be, const char *id, const char *exec_id, uint32_t signal, bool all,
		    struct husk_error **err);
	/*
	 * delete - free a stopped or never-started process; for init, the
	 * whole container (kill leftovers, unmount rootfs, release the VM's
	 * share). Must succeed for a process whose start failed.
	 */
	int (*delete)(void *be, const char *id, const char *exec_id, struct husk_error **err);
	/* pids - every pid in the container (malloc'd array). Optional. */
	int (*pids)(void *be, const char *id, uint32_t **pids, size_t *n, struct husk_error **err);
	/* pause/resume - freeze and thaw the container. Optional. */
	int (*pause)(void *be, const char *id, struct husk_error **err);
	int (*resume)(void *be, const char *id, struct husk_error **err);
	/* close_io - close the process's stdin once the client's stdin ends. Optional. */
	int (*close_io)(void *be, const char *id, const char *exec_id, struct husk_error **err);
	/* resize_pty - set the terminal size. Optional (no-op success). */
	int (*resize_pty)(void *be, const char *id, const char *exec_id, uint32_t width,
			  uint32_t height, struct husk_error **err);
	/* stats - fill @st. Optional: without it Stats says NOT_FOUND. */
	int (*stats)(void *be, const char *id, struct shim_stats *st, struct husk_error **err);
	/* update - apply new OCI LinuxResources (JSON). Optional. */
	int (*update)(void *be, const char *id, const char *resources_json, size_t len,
		      struct husk_error **err);
	/* destroy - the shim is exiting: stop everything, free the backend. */
	void (*destroy)(void *be);
};

/*
 * shim_tasks_exited - the backend reports that a process ended with
 * @exit_status (0-255, or 128 + signal) at @at (NULL = now). Unknown
 * processes are ignored. Thread-safe; never blocks on containerd.
 */
void shim_tasks_exited(struct shim_tasks *tasks, const char *id, const char *exec_id,
		       uint32_t exit_status, const struct timespec *at);

/* shim_tasks_oom - container @id had an OOM kill: publishes TaskOOM. */
void shim_tasks_oom(struct shim_tasks *tasks, const char *id);

#endif
