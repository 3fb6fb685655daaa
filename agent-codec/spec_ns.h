/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec_ns.h - config.json's linux.namespaces as husk-init acts on them
 * (spec_ns.c): which types are listed, and the container whose namespace a
 * /proc/PID/ns/TYPE path names.
 */
#ifndef HUSK_AGENT_CODEC_SPEC_NS_H
#define HUSK_AGENT_CODEC_SPEC_NS_H

#include <stdbool.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "common/error.h"

/* linux.namespaces types husk-init acts on; the first four in the order
 * of guest-init's NS_* (state/agent.h). */
enum spec_ns_type {
	SPEC_NS_MOUNT,
	SPEC_NS_UTS,
	SPEC_NS_IPC,
	SPEC_NS_PID,
	SPEC_NS_CGROUP,
	SPEC_NS_NETWORK,
	SPEC_NS_COUNT
};

struct spec_ns {
	bool listed;	  /* the type is in linux.namespaces */
	const char *path; /* its path ("" or none: NULL) */
	pid_t pid;	  /* uts, ipc, pid: the N of /proc/N/ns/TYPE; 0: a new one */
};

/* spec_namespaces_parse - the "namespaces" array of "linux" into @ns. */
int spec_namespaces_parse(yajl_val arr, struct spec_ns ns[SPEC_NS_COUNT], struct husk_error **e);
/* spec_ns_name - the OCI name of @t ("mount", "uts", ...). */
const char *spec_ns_name(enum spec_ns_type t);

#endif
