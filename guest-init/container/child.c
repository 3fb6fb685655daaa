// SPDX-License-Identifier: Apache-2.0
/*
 * child.c - the last stage of every container process, in the forked
 * child: stdio, user, limits, capabilities, then execve. Also the child's
 * half of the sync channel: the child waits until the parent has put it
 * in the container's cgroup ('A'), reports "ready" or an error, and
 * waits for the parent's "start".
 *
 * The sync channel is a SOCK_SEQPACKET pair with close-on-exec, so the
 * parent learns of a successful execve as end-of-file, and of a failure
 * as an error record ('E', errno, message) before the child exits 127.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void child_fail(int sync, const struct husk_error *e)
{
	char rec[1 + sizeof(int) + CHILD_FAIL_MSG_MAX];
	const char *msg = e ? husk_error_message(e) : "";
	size_t len = strnlen(msg, CHILD_FAIL_MSG_MAX - 1);
	int code = husk_error_errno(e);

	rec[0] = 'E';
	memcpy(rec + 1, &code, sizeof(int));
	memcpy(rec + 1 + sizeof(int), msg, len);
	send(sync, rec, 1 + sizeof(int) + len, MSG_NOSIGNAL);
	_exit(127);
}

/*
 * 'R' and the times of the setup's steps, with the pty master attached
 * (SCM_RIGHTS) when there is one.
 */
static int child_report_ready(int sync, int master, const uint64_t *steps, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char rec[1 + CHILD_INIT_STEPS * sizeof(uint64_t)] = { 'R' };
	size_t len = 1 + (n > CHILD_INIT_STEPS ? CHILD_INIT_STEPS : n) * sizeof(uint64_t);
	struct iovec iov = { .iov_base = rec, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (master >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &master, sizeof(int));
	}
	memcpy(rec + 1, steps, len - 1);
	return sendmsg(sync, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

void child_wait_attached(int sync)
{
	char c;

	if (recv(sync, &c, 1, 0) != 1 || c != 'A')
		_exit(127); /* the parent gave up on this process */
}

int child_ready_and_wait(int sync, struct proc *p, const uint64_t *steps, size_t n,
			 struct husk_error **e)
{
	int master = -1;
	char c;

	if (p->io.tty && streams_child_pty(&p->io, &master, e) < 0)
		return -husk_error_errno(*e);
	if (child_report_ready(sync, master, steps, n) < 0)
		return husk_err(e, errno, "report ready");
	if (master >= 0)
		close(master);
	if (recv(sync, &c, 1, 0) != 1 || c != 'S')
		_exit(0); /* the container was deleted before it started */
	return 0;
}

static int child_rlimits(const struct spec_process *op, struct husk_error **e)
{
	struct rlimit rl;
	size_t i;

	for (i = 0; i < op->nrlimits; i++) {
		rl.rlim_cur = op->rlimits[i].soft;
		rl.rlim_max = op->rlimits[i].hard;
		if (setrlimit(op->rlimits[i].resource, &rl) < 0)
			return husk_err(e, errno, "setrlimit %d", op->rlimits[i].resource);
	}
	return 0;
}

static int child_oom_adj(const struct spec_process *op, struct husk_error **e)
{
	char val[24];

	if (op->oom_score_adj == SPEC_UNSET)
		return 0;
	snprintf(val, sizeof(val), "%lld", (long long)op->oom_score_adj);
	return util_write_file("/proc/self/oom_score_adj", val, strlen(val), e);
}

/* Switch ids keeping the permitted capabilities; caps_apply() then sets them. */
static int child_ids(const struct spec_user *u, bool caps, struct husk_error **e)
{
	if (caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return husk_err(e, errno, "PR_SET_KEEPCAPS");
	if (setgroups(u->ngids, u->gids) < 0)
		return husk_err(e, errno, "setgroups (%zu groups)", u->ngids);
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return husk_err(e, errno, "setgid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return husk_err(e, errno, "setuid %u", u->uid);
	if (caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return husk_err(e, errno, "PR_SET_KEEPCAPS");
	return 0;
}

static const char *child_getenv(const char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* The environment plus HOME from passwd when the spec does not set it. */
static char **child_env(const struct spec_process *op, const char *home)
{
	size_t n = 0, i;
	char **env;

	while (op->env && op->env[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		env[i] = (char *)op->env[i];
	if (!child_getenv(op->env, "HOME") && asprintf(&env[n], "HOME=%s", home ? home : "/") < 0)
		env[n] = NULL;
	return env;
}

/* execve, searching the spec's PATH when args[0] has no slash. */
static int child_exec(const struct spec_process *op, char **env, struct husk_error **e)
{
	const char *file = op->args[0], *path, *p;
	char buf[PATH_MAX];
	int saved = ENOENT;
	size_t len;

	if (strchr(file, '/')) {
		execve(file, (char **)op->args, env);
		return husk_err(e, errno, "exec %s", file);
	}
	path = child_getenv(op->env, "PATH");
	for (p = path ? path : DEFAULT_PATH;; p += len + 1) {
		len = strcspn(p, ":");
		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? p : ".", file) <
		    (int)sizeof(buf)) {
			execve(buf, (char **)op->args, env);
			if (errno != ENOENT && errno != ENOTDIR)
				saved = errno;
		}
		if (!p[len])
			break;
	}
	return husk_err(e, saved, "exec %s (searched PATH)", file);
}

static void child_signals_reset(void)
{
	sigset_t none;
	int sig;

	/* husk-init blocks SIGCHLD for its signalfd and ignores SIGPIPE;
	 * both would be inherited across execve. */
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void child_run(const struct spec_process *op, struct proc *p, int sync)
{
	struct spec_process o = *op;
	const char *home = NULL;
	struct husk_error *e = NULL;
	char **env;

	if (streams_child(&p->io, p->c->ag->devnull, &e) < 0 ||
	    user_resolve(&o.user, &home, &e) < 0 || child_rlimits(&o, &e) < 0 ||
	    child_oom_adj(&o, &e) < 0 || caps_bounding(&o.caps, &e) < 0 ||
	    child_ids(&o.user, o.caps.set, &e) < 0 || caps_apply(&o.caps, &e) < 0)
		child_fail(sync, e);
	if (o.user.umask != SPEC_UNSET)
		umask((mode_t)o.user.umask & 0777);
	if (chdir(o.cwd) < 0) {
		husk_err(&e, errno, "chdir %s", o.cwd);
		child_fail(sync, e);
	}
	if (o.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		husk_err(&e, errno, "PR_SET_NO_NEW_PRIVS");
		child_fail(sync, e);
	}
	env = child_env(&o, home);
	if (!env) {
		husk_err(&e, ENOMEM, "environment");
		child_fail(sync, e);
	}
	child_signals_reset();
	child_exec(&o, env, &e);
	child_fail(sync, e);
}

void child_exec_main(struct container *c, const struct spec_process *op, struct proc *p, int sync)
{
	static const int types[] = { CLONE_NEWCGROUP, CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC };
	static const int which[] = { NS_CGROUP, NS_MNT, NS_UTS, NS_IPC };
	static const char *const names[] = { "cgroup", "mnt", "uts", "ipc" };
	struct husk_error *e = NULL;
	int i;

	child_wait_attached(sync);
	for (i = 0; i < 4; i++) {
		if (c->ns[which[i]] < 0)
			continue; /* no cgroup namespace: the VM's view */
		if (setns(c->ns[which[i]], types[i]) < 0) {
			husk_err(&e, errno, "join the container's %s namespace", names[i]);
			child_fail(sync, e);
		}
	}
	if (fchdir(c->rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		husk_err(&e, errno, "enter the container's root");
		child_fail(sync, e);
	}
	if (child_ready_and_wait(sync, p, NULL, 0, &e) < 0)
		child_fail(sync, e);
	child_run(op, p, sync);
}
