/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_file.h - reading the shim's JSON documents: config.json of a
 * bundle and the runtime config, each read whole under a size cap, and the
 * nesting limit the shim parses them (and containerd's update resources)
 * under.
 */
#ifndef HUSK_SHIM_BASE_CONFIG_FILE_H
#define HUSK_SHIM_BASE_CONFIG_FILE_H

#include <stddef.h>

struct husk_error;

#define CONFIG_FILE_MAX (16u << 20) /* config.json larger than this is refused */

/*
 * CONFIG_JSON_MAX_DEPTH - nesting the shim parses config.json, the runtime
 * config and update resources under. They come from the host (the bundle,
 * containerd), not from the guest, so the limit is generous and only keeps
 * yajl's recursive tree free off the end of the shim's stack. It is above
 * HUSK_AGENT_MAX_DEPTH on purpose: config.json and the resources reach
 * husk-init one level down in a request, so what nests deeper than that
 * is already refused there, with husk-init's message, as before.
 */
#define CONFIG_JSON_MAX_DEPTH 256

/* config_file_read - all of @path (at most CONFIG_FILE_MAX) in a malloc'd buffer. */
int config_file_read(const char *path, char **buf, size_t *len, struct husk_error **err);

#endif
