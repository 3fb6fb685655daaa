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

#include "error.h"
#include "husk.h"
#include "vm_net.h"
#include "vm_state.h"

int vm_net_state_add(const char *bundle, const char *ifname, const char *tap,
		     const char *netns)
{
	char file[PATH_MAX];
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s", bundle, VM_STATE_FILE);
	f = fopen(file, "ae");
	if (!f)
		return -errno;
	fprintf(f, "net %s %s %s\n", ifname, tap, netns);
	return fclose(f) ? -errno : 0;
}

static int vm_net_state_undo(void *arg, struct husk_error **err)
{
	char **names = arg;

	(void)err;
	vm_net_undo(names[0], names[1], false);
	return 0;
}

void vm_net_state_cleanup(const char *bundle)
{
	char file[PATH_MAX], line[PATH_MAX + 64], *names[2], *netns;
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
		names[0] = line + 4;
		if (strncmp(line, "net ", 4) || !(names[1] = strchr(names[0], ' ')))
			continue;
		*names[1]++ = '\0';
		netns = strchr(names[1], ' ');
		if (!netns)
			continue;
		*netns++ = '\0';
		/* A namespace already gone took its interfaces along. */
		ret = vm_net_run_in(netns, vm_net_state_undo, names, &err);
		if (ret && ret != -ENOENT)
			fprintf(stderr, "network cleanup: %s\n", husk_error_message(err));
		husk_error_free(err);
		err = NULL;
	}
	fclose(f);
}
