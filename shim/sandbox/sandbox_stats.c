// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_stats.c - the Stats op of the VM backend: one STATS request to
 * husk-init and the strict reading of its reply (the cgroup v2 files of
 * the container, by their kernel key names) into struct shim_stats.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "husk_agent.h"
#include "agent-codec/json.h"
#include "shim/sandbox/sandbox.h"
#include "shim/sandbox/sandbox_stats.h"

/* One number of the reply: @group.@key lands at @off in struct shim_stats. */
struct stats_field {
	const char *group, *key;
	size_t off;
	bool limit; /* -1 there means "max", no limit */
};

#define F(g, k, m) \
	{ \
		g, k, offsetof(struct shim_stats, m), false \
	}
#define L(g, k, m) \
	{ \
		g, k, offsetof(struct shim_stats, m), true \
	}

static const struct stats_field stats_fields[] = {
	F("cpu", "usage_usec", cpu_usage_usec),
	F("cpu", "user_usec", cpu_user_usec),
	F("cpu", "system_usec", cpu_system_usec),
	F("cpu", "nr_periods", cpu_nr_periods),
	F("cpu", "nr_throttled", cpu_nr_throttled),
	F("cpu", "throttled_usec", cpu_throttled_usec),
	F("memory", "current", mem_usage),
	L("memory", "max", mem_limit),
	F("memory", "oom_kill", oom_kill),
	F("memory", "anon", mem_anon),
	F("memory", "file", mem_file),
	F("memory", "kernel_stack", mem_kernel_stack),
	F("memory", "slab", mem_slab),
	F("memory", "sock", mem_sock),
	F("memory", "shmem", mem_shmem),
	F("memory", "file_mapped", mem_file_mapped),
	F("memory", "file_dirty", mem_file_dirty),
	F("memory", "file_writeback", mem_file_writeback),
	F("memory", "anon_thp", mem_anon_thp),
	F("memory", "inactive_anon", mem_inactive_anon),
	F("memory", "active_anon", mem_active_anon),
	F("memory", "inactive_file", mem_inactive_file),
	F("memory", "active_file", mem_active_file),
	F("memory", "unevictable", mem_unevictable),
	F("memory", "pgfault", mem_pgfault),
	F("memory", "pgmajfault", mem_pgmajfault),
	F("pids", "current", pids_current),
	L("pids", "max", pids_limit),
	F("io", "rbytes", io_rbytes),
	F("io", "wbytes", io_wbytes),
	F("io", "rios", io_rios),
	F("io", "wios", io_wios),
};

#undef F
#undef L

/* Read one field of @group (an object, or NULL when the reply has none). */
static int stats_field_read(const char *id, yajl_val group, const struct stats_field *f,
			    struct shim_stats *st, struct husk_error **err)
{
	yajl_val v = json_member(group, f->key);
	uint64_t *out = (uint64_t *)((char *)st + f->off);
	int64_t n = 0;

	/* yajl keeps a number beyond int64 as a double only: refused here */
	if (v && !YAJL_IS_NULL(v) && !YAJL_IS_INTEGER(v))
		return husk_err(err, 0, "stats of %s: %s.%s: not a 64-bit integer", id, f->group,
				f->key);
	if (v && YAJL_IS_INTEGER(v))
		n = YAJL_GET_INTEGER(v);
	if (n >= 0)
		*out = (uint64_t)n;
	else
		*out = f->limit ? UINT64_MAX : 0;
	return 0;
}

int sandbox_stats_parse(const char *id, yajl_val reply, struct shim_stats *st,
			struct husk_error **err)
{
	const struct stats_field *f;
	yajl_val group;

	memset(st, 0, sizeof(*st));
	if (!YAJL_IS_OBJECT(reply))
		return husk_err(err, 0, "stats of %s: the reply is not a JSON object", id);
	for (f = stats_fields; f < stats_fields + sizeof(stats_fields) / sizeof(*f); f++) {
		group = json_member(reply, f->group);
		if (group && !YAJL_IS_NULL(group) && !YAJL_IS_OBJECT(group))
			return husk_err(err, 0, "stats of %s: %s: not an object", id, f->group);
		if (stats_field_read(id, group, f, st, err))
			return -EINVAL;
	}
	return 0;
}

int sandbox_stats(void *opaque, const char *id, struct shim_stats *st, struct husk_error **err)
{
	struct sandbox *be = opaque;
	yajl_val r = NULL;
	char json[256];
	int ret;

	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	ret = sandbox_call(be, HUSK_MSG_STATS, json, &r, err);
	if (ret)
		return ret;
	ret = sandbox_stats_parse(id, r, st, err);
	if (r)
		yajl_tree_free(r);
	return ret;
}
