// SPDX-License-Identifier: Apache-2.0
/*
 * warm_pool.c - `start`'s side of the warm pool (warm_pool.h): finding a
 * spare, handing it a sandbox, counting, sweeping and spawning spares.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/base/ready_line.h"
#include "shim/base/runtime_config.h"
#include "shim/base/sha256.h"
#include "shim/share/fs_share.h"
#include "shim/warm/warm_msg.h"
#include "shim/warm/warm_pool.h"

void warm_pool_key(const char *config_path, char key[WARM_KEY_LEN + 1])
{
	char hex[2 * SHA256_LEN + 1];
	const char *p = config_path && *config_path ? config_path : RUNTIME_CONFIG_DEFAULT_PATH;

	sha256_hex(p, strlen(p), hex);
	memcpy(key, hex, WARM_KEY_LEN);
	key[WARM_KEY_LEN] = '\0';
}

void warm_pool_path(const char *name, const char *suffix, char *out, size_t len)
{
	snprintf(out, len, "%s/%s%s", WARM_POOL_DIR, name, suffix);
}

/* "KEY-PID.suffix" of pool @key (any key when NULL): its pid, else 0. */
static pid_t entry_pid(const char *file, const char *key, const char *suffix)
{
	size_t n = strlen(file), s = strlen(suffix);
	char *end;
	long pid;

	if (n <= WARM_KEY_LEN + 1 + s || file[WARM_KEY_LEN] != '-' ||
	    strcmp(file + n - s, suffix) || (key && strncmp(file, key, WARM_KEY_LEN)))
		return 0;
	pid = strtol(file + WARM_KEY_LEN + 1, &end, 10);
	return end == file + n - s && pid > 0 && pid < INT_MAX ? (pid_t)pid : 0;
}

static bool alive(pid_t pid)
{
	return !kill(pid, 0) || errno == EPERM;
}

/* Each live entry "KEY-PID@suffix" of pool @key with a PID below @below, its name into @fn; a count. */
static unsigned each_entry_below(const char *key, const char *suffix, pid_t below,
				 bool (*fn)(const char *name, void *opaque), void *opaque)
{
	char name[WARM_NAME_MAX];
	struct dirent *de;
	unsigned n = 0;
	pid_t pid;
	DIR *d = opendir(WARM_POOL_DIR);

	while (d && (de = readdir(d))) {
		pid = entry_pid(de->d_name, key, suffix);
		if (!pid || pid >= below || !alive(pid))
			continue;
		n++;
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(de->d_name) - strlen(suffix)),
			 de->d_name);
		if (fn && fn(name, opaque))
			break;
	}
	if (d)
		closedir(d);
	return n;
}

static unsigned each_entry(const char *key, const char *suffix,
			   bool (*fn)(const char *name, void *opaque), void *opaque)
{
	return each_entry_below(key, suffix, INT_MAX, fn, opaque);
}

unsigned warm_pool_count(const char *key)
{
	return warm_pool_count_below(key, INT_MAX);
}

unsigned warm_pool_count_below(const char *key, pid_t below)
{
	return each_entry_below(key, ".boot", below, NULL, NULL) +
	       each_entry_below(key, ".sock", below, NULL, NULL);
}

/* Connect to spare @name, send @msg with @listen_fd, read the answer. */
static int hand_over(const char *name, const char *msg, size_t len, int listen_fd,
		     struct husk_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int fd, ret;

	warm_pool_path(name, ".sock", sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return husk_err(err, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = husk_err(err, errno, "connect %s", sa.sun_path);
		close(fd);
		return ret;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &listen_fd, sizeof(int));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		ret = husk_err(err, errno, "send to %s", sa.sun_path);
	else
		ret = ready_line_read(fd, WARM_HANDOVER_WAIT_MS, "spare shim", err);
	close(fd);
	return ret;
}

struct claim {
	const char *msg;
	size_t len;
	int listen_fd;
	char *name;
	size_t name_len;
	bool done;
	struct husk_error **err;
};

static bool try_spare(const char *name, void *opaque)
{
	struct claim *c = opaque;

	husk_error_free(*c->err);
	*c->err = NULL;
	if (hand_over(name, c->msg, c->len, c->listen_fd, c->err))
		return false;
	snprintf(c->name, c->name_len, "%s", name);
	c->done = true;
	return true;
}

int warm_pool_claim(const char *key, const struct warm_adopt *a, int listen_fd, char *name,
		    size_t name_len, struct husk_error **err)
{
	long long until = husk_now_ms() + WARM_CLAIM_WAIT_MS;
	char msg[WARM_MSG_MAX];
	struct claim c = { msg, 0, listen_fd, name, name_len, false, err };
	int n = warm_msg_encode(a, msg, sizeof(msg));

	if (n < 0)
		return husk_err(err, -n, "hand-over message");
	c.len = (size_t)n;
	for (;;) {
		each_entry(key, ".sock", try_spare, &c);
		if (c.done)
			return 0;
		/* None ready: wait for one that is booting, if any is. */
		if (!each_entry(key, ".boot", NULL, NULL) || husk_now_ms() > until)
			break;
		usleep(5000);
	}
	if (!*err)
		husk_err(err, 0, "no spare VM ready");
	return -ENOENT;
}

void warm_pool_remove(const char *name, const char *share_base)
{
	char path[PATH_MAX], root[PATH_MAX];
	const char *suffix[] = { ".boot", ".sock" };
	size_t i;
	DIR *d;
	struct dirent *de;

	for (i = 0; i < 2; i++) {
		warm_pool_path(name, suffix[i], path, sizeof(path));
		unlink(path);
	}
	if (!fs_share_root(share_base, name, root, sizeof(root)))
		fs_share_remove(root);
	warm_pool_path(name, ".d", path, sizeof(path));
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char file[PATH_MAX + 256];

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		unlink(file);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

void warm_pool_sweep(const char *share_base)
{
	char name[WARM_NAME_MAX];
	struct dirent *de;
	size_t n;
	pid_t pid;
	DIR *d = opendir(WARM_POOL_DIR);

	while (d && (de = readdir(d))) {
		n = strlen(de->d_name);
		pid = entry_pid(de->d_name, NULL, ".d");
		if (!pid || alive(pid) || n - 2 >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 2), de->d_name);
		warm_pool_remove(name, share_base);
	}
	if (d)
		closedir(d);
}

static void exec_spare(const char *config_path, bool debug)
{
	char *argv[6];
	int n = 0, null = open("/dev/null", O_RDWR);

	argv[n++] = (char *)"containerd-shim-husk-v2";
	argv[n++] = (char *)"-config", argv[n++] = (char *)config_path;
	if (debug)
		argv[n++] = (char *)"-debug";
	argv[n++] = (char *)"warm";
	argv[n] = NULL;
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);
	execv("/proc/self/exe", argv);
	_exit(127);
}

int warm_dir_make(const char *dir, struct husk_error **err)
{
	char parent[PATH_MAX];
	char *slash;

	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return husk_err(err, ENAMETOOLONG, "mkdir %s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0711) && errno != EEXIST)
			return husk_err(err, errno, "mkdir %s", parent);
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return husk_err(err, errno, "mkdir %s", dir);
	return 0;
}

int warm_pool_spawn(const char *config_path, bool debug, struct husk_error **err)
{
	int status, ret = warm_dir_make(WARM_POOL_DIR, err);
	pid_t pid;

	if (ret)
		return ret;
	pid = fork();
	if (pid < 0)
		return husk_err(err, errno, "fork");
	if (pid == 0) {
		/* Double fork: a session of its own, no parent to wait for it. */
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		exec_spare(config_path ? config_path : "", debug);
	}
	waitpid(pid, &status, 0);
	return 0;
}
