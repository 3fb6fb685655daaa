// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_delete.c - `delete`: containerd runs it whenever its connection to
 * the shim closes (after every normal task delete too) and for bundles
 * it cannot reach at boot. It must be idempotent and touch only -id: the
 * daemon may still serve the rest of the pod. It unmounts the rootfs
 * (also the one a killed daemon mounted in the virtio-fs share), removes
 * the group socket if its daemon is dead, and prints a raw
 * DeleteResponse (exit 137, now) on stdout. The VM of a dead shim died
 * with it; its virtiofsd (which exits when the VM's connection closes)
 * is killed if it still runs, and the sandbox's share is removed. A
 * daemon that is alive still serves the pod: its share stays.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim/cli.h"
#include "shim/cmd.h"
#include "shim/share/fs_share.h"
#include "shim/share/fs_state.h"
#include "shim/ttrpc/pb.h"
#include "shim/socket.h"
#include "shim/ttrpc/ttrpc.h"
#include "shim/net/sandbox_net.h"
#include "shim/sandbox/sandbox_rootfs_share.h"
#include "shim/base/bundle_state.h"

#define DELETE_EXIT_STATUS 137 /* as runc's shim: 128 + SIGKILL */

/* Undo every layer mounted on @dir; stderr becomes "cleanup warnings". */
static void unmount_all(const char *dir)
{
	int i;

	for (i = 0; i < 64; i++) {
		if (!umount2(dir, MNT_DETACH))
			continue;
		/* EINVAL: not a mount point (any more); ENOENT: no rootfs. */
		if (errno != EINVAL && errno != ENOENT)
			fprintf(stderr, "unmount %s: %s\n", dir, strerror(errno));
		return;
	}
}

static bool daemon_alive(const char *bundle)
{
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path)];

	return !shim_address_read(bundle, path, sizeof(path)) && shim_socket_alive(path);
}

static void remove_stale_socket(const char *bundle)
{
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path)];

	if (shim_address_read(bundle, path, sizeof(path)))
		return;
	if (!shim_socket_alive(path) && unlink(path) && errno != ENOENT)
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
}

static int print_response(void)
{
	Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts;
	struct timespec now;
	uint8_t *buf;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &now);
	pb_timestamp(&ts, &now);
	r.exit_status = DELETE_EXIT_STATUS;
	r.exited_at = &ts;
	if (ttrpc_pack(&r.base, &buf, &len))
		return 1;
	fwrite(buf, 1, len, stdout);
	free(buf);
	return fflush(stdout) ? 1 : 0;
}

int shim_cmd_delete(const struct shim_args *a)
{
	char bundle[PATH_MAX], rootfs[PATH_MAX + 8];
	int ret;

	ret = shim_bundle_dir(a, bundle, sizeof(bundle));
	if (ret) {
		/* Already removed: nothing left to clean, still a success. */
		fprintf(stderr, "bundle: %s\n", strerror(-ret));
		return print_response();
	}
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	unmount_all(rootfs);
	sandbox_rootfs_share_cleanup(bundle); /* its root in the share of a killed daemon */
	sandbox_net_state_cleanup(bundle);    /* the redirection of a killed daemon */
	if (!daemon_alive(bundle))
		fs_state_cleanup(bundle, FS_SHARE_BASE); /* its virtiofsd, share */
	bundle_state_cleanup(bundle);			 /* disk images of a killed daemon */
	remove_stale_socket(bundle);
	return print_response();
}
