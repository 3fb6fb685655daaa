// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_rootfs_share.c - shim/sandbox/sandbox_rootfs_share.c with real mounts: a
 * container's overlay and bind roots mounted in a share made by
 * fs_share_create() (mounts/ a shared mount, shared/ its read-only slave
 * bind, which virtiofsd serves): what appears in shared/, where writes and deletions
 * land (the snapshot's upperdir, whiteouts), read-only binds that are
 * read-only in shared/ too, and nothing left in /proc/self/mountinfo
 * after an unmount or after the state-file cleanup of a killed shim.
 * Each test runs in its own mount namespace (Check forks per test).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/share/fs_share.h"
#include "tests/lib/unit.h"
#include "shim/sandbox/sandbox_plan.h"
#include "shim/sandbox/sandbox_rootfs_share.h"
#include "shim/base/bundle_state.h"

static char top[64];

static void pathf(char *buf, const char *rel, const char *unused)
{
	(void)unused;
	snprintf(buf, PATH_MAX, "%s/%s", top, rel);
}

static void mk(const char *rel)
{
	char p[PATH_MAX];

	pathf(p, rel, NULL);
	ck_assert_msg(!mkdir(p, 0755), "mkdir %s: %s", p, strerror(errno));
}

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	pathf(p, rel, NULL);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	pathf(p, rel, NULL);
	return !lstat(p, &st);
}

/* Mount points in this namespace whose path holds @needle. */
static int mounted(const char *needle)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, top) && strstr(line, needle);
	fclose(f);
	return n;
}

/* The mountinfo options of the mount on @rel, e.g. "ro,nosuid,nodev,relatime". */
static void mount_opts_of(const char *rel, char *out, size_t len)
{
	char line[4096], want[PATH_MAX], mp[PATH_MAX], opts[512];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	pathf(want, rel, NULL);
	out[0] = '\0';
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s %511s", mp, opts) == 2 &&
		    !strcmp(mp, want))
			snprintf(out, len, "%s", opts);
	fclose(f);
}

/* A private mount namespace and a share as the shim makes it. */
static void setup(void)
{
	char root[PATH_MAX];

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "SKIP rootfs share: no mount namespace here (%s)\n",
			strerror(errno));
		exit(0);
	}
	snprintf(top, sizeof(top), "/tmp/husk-rshare-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	mk("lower");
	mk("upper");
	mk("work");
	mk("bundle");
	mk("src");
	mk("lower/d");
	put("lower/a", "from the image\n");
	put("lower/d/x", "x\n");
	put("src/f", "host file\n");
	pathf(root, "share", NULL);
	ck_assert_int_eq(fs_share_create(root, NULL), 0);
}

/* The share goes as the shim removes it; then no mount may be left. */
static void teardown(void)
{
	char cmd[PATH_MAX + 64], p[PATH_MAX];

	pathf(p, "share", NULL);
	fs_share_remove(p);
	ck_assert_int_eq(mounted(""), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system %s", top);
	ck_assert_int_eq(system(cmd), 0);
}

static struct sandbox_host_mount overlay_of(char *data, size_t len)
{
	snprintf(data, len, "index=off,lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work", top,
		 top, top);
	static char type[] = "overlay";

	return (struct sandbox_host_mount){ .type = type, .source = type, .data = data };
}

static int mount_in_share(const struct sandbox_host_mount *m, const char *id,
			  struct husk_error **err)
{
	char root[PATH_MAX], bundle[PATH_MAX];

	pathf(root, "share", NULL);
	pathf(bundle, "bundle", NULL);
	return sandbox_rootfs_share_mount(m, root, id, bundle, err);
}

static void umount_in_share(const char *id)
{
	char root[PATH_MAX];

	pathf(root, "share", NULL);
	sandbox_rootfs_share_umount(root, id);
}

START_TEST(overlay_writes_and_deletes_land_in_upperdir)
{
	char data[PATH_MAX * 4], p[PATH_MAX], opts[512];
	struct sandbox_host_mount m;
	struct stat st;

	setup();
	m = overlay_of(data, sizeof(data));
	ck_assert_int_eq(mount_in_share(&m, "c1", NULL), 0);
	mount_opts_of("share/mounts/c1-rootfs", opts, sizeof(opts));
	ck_assert_msg(strstr(opts, "rw,nosuid,nodev"), "options %s", opts);
	/* What virtiofsd serves: the propagated copy, writable under the ro bind. */
	ck_assert(exists("share/shared/c1-rootfs/a"));
	ck_assert(exists("share/shared/c1-rootfs/d/x"));
	put("share/shared/c1-rootfs/new", "written in the container\n");
	ck_assert(exists("upper/new"));
	pathf(p, "share/shared/c1-rootfs/a", NULL);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert(!exists("share/shared/c1-rootfs/a"));
	ck_assert(!exists("share/mounts/c1-rootfs/a"));
	ck_assert(exists("lower/a")); /* the image stays as it was */
	pathf(p, "upper/a", NULL);
	ck_assert_int_eq(lstat(p, &st), 0); /* a whiteout */
	ck_assert(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	ck_assert_int_eq(mounted("c1-rootfs"), 2);
	umount_in_share("c1");
	ck_assert_int_eq(mounted("c1-rootfs"), 0);
	ck_assert(!exists("share/mounts/c1-rootfs"));
	ck_assert(exists("upper/new")); /* containerd's data is untouched */
	teardown();
}
END_TEST

START_TEST(binds_are_born_readonly_in_the_share)
{
	struct sandbox_host_mount ro = { .flags = MS_BIND | MS_REC | MS_RDONLY };
	struct sandbox_host_mount rw = { .flags = MS_BIND };
	char src[PATH_MAX], p[PATH_MAX], opts[512];

	setup();
	pathf(src, "src", NULL);
	ro.source = rw.source = src;
	ck_assert_int_eq(mount_in_share(&ro, "c2", NULL), 0);
	mount_opts_of("share/shared/c2-rootfs", opts, sizeof(opts));
	ck_assert_msg(!strncmp(opts, "ro,nosuid,nodev", 15), "options %s", opts);
	pathf(p, "share/shared/c2-rootfs/g", NULL);
	ck_assert_int_eq(open(p, O_WRONLY | O_CREAT, 0644), -1);
	ck_assert_int_eq(errno, EROFS);
	ck_assert(exists("share/shared/c2-rootfs/f"));
	ck_assert_int_eq(mount_in_share(&rw, "c3", NULL), 0);
	put("share/shared/c3-rootfs/g", "from the guest\n");
	ck_assert(exists("src/g"));
	ck_assert_int_eq(mounted("-rootfs"), 4);
	umount_in_share("c3");
	umount_in_share("c2");
	ck_assert_int_eq(mounted("-rootfs"), 0);
	ck_assert(exists("src/f") && exists("src/g"));
	teardown();
}
END_TEST

START_TEST(delete_after_a_killed_shim_unmounts_recorded_roots)
{
	char data[PATH_MAX * 4], src[PATH_MAX], bundle[PATH_MAX];
	struct sandbox_host_mount ov, bind = { .flags = MS_BIND | MS_REC };

	setup();
	ov = overlay_of(data, sizeof(data));
	pathf(src, "src", NULL);
	bind.source = src;
	ck_assert_int_eq(mount_in_share(&ov, "a", NULL), 0);
	ck_assert_int_eq(mount_in_share(&bind, "b", NULL), 0);
	ck_assert_int_eq(mounted("-rootfs"), 4);
	pathf(bundle, "bundle", NULL);
	sandbox_rootfs_share_cleanup(bundle); /* what `delete` runs */
	ck_assert_int_eq(mounted("-rootfs"), 0);
	ck_assert(!exists("share/mounts/a-rootfs") && !exists("share/mounts/b-rootfs"));
	sandbox_rootfs_share_cleanup(bundle); /* twice: nothing to do, no harm */
	bundle_state_cleanup(bundle);
	ck_assert(!exists("bundle/" BUNDLE_STATE_FILE));
	ck_assert(exists("src/f") && exists("lower/a"));
	teardown();
}
END_TEST

START_TEST(failed_mount_leaves_nothing)
{
	static char ovl[] = "overlay", lower[] = "lowerdir=/nonexistent/husk/lower",
		    src[] = "/nonexistent/husk/src";
	struct sandbox_host_mount bad = { .type = ovl, .source = ovl, .data = lower };
	struct sandbox_host_mount nosrc = { .source = src, .flags = MS_BIND };
	struct husk_error *err = NULL;

	setup();
	ck_assert_int_lt(mount_in_share(&bad, "x", &err), 0);
	ck_assert_msg(strstr(husk_error_message(err), "x-rootfs"), "%s", husk_error_message(err));
	husk_error_free(err);
	err = NULL;
	ck_assert_int_eq(mount_in_share(&nosrc, "y", &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "/nonexistent/husk/src"));
	husk_error_free(err);
	ck_assert_int_eq(mounted("-rootfs"), 0);
	ck_assert(!exists("share/mounts/x-rootfs") && !exists("share/mounts/y-rootfs"));
	teardown();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_rootfs_share");
	TCase *tc = tcase_create("share");

	tcase_add_test(tc, overlay_writes_and_deletes_land_in_upperdir);
	tcase_add_test(tc, binds_are_born_readonly_in_the_share);
	tcase_add_test(tc, delete_after_a_killed_shim_unmounts_recorded_roots);
	tcase_add_test(tc, failed_mount_leaves_nothing);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
