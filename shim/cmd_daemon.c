// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_daemon.c - the long-running shim: serve the Task service on the
 * listener `start` passed as fd 3 (to a spawned daemon, or over the
 * hand-over socket to a warm spare, cmd_warm.c, which brings its booted
 * backend), publish events, reap children, and exit after a Shutdown
 * that leaves no task, or on SIGTERM/SIGINT.
 *
 * Threads: this main thread only waits for signals (all of them are
 * blocked everywhere and taken here with sigwaitinfo, so no handler runs
 * in a random thread); ttrpc and events run their own threads.
 *
 * SIGUSR1 dumps what the shim is waiting on into its log (as containerd
 * dumps its goroutines): every ttrpc request whose handler runs, every
 * agent request waiting for husk-init, each vCPU's state, all with their
 * ages. It runs here, in the signal loop, and takes no lock a stuck
 * handler may hold, so it answers while a call hangs. husk-init's side of
 * the stdio streams is asked of the guest on a thread of its own
 * (sandbox/sandbox_relay_dump.c) and logged when it answers: this loop,
 * which also reaps children, never waits for the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim/sandbox/sandbox.h"
#include "shim/cli.h"
#include "shim/cmd.h"
#include "common/clock.h"
#include "common/error.h"
#include "shim/task/events.h"
#include "shim/base/dump_lines.h"
#include "shim/base/shim_log.h"
#include "shim/base/reaper.h"
#include "shim/task/task.h"
#include "shim/ttrpc/ttrpc.h"

struct daemon {
	struct sockaddr_un addr; /* our socket path, removed at exit */
	ino_t sock_ino;		 /* ...only if it is still ours */
	struct shim_events *ev;
	struct shim_tasks *tasks;
	struct sandbox *be; /* owned by tasks */
	struct ttrpc_server *srv;
	struct shim_start_clock clock; /* a spawned daemon's; the first Create logs it */
	sigset_t sigs;
};

static void request_exit(void *opaque)
{
	/* Process-directed: the main thread's sigwaitinfo takes it. */
	kill(getpid(), SIGUSR2);
}

static int check_listener(struct daemon *d, struct husk_error **err)
{
	socklen_t len = sizeof(d->addr);
	int on = 0;
	socklen_t olen = sizeof(on);
	struct stat st;

	if (getsockopt(SHIM_LISTEN_FD, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) || !on)
		return husk_err(err, 0,
				"fd %d is not a listening socket (run by `start`, not by hand)",
				SHIM_LISTEN_FD);
	if (getsockname(SHIM_LISTEN_FD, (struct sockaddr *)&d->addr, &len))
		return husk_err(err, errno, "getsockname");
	if (d->addr.sun_path[0] && !stat(d->addr.sun_path, &st))
		d->sock_ino = st.st_ino;
	fcntl(SHIM_LISTEN_FD, F_SETFD, FD_CLOEXEC);
	return 0;
}

static void setup_process(struct daemon *d, const struct shim_args *a, const char *bundle)
{
	char log_path[PATH_MAX + 8];
	const char *file = getenv(SHIM_LOG_ENV);
	int fd;

	sigemptyset(&d->sigs);
	sigaddset(&d->sigs, SIGTERM);
	sigaddset(&d->sigs, SIGINT);
	sigaddset(&d->sigs, SIGCHLD);
	sigaddset(&d->sigs, SIGUSR1);
	sigaddset(&d->sigs, SIGUSR2);
	/* Before any thread exists, so every thread inherits the mask. */
	pthread_sigmask(SIG_BLOCK, &d->sigs, NULL);
	signal(SIGPIPE, SIG_IGN); /* log, event and stdio peers vanish */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* exec'd through /proc/self/exe, the daemon would be "exe" in ps/top */
	prctl(PR_SET_NAME, "containerd-shim", 0, 0, 0);
	snprintf(log_path, sizeof(log_path), "%s/log", bundle);
	if (shim_log_open_fifo(log_path) && file && *file) {
		fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && dup2(fd, STDERR_FILENO) >= 0)
			close(fd);
	}
	shim_log_set_level(a->debug ? SHIM_LOG_DEBUG : SHIM_LOG_INFO);
	shim_log_set_id(a->id);
}

/* containerd's ttrpc address: $TTRPC_ADDRESS, else -address + ".ttrpc". */
static int events_address(const struct shim_args *a, char *buf, size_t len)
{
	const char *env = getenv("TTRPC_ADDRESS");

	if (env && *env)
		return snprintf(buf, len, "%s", env) >= (int)len ? -ENAMETOOLONG : 0;
	if (!a->address || !*a->address) {
		buf[0] = '\0';
		return 0;
	}
	return snprintf(buf, len, "%s.ttrpc", a->address) >= (int)len ? -ENAMETOOLONG : 0;
}

/* @be: a spare's backend with its VM up, or NULL for a new one. */
static int setup_services(struct daemon *d, const struct shim_args *a, struct sandbox *be,
			  struct husk_error **err)
{
	struct shim_tasks_config cfg = { NULL, request_exit, d, &d->clock };
	char evaddr[PATH_MAX];
	int ret;

	if (events_address(a, evaddr, sizeof(evaddr)))
		return husk_err(err, ENAMETOOLONG, "containerd ttrpc address");
	/* As containerd 1.7+ sets it; binary:// loggers are told it. Set
	 * before any thread starts. */
	if (a->ns && setenv("NAMESPACE", a->ns, 1))
		return husk_err(err, errno, "setenv NAMESPACE");
	ret = shim_events_new(evaddr, a->ns, 1000, &d->ev, err);
	if (!ret && !be && sandbox_backend_new(&be))
		ret = husk_err(err, ENOMEM, "VM backend");
	if (!ret)
		ret = shim_tasks_new(&sandbox_backend_ops, be, d->ev, &cfg, &d->tasks, err);
	if (!ret)
		d->be = be;
	if (!ret)
		ret = ttrpc_server_new(&d->srv, err);
	if (!ret && shim_tasks_register(d->tasks, d->srv))
		ret = husk_err(err, ENOMEM, "register Task service");
	if (!ret)
		ret = ttrpc_server_start(d->srv, SHIM_LISTEN_FD, err);
	return ret;
}

/* `start`'s beginning, from its environment (unset: none of our children sees it). */
static void take_start_ns(struct daemon *d)
{
	const char *env = getenv(SHIM_START_NS_ENV);

	if (env)
		d->clock.start_ns = strtoull(env, NULL, 10);
	unsetenv(SHIM_START_NS_ENV);
}

static void report_ready(int ret, struct husk_error *err)
{
	const char *env = getenv(SHIM_READY_FD_ENV);
	char msg[600];
	int fd = env ? atoi(env) : -1, n;

	if (ret)
		shim_err("daemon setup: %s", husk_error_message(err));
	if (fd < 0)
		return;
	n = ret ? snprintf(msg, sizeof(msg), "%s\n", husk_error_message(err)) :
		  snprintf(msg, sizeof(msg), "ok\n");
	if (write(fd, msg, (size_t)n) < 0) {
		/* start gave up waiting; nothing to tell. */
	}
	close(fd);
	unsetenv(SHIM_READY_FD_ENV);
}

#define DUMP_MAX_REQUESTS 64

static void dump(struct daemon *d)
{
	struct ttrpc_inflight rq[DUMP_MAX_REQUESTS];
	char line[DUMP_LINE_MAX];
	size_t n, i;

	n = ttrpc_server_inflight(d->srv, rq, DUMP_MAX_REQUESTS);
	shim_info("dump: %zu task(s) in this shim, %zu ttrpc request(s) in progress",
		  shim_tasks_count(d->tasks), n);
	for (i = 0; i < n && i < DUMP_MAX_REQUESTS; i++) {
		dump_ttrpc_line(line, sizeof(line), rq[i].method, rq[i].stream_id, rq[i].age_ms);
		shim_info("%s", line);
	}
	sandbox_dump(d->be);
	shim_info("dump: end");
}

static void serve(struct daemon *d)
{
	siginfo_t si;

	for (;;) {
		if (sigwaitinfo(&d->sigs, &si) < 0)
			continue;
		if (si.si_signo == SIGCHLD) {
			reaper_reap();
		} else if (si.si_signo == SIGUSR1) {
			dump(d);
		} else {
			shim_info("exiting on %s",
				  si.si_signo == SIGUSR2 ? "Shutdown" : strsignal(si.si_signo));
			return;
		}
	}
}

/*
 * The last teardown phase line first: containerd (1.5+) closes the shim's
 * log FIFO as soon as the ttrpc connection closes, and lines written after
 * that are lost. Then the socket (a new start must not find a dying shim),
 * events last.
 */
static void teardown(struct daemon *d)
{
	struct stat st;

	if (d->be)
		sandbox_phases_exit(d->be);
	if (d->sock_ino && !stat(d->addr.sun_path, &st) && st.st_ino == d->sock_ino)
		unlink(d->addr.sun_path);
	if (d->tasks)
		shim_tasks_cancel_waits(d->tasks);
	if (d->srv) {
		ttrpc_server_drain(d->srv, 1000);
		ttrpc_server_free(d->srv);
	}
	shim_tasks_free(d->tasks);
	if (shim_events_flush(d->ev, 5000))
		shim_warn("events still queued at exit were dropped");
	shim_events_free(d->ev);
}

int shim_cmd_daemon(const struct shim_args *a)
{
	return shim_daemon_run(a, NULL);
}

int shim_daemon_run(const struct shim_args *a, struct sandbox *be)
{
	struct daemon d = { .clock.daemon_ns = husk_now_ns() };
	struct husk_error *err = NULL;
	char bundle[PATH_MAX];
	int ret;

	ret = shim_bundle_dir(a, bundle, sizeof(bundle));
	if (ret)
		ret = husk_err(&err, -ret, "bundle directory");
	if (!ret)
		ret = check_listener(&d, &err);
	if (!ret) {
		take_start_ns(&d);
		setup_process(&d, a, bundle);
		ret = setup_services(&d, a, be, &err);
	}
	d.clock.ready_ns = husk_now_ns(); /* before containerd can send Create */
	report_ready(ret, err);
	if (ret && !d.srv)
		close(SHIM_LISTEN_FD);
	if (!ret)
		serve(&d);
	teardown(&d);
	husk_error_free(err);
	return ret ? 1 : 0;
}
