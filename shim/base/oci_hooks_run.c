// SPDX-License-Identifier: Apache-2.0
/*
 * oci_hooks_run.c - running hooks on the host (oci_hooks.h): fork through
 * the reaper (reaper.h: never a waitpid of our own), the state on stdin,
 * stdout and stderr into one pipe whose tail becomes the error, and the
 * whole process group killed at the timeout (a hook's children must not
 * hold Create up either).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/base/oci_hooks.h"
#include "shim/base/reaper.h"
#include "shim/base/shim_log.h"

#define HOOK_TAIL 1024 /* bytes of a failing hook's output in its error */

struct hook_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int status;
};

struct hook_io {
	int in;	 /* our end of the hook's stdin (a socket: no SIGPIPE) */
	int out; /* read end of its stdout+stderr */
	const char *state;
	size_t left;
	char tail[HOOK_TAIL];
	size_t have;
};

static void hook_exited(void *opaque, pid_t pid, int status)
{
	struct hook_wait *w = opaque;

	(void)pid;
	pthread_mutex_lock(&w->lock);
	w->status = status;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* In the child: only async-signal-safe calls until execve. */
static void hook_child(const struct oci_hook *h, char *const argv[], int in, int out)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigaction(SIGPIPE, &dfl, NULL); /* the daemon ignores it; a hook expects the default */
	setpgid(0, 0);
	dup2(in, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	execve(h->path, argv, h->env ? h->env : environ);
	_exit(127);
}

/* Fork @h with its stdin/out ends; 0 and *pid, or -errno. */
static int hook_fork(const struct oci_hook *h, struct hook_wait *w, int in, int out, pid_t *pid,
		     struct husk_error **err)
{
	char *path_only[2] = { h->path, NULL };
	char *const *argv = h->args && h->args[0] ? h->args : path_only;

	reaper_lock();
	*pid = fork();
	if (*pid == 0)
		hook_child(h, argv, in, out);
	if (*pid > 0 && reaper_watch(*pid, hook_exited, w)) {
		kill(*pid, SIGKILL); /* untracked: reaped as an orphan */
		w->done = true;
		w->status = 128 + SIGKILL;
	}
	reaper_unlock();
	if (*pid < 0)
		return husk_err(err, errno, "hook %s: fork", h->path);
	/* Also from here, so a kill of the group cannot race the child's setpgid. */
	setpgid(*pid, *pid);
	return 0;
}

static void tail_add(struct hook_io *io, const char *buf, size_t n)
{
	if (n >= sizeof(io->tail) - 1) {
		buf += n - (sizeof(io->tail) - 1);
		n = sizeof(io->tail) - 1;
	}
	if (io->have + n > sizeof(io->tail) - 1) {
		size_t drop = io->have + n - (sizeof(io->tail) - 1);

		memmove(io->tail, io->tail + drop, io->have - drop);
		io->have -= drop;
	}
	memcpy(io->tail + io->have, buf, n);
	io->have += n;
}

/* One poll round: feed stdin, read what is there. Returns false once output ended. */
static bool hook_pump(struct hook_io *io, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = io->out, .events = POLLIN },
			       { .fd = io->in, .events = POLLOUT } };
	char buf[4096];
	ssize_t n;

	if (poll(p, io->in >= 0 ? 2 : 1, timeout_ms) < 0)
		return true;
	if (io->in >= 0 && p[1].revents) {
		n = send(io->in, io->state, io->left, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			io->state += n;
			io->left -= (size_t)n;
		}
		/* All sent, or the hook does not read it: end its stdin. */
		if (!io->left || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			close(io->in);
			io->in = -1;
		}
	}
	/* Non-blocking: everything there now, without waiting for more. */
	while ((n = read(io->out, buf, sizeof(buf))) > 0)
		tail_add(io, buf, (size_t)n);
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

static bool hook_done(struct hook_wait *w, int wait_ms)
{
	struct timespec ts;
	bool done;

	pthread_mutex_lock(&w->lock);
	if (!w->done && wait_ms > 0) {
		ts = husk_timespec_after_ms(CLOCK_MONOTONIC, wait_ms);
		pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	}
	done = w->done;
	pthread_mutex_unlock(&w->lock);
	return done;
}

/*
 * Pump until the hook exited (then once more: what it wrote before is
 * read) or the deadline (-1: none) passed; true when it timed out. A
 * child of the hook holding its output open does not keep us waiting.
 */
static bool hook_wait_for(struct hook_io *io, struct hook_wait *w, int64_t deadline)
{
	bool open = true, done;
	int step;

	while (deadline < 0 || husk_ms_left(deadline) > 0) {
		step = deadline < 0 || husk_ms_left(deadline) > 100 ? 100 : husk_ms_left(deadline);
		done = hook_done(w, open ? 0 : step);
		if (open)
			open = hook_pump(io, done ? 0 : step);
		if (done)
			return false;
	}
	return !hook_done(w, 0);
}

static void hook_reap(struct hook_wait *w)
{
	pthread_mutex_lock(&w->lock);
	while (!w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static int hook_result(const struct oci_hook *h, struct hook_io *io, bool timed_out, int status,
		       struct husk_error **err)
{
	while (io->have && (io->tail[io->have - 1] == '\n' || io->tail[io->have - 1] == ' '))
		io->have--;
	io->tail[io->have] = '\0';
	if (timed_out)
		return husk_err(err, ETIMEDOUT,
				"hook %s: killed at its timeout of %d s (output: %s)", h->path,
				h->timeout, io->have ? io->tail : "none");
	if (status)
		return husk_err(err, 0, "hook %s exited with status %d: %s", h->path, status,
				io->have ? io->tail : "(no output)");
	return 0;
}

int oci_hook_exec(const struct oci_hook *h, const char *state, size_t len, struct husk_error **err)
{
	struct hook_wait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0 };
	struct hook_io io = { .state = state, .left = len };
	int sv[2], pfd[2], ret;
	pthread_condattr_t ca;
	bool timed_out;
	pid_t pid;

	if (access(h->path, X_OK))
		return husk_err(err, errno, "hook %s", h->path);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return husk_err(err, errno, "hook %s: socketpair", h->path);
	if (pipe2(pfd, O_CLOEXEC)) {
		ret = husk_err(err, errno, "hook %s: pipe", h->path);
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	ret = hook_fork(h, &w, sv[1], pfd[1], &pid, err);
	close(sv[1]);
	close(pfd[1]);
	io.in = sv[0];
	io.out = pfd[0];
	if (ret) {
		close(io.in);
		close(io.out);
		return ret;
	}
	timed_out = hook_wait_for(&io, &w, h->timeout ? husk_now_ms() + h->timeout * 1000LL : -1);
	if (timed_out)
		kill(-pid, SIGKILL);
	hook_reap(&w);
	if (io.in >= 0)
		close(io.in);
	close(io.out);
	pthread_cond_destroy(&w.cond);
	return hook_result(h, &io, timed_out, w.status, err);
}

int oci_hooks_run(const struct oci_hook_ctx *ctx, enum oci_hook_kind kind, const char *status,
		  uint32_t pid, struct husk_error **err)
{
	struct husk_error *e = NULL;
	bool must = kind == OCI_HOOK_PRESTART || kind == OCI_HOOK_CREATE_RUNTIME;
	char *state;
	size_t i, len;
	int ret;

	if (!ctx->hooks.n[kind])
		return 0;
	ret = oci_state_json(ctx, status, pid, &state, &len, err);
	for (i = 0; !ret && i < ctx->hooks.n[kind]; i++) {
		ret = oci_hook_exec(&ctx->hooks.hook[kind][i], state, len, must ? err : &e);
		if (ret && must) {
			husk_err_wrap(err, "%s hook %zu of %s", oci_hook_kind_name(kind), i,
				      ctx->id);
		} else if (ret) {
			/* The spec: warn, run the rest, the operation stands. */
			shim_warn("%s hook %zu of %s: %s", oci_hook_kind_name(kind), i, ctx->id,
				  husk_error_message(e));
			husk_error_free(e);
			e = NULL;
			ret = 0;
		}
	}
	free(state);
	return ret;
}
