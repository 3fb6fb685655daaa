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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "shim/cli.h"
#include "shim/cmd.h"
#include "common/error.h"
#include "shim/base/oci_spec.h"
#include "shim/base/ready_line.h"
#include "shim/base/runtime_config.h"
#include "shim/sandbox/sandbox_plan.h"
#include "shim/share/fs_share.h"
#include "shim/socket.h"
#include "shim/task/runtime_options.h"
#include "shim/warm/warm_msg.h"
#include "shim/warm/warm_pool.h"

#define START_OPTIONS_MAX (64 << 10)

/* What the warm pool needs: the runtime config and its file. */
struct start_warm {
	char *config_path; /* NULL: the default */
	struct runtime_config cfg;
	bool loaded;
};

/* The bundle's config.json, or NULL when it is not readable. */
static struct oci_spec *bundle_spec(const char *bundle)
{
	struct oci_spec *spec = NULL;
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	return oci_spec_load(path, &spec, NULL) ? NULL : spec;
}

/*
 * The runtime config from the options containerd wrote on stdin (1.6 to
 * 2.2: the options Any). Any failure: no warm pool here; Create reports
 * a bad config itself.
 */
static void load_warm_config(struct start_warm *w)
{
	uint8_t *buf = malloc(START_OPTIONS_MAX);
	size_t got = 0;
	ssize_t n;

	while (buf && got < START_OPTIONS_MAX && !isatty(STDIN_FILENO)) {
		n = read(STDIN_FILENO, buf + got, START_OPTIONS_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	shim_drain_stdin();
	if (buf && !runtime_options_config_path_raw(buf, got, &w->config_path, NULL))
		w->loaded = !runtime_config_load(w->config_path, &w->cfg, NULL);
	free(buf);
}

/* Hand the new group to a spare; 0 when one took it. */
static int try_warm(const struct shim_args *a, int lfd, const char *bundle,
		    const struct oci_spec *spec, const struct start_warm *w)
{
	struct warm_adopt msg = { .ns = (char *)a->ns,
				  .id = (char *)a->id,
				  .address = (char *)a->address,
				  .bundle = (char *)bundle,
				  .publish_binary = (char *)a->publish_binary,
				  .ttrpc_address = getenv("TTRPC_ADDRESS"),
				  .debug = a->debug };
	char key[WARM_KEY_LEN + 1], name[WARM_NAME_MAX];
	struct husk_error *e = NULL;
	int ret;

	if (!w->loaded || !w->cfg.warm_vms || !spec || !sandbox_plan_warm_fits(&w->cfg, spec))
		return -ENOENT;
	warm_pool_key(w->config_path, key);
	ret = warm_pool_claim(key, &msg, lfd, name, sizeof(name), &e);
	husk_error_free(e);
	return ret;
}

/* As many spares as "warm_vms" asks for, less those booting or waiting. */
static void top_up_warm(const struct start_warm *w, bool debug)
{
	char key[WARM_KEY_LEN + 1];
	unsigned have;

	/* Also with no pool (any more): dead spares' files go either way. */
	warm_pool_sweep(FS_SHARE_BASE);
	if (!w->loaded || !w->cfg.warm_vms)
		return;
	warm_pool_key(w->config_path, key);
	for (have = warm_pool_count(key); have < w->cfg.warm_vms; have++)
		if (warm_pool_spawn(w->config_path, debug, NULL))
			break;
}

/* In the grandchild: fds 3 and 4, stdio on /dev/null, new session, exec. */
static void exec_daemon(int lfd, int rfd, const char *bundle, uint64_t start_ns, char **argv)
{
	int null = open("/dev/null", O_RDWR);
	char ns[24];

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
	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)start_ns);
	setenv(SHIM_START_NS_ENV, ns, 1);
	execv("/proc/self/exe", argv);
	_exit(127);
}

static int spawn_daemon(const struct shim_args *a, int lfd, const char *bundle, uint64_t start_ns,
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
		exec_daemon(lfd, ready[1], bundle, start_ns, argv);
	}
	close(ready[1]);
	if (pid < 0) {
		close(ready[0]);
		return husk_err(err, errno, "fork");
	}
	waitpid(pid, &status, 0);
	ret = ready_line_read(ready[0], 10000, "shim daemon", err);
	close(ready[0]);
	return ret;
}

static int start(const struct shim_args *a, const struct start_warm *w, uint64_t start_ns,
		 char *path, size_t len, struct husk_error **err)
{
	char bundle[PATH_MAX];
	struct oci_spec *spec;
	int lfd = -1, ret;

	if (!a->id || !a->address)
		return husk_err(err, 0, "start needs -id and -address");
	ret = shim_bundle_dir(a, bundle, sizeof(bundle));
	if (ret)
		return husk_err(err, -ret, "bundle directory");
	/* The group key: the spec's, else (no readable spec) the id. */
	spec = bundle_spec(bundle);
	ret = shim_socket_path(a->address, a->ns, spec ? oci_spec_group(spec, a->id) : a->id, path,
			       len, err);
	if (!ret)
		ret = shim_socket_listen(path, &lfd, err);
	if (!ret)
		ret = shim_address_write(bundle, path, err);
	/* lfd < 0: the group's shim runs already. */
	if (!ret && lfd >= 0 && try_warm(a, lfd, bundle, spec, w)) {
		ret = spawn_daemon(a, lfd, bundle, start_ns, err);
		if (ret)
			unlink(path);
	}
	if (lfd >= 0)
		close(lfd);
	oci_spec_free(spec);
	return ret;
}

int shim_cmd_start(const struct shim_args *a)
{
	struct husk_error *err = NULL;
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path)];

	struct start_warm w = { 0 };
	uint64_t start_ns = husk_now_ns();
	int ret;

	load_warm_config(&w);
	ret = start(a, &w, start_ns, path, sizeof(path), &err);
	if (ret) {
		fprintf(stderr, "containerd-shim-husk-v2 start: %s\n", husk_error_message(err));
		husk_error_free(err);
	} else {
		printf("unix://%s\n", path);
		ret = fflush(stdout);
	}
	/* After the answer; spares boot on their own (a fork each here). */
	top_up_warm(&w, a->debug);
	if (w.loaded)
		runtime_config_clear(&w.cfg);
	free(w.config_path);
	return ret ? 1 : 0;
}
