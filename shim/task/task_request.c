// SPDX-License-Identifier: Apache-2.0
/*
 * task_request.c - what every Task handler starts and ends with: decoding
 * the request, finding the process it names (task_lookup), and the
 * NOT_FOUND and backend-error replies (task_internal.h).
 */
#include <string.h>

#include "common/error.h"
#include "shim/task/task_internal.h"

void *task_decode(const ProtobufCMessageDescriptor *desc, const struct ttrpc_call *call,
		  struct ttrpc_reply *reply)
{
	ProtobufCMessage *m;

	m = protobuf_c_message_unpack(desc, NULL, call->payload_len, call->payload);
	if (!m)
		ttrpc_reply_error(reply, TTRPC_INVALID_ARGUMENT, "%s: cannot decode %s",
				  call->method, desc->name);
	return m;
}

void task_reply_backend(struct ttrpc_reply *reply, int ret, struct husk_error *err,
			const char *what)
{
	ttrpc_reply_error(reply, ttrpc_code_from_errno(ret), "%s: %s", what,
			  err ? husk_error_message(err) : strerror(ret < 0 ? -ret : ret));
	husk_error_free(err);
}

void task_reply_unknown(struct ttrpc_reply *reply, const char *id, const char *exec_id)
{
	if (exec_id && *exec_id)
		ttrpc_reply_error(reply, TTRPC_NOT_FOUND, "process %s of container %s: not found",
				  exec_id, id);
	else
		ttrpc_reply_error(reply, TTRPC_NOT_FOUND, "container %s: not found", id);
}

struct shim_proc *task_lookup(struct shim_tasks *t, const char *id, const char *exec_id,
			      struct ttrpc_reply *reply)
{
	struct shim_proc *p = task_find_proc(t, id, exec_id);

	if (!p)
		task_reply_unknown(reply, id, exec_id);
	return p;
}
