/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bundle_state.h - what a shim made for a container, recorded in the bundle
 * (BUNDLE_STATE_FILE, one "KIND args" line per artifact: "file <path>" here,
 * "net ..." from sandbox_net_state.c, "fs-..." from fs_state.c) before it is made,
 * so that `delete` after a killed shim removes it all. The files live in
 * the bundle or in its `work` folder (bundle_state_dir()); containerd removes
 * both folders itself, the record covers any other place.
 */
#ifndef HUSK_SHIM_BASE_BUNDLE_STATE_H
#define HUSK_SHIM_BASE_BUNDLE_STATE_H

#include <stddef.h>

#define BUNDLE_STATE_FILE   "husk-state"
#define BUNDLE_CONSOLE_FILE "husk-console.log"

/* bundle_state_dir - <bundle>/work when it is a folder (on disk), else @bundle. */
void bundle_state_dir(const char *bundle, char *out, size_t len);

/* bundle_state_append - one line (printf @fmt) to @bundle's state file. Returns 0 or -errno. */
int bundle_state_append(const char *bundle, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* bundle_state_each - @fn(rest, @opaque) for each "@kind rest" line (rest is writable). */
void bundle_state_each(const char *bundle, const char *kind, void (*fn)(char *rest, void *opaque),
		       void *opaque);

/* bundle_state_add - record @path in @bundle's state file. Returns 0 or -errno. */
int bundle_state_add(const char *bundle, const char *path);
/* bundle_state_add_dir - record folder @path, removed after the files (empty by then). */
int bundle_state_add_dir(const char *bundle, const char *path);

/* bundle_state_cleanup - remove every recorded file, then the state file. */
void bundle_state_cleanup(const char *bundle);

#endif
