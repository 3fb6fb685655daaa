// SPDX-License-Identifier: Apache-2.0
/*
 * fs_daemon_launch.c - a virtiofsd start on its own thread (fs_daemon.h):
 * `virtiofsd --version` (once per binary: fs_daemon_cache.h) and the fork
 * take a while (about 100 ms in the rig), time the VM's creation, which
 * needs no daemon until its virtio-fs device connects, can overlap.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "shim/share/fs_daemon.h"

struct fs_daemon_launch {
	pthread_t thread;
	struct fs_daemon *d;
	char bin[PATH_MAX], dir[PATH_MAX], sock[PATH_MAX];
	int ret;
	struct husk_error *err;
};

static void *fs_daemon_launch_run(void *arg)
{
	struct fs_daemon_launch *l = arg;

	l->ret = fs_daemon_start(l->d, l->bin, l->dir, l->sock, &l->err);
	return NULL;
}

int fs_daemon_launch(struct fs_daemon *d, const char *bin, const char *dir, const char *socket_path,
		     struct husk_error **err)
{
	struct fs_daemon_launch *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return husk_err(err, ENOMEM, "virtiofsd launch");
	if (snprintf(l->bin, sizeof(l->bin), "%s", bin) >= (int)sizeof(l->bin) ||
	    snprintf(l->dir, sizeof(l->dir), "%s", dir) >= (int)sizeof(l->dir) ||
	    snprintf(l->sock, sizeof(l->sock), "%s", socket_path) >= (int)sizeof(l->sock)) {
		free(l);
		return husk_err(err, ENAMETOOLONG, "virtiofsd launch");
	}
	l->d = d;
	ret = -pthread_create(&l->thread, NULL, fs_daemon_launch_run, l);
	if (ret) {
		free(l);
		return husk_err(err, -ret, "virtiofsd launch thread");
	}
	d->launch = l;
	return 0;
}

int fs_daemon_launch_wait(struct fs_daemon *d, struct husk_error **err)
{
	struct fs_daemon_launch *l = d->launch;
	int ret;

	if (!l)
		return 0;
	pthread_join(l->thread, NULL);
	d->launch = NULL;
	ret = l->ret;
	if (ret && err && !*err)
		*err = l->err;
	else
		husk_error_free(l->err);
	free(l);
	return ret;
}
