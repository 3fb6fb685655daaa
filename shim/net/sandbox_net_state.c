// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_net_state.c - "net IFNAME TAP NETNS" lines in the bundle's state
 * file (bundle_state.h): an interface whose ingress qdisc the shim added and
 * its tap, so that `delete` after a killed shim removes them. The tap
 * itself normally went away with the shim's process (not persistent).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "husk.h"
#include "shim/net/sandbox_net.h"
#include "shim/base/bundle_state.h"

int sandbox_net_state_add(const char *bundle, const char *ifname, const char *tap,
			  const char *netns)
{
	return bundle_state_append(bundle, "net %s %s %s\n", ifname, tap, netns);
}

static int sandbox_net_state_undo(void *arg, struct husk_error **err)
{
	char **names = arg;

	(void)err;
	sandbox_net_undo(names[0], names[1], false);
	return 0;
}

/* One "IFNAME TAP NETNS" record: undo it inside NETNS. */
static void sandbox_net_state_one(char *rest, void *opaque)
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
	ret = sandbox_net_run_in(netns, sandbox_net_state_undo, names, &err);
	if (ret && ret != -ENOENT)
		fprintf(stderr, "network cleanup: %s\n", husk_error_message(err));
	husk_error_free(err);
}

void sandbox_net_state_cleanup(const char *bundle)
{
	bundle_state_each(bundle, "net", sandbox_net_state_one, NULL);
}
