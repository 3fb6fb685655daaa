/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_daemon.h - the virtiofsd of a sandbox: one per VM, serving the
 * sandbox's share (fs_share.h) and nothing else of the host, as the
 * vhost-user backend of the VM's virtio-fs device.
 *
 * Which binary: the runtime config's "virtiofsd" (absolute path), else
 * the first of FS_DAEMON_CANDIDATES that is executable: Debian 12 ships
 * the C daemon of QEMU 7.2 in qemu-system-common, newer Debian the Rust
 * daemon as package virtiofsd. The two spell their options differently
 * (-o source= vs --shared-dir=, ...), so `--version` picks the flavour
 * and the native syntax is used (docs/virtio-fs.md sections 5 and 6).
 *
 * How it runs: the shim creates the listening Unix socket itself and
 * passes it as fd 3 (--fd=3), so a client may connect at once (it waits
 * in the backlog) and no fixed socket name or daemon pid file stands in
 * the way. virtiofsd sandboxes itself in new namespaces with the shared
 * folder as its root (--sandbox=namespace). Its stderr comes through a
 * pipe to the shim log, one line each. It serves one connection and
 * exits when the VM closes it; an exit while the VM runs is logged as an
 * error (the guest's requests on the share then fail).
 *
 * The daemon's pid and start time are recorded in every bundle of the
 * sandbox (fs_state.h), so `delete` after a killed shim can end it
 * without ever signalling an unrelated process that reused the pid.
 */
#ifndef HUSK_SHIM_SHARE_FS_DAEMON_H
#define HUSK_SHIM_SHARE_FS_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct husk_error;

#define FS_DAEMON_CANDIDATES \
	{ \
		"/usr/lib/qemu/virtiofsd", "/usr/libexec/virtiofsd", "/usr/lib/virtiofsd", NULL \
	}
#define FS_DAEMON_FD	   3	/* the listening socket in the daemon */
#define FS_DAEMON_GRACE_MS 1000 /* a stop first waits for a voluntary exit */
#define FS_DAEMON_TERM_MS  5000 /* then SIGTERM, then SIGKILL */
#define FS_DAEMON_MAX_ARGS 16

enum fs_daemon_flavour {
	FS_DAEMON_C,	/* QEMU's C virtiofsd (7.2 and before) */
	FS_DAEMON_RUST, /* the Rust virtiofsd 1.x */
};

/* The argument vector of one launch; argv points into the struct. */
struct fs_daemon_args {
	char source[4200];
	const char *argv[FS_DAEMON_MAX_ARGS];
};

struct fs_daemon {
	pid_t pid;		       /* 0: never started */
	unsigned long long start_time; /* /proc/<pid>/stat field 22 */
	enum fs_daemon_flavour flavour;
	/* Where the flavour is remembered (fs_daemon_cache.h); NULL: always probe. */
	const char *flavour_cache;
	int log_fd;	 /* read end of its stderr; -1 */
	int log_stop_fd; /* eventfd: the log thread returns */
	pthread_t log_thread;
	bool logging;
	bool log_eof; /* the relay read all there was (under lock) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool exited;	     /* reaped (under lock) */
	int status;	     /* exit status, 128 + signal */
	bool stopping;	     /* an exit from now on is expected */
	bool serving;	     /* the VM is connected: an exit is an error */
	char last_line[256]; /* its last stderr line, for errors */
	/*
	 * Called (under lock, on the reaper's thread) when it dies while
	 * serving and no stop was expected: the owner's policy. NULL: none.
	 */
	void (*on_death)(void *opaque);
	void *on_death_opaque;
	struct fs_daemon_launch *launch; /* a start in progress (fs_daemon_launch.c) */
};

/*
 * fs_daemon_find - the binary: @configured when set (it must be an
 * executable file), else the first executable of the NULL-terminated
 * @candidates. Fails with ENOENT and a message saying what to install or
 * configure.
 */
int fs_daemon_find(const char *configured, const char *const *candidates, char *out, size_t len,
		   struct husk_error **err);

/*
 * fs_daemon_flavour - the flavour from `virtiofsd --version` output:
 * "virtiofsd version 7.2.22 (Debian ...)" is C, "virtiofsd 1.10.1" is
 * Rust. Returns 0, or -EINVAL for text that is neither.
 */
int fs_daemon_flavour(const char *version_text, enum fs_daemon_flavour *out);

/* fs_daemon_argv - the launch of @bin serving @dir, native syntax (pure). */
int fs_daemon_argv(enum fs_daemon_flavour f, const char *bin, const char *dir,
		   struct fs_daemon_args *a);

/* fs_daemon_init - a record that runs nothing (pid 0, fds -1). */
void fs_daemon_init(struct fs_daemon *d);

/*
 * fs_daemon_start - probe @bin's flavour, listen on @socket_path (a stale
 * socket file there is replaced) and start @bin serving @dir with that
 * socket as fd 3. The pid is watched through the reaper (reaper.h), so
 * the process must have a reaper loop (the daemon's signal loop).
 */
int fs_daemon_start(struct fs_daemon *d, const char *bin, const char *dir, const char *socket_path,
		    struct husk_error **err);

/*
 * fs_daemon_launch - fs_daemon_start on a thread of its own, so that the
 * caller's next step (the VM's creation) overlaps the probe and the fork;
 * fs_daemon_launch_wait joins it and returns fs_daemon_start's result
 * and error. Nothing may touch @d in between but fs_daemon_launch_wait
 * and fs_daemon_stop (which waits first). Fails only when no thread can
 * start (then nothing runs).
 */
int fs_daemon_launch(struct fs_daemon *d, const char *bin, const char *dir, const char *socket_path,
		     struct husk_error **err);

/* fs_daemon_launch_wait - the launch's result (0 when none is in progress). */
int fs_daemon_launch_wait(struct fs_daemon *d, struct husk_error **err);

/*
 * fs_daemon_failed - wrap *@err (a failed connection to the daemon) with
 * its fate when it has exited: "virtiofsd exited with status 1: <its
 * last line>". Returns the error's negative errno.
 */
int fs_daemon_failed(struct fs_daemon *d, struct husk_error **err);

/* fs_daemon_serving - the VM's device is connected: a later exit is logged as an error. */
void fs_daemon_serving(struct fs_daemon *d);

/*
 * fs_daemon_expect_exit - the VM is about to close its connection (the
 * sandbox ends), after which virtiofsd exits by itself: not an error.
 */
void fs_daemon_expect_exit(struct fs_daemon *d);

/*
 * fs_daemon_stop - the end of the sandbox: wait FS_DAEMON_GRACE_MS for
 * it to leave (it does when the VM closed its connection), then SIGTERM,
 * FS_DAEMON_TERM_MS, SIGKILL; reaped, log relay joined (a launch in
 * progress is waited for first). Returns its exit status, or -1 when it
 * never ran.
 */
int fs_daemon_stop(struct fs_daemon *d);

/* fs_daemon_start_time - field 22 of /proc/@pid/stat; 0 when gone. */
unsigned long long fs_daemon_start_time(pid_t pid);

/*
 * fs_daemon_kill_recorded - for `delete` after a killed shim: SIGKILL
 * @pid if it still is the recorded virtiofsd (same start time, command
 * virtiofsd), then wait up to @wait_ms for it to be gone. Returns true
 * if it was killed.
 */
bool fs_daemon_kill_recorded(pid_t pid, unsigned long long start_time, int wait_ms);

#endif
