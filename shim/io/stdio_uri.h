/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio_uri.h - containerd's stdio strings (CreateTaskRequest and
 * ExecProcessRequest stdin/stdout/stderr) parsed and opened.
 *
 *   ""                     stream unused (all three empty: null IO)
 *   /path or fifo:///path  a FIFO the client already made
 *   file:///path           stdout and stderr appended to a file
 *   binary:///path?k=v     a logging program; query pairs become its args
 *
 * The scheme of stdout picks the mode for stdout and stderr; stdin is
 * always a FIFO (or unused). Copy loops live with the VM/agent layer;
 * this file only parses and opens, without ever blocking on a FIFO peer.
 */
#ifndef HUSK_SHIM_IO_STDIO_URI_H
#define HUSK_SHIM_IO_STDIO_URI_H

#include <stdbool.h>
#include <stddef.h>

struct husk_error;

enum stdio_kind {
	STDIO_NULL,
	STDIO_FIFO,
	STDIO_FILE,
	STDIO_BINARY,
};

struct stdio_uri {
	enum stdio_kind kind;
	char *path; /* absolute, percent-decoded; NULL for NULL */
	size_t nargs;
	char **args; /* binary: decoded query words, NULL-terminated */
};

struct stdio_config {
	struct stdio_uri in, out, err;
	bool terminal; /* stderr is unused with a terminal */
};

/* stdio_uri_parse - one string. Returns 0 or -EINVAL with a message. */
int stdio_uri_parse(const char *s, struct stdio_uri *uri, struct husk_error **err);
void stdio_uri_clear(struct stdio_uri *uri);

/*
 * stdio_config_parse - all three strings of a request. stdin must be a
 * FIFO or empty; stdout and stderr must agree on the mode when both are
 * set (file or binary logging uses stdout's URI for both).
 */
int stdio_config_parse(const char *in, const char *out, const char *errs, bool terminal,
		       struct stdio_config *cfg, struct husk_error **err);
void stdio_config_clear(struct stdio_config *cfg);

/* stdio_is_null - true when no stream is used at all. */
bool stdio_is_null(const struct stdio_config *cfg);

/*
 * stdio_open_fifo_out - open an output FIFO for writing without waiting
 * for a reader: one O_RDWR open both writes and keeps a read end, so a
 * reader that goes away never causes EPIPE. Returns the fd or -errno.
 */
int stdio_open_fifo_out(const char *path, struct husk_error **err);

/*
 * stdio_open_fifo_in - open an input FIFO: *@rfd reads (blocking), and
 * *@keep is a write end the shim keeps so a client closing or
 * reconnecting does not read as EOF; closing *@keep (CloseIO stdin)
 * lets EOF through once the client closes too. Returns 0 or -errno.
 */
int stdio_open_fifo_in(const char *path, int *rfd, int *keep, struct husk_error **err);

/*
 * stdio_open_file - open @path for appending (0644), creating missing
 * parent directories (0755). Returns the fd or -errno.
 */
int stdio_open_file(const char *path, struct husk_error **err);

/*
 * stdio_binary_argv - argv for a binary logger: path, then the args; a
 * NULL-terminated array of borrowed strings (free the array only).
 */
char **stdio_binary_argv(const struct stdio_uri *uri);

#endif
