// SPDX-License-Identifier: Apache-2.0
/*
 * blkdev.c - a disk the host filled just before CREATE. In a pod the VM's
 * disks exist from boot as empty slots and get their medium while the
 * guest runs (libhusk's hot media change): the host raises a config
 * interrupt and the kernel re-reads the capacity from a workqueue, so the
 * new size shows up a little after the host's attach returned. Mounting
 * before that would see an empty disk; so wait for the size first. Then
 * drop the device's page cache: a slot is reused by the next container,
 * and nothing cached from the previous medium may be read as this one's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/clock.h"
#include "guest-init/system/init_log.h"
#include "guest-init/system/system.h"

#define BLKDEV_WAIT_MS 30000 /* the rig's emulated guests are slow */

/* The size in sectors from sysfs; -1 when @name is no block device here. */
static long long blkdev_sectors(const char *name)
{
	char path[PATH_MAX];
	long long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static void blkdev_drop_cache(const char *source)
{
	int fd = open(source, O_RDONLY | O_CLOEXEC);

	/* Best effort: a mount of a stale cache would fail loudly anyway. */
	if (fd >= 0) {
		if (ioctl(fd, BLKFLSBUF, 0) < 0)
			log_warn("BLKFLSBUF %s: %s", source, strerror(errno));
		close(fd);
	}
}

int blkdev_ready(const char *source, struct husk_error **e)
{
	const char *name = source + 5;
	int64_t deadline = husk_now_ms() + BLKDEV_WAIT_MS;
	long long n;

	/* Only whole disks named in /dev; anything else is mount's to judge. */
	if (strncmp(source, "/dev/", 5) || strchr(name, '/'))
		return 0;
	while ((n = blkdev_sectors(name)) == 0) {
		if (husk_now_ms() > deadline)
			return husk_err(e, ENOMEDIUM, "%s: no medium after %d s", source,
					BLKDEV_WAIT_MS / 1000);
		usleep(5000);
	}
	if (n > 0)
		blkdev_drop_cache(source);
	return 0;
}
