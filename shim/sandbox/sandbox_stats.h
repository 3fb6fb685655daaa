/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_stats.h - reading husk-init's STATS reply into struct shim_stats.
 * Pure (no VM, no socket), so the unit tests feed it guest JSON directly.
 */
#ifndef HUSK_SHIM_SANDBOX_STATS_H
#define HUSK_SHIM_SANDBOX_STATS_H

#include <yajl/yajl_tree.h>

#include "common/error.h"
#include "shim/task/backend.h"

/*
 * sandbox_stats_parse - fill @st from the STATS reply @reply of container
 * @id. The guest is not trusted: a missing group or field is 0, a negative
 * value (husk-init's "could not read") is 0 - or, for the limits
 * memory.max and pids.max, "no limit" (UINT64_MAX) - and a value of the
 * wrong type (not an object, not a 64-bit integer) is an EINVAL error.
 */
int sandbox_stats_parse(const char *id, yajl_val reply, struct shim_stats *st,
			struct husk_error **err);

#endif
