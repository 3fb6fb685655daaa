/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_tail.h - the last lines of a guest's console log, for the shim
 * log when its VM did not come up: containerd removes the bundle, and the
 * console file with it, once Create has failed, so these lines are all
 * the user keeps of why the guest never answered.
 */
#ifndef HUSK_SHIM_SANDBOX_CONSOLE_TAIL_H
#define HUSK_SHIM_SANDBOX_CONSOLE_TAIL_H

#include <stddef.h>

#define CONSOLE_TAIL_BYTES 4096 /* read at most this much from the file's end */
#define CONSOLE_TAIL_LINES 20

/*
 * console_tail - call @fn with each of the last @max_lines lines of the
 * file at @path (within its last CONSOLE_TAIL_BYTES; a line cut by that
 * window is left out), oldest first, without their line ends and with
 * control characters shown as '?'. Empty lines are skipped. Returns the
 * number of lines given, or -errno when the file cannot be read.
 */
int console_tail(const char *path, size_t max_lines, void (*fn)(void *opaque, const char *line),
		 void *opaque);

#endif
