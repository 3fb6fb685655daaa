// SPDX-License-Identifier: Apache-2.0
/*
 * process.c - container processes seen from husk-init: forking one into
 * the right pid namespace, holding it until START, reaping it and
 * reporting how it ended (EXIT events and WAIT replies).
 *
 * Every container process is a direct child of husk-init, also the ones
 * started by EXEC: husk-init moves its pid_for_children into the
 * container's pid namespace (setns) around a plain fork(), and back. So
 * one waitpid() loop sees every exit, with no intermediate processes.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/replies/replies.h"

#define PROC_READY_TIMEOUT_MS 30000

struct proc *proc_new(struct container *c, const char *exec_id)
{
	struct proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->c = c;
	snprintf(p->exec_id, sizeof(p->exec_id), "%s", exec_id);
	p->sync_fd = -1;
	p->state = PROC_CREATED;
	streams_init(&p->io);
	list_init(&p->waiters);
	list_add_tail(&c->procs, &p->link);
	return p;
}

void proc_free(struct proc *p)
{
	struct list *pos, *tmp;
	struct husk_error *e = NULL;

	husk_err(&e, ESRCH, "process %s/%s was deleted", p->c->id, p->exec_id);
	list_for_each_safe(pos, tmp, &p->waiters) {
		struct waiter *w = container_of(pos, struct waiter, link);

		reply_err(w->conn, w->req_id, e);
		list_del(&w->link);
		free(w);
	}
	husk_error_free(e);
	streams_release(&p->io);
	if (p->sync_fd >= 0)
		close(p->sync_fd);
	if (p->c->init == p)
		p->c->init = NULL;
	list_del(&p->link);
	free(p);
}

/*
 * fork() with the child in a new pid namespace (@nsfd < 0) or in @nsfd's.
 * Should husk-init fail to move back to its own namespace, any later child
 * would land in a container's: it then refuses to fork, and says why.
 */
static pid_t proc_fork_in(struct agent *ag, int nsfd, struct husk_error **e)
{
	pid_t pid;
	int saved;

	if (ag->pidns_lost)
		return husk_err(e, EIO, "husk-init is stuck in another pid namespace");
	if ((nsfd < 0 ? unshare(CLONE_NEWPID) : setns(nsfd, CLONE_NEWPID)) < 0)
		return husk_err(e, errno, "enter the container's pid namespace");
	pid = fork();
	saved = errno;
	if (pid == 0)
		return 0;
	if (setns(ag->pidns, CLONE_NEWPID) < 0) {
		ag->pidns_lost = true;
		husk_err(e, errno, "return to husk-init's pid namespace");
		log_err(*e, "fork");
	}
	if (pid < 0)
		return husk_err(e, saved, "fork");
	return pid;
}

/* The child's next sync record: 0 ready, 1 end of file (it exec'd), <0 error. */
/* recv one record; a passed fd (the pty master) goes to *@fd, else -1. */
static ssize_t proc_sync_recv(int sock, char *rec, size_t len, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = rec, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	*fd = -1;
	cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

/* A ready record: 'R' and up to CHILD_INIT_STEPS times. */
static bool proc_ready_rec(const char *rec, ssize_t n)
{
	return n >= 1 && rec[0] == 'R' && (size_t)(n - 1) % sizeof(uint64_t) == 0 &&
	       (size_t)(n - 1) / sizeof(uint64_t) <= CHILD_INIT_STEPS;
}

/* The init's own steps of a ready record, into @steps (NULL: none). */
static void proc_ready_steps(const char *rec, ssize_t n, struct phase_log *steps)
{
	static const char *const names[CHILD_INIT_STEPS] = CHILD_INIT_STEP_NAMES;
	uint64_t ns;
	size_t i;

	for (i = 0; i < (size_t)(n - 1) / sizeof(uint64_t); i++) {
		memcpy(&ns, rec + 1 + i * sizeof(ns), sizeof(ns));
		phase_log_mark_at(steps, names[i], ns);
	}
}

/* @steps (NULL: none) gets the init's own steps from its ready record. */
static int proc_sync_read(struct proc *p, struct phase_log *steps, struct husk_error **e)
{
	struct pollfd pfd = { .fd = p->sync_fd, .events = POLLIN };
	char rec[1 + sizeof(int) + CHILD_FAIL_MSG_MAX];
	ssize_t n;
	int code, fd;

	if (poll(&pfd, 1, PROC_READY_TIMEOUT_MS) <= 0)
		return husk_err(e, ETIMEDOUT, "process %d did not report", (int)p->pid);
	n = proc_sync_recv(p->sync_fd, rec, sizeof(rec) - 1, &fd);
	if (fd >= 0 && !proc_ready_rec(rec, n)) {
		close(fd);
		fd = -1;
	}
	if (n == 0)
		return 1;
	if (proc_ready_rec(rec, n)) {
		proc_ready_steps(rec, n, steps);
		return fd >= 0 ? streams_take_master(&p->io, fd, e) : 0;
	}
	if (n > (ssize_t)(1 + sizeof(int)) && rec[0] == 'E') {
		memcpy(&code, rec + 1, sizeof(int));
		rec[n] = '\0';
		return husk_err_received(e, code > 0 ? code : EINVAL, "%s", rec + 1 + sizeof(int));
	}
	return husk_err(e, n < 0 ? errno : EPROTO, "sync with process %d", (int)p->pid);
}

static pid_t proc_fork(struct proc *p, const struct spec_process *op, const struct spec *spec,
		       int sv[2], struct husk_error **e)
{
	struct container *c = p->c;
	/* an init gets a new pid namespace unless it joins a pod's (ns.c) */
	pid_t pid = proc_fork_in(c->ag, c->ns[NS_PID], e);

	if (pid != 0)
		return pid;
	close(sv[0]);
	if (spec)
		child_init_main(c, spec, p, sv[1]);
	child_exec_main(c, op, p, sv[1]);
}

int proc_spawn(struct proc *p, const struct spec_process *op, const struct spec *spec,
	       const struct amsg_stdio *want, struct phase_log *steps, struct husk_error **e)
{
	int sv[2], ret;
	pid_t pid;

	if (streams_prepare(&p->io, want, op->terminal, op->rows, op->cols, e) < 0)
		return -husk_error_errno(*e);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return husk_err(e, errno, "sync socket");
	phase_log_mark(steps, "streams");
	pid = proc_fork(p, op, spec, sv, e);
	close(sv[1]);
	streams_close_far(&p->io);
	if (pid < 0) {
		close(sv[0]);
		return (int)pid;
	}
	p->pid = pid;
	p->sync_fd = sv[0];
	phase_log_mark(steps, "fork");
	ret = cgroup_attach(p->c, pid, e);
	/* the child waits for this before a cgroup namespace (child.c) */
	if (ret == 0 && send(sv[0], "A", 1, MSG_NOSIGNAL) != 1)
		ret = husk_err(e, errno, "tell process %d it is in its cgroup", (int)pid);
	phase_log_mark(steps, "attach");
	if (ret == 0)
		ret = proc_sync_read(p, steps, e);
	phase_log_mark(steps, "ready");
	if (ret != 0) {
		kill(pid, SIGKILL); /* reaped, and reported, by proc_reap() */
		return ret < 0 ? ret : husk_err(e, ECHILD, "process ended during setup");
	}
	p->oom_base = cgroup_oom_kills(p->c);
	return 0;
}

int proc_start(struct proc *p, struct phase_log *steps, struct husk_error **e)
{
	const char *unbound = streams_unbound(&p->io);
	char c = 'S';
	int ret;

	if (p->state != PROC_CREATED || p->sync_fd < 0)
		return husk_err(e, EBUSY, "process %s/%s was already started", p->c->id,
				p->exec_id);
	if (unbound)
		return husk_err(e, EBUSY, "%s of %s/%s is not bound yet (STDIO_BIND first)",
				unbound, p->c->id, p->exec_id);
	if (send(p->sync_fd, &c, 1, MSG_NOSIGNAL) != 1)
		return husk_err(e, errno, "start process %d", (int)p->pid);
	ret = proc_sync_read(p, NULL, e);
	phase_log_mark(steps, "exec");
	close(p->sync_fd);
	p->sync_fd = -1;
	if (ret < 0)
		return ret;
	p->state = PROC_RUNNING;
	return 0;
}

int proc_signal(struct proc *p, int sig, struct husk_error **e)
{
	if (p->state == PROC_EXITED)
		return husk_err(e, ESRCH, "process %s/%s has ended", p->c->id, p->exec_id);
	if (kill(p->pid, sig) < 0)
		return husk_err(e, errno, "kill %d with %d", (int)p->pid, sig);
	return 0;
}
