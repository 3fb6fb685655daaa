// SPDX-License-Identifier: Apache-2.0
/* stdio_uri_open.c - a request's three stdio strings, and opening them. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/io/stdio_uri.h"

int stdio_config_parse(const char *in, const char *out, const char *errs, bool terminal,
		       struct stdio_config *cfg, struct husk_error **err)
{
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->terminal = terminal;
	ret = stdio_uri_parse(in, &cfg->in, err);
	if (!ret && cfg->in.kind != STDIO_NULL && cfg->in.kind != STDIO_FIFO)
		ret = husk_err(err, 0, "stdio: stdin \"%s\" must be a FIFO", in);
	if (!ret)
		ret = stdio_uri_parse(out, &cfg->out, err);
	/* With a terminal, output all comes from the pty: stderr is unused. */
	if (!ret && !terminal)
		ret = stdio_uri_parse(errs, &cfg->err, err);
	if (!ret && cfg->out.kind != STDIO_NULL && cfg->err.kind != STDIO_NULL &&
	    (cfg->out.kind == STDIO_FIFO) != (cfg->err.kind == STDIO_FIFO))
		ret = husk_err(err, 0, "stdio: stdout \"%s\" and stderr \"%s\" use different modes",
			       out, errs);
	if (ret)
		stdio_config_clear(cfg);
	return ret;
}

void stdio_config_clear(struct stdio_config *cfg)
{
	stdio_uri_clear(&cfg->in);
	stdio_uri_clear(&cfg->out);
	stdio_uri_clear(&cfg->err);
}

bool stdio_is_null(const struct stdio_config *cfg)
{
	return cfg->in.kind == STDIO_NULL && cfg->out.kind == STDIO_NULL &&
	       cfg->err.kind == STDIO_NULL;
}

static int check_fifo(int fd, const char *path, struct husk_error **err)
{
	struct stat st;

	if (fstat(fd, &st))
		return husk_err(err, errno, "stat %s", path);
	if (!S_ISFIFO(st.st_mode))
		return husk_err(err, 0, "stdio: %s is not a FIFO", path);
	return 0;
}

int stdio_open_fifo_out(const char *path, struct husk_error **err)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	if (check_fifo(fd, path, err)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int stdio_open_fifo_in(const char *path, int *rfd, int *keep, struct husk_error **err)
{
	int fd, w, fl;

	/* Non-blocking so the open does not wait for a writer... */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	if (check_fifo(fd, path, err)) {
		close(fd);
		return -EINVAL;
	}
	/* ...then our own writer, which cannot block now a reader exists. */
	w = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	if (w < 0 || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK)) {
		int e = errno;

		if (w >= 0)
			close(w);
		close(fd);
		return husk_err(err, e, "open %s for writing", path);
	}
	*rfd = fd;
	*keep = w;
	return 0;
}

/* mkdir -p for the directories above @path. */
static int make_parents(const char *path)
{
	char *dir = strdup(path), *p;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	for (p = dir + 1; *p && !ret; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			ret = -errno;
		*p = '/';
	}
	free(dir);
	return ret;
}

int stdio_open_file(const char *path, struct husk_error **err)
{
	int ret = make_parents(path), fd;

	if (ret)
		return husk_err(err, -ret, "create directories for %s", path);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return husk_err(err, errno, "open %s", path);
	return fd;
}

char **stdio_binary_argv(const struct stdio_uri *uri)
{
	char **argv = calloc(uri->nargs + 2, sizeof(char *));
	size_t i;

	if (!argv)
		return NULL;
	argv[0] = uri->path;
	for (i = 0; i < uri->nargs; i++)
		argv[i + 1] = uri->args[i];
	return argv;
}
