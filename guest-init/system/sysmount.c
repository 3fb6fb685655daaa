// SPDX-License-Identifier: Apache-2.0
/*
 * sysmount.c - the VM's own file systems at boot, and the boot-complete
 * marker. The initramfs holds only /init, so every mount point is made
 * first. In test mode husk-init runs in a fresh mount namespace on a
 * host: it makes its mounts private and mounts only its own /proc (for
 * its pid namespace), leaving the host's /sys and /dev as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/system/init_log.h"
#include "guest-init/system/system.h"

#define BOOT_MARKER_PORT 0x440 /* HUSK_BOOT_MARKER_PORT of vmm/base/layout.h */

struct sysmount {
	const char *src, *dst, *type;
	unsigned long flags;
	const char *data;
	const char *data_first; /* tried before @data; dropped where the kernel refuses it */
};

/*
 * favordynmods (Linux 6.0+): moving a process into a cgroup, as every
 * CREATE and EXEC does, no longer waits for an RCU grace period (20-30 ms
 * of each CREATE in the rig); forks and exits pay a little instead.
 */
#define CGROUP2_FAST_MOVES "favordynmods"

static const struct sysmount vm_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, NULL },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, NULL },
	{ "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", NULL },
	{ "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666", NULL },
	{ "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", NULL },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL,
	  CGROUP2_FAST_MOVES },
	{ "run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", NULL },
	{ "tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", NULL },
};

static int sysmount_one(const struct sysmount *m, struct husk_error **e)
{
	if (mkdir(m->dst, 0755) < 0 && errno != EEXIST)
		return husk_err(e, errno, "mkdir %s", m->dst);
	if (m->data_first && mount(m->src, m->dst, m->type, m->flags, m->data_first) == 0)
		return 0;
	if (mount(m->src, m->dst, m->type, m->flags, m->data) < 0 && errno != EBUSY)
		return husk_err(e, errno, "mount %s on %s", m->type, m->dst);
	return 0;
}

/*
 * The initramfs is the kernel's rootfs, the root of the initial mount
 * namespace, and pivot_root(2) refuses to move that away: containers
 * could not pivot. So, as switch_root does, a tmpfs is moved over "/"
 * and becomes husk-init's root; the initramfs stays below, unused.
 */
static int sysmount_switch_root(struct husk_error **e)
{
	if (mkdir("/sysroot", 0755) < 0 && errno != EEXIST)
		return husk_err(e, errno, "mkdir /sysroot");
	if (mount("sysroot", "/sysroot", "tmpfs", 0, "mode=0755") < 0)
		return husk_err(e, errno, "mount tmpfs on /sysroot");
	if (chdir("/sysroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return husk_err(e, errno, "move /sysroot over /");
	return 0;
}

int sysmount_vm(struct husk_error **e)
{
	size_t i;

	if (sysmount_switch_root(e) < 0)
		return -husk_error_errno(*e);
	for (i = 0; i < sizeof(vm_mounts) / sizeof(vm_mounts[0]); i++)
		if (sysmount_one(&vm_mounts[i], e) < 0)
			return -husk_error_errno(*e);
	if (mkdir("/etc", 0755) < 0 && errno != EEXIST)
		return husk_err(e, errno, "mkdir /etc");
	return 0;
}

int sysmount_test(struct husk_error **e)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return husk_err(e, errno, "make / private (run in a new mount namespace)");
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return husk_err(e, errno, "mount /proc for our pid namespace");
	return 0;
}

void sysmount_boot_marker(void)
{
	if (ioperm(BOOT_MARKER_PORT, 1, 1) < 0) {
		log_warn("boot marker: ioperm 0x%x: %s", BOOT_MARKER_PORT, strerror(errno));
		return;
	}
	outb(1, BOOT_MARKER_PORT);
	ioperm(BOOT_MARKER_PORT, 1, 0);
}
