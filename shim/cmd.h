/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd.h - the shim binary's modes; each returns the process exit code.
 *
 *   start   cmd_start.c   find or spawn the group's daemon (or hand the group
 *                         to a warm spare), print its address
 *   delete  cmd_delete.c  clean up after a task whose shim is gone
 *   daemon  cmd_daemon.c  serve ttrpc until Shutdown leaves no task
 *   warm    cmd_warm.c    a spare of the warm pool: boot a VM, wait for a
 *                         sandbox, then serve it as the daemon does
 *   -info, -v             cmd_info.c
 */
#ifndef HUSK_SHIM_CMD_H
#define HUSK_SHIM_CMD_H

#include <stddef.h>

struct shim_args;

/* Environment between `start` and the daemon it spawns. */
#define SHIM_READY_FD_ENV "HUSK_SHIM_READY_FD"
#define SHIM_LISTEN_FD	  3		  /* the listening socket, as runc's shim */
#define SHIM_READY_FD	  4		  /* "ok" or an error, then closed */
#define SHIM_LOG_ENV	  "HUSK_SHIM_LOG" /* daemon log file without a log FIFO */
/* When `start` began (CLOCK_MONOTONIC ns), for the first Create's "shim-start" line. */
#define SHIM_START_NS_ENV "HUSK_SHIM_START_NS"

int shim_cmd_start(const struct shim_args *a);
int shim_cmd_delete(const struct shim_args *a);
int shim_cmd_daemon(const struct shim_args *a);
int shim_cmd_warm(const struct shim_args *a);

struct sandbox;
/*
 * shim_daemon_run - the daemon's life from its listener on
 * SHIM_LISTEN_FD: with @be NULL a new backend, else @be (a spare's, its
 * VM already up). "ok" or the error goes to the fd in
 * $SHIM_READY_FD_ENV. Returns the exit status.
 */
int shim_daemon_run(const struct shim_args *a, struct sandbox *be);
int shim_cmd_info(void);
int shim_cmd_version(void);

/*
 * shim_drain_stdin - read and drop stdin to EOF (containerd writes the
 * options Any there; leaving it unread could fail its copy). Skipped when
 * stdin is a terminal.
 */
void shim_drain_stdin(void);

/* shim_bundle_dir - -bundle made absolute, else the cwd. Returns 0 or -errno. */
int shim_bundle_dir(const struct shim_args *a, char *buf, size_t len);

#endif
