/* SPDX-License-Identifier: Apache-2.0 */
/*
 * runtime_options.h - the runtime config file's path from containerd's
 * runtime options: Create's options Any, or the same Any as raw bytes on
 * `start`'s stdin (containerd 1.6 to 2.2). runtimeoptions.v1.Options
 * (the CRI options table's ConfigPath, ctr --runtime-config-path) carries
 * config_path; runc options and other types carry none. Nothing here logs:
 * `start`'s output is what containerd reads.
 */
#ifndef HUSK_SHIM_TASK_RUNTIME_OPTIONS_H
#define HUSK_SHIM_TASK_RUNTIME_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/ttrpc/pb.h"

struct husk_error;

/*
 * runtime_options_config_path - *@path the config path (malloc'ed) or
 * NULL when @opts names none; *@other set when @opts is of another type
 * (may be NULL). Returns 0, or -EINVAL for an Options that does not decode.
 */
int runtime_options_config_path(const Google__Protobuf__Any *opts, char **path, bool *other,
				struct husk_error **err);

/* runtime_options_config_path_raw - the same from an encoded Any (@len 0: none). */
int runtime_options_config_path_raw(const uint8_t *buf, size_t len, char **path,
				    struct husk_error **err);

#endif
