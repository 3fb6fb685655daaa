// SPDX-License-Identifier: Apache-2.0
/*
 * files.c - a container's own files from CREATE's "files" (hosts,
 * hostname, resolv.conf, ...): written into FILES_DIR/<id>/ before its
 * mounts are made, so the spec's binds of those paths give each container
 * of a pod its own copy, and removed with the container. Names and sizes
 * were checked by agent_files_msg.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

static int files_put(int dfd, const struct amsg_file *f, struct husk_error **e)
{
	size_t done = 0;
	ssize_t n;
	int fd;

	/* O_NOFOLLOW: the folder is husk-init's, but never write through a link */
	fd = openat(dfd, f->name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return husk_err(e, errno, "files: create \"%s\"", f->name);
	while (done < f->len) {
		n = write(fd, f->text + done, f->len - done);
		if (n <= 0) {
			husk_err(e, n < 0 ? errno : EIO, "files: write \"%s\"", f->name);
			close(fd);
			return -husk_error_errno(*e);
		}
		done += (size_t)n;
	}
	/* 0644 whatever husk-init's umask: containers may run as any user */
	if (fchmod(fd, 0644) < 0) {
		husk_err(e, errno, "files: chmod \"%s\"", f->name);
		close(fd);
		return -husk_error_errno(*e);
	}
	if (close(fd) < 0)
		return husk_err(e, errno, "files: close \"%s\"", f->name);
	return 0;
}

int files_write(const struct container *c, const struct amsg *m, struct husk_error **e)
{
	size_t i;
	int dfd;

	if (!m->nfiles)
		return 0;
	if (util_mkdir_p(c->files, 0755, e) < 0)
		return husk_err_wrap(e, "files");
	dfd = open(c->files, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return husk_err(e, errno, "files: open %s", c->files);
	for (i = 0; i < m->nfiles; i++) {
		if (files_put(dfd, &m->files[i], e) < 0) {
			close(dfd);
			return -husk_error_errno(*e);
		}
	}
	close(dfd);
	return 0;
}

/* Everything in the folder is a file files_write() made: unlink, rmdir. */
void files_remove(const struct container *c)
{
	struct dirent *d;
	struct husk_error *e = NULL;
	DIR *dir = opendir(c->files);

	if (!dir) {
		if (errno != ENOENT) {
			husk_err(&e, errno, "files: open %s", c->files);
			log_err(e, c->id);
			husk_error_free(e);
		}
		return;
	}
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			unlinkat(dirfd(dir), d->d_name, 0);
	closedir(dir);
	if (rmdir(c->files) < 0) {
		husk_err(&e, errno, "files: remove %s", c->files);
		log_err(e, c->id);
		husk_error_free(e);
	}
}
