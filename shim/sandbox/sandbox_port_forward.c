// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_port_forward.c - the pod's port-forward relay (net/port_forward.h)
 * in the VM's life: set up in the pod's network namespace with the rest
 * of its networking, relaying once husk-init answers (each forward is a
 * vsock connection of its own, like a stdio stream), stopped before the
 * VM goes (its threads connect through the VM).
 */
#include "shim/net/port_forward.h"
#include "shim/sandbox/sandbox.h"
#include "common/error.h"
#include "shim/base/shim_log.h"
#include "husk.h"

/* Short: containerd's client waits, and a dead VM will not come back. */
#define SANDBOX_PF_CONNECT_MS 2000

static int sandbox_pf_connect(void *opaque, int *fd, struct husk_error **err)
{
	return sandbox_vsock_connect(opaque, SANDBOX_PF_CONNECT_MS, fd, err);
}

void sandbox_port_forward_setup(struct sandbox *be, const char *netns)
{
	port_forward_setup(netns, &be->pf);
}

void sandbox_port_forward_start(struct sandbox *be)
{
	struct husk_error *err = NULL;

	if (be->pf && port_forward_start(be->pf, sandbox_pf_connect, be, &err)) {
		shim_warn("port-forward unavailable: %s", husk_error_message(err));
		husk_error_free(err);
		port_forward_teardown(be->pf);
		be->pf = NULL;
	}
}

void sandbox_port_forward_stop(struct sandbox *be)
{
	port_forward_teardown(be->pf);
	be->pf = NULL;
}
