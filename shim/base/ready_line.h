/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ready_line.h - the one line a shim daemon answers when it is ready to
 * serve: "ok", or its error text. `start` reads it from a daemon it
 * spawned (its ready pipe) or from a spare it handed a sandbox (the
 * hand-over connection, warm/warm_pool.c).
 */
#ifndef HUSK_SHIM_BASE_READY_LINE_H
#define HUSK_SHIM_BASE_READY_LINE_H

struct husk_error;

/*
 * ready_line_read - read @fd up to a newline or EOF, waiting at most
 * @timeout_ms for each read. Returns 0 for "ok"; else the line (or "@who
 * exited before it was ready", or a timeout) in *@err, and -1 or -errno.
 */
int ready_line_read(int fd, int timeout_ms, const char *who, struct husk_error **err);

#endif
