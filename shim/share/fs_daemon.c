// SPDX-License-Identifier: Apache-2.0
/*
 * fs_daemon.c - a sandbox's virtiofsd process: launch with its listening
 * socket as fd 3, its stderr relayed to the shim log, its exit watched
 * through the reaper, and its stop (fs_daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/share/fs_daemon.h"
#include "shim/share/fs_daemon_cache.h"
#include "shim/base/reaper.h"
#include "shim/base/run_prog.h"
#include "shim/base/shim_log.h"

void fs_daemon_init(struct fs_daemon *d)
{
	memset(d, 0, sizeof(*d));
	d->log_fd = d->log_stop_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
}

/* On the reaper's thread. */
static void fs_daemon_exited(void *opaque, pid_t pid, int status)
{
	struct fs_daemon *d = opaque;

	pthread_mutex_lock(&d->lock);
	d->exited = true;
	d->status = status;
	if (!d->stopping && d->serving)
		shim_err("virtiofsd (pid %d) exited with status %d while the VM runs: the "
			 "containers' host folders (bind mounts) no longer answer in the VM%s%s",
			 (int)pid, status, d->last_line[0] ? "; its last words: " : "",
			 d->last_line);
	if (!d->stopping && d->serving && d->on_death)
		d->on_death(d->on_death_opaque);
	if (!d->stopping)
		shim_warn("virtiofsd (pid %d) exited with status %d before the VM connected%s%s",
			  (int)pid, status, d->last_line[0] ? ": " : "", d->last_line);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* One complete line of its stderr: to the log, and kept for errors. */
static void fs_daemon_line(struct fs_daemon *d, char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!n)
		return;
	/* Its chatter (waiting, connected, loop entry) only in a debug log. */
	if (strcasestr(line, "error") || strcasestr(line, "fail") || strcasestr(line, "unknown") ||
	    strcasestr(line, "panic") || strcasestr(line, "invalid") || strcasestr(line, "cannot"))
		shim_warn("virtiofsd: %s", line);
	else
		shim_info("virtiofsd: %s", line);
	pthread_mutex_lock(&d->lock);
	snprintf(d->last_line, sizeof(d->last_line), "%s", line);
	pthread_mutex_unlock(&d->lock);
}

/* Relay lines until EOF (every holder of the pipe exited) or a stop. */
static void *fs_daemon_log(void *arg)
{
	struct fs_daemon *d = arg;
	struct pollfd pfd[2] = { { .fd = d->log_fd, .events = POLLIN },
				 { .fd = d->log_stop_fd, .events = POLLIN } };
	char buf[1024], *nl;
	size_t have = 0;
	ssize_t n;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!pfd[0].revents && pfd[1].revents)
			break; /* nothing left to read and asked to go */
		n = read(d->log_fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
		have += n > 0 ? (size_t)n : 0;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n')) || have == sizeof(buf) - 1) {
			size_t take = nl ? (size_t)(nl - buf) + 1 : have;
			char c = buf[take];

			buf[take] = '\0';
			fs_daemon_line(d, buf);
			buf[take] = c;
			memmove(buf, buf + take, have - take + 1);
			have -= take;
		}
	}
	if (have)
		fs_daemon_line(d, buf);
	pthread_mutex_lock(&d->lock);
	d->log_eof = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static int fs_daemon_listen(const char *path, struct husk_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return husk_err(err, ENAMETOOLONG, "virtiofsd socket %s", path);
	strcpy(sa.sun_path, path);
	if (unlink(path) && errno != ENOENT)
		return husk_err(err, errno, "virtiofsd socket: remove stale %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return husk_err(err, errno, "virtiofsd socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) || listen(fd, 1)) {
		int e = errno;

		close(fd);
		return husk_err(err, e, "virtiofsd socket %s", path);
	}
	return fd;
}

/* In the child: async-signal-safe calls only, up to execv. */
static void fs_daemon_child(const struct fs_daemon_args *a, int listen_fd, int log_w, int null_fd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* listen_fd and log_w are above 3 (dup'd so by the parent): no clash. */
	if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
	    dup2(log_w, STDERR_FILENO) < 0 || dup2(listen_fd, FS_DAEMON_FD) < 0)
		_exit(126);
	/* Nothing else of the shim's leaks in, whether CLOEXEC or not. */
	syscall(SYS_close_range, FS_DAEMON_FD + 1, ~0u, 0);
	execv(a->argv[0], (char *const *)a->argv);
	_exit(127);
}

static int fs_daemon_fork(struct fs_daemon *d, const struct fs_daemon_args *a, int listen_fd,
			  int log_w, int null_fd, struct husk_error **err)
{
	pid_t pid;

	reaper_lock();
	pid = fork();
	if (pid == 0)
		fs_daemon_child(a, listen_fd, log_w, null_fd);
	if (pid > 0 && reaper_watch(pid, fs_daemon_exited, d)) {
		kill(pid, SIGKILL); /* untracked: reaped as an orphan */
		d->exited = true;
		d->status = 128 + SIGKILL;
	}
	reaper_unlock();
	if (pid < 0)
		return husk_err(err, errno, "virtiofsd: fork");
	d->pid = pid;
	d->start_time = fs_daemon_start_time(pid);
	return 0;
}

/* The flavour: remembered for this very file, else from `virtiofsd --version` (then remembered). */
static int fs_daemon_probe(struct fs_daemon *d, const char *bin, struct husk_error **err)
{
	const char *argv[] = { bin, "--version", NULL };
	char out[1024];
	int ret;

	if (d->flavour_cache && !fs_daemon_cache_get(d->flavour_cache, bin, &d->flavour)) {
		shim_debug("virtiofsd %s: %s daemon (remembered in %s)", bin,
			   d->flavour == FS_DAEMON_C ? "C" : "Rust", d->flavour_cache);
		return 0;
	}
	ret = run_prog_output(argv, out, sizeof(out), err);
	if (ret)
		return husk_err_wrap(err, "virtiofsd");
	if (fs_daemon_flavour(out, &d->flavour))
		return husk_err(err, 0, "virtiofsd %s: unknown --version output \"%.80s\"", bin,
				out);
	shim_info("virtiofsd %s: %s daemon", bin, d->flavour == FS_DAEMON_C ? "C" : "Rust");
	if (d->flavour_cache && (ret = fs_daemon_cache_put(d->flavour_cache, bin, d->flavour)))
		shim_debug("virtiofsd flavour not remembered in %s: %s", d->flavour_cache,
			   strerror(-ret));
	return 0;
}

/* fds at 4 and above, so the child's dup2 onto 0..3 never clobbers one. */
static int fs_daemon_high(int fd)
{
	int hi;

	if (fd < 0 || fd > FS_DAEMON_FD)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, FS_DAEMON_FD + 1);
	close(fd);
	return hi;
}

static int fs_daemon_spawn(struct fs_daemon *d, const struct fs_daemon_args *a,
			   const char *socket_path, struct husk_error **err)
{
	int listen_fd, pipefd[2] = { -1, -1 }, null_fd, ret;

	listen_fd = fs_daemon_high(fs_daemon_listen(socket_path, err));
	if (listen_fd < 0)
		return listen_fd;
	null_fd = fs_daemon_high(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (null_fd < 0 || pipe2(pipefd, O_CLOEXEC) ||
	    (pipefd[1] = fs_daemon_high(pipefd[1])) < 0 ||
	    (d->log_stop_fd = eventfd(0, EFD_CLOEXEC)) < 0)
		ret = husk_err(err, errno, "virtiofsd: pipe");
	else
		ret = fs_daemon_fork(d, a, listen_fd, pipefd[1], null_fd, err);
	/* The daemon holds the listening socket now; clients queue in its backlog. */
	close(listen_fd);
	if (null_fd >= 0)
		close(null_fd);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	d->log_fd = pipefd[0];
	if (!ret && !pthread_create(&d->log_thread, NULL, fs_daemon_log, d))
		d->logging = true;
	return ret;
}

int fs_daemon_start(struct fs_daemon *d, const char *bin, const char *dir, const char *socket_path,
		    struct husk_error **err)
{
	struct fs_daemon_args a;
	int ret;

	/* The record may have served an earlier VM of this shim. */
	d->exited = d->stopping = d->serving = d->log_eof = false;
	d->status = 0;
	d->last_line[0] = '\0';
	ret = fs_daemon_probe(d, bin, err);
	if (ret)
		return ret;
	ret = fs_daemon_argv(d->flavour, bin, dir, &a);
	if (ret)
		return husk_err(err, -ret, "virtiofsd: shared folder %s", dir);
	ret = fs_daemon_spawn(d, &a, socket_path, err);
	if (!ret)
		shim_info("virtiofsd pid %d serves %s on %s", (int)d->pid, dir, socket_path);
	return ret;
}

/* Wait until *@flag or @ms passed; the flag. Under d->lock. */
static bool fs_daemon_wait_flag(struct fs_daemon *d, const bool *flag, int ms)
{
	struct timespec ts = husk_timespec_after_ms(CLOCK_REALTIME, ms);

	while (!*flag && pthread_cond_timedwait(&d->cond, &d->lock, &ts) != ETIMEDOUT)
		;
	return *flag;
}

/* Wait until reaped or @ms passed; true if reaped. Under d->lock. */
static bool fs_daemon_wait_locked(struct fs_daemon *d, int ms)
{
	return fs_daemon_wait_flag(d, &d->exited, ms);
}

int fs_daemon_failed(struct fs_daemon *d, struct husk_error **err)
{
	bool gone;

	if (d->pid <= 0)
		return husk_err_wrap(err, "virtiofsd");
	pthread_mutex_lock(&d->lock);
	d->stopping = true; /* reported here, with the cause */
	/* An exit right after its start (bad option, no sandbox) comes quickly. */
	gone = fs_daemon_wait_locked(d, 200);
	/* Its last words may still be in the pipe: the relay reads them first. */
	if (gone && d->logging)
		fs_daemon_wait_flag(d, &d->log_eof, 500);
	pthread_mutex_unlock(&d->lock);
	if (gone)
		return husk_err_wrap(err, "virtiofsd exited with status %d (%s)", d->status,
				     d->last_line[0] ? d->last_line : "no output");
	return husk_err_wrap(err, "virtiofsd pid %d", (int)d->pid);
}

void fs_daemon_serving(struct fs_daemon *d)
{
	pthread_mutex_lock(&d->lock);
	d->serving = true;
	pthread_mutex_unlock(&d->lock);
}

void fs_daemon_expect_exit(struct fs_daemon *d)
{
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_mutex_unlock(&d->lock);
}

static void fs_daemon_join_log(struct fs_daemon *d)
{
	uint64_t one = 1;

	if (d->logging) {
		if (write(d->log_stop_fd, &one, sizeof(one)) < 0)
			shim_warn("virtiofsd log relay: %s", strerror(errno));
		pthread_join(d->log_thread, NULL);
		d->logging = false;
	}
	if (d->log_fd >= 0)
		close(d->log_fd);
	if (d->log_stop_fd >= 0)
		close(d->log_stop_fd);
	d->log_fd = d->log_stop_fd = -1;
}

int fs_daemon_stop(struct fs_daemon *d)
{
	int status = -1;

	fs_daemon_launch_wait(d, NULL);
	if (d->pid > 0) {
		pthread_mutex_lock(&d->lock);
		d->stopping = true;
		if (!fs_daemon_wait_locked(d, FS_DAEMON_GRACE_MS)) {
			kill(d->pid, SIGTERM);
			if (!fs_daemon_wait_locked(d, FS_DAEMON_TERM_MS)) {
				shim_warn("virtiofsd pid %d ignored SIGTERM: SIGKILL", (int)d->pid);
				kill(d->pid, SIGKILL);
				fs_daemon_wait_locked(d, 60000);
			}
		}
		status = d->exited ? d->status : -1;
		pthread_mutex_unlock(&d->lock);
		d->pid = 0;
	}
	fs_daemon_join_log(d);
	return status;
}

/* Fields 3 (state) and 22 (start time) of /proc/@pid/stat; 0 when gone. */
static unsigned long long fs_daemon_stat(pid_t pid, char *state)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd, field;

	*state = '\0';
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command may hold spaces and parentheses: fields follow the last ')'. */
	p = strrchr(buf, ')');
	if (p && p[1] == ' ')
		*state = p[2];
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

unsigned long long fs_daemon_start_time(pid_t pid)
{
	char state;

	return fs_daemon_stat(pid, &state);
}

static bool fs_daemon_is(pid_t pid, unsigned long long start_time)
{
	char path[64], comm[32] = "";
	ssize_t n;
	int fd;

	if (pid <= 1 || !start_time || fs_daemon_start_time(pid) != start_time)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	comm[n > 0 ? n : 0] = '\0';
	return !strncmp(comm, "virtiofsd", 9);
}

bool fs_daemon_kill_recorded(pid_t pid, unsigned long long start_time, int wait_ms)
{
	int waited;

	if (!fs_daemon_is(pid, start_time))
		return false;
	/* Its sandboxed worker dies with it (a pid namespace whose init it is). */
	kill(pid, SIGKILL);
	/* Not our child: gone once a zombie (its mounts released) or reaped. */
	for (waited = 0; waited < wait_ms; waited += 20) {
		char state;

		if (fs_daemon_stat(pid, &state) != start_time || state == 'Z')
			break;
		usleep(20000);
	}
	return true;
}
