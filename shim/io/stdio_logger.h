/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stdio_logger.h - containerd's binary:// logging: a program of the
 * client's choosing gets a process's stdout and stderr and decides where
 * they go (journald, a file with rotation, ...). It is started with the
 * URI's query words as arguments, CONTAINER_ID and CONTAINER_NAMESPACE in
 * its environment, stdout's read end as fd 3, stderr's as fd 4, and a
 * pipe as fd 5 on which it says it is ready (a byte, or closing it).
 * At the end its pipes close; if it has not exited 2 s later it gets
 * SIGTERM, and SIGKILL 12 s after that (containerd's grace period).
 */
#ifndef HUSK_SHIM_IO_STDIO_LOGGER_H
#define HUSK_SHIM_IO_STDIO_LOGGER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "shim/io/stdio_uri.h"

#define STDIO_LOGGER_READY_MS 30000 /* the logger must be ready by then */

struct stdio_logger {
	pid_t pid; /* -1: none */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool exited;
	int status; /* its exit status, once exited */
};

void stdio_logger_init(struct stdio_logger *lg);

/*
 * stdio_logger_spawn - start the logger of @uri (STDIO_BINARY) for
 * container @id in namespace @ns and wait until it is ready. *@out_w and
 * *@err_w are the write ends of its stdout and stderr. The daemon's
 * reaper must be running (see reaper.h). Returns 0 or -errno with a
 * message (a logger that exits or stays silent is an error).
 */
int stdio_logger_spawn(struct stdio_logger *lg, const struct stdio_uri *uri, const char *id,
		       const char *ns, int *out_w, int *err_w, struct husk_error **err);

/*
 * stdio_logger_stop - after the write ends were closed: wait for the
 * logger to exit, with SIGTERM and SIGKILL as above. Returns its exit
 * status (-1 if there was none).
 */
int stdio_logger_stop(struct stdio_logger *lg);

#endif
