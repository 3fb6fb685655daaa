// SPDX-License-Identifier: Apache-2.0
/*
 * vm_net_state.c - "net IFNAME TAP NETNS" lines in the bundle's state
 * file (vm_state.h): an interface whose ingress qdisc the shim added and
 * its tap, so that `delete` after a killed shim removes them. The tap
 * itself normally went away with the shim's process (not persistent).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "husk.h"
#include "shim/vm_net.h"
#include "shim/vm_state.h"

int vm_net_state_add(const char *bundle, const char *ifname, const char *tap,
		     const char *netns)
{
	return vm_state_append(bundle, "net %s %s %s\n", ifname, tap, netns);
}

static int vm_net_state_undo(void *arg, struct husk_error **err)
{
	char **names = arg;

	(void)err;
	vm_net_undo(names[0], names[1], false);
	return 0;
}

/* One "IFNAME TAP NETNS" record: undo it inside NETNS. */
static void vm_net_state_one(char *rest, void *opaque)
{
	struct husk_error *err = NULL;
	char *names[2] = { rest, strchr(rest, ' ') }, *netns;
	int ret;

	(void)opaque;
	if (!names[1])
		return;
	*names[1]++ = '\0';
	netns = strchr(names[1], ' ');
	if (!netns)
		return;
	*netns++ = '\0';
	/* A namespace already gone took its interfaces along. */
	ret = vm_net_run_in(netns, vm_net_state_undo, names, &err);
	if (ret && ret != -ENOENT)
		fprintf(stderr, "network cleanup: %s\n", husk_error_message(err));
	husk_error_free(err);
}

void vm_net_state_cleanup(const char *bundle)
{
	vm_state_each(bundle, "net", vm_net_state_one, NULL);
}
