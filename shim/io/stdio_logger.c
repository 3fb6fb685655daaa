// SPDX-License-Identifier: Apache-2.0
/* stdio_logger.c - binary:// logging programs (see stdio_logger.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/base/reaper.h"
#include "shim/io/stdio_logger.h"

#define LOGGER_EOF_GRACE_MS  2000  /* to exit by itself after EOF */
#define LOGGER_TERM_GRACE_MS 12000 /* after SIGTERM, as containerd */

void stdio_logger_init(struct stdio_logger *lg)
{
	lg->pid = -1;
	pthread_mutex_init(&lg->lock, NULL);
	pthread_cond_init(&lg->cond, NULL);
	lg->exited = false;
	lg->status = -1;
}

static void logger_exited(void *opaque, pid_t pid, int status)
{
	struct stdio_logger *lg = opaque;

	pthread_mutex_lock(&lg->lock);
	lg->exited = true;
	lg->status = status;
	pthread_cond_broadcast(&lg->cond);
	pthread_mutex_unlock(&lg->lock);
}

/* environ plus CONTAINER_ID and CONTAINER_NAMESPACE, built before fork. */
static char **logger_env(const char *id, const char *ns)
{
	size_t n = 0, k = 0, i;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "CONTAINER_ID=", 13) &&
		    strncmp(environ[i], "CONTAINER_NAMESPACE=", 20))
			env[k++] = environ[i];
	if (asprintf(&env[k], "CONTAINER_ID=%s", id) < 0) {
		free(env);
		return NULL;
	}
	if (asprintf(&env[k + 1], "CONTAINER_NAMESPACE=%s", ns) < 0) {
		free(env[k]);
		free(env);
		return NULL;
	}
	return env;
}

static void logger_env_free(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	free(env[n - 1]);
	free(env[n - 2]);
	free(env);
}

/* In the child: fds 3, 4, 5 and exec; only async-signal-safe calls. */
static void logger_child(const char *path, char **argv, char **env, const int fds[3])
{
	int hi[3], i, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way first, so that moving one to 3..5 clobbers no other. */
	for (i = 0; i < 3; i++)
		hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
	for (i = 0; i < 3; i++)
		if (hi[i] < 0 || dup2(hi[i], 3 + i) < 0)
			_exit(126);
	if (null >= 0 && (dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0))
		_exit(126);
	setsid();
	execve(path, argv, env);
	_exit(127);
}

/* Wait for a byte or EOF on @fd; 0, or -1 on timeout. */
static int logger_wait_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;
	int n;

	do
		n = poll(&pfd, 1, STDIO_LOGGER_READY_MS);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	(void)!read(fd, &c, 1);
	return 0;
}

static int logger_fork(struct stdio_logger *lg, const struct stdio_uri *uri, char **argv,
		       char **env, const int child_fds[3], struct husk_error **err)
{
	pid_t pid;

	reaper_lock();
	pid = fork();
	if (pid == 0)
		logger_child(uri->path, argv, env, child_fds);
	if (pid > 0 && reaper_watch(pid, logger_exited, lg)) {
		kill(pid, SIGKILL); /* untracked: reaped as an orphan */
		lg->exited = true;
	}
	reaper_unlock();
	if (pid < 0)
		return husk_err(err, errno, "binary logger %s: fork", uri->path);
	lg->pid = pid;
	return 0;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int stdio_logger_spawn(struct stdio_logger *lg, const struct stdio_uri *uri, const char *id,
		       const char *ns, int *out_w, int *err_w, struct husk_error **err)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, rdy[2] = { -1, -1 }, ret;
	char **argv, **env;
	size_t i;

	argv = calloc(uri->nargs + 2, sizeof(*argv));
	env = logger_env(id, ns);
	if (!argv || !env) {
		free(argv);
		if (env)
			logger_env_free(env);
		return husk_err(err, ENOMEM, "binary logger");
	}
	argv[0] = uri->path;
	for (i = 0; i < uri->nargs; i++)
		argv[i + 1] = uri->args[i];
	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(rdy, O_CLOEXEC))
		ret = husk_err(err, errno, "binary logger %s: pipe", uri->path);
	else
		ret = logger_fork(lg, uri, argv, env, (int[3]){ out[0], errp[0], rdy[1] }, err);
	free(argv);
	logger_env_free(env);
	close_fds((int[3]){ out[0], errp[0], rdy[1] }, 3);
	if (!ret && logger_wait_ready(rdy[0]) < 0)
		ret = husk_err(err, ETIMEDOUT, "binary logger %s: not ready within %d ms",
			       uri->path, STDIO_LOGGER_READY_MS);
	close_fds(&rdy[0], 1);
	if (ret) {
		close_fds((int[2]){ out[1], errp[1] }, 2);
		stdio_logger_stop(lg);
		return ret;
	}
	*out_w = out[1];
	*err_w = errp[1];
	return 0;
}

/* Wait until the logger exited or @ms passed; true if it exited. */
static bool logger_wait(struct stdio_logger *lg, int ms)
{
	struct timespec ts = husk_timespec_after_ms(CLOCK_REALTIME, ms);
	bool done;

	pthread_mutex_lock(&lg->lock);
	while (!lg->exited && pthread_cond_timedwait(&lg->cond, &lg->lock, &ts) != ETIMEDOUT)
		;
	done = lg->exited;
	pthread_mutex_unlock(&lg->lock);
	return done;
}

int stdio_logger_stop(struct stdio_logger *lg)
{
	if (lg->pid <= 0) /* never kill(0): a zeroed record has no logger */
		return -1;
	if (!logger_wait(lg, LOGGER_EOF_GRACE_MS)) {
		kill(lg->pid, SIGTERM);
		if (!logger_wait(lg, LOGGER_TERM_GRACE_MS)) {
			kill(lg->pid, SIGKILL);
			logger_wait(lg, 60000);
		}
	}
	lg->pid = -1;
	return lg->status;
}
