// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_warm.c - `warm`: a spare shim of the warm pool (warm/warm_pool.h).
 * It boots a VM for runtime config -config, waits on its pool socket
 * for `start` to hand it a sandbox (warm/warm_msg.h plus the sandbox's
 * listening socket), then lives on as that sandbox's daemon with the VM
 * already up (shim_daemon_run). Unused for "warm_vm_idle_seconds", on
 * SIGTERM/SIGINT, or when its VM ends, it tears the VM down and removes
 * its files. One that failed (its VM did not boot or ended, or the
 * hand-over broke) keeps its log and starts its replacement
 * (warm/warm_failed.h).
 *
 * fds 3 and 4 are held on /dev/null from the start so that the daemon's
 * SHIM_LISTEN_FD and SHIM_READY_FD are free to take at the hand-over.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/base/reaper.h"
#include "shim/base/runtime_config.h"
#include "shim/base/shim_log.h"
#include "shim/cli.h"
#include "shim/cmd.h"
#include "shim/sandbox/sandbox.h"
#include "shim/share/fs_share.h"
#include "shim/warm/warm_failed.h"
#include "shim/warm/warm_msg.h"
#include "shim/warm/warm_pool.h"

struct spare {
	char name[WARM_NAME_MAX];
	char dir[PATH_MAX];
	int lfd;   /* the pool socket, once the VM is up */
	int sigfd; /* signalfd of the daemon's signals */
	struct runtime_config cfg;
	struct sandbox *be;
	/* The boot runs on its own thread: this one reaps children (virtiofsd's
	 * probe waits for the reaper) as the daemon's main thread does. */
	pthread_t booter;
	bool booting;
	int boot_efd; /* eventfd: the boot thread is done */
	int boot_ret;
	struct husk_error *boot_err;
	unsigned attempt; /* in its line of replacements (warm_failed.h) */
	bool failed;	  /* keep its log and replace it */
};

/* Signals as the daemon takes them, blocked before any thread exists. */
static int spare_process(struct spare *s)
{
	int null = open("/dev/null", O_RDWR);
	sigset_t sigs;

	if (null < 0 || dup2(null, SHIM_LISTEN_FD) < 0 || dup2(null, SHIM_READY_FD) < 0)
		return -errno;
	if (null > SHIM_READY_FD)
		close(null);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_NAME, "containerd-shim", 0, 0, 0);
	s->sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	return s->sigfd < 0 ? -errno : 0;
}

/* NAME.boot, NAME.d (the cwd, with shim.log as stderr). */
static int spare_files(struct spare *s, const char *config, bool debug)
{
	char key[WARM_KEY_LEN + 1], path[PATH_MAX + 16];
	int fd;

	warm_pool_key(config, key);
	snprintf(s->name, sizeof(s->name), "%s-%d", key, (int)getpid());
	/* Files under this name are a dead spare's whose pid this one reuses. */
	warm_pool_remove(s->name, FS_SHARE_BASE);
	warm_pool_path(s->name, ".boot", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	warm_pool_path(s->name, ".d", s->dir, sizeof(s->dir));
	if (mkdir(s->dir, 0700) || chdir(s->dir))
		return -errno;
	snprintf(path, sizeof(path), "%s/shim.log", s->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0 && dup2(fd, STDERR_FILENO) >= 0)
		close(fd);
	shim_log_set_level(debug ? SHIM_LOG_DEBUG : SHIM_LOG_INFO);
	shim_log_set_id(s->name);
	return 0;
}

/* NAME.sock, listening; NAME.boot goes: `start` may hand over now. */
static int spare_listen(struct spare *s, struct husk_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char boot[PATH_MAX];

	warm_pool_path(s->name, ".sock", sa.sun_path, sizeof(sa.sun_path));
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(s->lfd, 4))
		return husk_err(err, errno, "listen on %s", sa.sun_path);
	warm_pool_path(s->name, ".boot", boot, sizeof(boot));
	unlink(boot);
	return 0;
}

static void *spare_boot(void *arg)
{
	struct spare *s = arg;
	uint64_t one = 1;

	s->boot_ret = sandbox_warm_boot(s->be, &s->cfg, s->name, s->dir, &s->boot_err);
	if (!s->boot_ret)
		s->boot_ret = spare_listen(s, &s->boot_err);
	if (write(s->boot_efd, &one, sizeof(one)) < 0)
		shim_warn("boot thread: %s", strerror(errno));
	return NULL;
}

static int spare_boot_start(struct spare *s, struct husk_error **err)
{
	int ret;

	s->boot_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->boot_efd < 0)
		return husk_err(err, errno, "eventfd");
	ret = -pthread_create(&s->booter, NULL, spare_boot, s);
	if (ret)
		return husk_err(err, -ret, "boot thread");
	s->booting = true;
	return 0;
}

/* The boot thread's end: 0 when the VM is up and the pool socket listens. */
static int spare_boot_join(struct spare *s)
{
	if (!s->booting)
		return s->boot_ret;
	pthread_join(s->booter, NULL);
	s->booting = false;
	if (s->boot_ret)
		shim_err("warm VM: %s", husk_error_message(s->boot_err));
	return s->boot_ret;
}

/*
 * One signal from the spare's signalfd. SIGCHLD reaps (stopping
 * virtiofsd waits for the reaper) and SIGUSR1 is ignored; either gives 0.
 * Any other (TERM, INT, USR2) is returned: the spare should end.
 */
static int spare_signal(struct spare *s)
{
	struct signalfd_siginfo si;

	if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGCHLD)
		reaper_reap();
	return si.ssi_signo == SIGCHLD || si.ssi_signo == SIGUSR1 ? 0 : (int)si.ssi_signo;
}

/* Until `start` connects (1), or the spare should end (0; s->failed says whether it failed). */
static int spare_wait(struct spare *s, int *conn)
{
	long long until = -1, left;
	struct pollfd pfd[3] = { { .fd = -1, .events = POLLIN },
				 { .fd = s->sigfd, .events = POLLIN },
				 { .fd = s->boot_efd, .events = POLLIN } };
	char path[PATH_MAX];

	for (;;) {
		if (pfd[2].revents) {
			if (spare_boot_join(s)) {
				s->failed = true;
				return 0;
			}
			pfd[2].fd = -1;
			pfd[0].fd = s->lfd;
			until = husk_now_ms() + 1000ll * s->cfg.warm_vm_idle_seconds;
		}
		if (until >= 0 && s->be->vm_dead) {
			shim_warn("the warm VM ended before a sandbox took it");
			s->failed = true;
			return 0;
		}
		left = until < 0 ? 1000 : until - husk_now_ms();
		if (left <= 0) {
			shim_info("unused for %u s: ending", s->cfg.warm_vm_idle_seconds);
			return 0;
		}
		if (poll(pfd, 3, left < 1000 ? (int)left : 1000) < 0 && errno != EINTR)
			return 0;
		if (pfd[1].revents && spare_signal(s))
			return 0;
		if (pfd[0].revents && (*conn = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			/* One hand-over: later connects find no socket, or a closed one. */
			warm_pool_path(s->name, ".sock", path, sizeof(path));
			unlink(path);
			close(s->lfd);
			s->lfd = -1;
			return 1;
		}
	}
}

/* The hand-over message and the listening socket from @conn. */
static int spare_receive(int conn, struct warm_adopt *a, int *fd, struct husk_error **err)
{
	long long until = husk_now_ms() + WARM_HANDOVER_WAIT_MS;
	char buf[WARM_MSG_MAX], cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct pollfd pfd = { .fd = conn, .events = POLLIN };
	struct cmsghdr *cm;
	size_t got = 0;
	ssize_t n;

	*fd = -1;
	while (got < 2 || buf[got - 1] != '\n' || buf[got - 2] != '\n') {
		struct iovec iov = { .iov_base = buf + got, .iov_len = sizeof(buf) - got };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };

		if (got == sizeof(buf) || poll(&pfd, 1, (int)husk_ms_left(until)) <= 0)
			return husk_err(err, ETIMEDOUT, "hand-over message incomplete");
		n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
		if (n <= 0)
			return husk_err(err, n ? errno : ECONNRESET, "hand-over message");
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k, nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int *fds = (int *)CMSG_DATA(cm);

			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			for (k = 0; k < nfd; k++) /* the first one only */
				if (*fd < 0)
					*fd = fds[k];
				else
					close(fds[k]);
		}
		got += (size_t)n;
	}
	if (*fd < 0)
		return husk_err(err, 0, "hand-over message without the listening socket");
	return warm_msg_decode(buf, got, a, err);
}

/* Become the sandbox's daemon; its exit status, or -1 when the hand-over failed. */
static int spare_adopt(struct spare *s, int conn, struct husk_error **err)
{
	struct warm_adopt a;
	struct shim_args args = { .action = SHIM_ACTION_DAEMON };
	char ready[16];
	int fd = -1, ret;

	ret = spare_receive(conn, &a, &fd, err);
	if (!ret && (dup2(fd, SHIM_LISTEN_FD) < 0 || chdir(a.bundle)))
		ret = husk_err(err, errno, "take the sandbox's socket and bundle");
	if (fd >= 0 && fd != SHIM_LISTEN_FD)
		close(fd);
	if (ret) {
		dprintf(conn, "%s\n", husk_error_message(*err));
		close(conn);
		return -1;
	}
	if (a.ttrpc_address)
		setenv("TTRPC_ADDRESS", a.ttrpc_address, 1);
	else
		unsetenv("TTRPC_ADDRESS");
	snprintf(ready, sizeof(ready), "%d", conn);
	setenv(SHIM_READY_FD_ENV, ready, 1);
	close(s->sigfd);
	s->sigfd = -1;
	args.ns = a.ns, args.id = a.id, args.address = a.address, args.bundle = a.bundle;
	args.publish_binary = a.publish_binary, args.debug = a.debug;
	shim_info("sandbox %s takes this warm VM (bundle %s)", a.id, a.bundle);
	ret = shim_daemon_run(&args, s->be);
	warm_adopt_clear(&a);
	return ret;
}

/* The pool is full without this one. */
static bool spare_surplus(struct spare *s, const char *config)
{
	char key[WARM_KEY_LEN + 1];

	warm_pool_key(config, key);
	if (warm_pool_count_below(key, getpid()) < s->cfg.warm_vms)
		return false;
	shim_info("the pool has its %u spare(s) already: ending", s->cfg.warm_vms);
	return true;
}

static void *spare_destroy(void *arg)
{
	struct spare *s = arg;
	uint64_t one = 1;

	sandbox_destroy(s->be); /* the VM, virtiofsd, the share */
	if (write(s->boot_efd, &one, sizeof(one)) < 0)
		shim_warn("teardown thread: %s", strerror(errno));
	return NULL;
}

/* The backend's teardown on a thread while this one reaps: stopping virtiofsd waits for its exit. */
static void spare_destroy_reaping(struct spare *s)
{
	struct pollfd pfd[2] = { { .fd = s->sigfd, .events = POLLIN },
				 { .fd = s->boot_efd, .events = POLLIN } };
	pthread_t t;

	if (pthread_create(&t, NULL, spare_destroy, s)) {
		sandbox_destroy(s->be);
		return;
	}
	while (!pfd[1].revents) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			spare_signal(s); /* a TERM waits for the teardown under way */
	}
	pthread_join(t, NULL);
}

/* The log and console of a failed spare go where warm_pool_remove() leaves them. */
static void spare_keep_log(struct spare *s)
{
	char kept[PATH_MAX];
	int ret = warm_failed_keep(s->name, s->dir, kept, sizeof(kept));

	if (*kept)
		shim_err("this spare failed; its log is kept in %s", kept); /* written there too */
	if (ret)
		shim_warn("keeping the failed spare's files in %s: %s", WARM_FAILED_DIR,
			  strerror(-ret));
}

static void spare_end(struct spare *s)
{
	uint64_t n;

	spare_boot_join(s); /* a SIGTERM while booting: the boot ends first */
	husk_error_free(s->boot_err);
	if (s->be && s->boot_efd >= 0 && s->sigfd >= 0) {
		if (read(s->boot_efd, &n, sizeof(n)) < 0) {
			/* nonblocking: the boot thread's count may be taken already */
		}
		spare_destroy_reaping(s);
	} else if (s->be) {
		sandbox_destroy(s->be);
	}
	s->be = NULL;
	if (s->boot_efd >= 0)
		close(s->boot_efd);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->failed && *s->name && *s->dir)
		spare_keep_log(s);
	if (*s->name)
		warm_pool_remove(s->name, FS_SHARE_BASE);
}

/*
 * A failed spare's replacement, after a back-off that SIGTERM or SIGINT
 * cuts short (then there is none: the pool is being stopped).
 */
static void spare_replace(struct spare *s, const struct shim_args *a)
{
	long long until = husk_now_ms() + warm_failed_backoff_ms(s->attempt);
	struct pollfd pfd = { .fd = s->sigfd, .events = POLLIN };
	struct husk_error *err = NULL;
	int sig;

	if (s->attempt >= WARM_RESPAWN_MAX) {
		shim_err("not replaced: %u spares in a row failed; the next sandbox start tops the "
			 "pool up again",
			 s->attempt);
		return;
	}
	while (husk_now_ms() < until) {
		if (poll(&pfd, s->sigfd >= 0, (int)husk_ms_left(until)) < 0 && errno != EINTR)
			break;
		if (pfd.revents && (sig = spare_signal(s))) {
			shim_info("not replaced: signal %d during the back-off", sig);
			return;
		}
	}
	if (warm_failed_respawn(a->config, a->debug, s->attempt, &err))
		shim_err("replacement: %s", husk_error_message(err));
	else
		shim_info("replacement started (spare %u of %u in a row)", s->attempt + 1,
			  WARM_RESPAWN_MAX);
	husk_error_free(err);
}

int shim_cmd_warm(const struct shim_args *a)
{
	struct spare s = { .lfd = -1, .sigfd = -1, .boot_efd = -1 };
	struct husk_error *err = NULL;
	int conn = -1, ret;

	s.attempt = warm_failed_attempt(); /* first: nothing it starts inherits the variable */
	ret = spare_process(&s);
	if (!ret)
		ret = spare_files(&s, a->config, a->debug);
	if (ret)
		husk_err(&err, -ret, "warm spare setup");
	if (!ret)
		ret = runtime_config_load(a->config, &s.cfg, &err);
	if (!ret && spare_surplus(&s, a->config)) {
		spare_end(&s);
		runtime_config_clear(&s.cfg);
		return 0;
	}
	if (!ret && sandbox_backend_new(&s.be))
		ret = husk_err(&err, ENOMEM, "VM backend");
	if (!ret)
		ret = spare_boot_start(&s, &err);
	if (ret) {
		shim_err("warm VM: %s", husk_error_message(err));
		s.failed = true;
	}
	if (!ret && spare_wait(&s, &conn)) {
		ret = spare_adopt(&s, conn, &err);
		if (ret >= 0) {
			runtime_config_clear(&s.cfg);
			husk_error_free(err);
			return ret; /* the daemon freed the backend */
		}
		shim_err("hand-over: %s", husk_error_message(err));
		s.failed = true;
	}
	spare_end(&s);
	if (s.failed)
		spare_replace(&s, a);
	if (s.sigfd >= 0)
		close(s.sigfd);
	runtime_config_clear(&s.cfg);
	husk_error_free(err);
	return ret || s.failed ? 1 : 0;
}
