// SPDX-License-Identifier: Apache-2.0
/*
 * vm_net_state.c - "net IFNAME NETNS" lines in the bundle's state file
 * (vm_state.h): the interface whose ingress qdisc the shim added, so that
 * `delete` after a killed shim removes it. The tap itself went away with
 * the shim's process (it is not persistent).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "husk.h"
#include "vm_net.h"
#include "vm_state.h"

int vm_net_state_add(const char *bundle, const char *ifname, const char *netns)
{
	char file[PATH_MAX];
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s", bundle, VM_STATE_FILE);
	f = fopen(file, "ae");
	if (!f)
		return -errno;
	fprintf(f, "net %s %s\n", ifname, netns);
	return fclose(f) ? -errno : 0;
}

static int vm_net_state_undo(void *arg, struct husk_error **err)
{
	(void)err;
	vm_net_undo(arg, false);
	return 0;
}

void vm_net_state_cleanup(const char *bundle)
{
	char file[PATH_MAX], line[PATH_MAX + 64], *ifname, *netns;
	struct husk_error *err = NULL;
	FILE *f;
	size_t n;
	int ret;

	snprintf(file, sizeof(file), "%s/%s", bundle, VM_STATE_FILE);
	f = fopen(file, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (strncmp(line, "net ", 4) || !(netns = strchr(line + 4, ' ')))
			continue;
		ifname = line + 4;
		*netns++ = '\0';
		/* A namespace already gone took its interfaces along. */
		ret = vm_net_run_in(netns, vm_net_state_undo, ifname, &err);
		if (ret && ret != -ENOENT)
			fprintf(stderr, "network cleanup: %s\n", husk_error_message(err));
		husk_error_free(err);
		err = NULL;
	}
	fclose(f);
}
