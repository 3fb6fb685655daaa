// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_backend.c - the VM backend as task/backend.h sees it: its ops
 * table, each op implemented by sandbox_container.c (create, delete,
 * destroy) or sandbox_proc.c (the process ops). The top of the sandbox
 * folder: no sandbox_*.c file calls into this one.
 */
#include "shim/sandbox/sandbox.h"

static int sandbox_attach(void *opaque, struct shim_tasks *tasks)
{
	((struct sandbox *)opaque)->tasks = tasks;
	return 0;
}

const struct shim_backend_ops sandbox_backend_ops = {
	.attach = sandbox_attach,
	.create = sandbox_create,
	.start = sandbox_start,
	.exec = sandbox_exec,
	.kill = sandbox_kill,
	.delete = sandbox_delete,
	.pids = sandbox_pids,
	.close_io = sandbox_close_io,
	.resize_pty = sandbox_resize_pty,
	.stats = sandbox_stats,
	.pause = sandbox_pause,
	.resume = sandbox_resume,
	.update = sandbox_update,
	.destroy = sandbox_destroy,
};
