// SPDX-License-Identifier: Apache-2.0
/*
 * shim-update - send a Task Update to a running shim, as CRI's
 * UpdateContainerResources does (ctr 1.6 has no `task update`):
 *
 *   shim-update ADDRESS NAMESPACE ID RESOURCES_JSON
 *
 * RESOURCES_JSON is an OCI LinuxResources object, sent as containerd
 * sends it (an Any holding JSON). Prints the reply's status code name and
 * message; exits 0 only for OK.
 */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "shim_task.pb-c.h"
#include "shim/task/task.h"
#include "shim/ttrpc/ttrpc.h"

#define RESOURCES_TYPE "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"

int main(int argc, char **argv)
{
	Containerd__Task__V2__UpdateTaskRequest rq =
		CONTAINERD__TASK__V2__UPDATE_TASK_REQUEST__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	struct husk_error *err = NULL;
	struct ttrpc_client *c;
	struct ttrpc_result res;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: shim-update ADDRESS NAMESPACE ID RESOURCES_JSON\n");
		return 2;
	}
	if (ttrpc_client_connect(argv[1], argv[2], &c, &err)) {
		fprintf(stderr, "shim-update: %s\n", husk_error_message(err));
		return 1;
	}
	any.type_url = (char *)RESOURCES_TYPE;
	any.value.data = (uint8_t *)argv[4];
	any.value.len = strlen(argv[4]);
	rq.id = argv[3];
	rq.resources = &any;
	ret = ttrpc_client_call(c, SHIM_TASK_SERVICE_V2, "Update", &rq.base, 30000, &res);
	ttrpc_client_free(c);
	if (ret) {
		fprintf(stderr, "shim-update: call failed: %s\n", strerror(-ret));
		return 1;
	}
	printf("%s %s\n", ttrpc_code_name(res.code), res.message ? res.message : "");
	ret = res.code == TTRPC_OK ? 0 : 1;
	ttrpc_result_clear(&res);
	return ret;
}
