// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_cgroup.c - shim/base/host_cgroup*.c: a spec's cgroupsPath as a
 * path under a hierarchy (cgroupfs and systemd styles, junk refused), and
 * making, entering and removing it under temporary trees that mimic a
 * cgroup v2 mount (cgroup.controllers at the root, cgroup.procs written
 * here by the test as the kernel would) and v1 mounts (one folder per
 * hierarchy, cpu and cpuacct one mount behind symlinks).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/base/host_cgroup.h"
#include "tests/lib/unit.h"

static void path_is(const char *in, const char *want)
{
	struct husk_error *err = NULL;
	char out[PATH_MAX];

	if (host_cgroup_path(in, out, sizeof(out), &err))
		ck_abort_msg("%s: %s", in, husk_error_message(err));
	ck_assert_str_eq(out, want);
}

START_TEST(paths_of_both_styles)
{
	path_is("/kubepods/burstable/pod1234/abcd", "/kubepods/burstable/pod1234/abcd");
	path_is("/k8s.io/abcd", "/k8s.io/abcd");
	path_is("//k8s.io//abcd/", "/k8s.io/abcd");
	path_is("kubepods-burstable-podX.slice:cri-containerd:abcd",
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podX.slice/"
		"cri-containerd-abcd.scope");
	path_is("kubepods.slice:cri-containerd:abcd", "/kubepods.slice/cri-containerd-abcd.scope");
	path_is("-.slice:cri-containerd:abcd", "/cri-containerd-abcd.scope");
	path_is(":cri-containerd:abcd", "/system.slice/cri-containerd-abcd.scope");
	path_is("kubepods.slice::abcd", "/kubepods.slice/abcd.scope");
}
END_TEST

START_TEST(junk_paths_refused)
{
	static const char *const bad[] = {
		"",
		"/",
		"/../etc",
		"/k8s.io/../../x",
		"/a/./b",
		"/a/b\nc",
		"relative/x",
		"a.slice:p",
		"a.slice:p:n:x",
		"a.slice:p:",
		"a.slice:..:x/y",
		"a.slice:p:../x",
		"foo:p:n",
		".slice:p:n",
		"a-.slice:p:n",
		"-a.slice:p:n",
		"a--b.slice:p:n",
		"a/b.slice:p:n",
		"../a.slice:p:n",
	};
	struct husk_error *err = NULL;
	char out[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(host_cgroup_path(bad[i], out, sizeof(out), &err) == -EINVAL,
			      "\"%s\" accepted as %s", bad[i], out);
		ck_assert_ptr_nonnull(strstr(husk_error_message(err), "linux.cgroupsPath"));
		husk_error_free(err);
		err = NULL;
	}
}
END_TEST

static char root[64];

static void root_make(void)
{
	snprintf(root, sizeof(root), "/tmp/husk-cgroup-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void root_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void touch(const char *rel)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	ck_assert_msg(f != NULL, "%s", p);
	fclose(f);
}

static void mkdir_in(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static bool exists(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	return !stat(p, &st);
}

static void unlink_in(const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	ck_assert_int_eq(unlink(p), 0);
}

START_TEST(v2_make_enter_leave)
{
	static const char leaf[] = "/kubepods/burstable/podU/sid";
	struct host_cgroup cg;
	char want[PATH_MAX], buf[32];
	FILE *f;

	touch("/cgroup.controllers");
	mkdir_in("/kubepods");
	ck_assert_int_eq(host_cgroup_make(&cg, root, leaf, NULL), 0);
	ck_assert_uint_eq(cg.n_dirs, 1);
	snprintf(want, sizeof(want), "%s%s", root, leaf);
	ck_assert_str_eq(cg.dirs[0], want);
	ck_assert_uint_eq(cg.n_made, 3); /* burstable, podU, sid: not kubepods */
	ck_assert(exists(leaf));
	/* The kernel's file, then the move of the whole process. */
	touch("/kubepods/burstable/podU/sid/cgroup.procs");
	ck_assert_int_eq(host_cgroup_enter(&cg, 4242, NULL), 0);
	f = fopen(strcat(want, "/cgroup.procs"), "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "4242\n");
	/* Emptied (the kernel's files go with rmdir): all it made goes. */
	unlink_in("/kubepods/burstable/podU/sid/cgroup.procs");
	host_cgroup_leave(&cg);
	ck_assert(!exists("/kubepods/burstable"));
	ck_assert(exists("/kubepods"));
	ck_assert_uint_eq(cg.n_made, 0);
}
END_TEST

START_TEST(v2_systemd_style_and_busy_leaf)
{
	static const char scope[] = "/kubepods.slice/kubepods-besteffort.slice/"
				    "kubepods-besteffort-podY.slice/cri-containerd-sid.scope";
	struct husk_error *err = NULL;
	struct host_cgroup cg;

	touch("/cgroup.controllers");
	ck_assert_int_eq(host_cgroup_make(&cg, root,
					  "kubepods-besteffort-podY.slice:cri-containerd:sid",
					  NULL),
			 0);
	ck_assert_uint_eq(cg.n_made, 4);
	ck_assert(exists(scope));
	/* No cgroup.procs: not a cgroup, and the error says where. */
	ck_assert_int_eq(host_cgroup_enter(&cg, 1, &err), -ENOENT);
	ck_assert_ptr_nonnull(
		strstr(husk_error_message(err), "cri-containerd-sid.scope/cgroup.procs"));
	husk_error_free(err);
	/* Still in use (a file stands for the shim inside): left, parents too. */
	touch("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podY.slice/"
	      "cri-containerd-sid.scope/busy");
	host_cgroup_leave(&cg);
	ck_assert(exists(scope));
	ck_assert(exists("/kubepods.slice"));
}
END_TEST

START_TEST(no_mount_or_bad_path_makes_nothing)
{
	struct husk_error *err = NULL;
	struct host_cgroup cg;

	ck_assert_int_eq(host_cgroup_join(&cg, root, "/k8s.io/sid", 1, &err), -ENODEV);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), root));
	husk_error_free(err);
	err = NULL;
	ck_assert(!exists("/k8s.io"));
	touch("/cgroup.controllers");
	ck_assert_int_eq(host_cgroup_join(&cg, root, "/k8s.io/../sid", 1, &err), -EINVAL);
	husk_error_free(err);
	ck_assert(!exists("/k8s.io"));
	ck_assert(!exists("/sid"));
}
END_TEST

START_TEST(v1_each_hierarchy_once)
{
	char p[PATH_MAX], l[PATH_MAX];
	struct host_cgroup cg;
	size_t i;

	mkdir_in("/memory");
	mkdir_in("/pids");
	mkdir_in("/cpu,cpuacct");
	mkdir_in("/blkio");
	snprintf(p, sizeof(p), "%s/cpu", root);
	ck_assert_int_eq(symlink("cpu,cpuacct", p), 0);
	snprintf(p, sizeof(p), "%s/cpuacct", root);
	ck_assert_int_eq(symlink("cpu,cpuacct", p), 0);
	ck_assert_int_eq(host_cgroup_make(&cg, root, "/k8s.io/sid", NULL), 0);
	ck_assert_uint_eq(cg.n_dirs, 3);
	ck_assert(exists("/memory/k8s.io/sid"));
	ck_assert(exists("/cpu,cpuacct/k8s.io/sid"));
	ck_assert(exists("/pids/k8s.io/sid"));
	ck_assert(!exists("/blkio/k8s.io"));
	for (i = 0; i < cg.n_dirs; i++) {
		snprintf(l, sizeof(l), "%s/cgroup.procs", cg.dirs[i] + strlen(root));
		touch(l);
	}
	ck_assert_int_eq(host_cgroup_enter(&cg, 77, NULL), 0);
	for (i = 0; i < cg.n_dirs; i++) {
		snprintf(l, sizeof(l), "%s/cgroup.procs", cg.dirs[i] + strlen(root));
		unlink_in(l);
	}
	host_cgroup_leave(&cg);
	ck_assert(!exists("/memory/k8s.io"));
	ck_assert(!exists("/pids/k8s.io"));
}
END_TEST

static void write_in(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	ck_assert_msg(f != NULL, "%s", p);
	fputs(text, f);
	fclose(f);
}

static void assert_holds(const char *rel, const char *want)
{
	char p[PATH_MAX], got[64] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "r");
	ck_assert_msg(f != NULL, "%s", p);
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	fclose(f);
	ck_assert_str_eq(got, want);
}

/* The shim came from containerd's cgroup: back there at leave, the leaf gone. */
START_TEST(v2_leave_returns_to_origin)
{
	char proc[PATH_MAX];
	struct host_cgroup cg;

	touch("/cgroup.controllers");
	mkdir_in("/system.slice");
	mkdir_in("/system.slice/containerd.service");
	touch("/system.slice/containerd.service/cgroup.procs");
	write_in("/proc-cgroup", "0::/system.slice/containerd.service\n");
	snprintf(proc, sizeof(proc), "%s/proc-cgroup", root);
	ck_assert_int_eq(host_cgroup_make(&cg, root, "/kubepods/podU/sid", NULL), 0);
	host_cgroup_note_origin(&cg, proc);
	touch("/kubepods/podU/sid/cgroup.procs");
	ck_assert_int_eq(host_cgroup_enter(&cg, 4242, NULL), 0);
	assert_holds("/kubepods/podU/sid/cgroup.procs", "4242\n");
	/* cgroupfs lets a directory with only its control files go; a tmpfs does not. */
	unlink_in("/kubepods/podU/sid/cgroup.procs");
	host_cgroup_leave(&cg);
	assert_holds("/system.slice/containerd.service/cgroup.procs", "4242\n");
	ck_assert(!exists("/kubepods"));
}
END_TEST

/* v1: each hierarchy's origin from its own line; junk and unknown lines skipped. */
START_TEST(v1_origins_per_hierarchy)
{
	char proc[PATH_MAX], p[PATH_MAX];
	struct host_cgroup cg;

	mkdir_in("/memory");
	mkdir_in("/memory/a");
	touch("/memory/a/cgroup.procs");
	mkdir_in("/cpu,cpuacct");
	mkdir_in("/cpu,cpuacct/b");
	touch("/cpu,cpuacct/b/cgroup.procs");
	mkdir_in("/pids");
	snprintf(p, sizeof(p), "%s/cpu", root);
	ck_assert_int_eq(symlink("cpu,cpuacct", p), 0);
	write_in("/proc-cgroup", "12:pids:relative\n"
				 "garbage\n"
				 "1:name=systemd:/x\n"
				 "5:cpu,cpuacct:/b\n"
				 "9:memory:/a\n");
	snprintf(proc, sizeof(proc), "%s/proc-cgroup", root);
	ck_assert_int_eq(host_cgroup_make(&cg, root, "/k8s.io/sid", NULL), 0);
	ck_assert_uint_eq(cg.n_dirs, 3);
	host_cgroup_note_origin(&cg, proc);
	touch("/memory/k8s.io/sid/cgroup.procs");
	touch("/cpu,cpuacct/k8s.io/sid/cgroup.procs");
	touch("/pids/k8s.io/sid/cgroup.procs");
	ck_assert_int_eq(host_cgroup_enter(&cg, 77, NULL), 0);
	unlink_in("/memory/k8s.io/sid/cgroup.procs");
	unlink_in("/cpu,cpuacct/k8s.io/sid/cgroup.procs");
	host_cgroup_leave(&cg);
	assert_holds("/memory/a/cgroup.procs", "77\n");
	assert_holds("/cpu,cpuacct/b/cgroup.procs", "77\n");
	ck_assert(!exists("/memory/k8s.io"));
	ck_assert(!exists("/cpu,cpuacct/k8s.io"));
	/* pids had no usable line: the process stays, and so does its leaf. */
	ck_assert(exists("/pids/k8s.io/sid"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_cgroup");
	TCase *path = tcase_create("path");
	TCase *join = tcase_create("join");

	tcase_add_test(path, paths_of_both_styles);
	tcase_add_test(path, junk_paths_refused);
	tcase_add_checked_fixture(join, root_make, root_remove);
	tcase_add_test(join, v2_make_enter_leave);
	tcase_add_test(join, v2_systemd_style_and_busy_leaf);
	tcase_add_test(join, no_mount_or_bad_path_makes_nothing);
	tcase_add_test(join, v1_each_hierarchy_once);
	tcase_add_test(join, v2_leave_returns_to_origin);
	tcase_add_test(join, v1_origins_per_hierarchy);
	suite_add_tcase(s, path);
	suite_add_tcase(s, join);
	return s;
}

UNIT_MAIN()
