/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec.h - the parts of the OCI runtime spec (config.json) husk-init
 * applies, parsed from a yajl tree. Strings point into the tree, which
 * must outlive the parsed structures; the *_free functions free only what
 * the parser allocated.
 */
#ifndef HUSK_AGENT_CODEC_SPEC_H
#define HUSK_AGENT_CODEC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "agent-codec/json.h"
#include "agent-codec/spec_ns.h"

#define SPEC_UNSET INT64_MIN /* a resource field the spec does not set */

struct spec_user {
	uint32_t uid, gid;
	uint32_t *gids; /* additionalGids */
	size_t ngids;
	const char *username; /* husk extension: resolved in the rootfs */
	int64_t umask;	      /* SPEC_UNSET: inherit */
};

struct spec_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct spec_caps {
	bool set; /* false: keep what the process has */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct spec_process {
	bool terminal;
	unsigned int rows, cols; /* consoleSize, 0 = unset */
	const char **args, **env;
	const char *cwd;
	struct spec_user user;
	struct spec_rlimit *rlimits;
	size_t nrlimits;
	bool no_new_privs;
	struct spec_caps caps;
	int64_t oom_score_adj; /* SPEC_UNSET: inherit */
};

struct spec_mount {
	const char *dest, *type, *source;
	unsigned long flags, propagation;
	char *data;
	char *resolved;	     /* husk-init's own path for source (share.c) */
	const char *beneath; /* resolve it without leaving this folder */
};

struct spec_device {
	const char *path;
	char type; /* 'c', 'b', 'p' */
	int64_t major, minor;
	int64_t mode, uid, gid; /* SPEC_UNSET: 0666, 0, 0 */
};

struct spec_resources {
	int64_t mem_limit, mem_reservation, mem_swap;
	int64_t cpu_shares, cpu_quota, cpu_period;
	const char *cpus, *mems;
	int64_t pids_limit;
	yajl_val unified; /* cgroup v2 file -> value */
};

struct spec {
	struct spec_process process;
	bool root_readonly;
	const char *hostname;
	struct spec_mount *mounts;
	size_t nmounts;
	const char **masked, **readonly;
	struct spec_resources res;
	struct spec_device *devices;
	size_t ndevices;
	yajl_val sysctl;
	unsigned long rootfs_propagation;
	struct spec_ns ns[SPEC_NS_COUNT];
};

/* spec_parse - config.json as a tree into @s. Returns 0 or -errno. */
int spec_parse(yajl_val root, struct spec *s, struct husk_error **e);
void spec_free(struct spec *s);

/* spec_process_parse - an OCI Process object (also exec's) into @p. */
int spec_process_parse(yajl_val v, struct spec_process *p, struct husk_error **e);
void spec_process_free(struct spec_process *p);

/* spec_resources_parse - an OCI LinuxResources object (also UPDATE's);
 * what it leaves out stays SPEC_UNSET. */
int spec_resources_parse(yajl_val r, struct spec_resources *res, struct husk_error **e);
/* spec_linux_parse - the "linux" object (spec_linux.c). */
int spec_linux_parse(yajl_val lx, struct spec *s, struct husk_error **e);
/* spec_mounts_parse - the "mounts" array (spec_linux.c). */
int spec_mounts_parse(yajl_val root, struct spec *s, struct husk_error **e);

#endif
