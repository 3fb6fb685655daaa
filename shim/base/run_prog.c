// SPDX-License-Identifier: Apache-2.0
/* run_prog.c - helper programs run to completion (see run_prog.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/reaper.h"
#include "shim/base/run_prog.h"

struct run_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int status;
};

static void run_exited(void *opaque, pid_t pid, int status)
{
	struct run_wait *w = opaque;

	pthread_mutex_lock(&w->lock);
	w->status = status;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static int run_lookup(const char *name, char *path, size_t len)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	size_t i;

	if (strchr(name, '/'))
		return snprintf(path, len, "%s", name) < (int)len ? 0 : -ENAMETOOLONG;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (!access(path, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* In the child: only async-signal-safe calls until execv. */
static void run_child(const char *path, const char *const argv[], const char *ovl_opts,
		      const char *ovl_dir, int errfd)
{
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	dup2(errfd, STDERR_FILENO);
	dup2(errfd, STDOUT_FILENO);
	if (ovl_opts) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("overlay", ovl_dir, "overlay", MS_RDONLY, ovl_opts)) {
			static const char msg[] = "mount overlay of the lower layers failed\n";

			if (write(errfd, msg, sizeof(msg) - 1) < 0)
				_exit(126);
			_exit(126);
		}
	}
	execv(path, (char *const *)argv);
	_exit(127);
}

static void run_read_tail(int fd, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;

	for (;;) {
		if (have == len - 1) {
			memmove(buf, buf + len / 2, have - len / 2);
			have -= len / 2;
		}
		n = read(fd, buf + have, len - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	while (have && (buf[have - 1] == '\n' || buf[have - 1] == ' '))
		have--;
	buf[have] = '\0';
}

/* Fork @argv, wait for it; its output's tail into @out. Returns the exit status or -errno. */
static int run_wait_for(const char *path, const char *const argv[], const char *ovl_opts,
			const char *ovl_dir, char *out, size_t out_len, struct husk_error **err)
{
	struct run_wait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 };
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return husk_err(err, errno, "pipe");
	reaper_lock();
	pid = fork();
	if (pid == 0)
		run_child(path, argv, ovl_opts, ovl_dir, pfd[1]);
	if (pid > 0 && reaper_watch(pid, run_exited, &w)) {
		kill(pid, SIGKILL); /* untracked: reaped as an orphan */
		w.done = true;
		w.status = 128 + SIGKILL;
	}
	reaper_unlock();
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return husk_err(err, errno, "fork %s", argv[0]);
	}
	run_read_tail(pfd[0], out, out_len);
	close(pfd[0]);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	return w.status;
}

int run_prog(const char *const argv[], const char *ovl_lower, const char *ovl_dir,
	     struct husk_error **err)
{
	char path[PATH_MAX], opts[4096], out[1024];
	int st;

	if (run_lookup(argv[0], path, sizeof(path)))
		return husk_err(err, ENOENT, "%s: not found (install it)", argv[0]);
	if (ovl_lower &&
	    snprintf(opts, sizeof(opts), "lowerdir=%s", ovl_lower) >= (int)sizeof(opts))
		return husk_err(err, E2BIG, "overlay lowerdir list longer than %zu bytes",
				sizeof(opts));
	st = run_wait_for(path, argv, ovl_lower ? opts : NULL, ovl_dir, out, sizeof(out), err);
	if (st > 0)
		return husk_err(err, 0, "%s exited with status %d: %s", argv[0], st,
				out[0] ? out : "(no output)");
	return st;
}

int run_prog_output(const char *const argv[], char *out, size_t len, struct husk_error **err)
{
	char path[PATH_MAX];
	int st;

	if (run_lookup(argv[0], path, sizeof(path)))
		return husk_err(err, ENOENT, "%s: not found (install it)", argv[0]);
	st = run_wait_for(path, argv, NULL, NULL, out, len, err);
	if (st > 0)
		return husk_err(err, 0, "%s exited with status %d: %s", argv[0], st,
				out[0] ? out : "(no output)");
	return st;
}
