// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - husk-init: PID 1 of a husk VM, or (test mode) PID 1 of a pid
 * and mount namespace on a host.
 *
 *   husk-init                          VM: the kernel runs /init
 *   husk-init --listen unix:PATH --state DIR [--cgroup DIR] [--share DIR]
 *                                      test mode
 *
 * Without arguments, as PID 1, it is the VM's init: it mounts the VM's
 * file systems, listens on vsock port HUSK_AGENT_VSOCK_PORT and ends the
 * VM on SHUTDOWN. Any --listen (or HUSK_INIT_LISTEN) selects test mode,
 * which touches nothing outside its own namespaces and exits on SHUTDOWN;
 * there --share DIR stands for the VM's virtio-fs share (container/share.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "guest-init/power.h"
#include "guest-init/container/container.h"
#include "guest-init/replies/replies.h"
#include "guest-init/requests/requests.h"
#include "guest-init/system/system.h"

static int main_args(struct agent *ag, int argc, char **argv, const char **cg, const char **share,
		     struct husk_error **e)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "state", required_argument, NULL, 's' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "share", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state = NULL;
	int o;

	ag->listen = getenv("HUSK_INIT_LISTEN");
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			ag->listen = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'c':
			*cg = optarg;
			break;
		case 'S':
			*share = optarg;
			break;
		default:
			/* PID 1 gets the kernel's leftover arguments: ignore them */
			if (getpid() != 1)
				return husk_err(
					e, 0,
					"usage: husk-init [--listen unix:PATH|vsock:PORT] [--state DIR] [--cgroup DIR] [--share DIR]");
		}
	}
	ag->vm = getpid() == 1 && !ag->listen;
	if (!ag->listen)
		ag->listen = "vsock:1024";
	if (!ag->vm && !state)
		return husk_err(e, 0, "test mode needs --state DIR");
	if (ag->vm && *share)
		return husk_err(e, 0, "--share is for test mode (a VM mounts the virtio-fs share)");
	if ((state && strlen(state) >= sizeof(ag->state_dir)) ||
	    (*cg && strlen(*cg) >= sizeof(ag->cg_root)))
		return husk_err(e, ENAMETOOLONG, "--state or --cgroup");
	snprintf(ag->state_dir, sizeof(ag->state_dir), "%s", state ? state : "/run/husk");
	if (ag->vm)
		snprintf(ag->etc_dir, sizeof(ag->etc_dir), "/etc");
	else
		snprintf(ag->etc_dir, sizeof(ag->etc_dir), "%s/etc", ag->state_dir);
	if (ag->vm && !*cg)
		*cg = "/sys/fs/cgroup";
	return 0;
}

/* fds 0-2 must exist, or the first pipes would become a child's stdio. */
static void main_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static void main_on_signal(struct watch *w, uint32_t ev)
{
	struct agent *ag = container_of(w, struct agent, signal_w);
	struct signalfd_siginfo si;

	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			ag->shutdown = !ag->vm; /* a VM's init ignores these */
	}
	proc_reap(ag);
}

static void main_on_inotify(struct watch *w, uint32_t ev)
{
	struct agent *ag = container_of(w, struct agent, inotify_w);
	char buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *ie;
	ssize_t n = read(w->fd, buf, sizeof(buf));
	ssize_t off;

	for (off = 0; n > 0 && off < n; off += (ssize_t)(sizeof(*ie) + ie->len)) {
		ie = (const struct inotify_event *)(buf + off);
		cgroup_oom_event(ag, ie->wd);
	}
}

static int main_watch(struct agent *ag, struct watch *w, int fd,
		      void (*fn)(struct watch *, uint32_t), struct husk_error **e)
{
	if (fd < 0)
		return husk_err(e, errno, "event source");
	*w = (struct watch){ .fd = fd, .fn = fn };
	if (loop_set(ag->epfd, w, EPOLLIN) < 0)
		return husk_err(e, errno, "watch fd %d", fd);
	return 0;
}

static int main_events(struct agent *ag, struct husk_error **e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return husk_err(e, errno, "block SIGCHLD");
	signal(SIGPIPE, SIG_IGN); /* closed peers become EPIPE, not death */
	ag->epfd = loop_open();
	if (ag->epfd < 0)
		return husk_err(e, errno, "epoll");
	if (main_watch(ag, &ag->signal_w, signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK),
		       main_on_signal, e) < 0 ||
	    main_watch(ag, &ag->inotify_w, inotify_init1(IN_CLOEXEC | IN_NONBLOCK), main_on_inotify,
		       e) < 0)
		return -husk_error_errno(*e);
	return 0;
}

/*
 * In a VM a reply written to the socket can still sit in the vsock queues
 * when the reboot resets the machine, and the host never sees it. Half-close
 * every control connection and wait (1 s at most) until the host has read
 * to our end and closed, or at least until the data left the guest.
 */
static void main_drain_to_host(struct agent *ag)
{
	struct pollfd fds[64];
	struct list *pos, *tmp;
	nfds_t n = 0, open_fds;
	int waited;
	char buf[256];

	list_for_each_safe(pos, tmp, &ag->conns) {
		struct conn *c = container_of(pos, struct conn, link);

		if (c->handed || c->w.fd < 0 || n == 64)
			continue;
		shutdown(c->w.fd, SHUT_WR);
		fds[n++] = (struct pollfd){ .fd = c->w.fd, .events = POLLIN };
	}
	for (waited = 0, open_fds = n; open_fds > 0 && waited < 1000; waited += 20) {
		if (poll(fds, n, 20) < 0)
			break;
		for (nfds_t i = 0; i < n; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (read(fds[i].fd, buf, sizeof(buf)) <= 0) {
				fds[i].fd = -1; /* the host closed: it has everything */
				open_fds--;
			}
		}
	}
}

/* Let the SHUTDOWN reply (and any other queued output) reach the host. */
static void main_shutdown(struct agent *ag)
{
	struct list *pos, *tmp;
	bool pending = true;
	int rounds;

	for (rounds = 0; pending && rounds < 100; rounds++) {
		pending = false;
		list_for_each_safe(pos, tmp, &ag->conns) {
			struct conn *c = container_of(pos, struct conn, link);

			conn_flush(c);
			pending |= c->out_len > 0;
		}
		if (pending)
			usleep(10000);
	}
	if (ag->vm)
		main_drain_to_host(ag);
	power_off(ag);
}

static int main_setup(struct agent *ag, const char *cg, const char *share, struct husk_error **e)
{
	int lo;

	if ((ag->vm ? sysmount_vm(e) : sysmount_test(e)) < 0)
		return -husk_error_errno(*e);
	ag->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ag->pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (ag->devnull < 0 || ag->pidns < 0)
		return husk_err(e, errno, "open /dev/null and /proc/self/ns/pid");
	if (util_mkdir_p(ag->state_dir, 0700, e) < 0 || share_init(ag, share, e) < 0 ||
	    main_events(ag, e) < 0)
		return -husk_error_errno(*e);
	lo = (int)if_nametoindex("lo");
	if (!lo || net_link_set(lo, NULL, 0, true, e) < 0)
		log_warn("cannot bring up lo: %s",
			 lo ? husk_error_message(*e) : "no such interface");
	if (cg && cgroup_setup(ag, cg, e) < 0) {
		log_err(*e, "cgroups off"); /* containers still run, without limits */
		ag->cg_root[0] = '\0';
	}
	return conn_listen(ag, e);
}

int main(int argc, char **argv)
{
	struct agent ag = { .devnull = -1, .pidns = -1 };
	const char *cg = NULL, *share = NULL;
	struct husk_error *e = NULL;

	main_std_fds();
	list_init(&ag.conns);
	list_init(&ag.containers);
	if (main_args(&ag, argc, argv, &cg, &share, &e) < 0) {
		log_err(e, "arguments");
		if (getpid() == 1)
			power_off(&ag); /* PID 1 must not return */
		husk_error_free(e);
		return 2;
	}
	if (main_setup(&ag, cg, share, &e) < 0) {
		log_err(e, "setup");
		if (!ag.vm) {
			husk_error_free(e);
			return 1;
		}
		power_off(&ag); /* no way to be told anything: end the VM */
	}
	husk_error_free(e); /* what setup only warned about */
	log_info("ready on %s (%s mode)", ag.listen, ag.vm ? "vm" : "test");
	if (ag.vm)
		sysmount_boot_marker();
	while (!ag.shutdown)
		if (loop_once(ag.epfd, -1) < 0)
			usleep(1000);
	main_shutdown(&ag);
}
