// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_start.c - `start`: give containerd the address of the shim for this
 * task's group, spawning the daemon if the group has none yet. Prints
 * only the address on success: containerd reads stdout and stderr merged.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shim/cli.h"
#include "shim/cmd.h"
#include "common/error.h"
#include "shim/base/oci_spec.h"
#include "shim/socket.h"

/* The group key from ./config.json; without a readable spec, the id. */
static char *group_of(const char *bundle, const char *id)
{
	struct oci_spec *spec = NULL;
	char path[PATH_MAX + 16];
	char *g;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (oci_spec_load(path, &spec, NULL))
		return strdup(id);
	g = strdup(oci_spec_group(spec, id));
	oci_spec_free(spec);
	return g;
}

/* In the grandchild: fds 3 and 4, stdio on /dev/null, new session, exec. */
static void exec_daemon(int lfd, int rfd, const char *bundle, char **argv)
{
	int null = open("/dev/null", O_RDWR);

	lfd = fcntl(lfd, F_DUPFD, 10);
	rfd = fcntl(rfd, F_DUPFD, 10);
	if (null < 0 || lfd < 0 || rfd < 0 || dup2(lfd, SHIM_LISTEN_FD) < 0 ||
	    dup2(rfd, SHIM_READY_FD) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0)
		_exit(126);
	/* Nothing else may leak into the daemon, least of all start's pipes. */
	close_range(SHIM_READY_FD + 1, ~0U, 0);
	if (chdir(bundle))
		_exit(126);
	setenv(SHIM_READY_FD_ENV, "4", 1);
	execv("/proc/self/exe", argv);
	_exit(127);
}

/* Wait for the daemon's "ok" (or its error text) on @fd. */
static int read_ready(int fd, struct husk_error **err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char msg[512];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(msg) - 1) {
		if (poll(&pfd, 1, 10000) <= 0)
			return husk_err(err, ETIMEDOUT, "shim daemon did not get ready");
		n = read(fd, msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	msg[got] = '\0';
	if (!strncmp(msg, "ok", 2))
		return 0;
	msg[strcspn(msg, "\n")] = '\0';
	return husk_err(err, 0, "shim daemon: %s", got ? msg : "exited before it was ready");
}

static int spawn_daemon(const struct shim_args *a, int lfd, const char *bundle,
			struct husk_error **err)
{
	char *argv[16];
	int ready[2], n = 0, status, ret;
	pid_t pid;

	argv[n++] = (char *)"containerd-shim-husk-v2";
	argv[n++] = (char *)"-namespace", argv[n++] = (char *)a->ns;
	argv[n++] = (char *)"-id", argv[n++] = (char *)a->id;
	argv[n++] = (char *)"-address", argv[n++] = (char *)a->address;
	argv[n++] = (char *)"-bundle", argv[n++] = (char *)bundle;
	if (a->publish_binary)
		argv[n++] = (char *)"-publish-binary", argv[n++] = (char *)a->publish_binary;
	if (a->debug)
		argv[n++] = (char *)"-debug";
	argv[n] = NULL;
	if (pipe2(ready, O_CLOEXEC))
		return husk_err(err, errno, "pipe");
	pid = fork();
	if (pid == 0) {
		/* Double fork: the daemon is no session leader, so opening a pty can never give it a controlling tty. */
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		exec_daemon(lfd, ready[1], bundle, argv);
	}
	close(ready[1]);
	if (pid < 0) {
		close(ready[0]);
		return husk_err(err, errno, "fork");
	}
	waitpid(pid, &status, 0);
	ret = read_ready(ready[0], err);
	close(ready[0]);
	return ret;
}

static int start(const struct shim_args *a, char *path, size_t len, struct husk_error **err)
{
	char bundle[PATH_MAX];
	char *group;
	int lfd = -1, ret;

	if (!a->id || !a->address)
		return husk_err(err, 0, "start needs -id and -address");
	ret = shim_bundle_dir(a, bundle, sizeof(bundle));
	if (ret)
		return husk_err(err, -ret, "bundle directory");
	group = group_of(bundle, a->id);
	if (!group)
		return husk_err(err, ENOMEM, "start");
	ret = shim_socket_path(a->address, a->ns, group, path, len, err);
	free(group);
	if (!ret)
		ret = shim_socket_listen(path, &lfd, err);
	if (!ret)
		ret = shim_address_write(bundle, path, err);
	if (!ret && lfd >= 0) {
		ret = spawn_daemon(a, lfd, bundle, err);
		if (ret)
			unlink(path);
	}
	if (lfd >= 0)
		close(lfd);
	return ret;
}

int shim_cmd_start(const struct shim_args *a)
{
	struct husk_error *err = NULL;
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path)];

	shim_drain_stdin();
	if (start(a, path, sizeof(path), &err)) {
		fprintf(stderr, "containerd-shim-husk-v2 start: %s\n", husk_error_message(err));
		husk_error_free(err);
		return 1;
	}
	printf("unix://%s\n", path);
	return fflush(stdout) ? 1 : 0;
}
