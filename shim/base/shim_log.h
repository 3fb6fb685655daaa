/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shim_log.h - the shim's log. Lines go to fd 2 in logfmt style
 * (time=... level=... msg="..."), the format containerd's own log uses.
 *
 * Where fd 2 goes. The `start` process prints nothing on success (its
 * stderr is merged into the address containerd reads). The daemon points
 * fd 2 at the `log` FIFO in the bundle, which containerd created and
 * copies into its own log (journalctl -u containerd); the FIFO is opened
 * non-blocking, so while containerd is down and the pipe fills, lines are
 * dropped rather than stalling the shim. Without a `log` FIFO (tests,
 * manual runs) the daemon's fd 2 is /dev/null unless HUSK_SHIM_LOG names
 * a file. The `delete` process's stderr is shown by containerd as
 * "cleanup warnings".
 */
#ifndef HUSK_SHIM_BASE_SHIM_LOG_H
#define HUSK_SHIM_BASE_SHIM_LOG_H

enum shim_log_level {
	SHIM_LOG_ERROR,
	SHIM_LOG_WARN,
	SHIM_LOG_INFO,
	SHIM_LOG_DEBUG,
};

/* shim_log_set_level - lines above @level are dropped (default WARN). */
void shim_log_set_level(enum shim_log_level level);

/* shim_log_get_level - the current level. */
enum shim_log_level shim_log_get_level(void);

/* shim_log_set_id - add id=@id to every line (the task/group id). */
void shim_log_set_id(const char *id);

void shim_log(enum shim_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define shim_err(...)	shim_log(SHIM_LOG_ERROR, __VA_ARGS__)
#define shim_warn(...)	shim_log(SHIM_LOG_WARN, __VA_ARGS__)
#define shim_info(...)	shim_log(SHIM_LOG_INFO, __VA_ARGS__)
#define shim_debug(...) shim_log(SHIM_LOG_DEBUG, __VA_ARGS__)

/*
 * shim_log_open_fifo - make @path (the bundle's `log` FIFO) the daemon's
 * fd 2, non-blocking. Returns 0 or -errno (fd 2 is then left alone).
 */
int shim_log_open_fifo(const char *path);

#endif
