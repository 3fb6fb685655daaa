// SPDX-License-Identifier: Apache-2.0
/*
 * spec_ns.c - config.json's linux.namespaces (see spec_ns.h).
 *
 * Every container gets its own mount, pid, uts and ipc namespaces and
 * shares the VM's network (the VM is the pod), listed or not. A path
 * joins another container's namespace: Kubernetes' pod sandbox ("pause")
 * container holds the pod's uts, ipc (and, shared, pid) namespaces, and
 * its app containers name them as /proc/PID/ns/TYPE, PID being the pause
 * container's init as husk-init reported it. Only that form is taken: the
 * guest resolves PID to a container of its own and never opens the path.
 * A network path is ignored (the VM is the pod's network); mount and
 * cgroup paths, and a user namespace, cannot be honoured, and running
 * without the isolation asked for would be worse than refusing.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent-codec/json.h"
#include "agent-codec/spec_ns.h"

static const char *const ns_names[SPEC_NS_COUNT] = {
	[SPEC_NS_MOUNT] = "mount", [SPEC_NS_UTS] = "uts",	[SPEC_NS_IPC] = "ipc",
	[SPEC_NS_PID] = "pid",	   [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_NETWORK] = "network",
};

const char *spec_ns_name(enum spec_ns_type t)
{
	return t < SPEC_NS_COUNT ? ns_names[t] : "?";
}

/* -1 for a type husk-init does not act on ("time", future ones): ignored. */
static int spec_ns_type(const char *name)
{
	int t;

	for (t = 0; t < SPEC_NS_COUNT; t++)
		if (strcmp(name, ns_names[t]) == 0)
			return t;
	return -1;
}

/* The N of "/proc/N/ns/NAME", N a decimal pid without leading zeros; 0 if
 * @path is anything else. */
static pid_t spec_ns_path_pid(const char *path, const char *name)
{
	const char *p = path + strlen("/proc/");
	long pid = 0;

	if (strncmp(path, "/proc/", strlen("/proc/")) != 0 || *p < '1' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		pid = pid * 10 + (*p - '0');
		if (pid > INT_MAX)
			return 0;
	}
	if (strncmp(p, "/ns/", 4) != 0 || strcmp(p + 4, name) != 0)
		return 0;
	return (pid_t)pid;
}

static int spec_ns_one(yajl_val v, struct spec_ns *all, struct husk_error **e)
{
	const char *type = NULL, *path = NULL;
	struct spec_ns *ns;
	int t;

	if (json_member_string(v, "type", true, &type, e) < 0 ||
	    json_member_string(v, "path", false, &path, e) < 0)
		return -EINVAL;
	if (strcmp(type, "user") == 0)
		return husk_err(e, EOPNOTSUPP, "user namespace");
	t = spec_ns_type(type);
	if (t < 0)
		return 0;
	ns = &all[t];
	if (ns->listed)
		return husk_err(e, 0, "%s is listed twice", type);
	ns->listed = true;
	ns->path = path && path[0] ? path : NULL;
	if (!ns->path || t == SPEC_NS_NETWORK)
		return 0;
	if (t == SPEC_NS_MOUNT || t == SPEC_NS_CGROUP)
		return husk_err(e, EOPNOTSUPP, "%s path %.100s: joining a %s namespace", type,
				ns->path, type);
	ns->pid = spec_ns_path_pid(ns->path, type);
	if (!ns->pid)
		return husk_err(e, 0, "%s path \"%.100s\" is not /proc/<pid>/ns/%s", type, ns->path,
				type);
	return 0;
}

int spec_namespaces_parse(yajl_val arr, struct spec_ns ns[SPEC_NS_COUNT], struct husk_error **e)
{
	size_t i;

	if (!arr || YAJL_IS_NULL(arr))
		return 0;
	if (!YAJL_IS_ARRAY(arr))
		return husk_err(e, 0, "linux.namespaces is not an array");
	for (i = 0; i < arr->u.array.len; i++)
		if (spec_ns_one(arr->u.array.values[i], ns, e) < 0)
			return husk_err_wrap(e, "linux.namespaces[%zu]", i);
	return 0;
}
