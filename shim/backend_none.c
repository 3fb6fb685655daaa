// SPDX-License-Identifier: Apache-2.0
/*
 * backend_none.c - the backend the daemon uses until the VM/agent backend
 * exists: every task call fails with UNIMPLEMENTED and says why, so
 * containerd reports a clear error instead of a hang. The protocol side
 * (start, delete, Connect, Shutdown, State of unknown ids) still works.
 */
#include <errno.h>

#include "shim/backend_none.h"
#include "common/error.h"

static int none_create(void *be, const struct shim_create_req *req, uint32_t *pid,
		       struct husk_error **err)
{
	return husk_err(err, ENOSYS,
			"container %s: husk cannot run containers yet (the VM backend of issue 6 is not built)",
			req->id);
}

static int none_start(void *be, const char *id, const char *exec_id, uint32_t *pid,
		      struct husk_error **err)
{
	return husk_err(err, ENOSYS, "start %s", id);
}

static int none_exec(void *be, const struct shim_exec_req *req, struct husk_error **err)
{
	return husk_err(err, ENOSYS, "exec %s", req->exec_id);
}

static int none_kill(void *be, const char *id, const char *exec_id, uint32_t signal,
		     bool all, struct husk_error **err)
{
	return husk_err(err, ENOSYS, "kill %s", id);
}

static int none_delete(void *be, const char *id, const char *exec_id,
		       struct husk_error **err)
{
	return 0;
}

const struct shim_backend_ops backend_none_ops = {
	.create = none_create,
	.start = none_start,
	.exec = none_exec,
	.kill = none_kill,
	.delete = none_delete,
};
