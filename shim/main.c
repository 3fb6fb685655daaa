// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - containerd-shim-husk-v2: containerd's runtime v2 shim for
 * io.containerd.husk.v2. See cmd.h for the modes and log.h for where the
 * log goes.
 */
#include <stdio.h>

#include "shim/cli.h"
#include "shim/cmd.h"
#include "husk.h"

int main(int argc, char **argv)
{
	struct husk_error *err = NULL;
	struct shim_args a;

	if (shim_args_parse(argc, argv, &a, &err)) {
		fprintf(stderr, "containerd-shim-husk-v2: %s\n", husk_error_message(err));
		husk_error_free(err);
		return 2;
	}
	if (a.version)
		return shim_cmd_version();
	if (a.info)
		return shim_cmd_info();
	switch (a.action) {
	case SHIM_ACTION_START:
		return shim_cmd_start(&a);
	case SHIM_ACTION_DELETE:
		return shim_cmd_delete(&a);
	case SHIM_ACTION_WARM:
		return shim_cmd_warm(&a);
	case SHIM_ACTION_DAEMON:
	default:
		return shim_cmd_daemon(&a);
	}
}
