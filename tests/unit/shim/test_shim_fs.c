// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_fs.c - the host side of the virtio-fs share (shim/fs_share*.c),
 * virtiofsd's launch (shim/fs_daemon*.c) and the cleanup after a killed
 * shim (shim/share/fs_state.c). The share tests really mount (make check runs
 * as root): read-only entries must refuse writes on the host side with
 * EROFS, writable ones must reach the source, and cleanup must leave no
 * mount and no folder while the sources keep every byte. A thread stands
 * in for the daemon's SIGCHLD loop (reaper.h) for the virtiofsd tests.
 * virtiofsd's flavour is remembered per file (fs_daemon_cache.c) and
 * forgotten when the file changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/error.h"
#include "shim/share/fs_daemon.h"
#include "shim/share/fs_daemon_cache.h"
#include "shim/share/fs_share.h"
#include "shim/share/fs_state.h"
#include "tests/lib/mnt_tmp.h"
#include "tests/lib/reaper_thread.h"
#include "tests/lib/unit.h"
#include "shim/base/bundle_state.h"

static char top[128], dir[128], base[160], root[256], src[256];

/* Check's parent process: one folder for the suite, removed whatever happened. */
static void suite_setup(void)
{
	mnt_tmp_make("/tmp", "husk-fs", top);
}

static void suite_teardown(void)
{
	mnt_tmp_remove(top);
}

static void setup(void)
{
	mnt_tmp_make(top, "t", dir);
	snprintf(base, sizeof(base), "%s/share", dir);
	snprintf(src, sizeof(src), "%s/src", dir);
	mnt_tmp_write(src, "data/hello.txt", "hello from the host\n");
	mnt_tmp_write(src, "one.conf", "key=value\n");
	ck_assert_int_eq(fs_share_root(base, "sandbox-1", root, sizeof(root)), 0);
}

static void teardown(void)
{
	mnt_tmp_remove(dir);
}

static void path_in(char *out, const char *sub, const char *entry, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s/%s%s%s", root, sub, entry, name ? "/" : "",
		 name ? name : "");
}

/* Open @path for writing (creating it); the errno of the failure, or 0. */
static int write_errno(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), e;

	if (fd < 0)
		return errno;
	e = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : errno;
	close(fd);
	return e;
}

START_TEST(share_root_names)
{
	char out[PATH_MAX];

	ck_assert_int_eq(fs_share_root("/run/husk/share", "abc-1.2_x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/run/husk/share/abc-1.2_x");
	/* Not a plain name: its SHA-256, never a path of its own. */
	ck_assert_int_eq(fs_share_root("/run/husk/share", "../etc", out, sizeof(out)), 0);
	ck_assert_uint_eq(strlen(out), strlen("/run/husk/share/") + 64);
	ck_assert_ptr_null(strstr(out, ".."));
	ck_assert_int_eq(fs_share_root("/run/husk/share", "..", out, sizeof(out)), 0);
	ck_assert_uint_eq(strlen(out), strlen("/run/husk/share/") + 64);
}
END_TEST

START_TEST(entry_names)
{
	char a[FS_SHARE_ENTRY_MAX + 1], b[FS_SHARE_ENTRY_MAX + 1];
	size_t i;

	ck_assert_int_eq(fs_share_entry_name("ctr1", "/var/lib/my data", a, sizeof(a)), 0);
	ck_assert_int_eq(fs_share_entry_name("ctr1", "/var/lib/my data", b, sizeof(b)), 0);
	ck_assert_uint_eq(strlen(a), strlen("ctr1-") + 16 + strlen("-my_data"));
	ck_assert(!strncmp(a, "ctr1-", 5));
	for (i = 5; i < 21; i++)
		ck_assert_msg(strchr("0123456789abcdef", a[i]), "%s", a);
	ck_assert_str_eq(a + 21, "-my_data");
	ck_assert_str_ne(a, b); /* random: the same volume twice never clashes */
	ck_assert_int_eq(fs_share_entry_name("c", "/", a, sizeof(a)), 0);
	ck_assert_str_eq(a + 18, "-root");
}
END_TEST

START_TEST(share_layout)
{
	struct husk_error *err = NULL;
	char path[PATH_MAX];
	struct stat st;

	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	/* mounts/ (itself), private/ (itself), shared/ = 3 mounts. */
	ck_assert_int_eq(mnt_tmp_count(root), 3);
	/* The guest cannot make top-level entries: shared/ is read-only. */
	snprintf(path, sizeof(path), "%s/shared/new", root);
	ck_assert_int_eq(mkdir(path, 0755), -1);
	ck_assert_int_eq(errno, EROFS);
	snprintf(path, sizeof(path), "%s/mounts", root);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	/* Taken: a second sandbox with the id is refused, saying why. */
	ck_assert_int_eq(fs_share_create(root, &err), -EEXIST);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "another sandbox"));
	husk_error_free(err);
	fs_share_remove(root);
	ck_assert_int_eq(mnt_tmp_count(root), 0);
	ck_assert_int_eq(access(root, F_OK), -1);
}
END_TEST

START_TEST(share_ro_entry_refuses_writes)
{
	char data[PATH_MAX], path[PATH_MAX], buf[64];
	struct statvfs sv;

	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	snprintf(data, sizeof(data), "%s/data", src);
	ck_assert_int_eq(fs_share_add(root, "c1-0123456789abcdef-data", data,
				      FS_SHARE_RO | FS_SHARE_REC, NULL),
			 0);
	path_in(path, "shared", "c1-0123456789abcdef-data", "hello.txt");
	ck_assert_str_eq(mnt_tmp_read(path, buf, sizeof(buf)), "hello from the host\n");
	/* What virtiofsd serves and where the shim mounted: both read-only. */
	ck_assert_int_eq(write_errno(path, "x"), EROFS);
	path_in(path, "shared", "c1-0123456789abcdef-data", "new.txt");
	ck_assert_int_eq(write_errno(path, "x"), EROFS);
	path_in(path, "mounts", "c1-0123456789abcdef-data", "new.txt");
	ck_assert_int_eq(write_errno(path, "x"), EROFS);
	path_in(path, "shared", "c1-0123456789abcdef-data", NULL);
	ck_assert_int_eq(statvfs(path, &sv), 0);
	ck_assert(sv.f_flag & ST_RDONLY);
	ck_assert(sv.f_flag & ST_NOSUID);
	ck_assert(sv.f_flag & ST_NODEV);
	/* Nothing left in private/: the scratch bind is gone. */
	snprintf(path, sizeof(path), "%s/private", root);
	ck_assert_int_eq(mnt_tmp_count(path), 1); /* only its self-bind */
	fs_share_remove(root);
	ck_assert_int_eq(mnt_tmp_count(root), 0);
	ck_assert_int_eq(access(root, F_OK), -1);
	snprintf(path, sizeof(path), "%s/data/hello.txt", src);
	ck_assert_str_eq(mnt_tmp_read(path, buf, sizeof(buf)), "hello from the host\n");
}
END_TEST

START_TEST(share_rbind_ro_covers_submounts)
{
	char data[300], sub[300], path[PATH_MAX];

	snprintf(data, sizeof(data), "%s/data", src);
	snprintf(sub, sizeof(sub), "%s/data/sub", src);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(mount("tmpfs", sub, "tmpfs", 0, "size=1m"), 0);
	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	ck_assert_int_eq(fs_share_add(root, "e-ro", data, FS_SHARE_RO | FS_SHARE_REC, NULL), 0);
	ck_assert_int_eq(fs_share_add(root, "e-rw", data, FS_SHARE_REC, NULL), 0);
	/* rbind,ro: the submount came along and is read-only too. */
	path_in(path, "shared", "e-ro", "sub/x");
	ck_assert_int_eq(write_errno(path, "x"), EROFS);
	path_in(path, "shared", "e-rw", "sub/x");
	ck_assert_int_eq(write_errno(path, "x"), 0);
	snprintf(path, sizeof(path), "%s/x", sub);
	ck_assert_int_eq(access(path, F_OK), 0);
	fs_share_remove(root);
	ck_assert_int_eq(mnt_tmp_count(root), 0);
	ck_assert_int_eq(umount2(sub, 0), 0);
}
END_TEST

START_TEST(share_rw_and_file_entries)
{
	char data[300], file[300], path[PATH_MAX], buf[64];
	struct stat st;

	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	snprintf(data, sizeof(data), "%s/data", src);
	snprintf(file, sizeof(file), "%s/one.conf", src);
	ck_assert_int_eq(fs_share_add(root, "c1-rw", data, 0, NULL), 0);
	ck_assert_int_eq(fs_share_add(root, "c1-file", file, FS_SHARE_RO, NULL), 0);
	ck_assert_int_eq(fs_share_add(root, "c1-file-rw", file, 0, NULL), 0);
	/* rw: a write through the share lands in the source. */
	path_in(path, "shared", "c1-rw", "from-guest.txt");
	ck_assert_int_eq(write_errno(path, "written in the share\n"), 0);
	snprintf(path, sizeof(path), "%s/from-guest.txt", data);
	ck_assert_str_eq(mnt_tmp_read(path, buf, sizeof(buf)), "written in the share\n");
	/* A single file, with an empty file as its mount point. */
	path_in(path, "shared", "c1-file", NULL);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_str_eq(mnt_tmp_read(path, buf, sizeof(buf)), "key=value\n");
	ck_assert_int_eq(write_errno(path, "x"), EROFS);
	path_in(path, "shared", "c1-file-rw", NULL);
	ck_assert_int_eq(write_errno(path, "key=new\n"), 0);
	ck_assert_str_eq(mnt_tmp_read(file, buf, sizeof(buf)), "key=new\n");
	/* One entry out: its mount and placeholder go, the others stay. */
	fs_share_del(root, "c1-rw");
	path_in(path, "mounts", "c1-rw", NULL);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(mnt_tmp_count(path), 0);
	path_in(path, "shared", "c1-file", NULL);
	ck_assert_int_eq(mnt_tmp_count(path), 1);
	fs_share_remove(root);
	ck_assert_int_eq(mnt_tmp_count(root), 0);
	ck_assert_int_eq(access(root, F_OK), -1);
	snprintf(path, sizeof(path), "%s/from-guest.txt", data);
	ck_assert_int_eq(access(path, F_OK), 0); /* host data never removed */
	ck_assert_str_eq(mnt_tmp_read(file, buf, sizeof(buf)), "key=new\n");
}
END_TEST

START_TEST(share_missing_source)
{
	struct husk_error *err = NULL;
	char missing[PATH_MAX], path[PATH_MAX];

	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	snprintf(missing, sizeof(missing), "%s/not-there", src);
	ck_assert_int_eq(fs_share_add(root, "c1-x", missing, 0, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), missing));
	husk_error_free(err);
	path_in(path, "mounts", "c1-x", NULL);
	ck_assert_int_eq(access(path, F_OK), -1);
	fs_share_remove(root);
	ck_assert_int_eq(access(root, F_OK), -1);
}
END_TEST

/* A placeholder that is not ours (a non-empty file) is never removed. */
START_TEST(share_leaves_foreign_files)
{
	char path[PATH_MAX];

	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	path_in(path, "mounts", "stray", NULL);
	mnt_tmp_write(root, "mounts/stray", "not a placeholder\n");
	fs_share_remove(root);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(mnt_tmp_count(root), 0);
}
END_TEST

START_TEST(state_cleanup_after_kill)
{
	char bundle[300], data[300], other[300], path[PATH_MAX];

	snprintf(bundle, sizeof(bundle), "%s/bundle", dir);
	ck_assert_int_eq(mkdir(bundle, 0700), 0);
	snprintf(data, sizeof(data), "%s/data", src);
	ck_assert_int_eq(fs_state_share(bundle, root, 0, 0), 0);
	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	ck_assert_int_eq(fs_state_entry(bundle, root, "c1-a"), 0);
	ck_assert_int_eq(fs_share_add(root, "c1-a", data, FS_SHARE_RO, NULL), 0);
	/* A record naming a place outside the base is ignored. */
	snprintf(other, sizeof(other), "%s/other", dir);
	ck_assert_int_eq(mkdir(other, 0700), 0);
	ck_assert_int_eq(bundle_state_append(bundle, "fs-share %s\n", other), 0);
	ck_assert_int_eq(bundle_state_append(bundle, "fs-entry %s/../src data\n", base), 0);
	fs_state_cleanup(bundle, base);
	ck_assert_int_eq(mnt_tmp_count(root), 0);
	ck_assert_int_eq(access(root, F_OK), -1);
	ck_assert_int_eq(access(other, F_OK), 0);
	snprintf(path, sizeof(path), "%s/hello.txt", data);
	ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

START_TEST(daemon_find)
{
	const char *none[] = { "/nonexistent/a", "/nonexistent/b", NULL };
	const char *two[] = { "/nonexistent/a", "/bin/sh", "/bin/true", NULL };
	struct husk_error *err = NULL;
	char out[PATH_MAX];

	ck_assert_int_eq(fs_daemon_find(NULL, none, out, sizeof(out), &err), -ENOENT);
	ck_assert_str_eq(
		husk_error_message(err),
		"virtiofsd not found: install qemu-system-common or set \"virtiofsd\" in /etc/husk/config.json: No such file or directory");
	husk_error_free(err);
	err = NULL;
	ck_assert_int_eq(fs_daemon_find("", two, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, "/bin/sh"); /* the first that exists */
	/* Configured: that one, or an error naming it (no fallback). */
	ck_assert_int_eq(fs_daemon_find("/bin/true", none, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, "/bin/true");
	ck_assert_int_eq(fs_daemon_find("/nonexistent/vfsd", two, out, sizeof(out), &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "/nonexistent/vfsd"));
	husk_error_free(err);
	err = NULL;
	ck_assert_int_eq(fs_daemon_find("/etc", two, out, sizeof(out), &err), -ENOENT);
	husk_error_free(err);
}
END_TEST

START_TEST(daemon_flavour)
{
	enum fs_daemon_flavour f = FS_DAEMON_RUST;

	ck_assert_int_eq(
		fs_daemon_flavour("virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n"
				  "Copyright (c) 2003-2022 Fabrice Bellard\n",
				  &f),
		0);
	ck_assert_int_eq(f, FS_DAEMON_C);
	ck_assert_int_eq(fs_daemon_flavour("virtiofsd 1.10.1\n", &f), 0);
	ck_assert_int_eq(f, FS_DAEMON_RUST);
	ck_assert_int_eq(fs_daemon_flavour("virtiofsd version 5.2.0\n", &f), 0);
	ck_assert_int_eq(f, FS_DAEMON_C);
	ck_assert_int_eq(fs_daemon_flavour("usage: foo\n", &f), -EINVAL);
	ck_assert_int_eq(fs_daemon_flavour("virtiofsd\nversion 2\n", &f), -EINVAL);
	ck_assert_int_eq(fs_daemon_flavour("", &f), -EINVAL);
}
END_TEST

/* Remembered for the very file only: another path, new bytes, a bad line or a link are not it. */
START_TEST(daemon_flavour_cache)
{
	char cache[PATH_MAX], bin[PATH_MAX], other[PATH_MAX], link[PATH_MAX];
	enum fs_daemon_flavour f = FS_DAEMON_C;

	snprintf(cache, sizeof(cache), "%s/flavour", dir);
	snprintf(bin, sizeof(bin), "%s/virtiofsd", dir);
	snprintf(other, sizeof(other), "%s/virtiofsd-2", dir);
	ck_assert_int_eq(write_errno(bin, "#!/bin/sh\n"), 0);
	ck_assert_int_eq(write_errno(other, "#!/bin/sh\n"), 0);
	ck_assert_int_eq(fs_daemon_cache_get(cache, bin, &f), -ENOENT); /* no file yet */
	ck_assert_int_eq(fs_daemon_cache_put(cache, bin, FS_DAEMON_RUST), 0);
	ck_assert_int_eq(fs_daemon_cache_get(cache, bin, &f), 0);
	ck_assert_int_eq(f, FS_DAEMON_RUST);
	ck_assert_int_eq(fs_daemon_cache_put(cache, bin, FS_DAEMON_C), 0);
	ck_assert_int_eq(fs_daemon_cache_get(cache, bin, &f), 0);
	ck_assert_int_eq(f, FS_DAEMON_C);
	ck_assert_int_eq(fs_daemon_cache_get(cache, other, &f), -ENOENT);
	ck_assert_int_eq(fs_daemon_cache_get(cache, "/nonexistent/virtiofsd", &f), -ENOENT);
	/* An upgrade: other bytes (size and mtime) make it another file. */
	ck_assert_int_eq(write_errno(bin, "#!/bin/sh\nexit 0\n"), 0);
	ck_assert_int_eq(fs_daemon_cache_get(cache, bin, &f), -ENOENT);
	ck_assert_int_eq(fs_daemon_cache_put(cache, bin, FS_DAEMON_C), 0);
	ck_assert_int_eq(fs_daemon_cache_get(cache, bin, &f), 0);
	ck_assert_int_eq(write_errno(cache, "v1 garbage C /x\n"), 0);
	ck_assert_int_eq(fs_daemon_cache_get(cache, bin, &f), -ENOENT);
	ck_assert_int_eq(write_errno(cache, ""), 0);
	ck_assert_int_eq(fs_daemon_cache_get(cache, bin, &f), -ENOENT);
	/* A cache that is a symbolic link is not read. */
	ck_assert_int_eq(fs_daemon_cache_put(other, bin, FS_DAEMON_C), 0);
	snprintf(link, sizeof(link), "%s/flavour-link", dir);
	ck_assert_int_eq(symlink(other, link), 0);
	ck_assert_int_eq(fs_daemon_cache_get(other, bin, &f), 0);
	ck_assert_int_eq(fs_daemon_cache_get(link, bin, &f), -ENOENT);
	/* Nowhere to write: an error, nothing else. */
	ck_assert_int_lt(fs_daemon_cache_put("/nonexistent/flavour", bin, FS_DAEMON_C), 0);
}
END_TEST

static void argv_is(const struct fs_daemon_args *a, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		ck_assert_ptr_nonnull(a->argv[i]);
		ck_assert_str_eq(a->argv[i], want[i]);
	}
	ck_assert_ptr_null(a->argv[i]);
}

START_TEST(daemon_argv)
{
	static const char *const c[] = { "/usr/lib/qemu/virtiofsd",
					 "--fd=3",
					 "-o",
					 "source=/run/husk/share/s/shared",
					 "-o",
					 "cache=auto",
					 "-o",
					 "sandbox=namespace",
					 "-o",
					 "announce_submounts",
					 "--thread-pool-size=1",
					 NULL };
	static const char *const rust[] = { "/usr/libexec/virtiofsd",
					    "--fd=3",
					    "--shared-dir=/run/husk/share/s/shared",
					    "--cache=auto",
					    "--sandbox=namespace",
					    "--announce-submounts",
					    "--thread-pool-size=1",
					    NULL };
	struct fs_daemon_args a;

	ck_assert_int_eq(fs_daemon_argv(FS_DAEMON_C, c[0], "/run/husk/share/s/shared", &a), 0);
	argv_is(&a, c);
	ck_assert_int_eq(fs_daemon_argv(FS_DAEMON_RUST, rust[0], "/run/husk/share/s/shared", &a),
			 0);
	argv_is(&a, rust);
	/* A comma would cut the C daemon's -o list; relative paths never. */
	ck_assert_int_eq(fs_daemon_argv(FS_DAEMON_C, c[0], "/a,b", &a), -EINVAL);
	ck_assert_int_eq(fs_daemon_argv(FS_DAEMON_RUST, c[0], "rel", &a), -EINVAL);
}
END_TEST

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

#define VIRTIOFSD "/usr/lib/qemu/virtiofsd"

/* Until the forked child has become virtiofsd (its comm changes at exec). */
static void wait_exec(pid_t pid)
{
	char path[64], comm[32];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 200; i++) {
		if (!strcmp(mnt_tmp_read(path, comm, sizeof(comm)), "virtiofsd\n"))
			return;
		usleep(10000);
	}
	ck_abort_msg("pid %d never became virtiofsd", (int)pid);
}

/* The real daemon: started on our socket, gone when its client leaves. */
START_TEST(daemon_runs_and_stops)
{
	char shared[PATH_MAX], sock[PATH_MAX], cache[PATH_MAX];
	enum fs_daemon_flavour f = FS_DAEMON_RUST;
	struct fs_daemon d;
	int fd;

	if (access(VIRTIOFSD, X_OK)) {
		fprintf(stderr, "daemon_runs_and_stops: %s missing, not run\n", VIRTIOFSD);
		return;
	}
	reaper_thread_start();
	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	fs_share_path(root, "shared", NULL, shared, sizeof(shared));
	fs_share_path(root, FS_SHARE_SOCKET, NULL, sock, sizeof(sock));
	fs_daemon_init(&d);
	snprintf(cache, sizeof(cache), "%s/flavour", dir);
	d.flavour_cache = cache;
	ck_assert_int_eq(fs_daemon_start(&d, VIRTIOFSD, shared, sock, NULL), 0);
	ck_assert_int_eq(d.flavour, FS_DAEMON_C);
	ck_assert_int_eq(fs_daemon_cache_get(cache, VIRTIOFSD, &f), 0); /* learnt by the probe */
	ck_assert_int_eq(f, FS_DAEMON_C);
	ck_assert_int_gt(d.pid, 0);
	ck_assert_uint_eq(d.start_time, fs_daemon_start_time(d.pid));
	fd = connect_to(sock);
	ck_assert_int_ge(fd, 0);
	wait_exec(d.pid);
	/* Not the daemon of that record: never signalled. */
	ck_assert(!fs_daemon_kill_recorded(d.pid, d.start_time + 1, 100));
	ck_assert_int_eq(kill(d.pid, 0), 0);
	close(fd); /* like the VM's end: it leaves by itself */
	ck_assert_int_ge(fs_daemon_stop(&d), 0);
	ck_assert_int_eq(d.pid, 0);
	/* Remembered, it is not probed: a wrong flavour in the cache is taken as is. */
	ck_assert_int_eq(fs_daemon_cache_put(cache, VIRTIOFSD, FS_DAEMON_RUST), 0);
	d.flavour = FS_DAEMON_C;
	ck_assert_int_eq(fs_daemon_start(&d, VIRTIOFSD, shared, sock, NULL), 0);
	ck_assert_int_eq(d.flavour, FS_DAEMON_RUST);
	fs_daemon_stop(&d); /* it refused the Rust options: ended already, or ends now */
	ck_assert_int_eq(d.pid, 0);
	fs_share_remove(root);
	ck_assert_int_eq(access(root, F_OK), -1);
	reaper_thread_stop();
}
END_TEST

/* A daemon of a killed shim: found by its record and killed. */
START_TEST(daemon_killed_by_record)
{
	char shared[PATH_MAX], sock[PATH_MAX];
	struct fs_daemon d;
	pid_t pid;

	if (access(VIRTIOFSD, X_OK)) {
		fprintf(stderr, "daemon_killed_by_record: %s missing, not run\n", VIRTIOFSD);
		return;
	}
	reaper_thread_start();
	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	fs_share_path(root, "shared", NULL, shared, sizeof(shared));
	fs_share_path(root, FS_SHARE_SOCKET, NULL, sock, sizeof(sock));
	fs_daemon_init(&d);
	ck_assert_int_eq(fs_daemon_start(&d, VIRTIOFSD, shared, sock, NULL), 0);
	pid = d.pid;
	wait_exec(pid);
	ck_assert(fs_daemon_kill_recorded(pid, d.start_time, 3000));
	ck_assert_int_eq(fs_daemon_stop(&d), 128 + SIGKILL);
	ck_assert_int_eq(kill(pid, 0), -1);
	fs_share_remove(root);
	reaper_thread_stop();
}
END_TEST

/* A fake virtiofsd in dir: --version prints @version, a launch sleeps. */
static void fake_daemon(char *script, size_t len, const char *version)
{
	FILE *f;

	snprintf(script, len, "%s/virtiofsd", dir);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\ncase \"$1\" in --version) echo '%s';; *) exec sleep 30;; esac\n",
		version);
	fclose(f);
	ck_assert_int_eq(chmod(script, 0755), 0);
}

/* A fake virtiofsd printing @version, launched on its thread into @d. */
static void launch_fake(struct fs_daemon *d, const char *version, char *sock, size_t len)
{
	char script[PATH_MAX];

	reaper_thread_start();
	fake_daemon(script, sizeof(script), version);
	snprintf(sock, len, "%s/v.sock", dir);
	fs_daemon_init(d);
	ck_assert_int_eq(fs_daemon_launch(d, script, src, sock, NULL), 0);
}

/* A launch on its own thread: the wait gives the started daemon. */
START_TEST(daemon_launch_waited)
{
	char sock[PATH_MAX];
	struct fs_daemon d;

	launch_fake(&d, "virtiofsd version 7.2.0", sock, sizeof(sock));
	ck_assert_ptr_nonnull(d.launch);
	ck_assert_int_eq(fs_daemon_launch_wait(&d, NULL), 0);
	ck_assert_ptr_null(d.launch);
	ck_assert_int_eq(d.flavour, FS_DAEMON_C);
	ck_assert_int_gt(d.pid, 0);
	ck_assert_int_eq(kill(d.pid, 0), 0);
	ck_assert_int_eq(access(sock, F_OK), 0);	      /* our listening socket */
	ck_assert_int_eq(fs_daemon_launch_wait(&d, NULL), 0); /* none in progress */
	ck_assert_int_eq(fs_daemon_stop(&d), 128 + SIGTERM);
	reaper_thread_stop();
}
END_TEST

/* A launch that fails: the wait returns its error; nothing runs. */
START_TEST(daemon_launch_error)
{
	char sock[PATH_MAX];
	struct husk_error *err = NULL;
	struct fs_daemon d;

	launch_fake(&d, "no daemon of ours", sock, sizeof(sock));
	ck_assert_int_eq(fs_daemon_launch_wait(&d, &err), -EINVAL);
	ck_assert_msg(strstr(husk_error_message(err), "unknown --version output \"no daemon"), "%s",
		      husk_error_message(err));
	husk_error_free(err);
	ck_assert_int_eq(d.pid, 0);
	ck_assert_ptr_null(d.launch);
	ck_assert_int_eq(fs_daemon_stop(&d), -1);
	reaper_thread_stop();
}
END_TEST

/* A stop while the launch may still run waits for it, then stops the daemon. */
START_TEST(daemon_stop_waits_launch)
{
	char sock[PATH_MAX];
	struct fs_daemon d;

	launch_fake(&d, "virtiofsd version 7.2.0", sock, sizeof(sock));
	ck_assert_int_eq(fs_daemon_stop(&d), 128 + SIGTERM);
	ck_assert_ptr_null(d.launch);
	ck_assert_int_eq(d.pid, 0);
	ck_assert_int_eq(access(sock, F_OK), 0); /* the launch had run */
	reaper_thread_stop();
}
END_TEST

/* A daemon that refuses its options: the connect error says so. */
START_TEST(daemon_early_exit_reported)
{
	char script[PATH_MAX], sock[PATH_MAX], shared[PATH_MAX];
	struct husk_error *err = NULL;
	struct fs_daemon d;
	FILE *f;

	reaper_thread_start();
	snprintf(script, sizeof(script), "%s/virtiofsd", dir);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\ncase \"$1\" in --version) echo 'virtiofsd version 7.2.0';; "
	      "*) echo 'fuse: unknown option(s)' >&2; exit 1;; esac\n",
	      f);
	fclose(f);
	ck_assert_int_eq(chmod(script, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/v.sock", dir);
	snprintf(shared, sizeof(shared), "%s", src);
	fs_daemon_init(&d);
	ck_assert_int_eq(fs_daemon_start(&d, script, shared, sock, NULL), 0);
	usleep(300000);
	husk_err(&err, ECONNREFUSED, "connect %s", sock);
	ck_assert_int_eq(fs_daemon_failed(&d, &err), -ECONNREFUSED);
	ck_assert_msg(strstr(husk_error_message(err),
			     "virtiofsd exited with status 1 (fuse: unknown option(s))"),
		      "%s", husk_error_message(err));
	husk_error_free(err);
	ck_assert_int_eq(fs_daemon_stop(&d), 1);
	reaper_thread_stop();
}
END_TEST

/* A daemon that never connected gets SIGTERM; one that ignores it, SIGKILL. */
START_TEST(daemon_stop_escalates)
{
	char script[PATH_MAX], sock[PATH_MAX], shared[PATH_MAX];
	struct fs_daemon d;
	FILE *f;
	int st;

	if (!access(VIRTIOFSD, X_OK)) {
		reaper_thread_start();
		ck_assert_int_eq(fs_share_create(root, NULL), 0);
		fs_share_path(root, "shared", NULL, shared, sizeof(shared));
		fs_share_path(root, FS_SHARE_SOCKET, NULL, sock, sizeof(sock));
		fs_daemon_init(&d);
		ck_assert_int_eq(fs_daemon_start(&d, VIRTIOFSD, shared, sock, NULL), 0);
		wait_exec(d.pid);
		/* SIGTERM ends it (7.2 says 1 when nobody had connected). */
		st = fs_daemon_stop(&d);
		ck_assert_int_ge(st, 0);
		ck_assert_int_ne(st, 128 + SIGKILL);
		fs_share_remove(root);
		reaper_thread_stop();
	}
	reaper_thread_start();
	snprintf(script, sizeof(script), "%s/virtiofsd", dir);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/bin/sh\ncase \"$1\" in --version) echo 'virtiofsd 1.10.1';; "
	      "*) trap '' TERM; while :; do sleep 0.1; done;; esac\n",
	      f);
	fclose(f);
	ck_assert_int_eq(chmod(script, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/v.sock", dir);
	fs_daemon_init(&d);
	ck_assert_int_eq(fs_daemon_start(&d, script, src, sock, NULL), 0);
	ck_assert_int_eq(d.flavour, FS_DAEMON_RUST);
	usleep(200000);
	ck_assert_int_eq(fs_daemon_stop(&d), 128 + SIGKILL);
	reaper_thread_stop();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_fs");
	TCase *share = tcase_create("share");
	TCase *daemon = tcase_create("daemon");

	tcase_add_checked_fixture(share, setup, teardown);
	tcase_add_unchecked_fixture(share, suite_setup, suite_teardown);
	tcase_add_test(share, share_root_names);
	tcase_add_test(share, entry_names);
	tcase_add_test(share, share_layout);
	tcase_add_test(share, share_ro_entry_refuses_writes);
	tcase_add_test(share, share_rbind_ro_covers_submounts);
	tcase_add_test(share, share_rw_and_file_entries);
	tcase_add_test(share, share_missing_source);
	tcase_add_test(share, share_leaves_foreign_files);
	tcase_add_test(share, state_cleanup_after_kill);
	suite_add_tcase(s, share);
	tcase_add_checked_fixture(daemon, setup, teardown);
	tcase_add_unchecked_fixture(daemon, suite_setup, suite_teardown);
	tcase_set_timeout(daemon, 30);
	tcase_add_test(daemon, daemon_find);
	tcase_add_test(daemon, daemon_flavour);
	tcase_add_test(daemon, daemon_flavour_cache);
	tcase_add_test(daemon, daemon_argv);
	tcase_add_test(daemon, daemon_runs_and_stops);
	tcase_add_test(daemon, daemon_killed_by_record);
	tcase_add_test(daemon, daemon_early_exit_reported);
	tcase_add_test(daemon, daemon_stop_escalates);
	tcase_add_test(daemon, daemon_launch_waited);
	tcase_add_test(daemon, daemon_launch_error);
	tcase_add_test(daemon, daemon_stop_waits_launch);
	suite_add_tcase(s, daemon);
	return s;
}

UNIT_MAIN()
