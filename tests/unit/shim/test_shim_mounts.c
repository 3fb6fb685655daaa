// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_mounts.c - shim/sandbox/sandbox_mounts.c: a spec's mounts rewritten for
 * the VM. Spec JSON in; the rewritten JSON, CREATE's extra fields and the
 * share's entries out, each checked field by field. The share is real
 * (make check runs as root), in a temp folder.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/error.h"
#include "shim/share/fs_share.h"
#include "husk.h"
#include "husk_agent.h"
#include "tests/lib/mnt_tmp.h"
#include "tests/lib/unit.h"
#include "shim/sandbox/sandbox_mounts.h"
#include "shim/base/bundle_state.h"

static char top[128], dir[128], root[256], host[256];

/* Check's parent process: one folder for the suite, removed whatever happened. */
static void suite_setup(void)
{
	mnt_tmp_make("/tmp", "husk-mounts", top);
}

static void suite_teardown(void)
{
	mnt_tmp_remove(top);
}

static void setup(void)
{
	char base[160];

	mnt_tmp_make(top, "t", dir);
	snprintf(base, sizeof(base), "%s/share", dir);
	snprintf(host, sizeof(host), "%s/host", dir);
	ck_assert_int_eq(fs_share_root(base, "pod-1", root, sizeof(root)), 0);
	ck_assert_int_eq(fs_share_create(root, NULL), 0);
	mnt_tmp_write(host, "hosts", "127.0.0.1\tlocalhost\n10.0.0.2\tweb \"x\"\n");
	mnt_tmp_write(host, "resolv.conf", "nameserver 10.0.0.53\n");
	mnt_tmp_write(host, "hostname", "web-1\n");
	mnt_tmp_write(host, "data/a.txt", "volume a\n");
	mnt_tmp_write(host, "rw/keep.txt", "rw volume\n");
	mnt_tmp_write(host, "termination-log", "");
	mnt_tmp_write(host, "shm-plain/.keep", "");
}

static void teardown(void)
{
	fs_share_remove(root);
	mnt_tmp_remove(dir);
}

static yajl_val mount_at(yajl_val spec, size_t i)
{
	const char *path[] = { "mounts", NULL };
	yajl_val m = yajl_tree_get(spec, path, yajl_t_array);

	ck_assert_ptr_nonnull(m);
	ck_assert_uint_lt(i, YAJL_GET_ARRAY(m)->len);
	return YAJL_GET_ARRAY(m)->values[i];
}

static const char *field(yajl_val m, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(m, path, yajl_t_string);

	ck_assert_msg(v != NULL, "no string %s", key);
	return YAJL_GET_STRING(v);
}

/* The mount's options joined with ',' into @buf. */
static const char *opts(yajl_val m, char *buf, size_t len)
{
	const char *path[] = { "options", NULL };
	yajl_val o = yajl_tree_get(m, path, yajl_t_array);
	size_t i;

	buf[0] = '\0';
	for (i = 0; o && i < YAJL_GET_ARRAY(o)->len; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "",
			 YAJL_GET_STRING(YAJL_GET_ARRAY(o)->values[i]));
	return buf;
}

/* Share source "/run/husk/share/<entry>": the entry made for @dest, named right. */
static const char *entry_of(const char *source, const char *cid, const char *base)
{
	const char *e = source + strlen(HUSK_AGENT_SHARE_DIR "/");
	size_t n = strlen(cid), i;

	ck_assert_msg(!strncmp(source, HUSK_AGENT_SHARE_DIR "/", strlen(HUSK_AGENT_SHARE_DIR "/")),
		      "%s", source);
	ck_assert(!strncmp(e, cid, n) && e[n] == '-');
	for (i = n + 1; i < n + 17; i++)
		ck_assert_msg(strchr("0123456789abcdef", e[i]), "%s", e);
	ck_assert(e[n + 17] == '-');
	ck_assert_str_eq(e + n + 18, base);
	return e;
}

/* Every kind of mount a CRI or ctr spec has, in one spec. */
static char *full_spec(void)
{
	char *s;

	ck_assert_int_ge(
		asprintf(
			&s,
			"{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"]},\"n\":1.50,\"mounts\":["
			"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
			"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
			"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\"},"
			"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"ro\"]},"
			"{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"%s/hosts\",\"options\":[\"rbind\",\"rprivate\",\"rw\"]},"
			"{\"destination\":\"/etc/resolv.conf\",\"source\":\"%s/resolv.conf\",\"options\":[\"rbind\",\"ro\"]},"
			"{\"destination\":\"/etc/hostname\",\"source\":\"%s/hostname\",\"options\":[\"bind\"]},"
			"{\"destination\":\"/dev/shm\",\"type\":\"bind\",\"source\":\"%s/shm\",\"options\":[\"rbind\",\"ro\"]},"
			"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"%s/data\",\"options\":[\"rbind\",\"rslave\",\"ro\"]},"
			"{\"destination\":\"/srv/rw\",\"type\":\"bind\",\"source\":\"%s/rw\",\"options\":[\"rbind\",\"rw\"]},"
			"{\"destination\":\"/dev/termination-log\",\"type\":\"bind\",\"source\":\"%s/termination-log\",\"options\":[\"rbind\",\"rprivate\",\"rw\"]},"
			"{\"destination\":\"/rel\",\"type\":\"bind\",\"source\":\"relative/dir\",\"options\":[\"rbind\"]}"
			"]}",
			host, host, host, host, host, host, host),
		0);
	return s;
}

START_TEST(rewrite_every_kind)
{
	struct sandbox_mounts_ctx ctx = { .cid = "ctr-1", .share_root = root };
	char *spec, buf[256], path[PATH_MAX], shm[300];
	struct sandbox_mounts m;
	const char *e;
	yajl_val v;

	snprintf(shm, sizeof(shm), "%s/shm", host);
	ck_assert_int_eq(mkdir(shm, 0755), 0);
	ck_assert_int_eq(mount("shm", shm, "tmpfs", 0, "size=2m"), 0);
	spec = full_spec();
	ck_assert_int_eq(sandbox_mounts_rewrite(spec, strlen(spec), &ctx, &m, NULL), 0);
	free(spec);
	v = yajl_tree_parse(m.spec, NULL, 0);
	ck_assert_msg(v != NULL, "%s", m.spec);
	ck_assert_uint_eq(strlen(m.spec), m.spec_len);
	ck_assert_ptr_nonnull(strstr(m.spec, "\"n\":1.50")); /* numbers keep their text */
	/* Guest-local mounts: as they were. */
	ck_assert_str_eq(field(mount_at(v, 0), "source"), "proc");
	ck_assert_str_eq(field(mount_at(v, 1), "source"), "tmpfs");
	ck_assert_str_eq(opts(mount_at(v, 1), buf, sizeof(buf)), "nosuid,mode=755");
	ck_assert_str_eq(field(mount_at(v, 2), "source"), "mqueue");
	ck_assert_str_eq(field(mount_at(v, 3), "source"), "cgroup");
	/* Network files: this container's own copies, options kept. */
	ck_assert_str_eq(field(mount_at(v, 4), "source"), HUSK_AGENT_FILES_DIR "/ctr-1/hosts");
	ck_assert_str_eq(opts(mount_at(v, 4), buf, sizeof(buf)), "rbind,rprivate,rw");
	ck_assert_str_eq(field(mount_at(v, 5), "source"),
			 HUSK_AGENT_FILES_DIR "/ctr-1/resolv.conf");
	ck_assert_str_eq(field(mount_at(v, 6), "source"), HUSK_AGENT_FILES_DIR "/ctr-1/hostname");
	ck_assert_str_eq(m.etc.hosts, "127.0.0.1\tlocalhost\n10.0.0.2\tweb \"x\"\n");
	ck_assert_str_eq(m.etc.resolv, "nameserver 10.0.0.53\n");
	ck_assert_str_eq(m.etc.hostname, "web-1\n");
	/* The pod's /dev/shm, with the host tmpfs's size. */
	ck_assert_str_eq(field(mount_at(v, 7), "source"), HUSK_AGENT_POD_SHM_DIR);
	ck_assert_str_eq(opts(mount_at(v, 7), buf, sizeof(buf)), "rbind,ro");
	ck_assert_int_eq(m.shm_size, 2 << 20);
	/* Host folders and a single file: entries in the share. */
	e = entry_of(field(mount_at(v, 8), "source"), "ctr-1", "data");
	ck_assert_str_eq(opts(mount_at(v, 8), buf, sizeof(buf)), "rbind,rslave,ro");
	snprintf(path, sizeof(path), "%s/shared/%s/a.txt", root, e);
	ck_assert_str_eq(mnt_tmp_read(path, buf, sizeof(buf)), "volume a\n");
	ck_assert_int_eq(access(path, W_OK), -1);
	ck_assert_int_eq(errno, EROFS);
	e = entry_of(field(mount_at(v, 9), "source"), "ctr-1", "rw");
	snprintf(path, sizeof(path), "%s/shared/%s/keep.txt", root, e);
	ck_assert_int_eq(access(path, W_OK), 0);
	e = entry_of(field(mount_at(v, 10), "source"), "ctr-1", "termination-log");
	ck_assert_str_eq(opts(mount_at(v, 10), buf, sizeof(buf)), "rbind,rprivate,rw");
	/* A relative source is no host path: left alone. */
	ck_assert_str_eq(field(mount_at(v, 11), "source"), "relative/dir");
	ck_assert_uint_eq(m.n_entries, 3);
	yajl_tree_free(v);
	/* Released: nothing of the container is left in the share. */
	sandbox_mounts_release(root, &m);
	snprintf(path, sizeof(path), "%s/mounts", root);
	ck_assert_int_eq(mnt_tmp_count(path), 1); /* its own self-bind only */
	snprintf(path, sizeof(path), "%s/data/a.txt", host);
	ck_assert_str_eq(mnt_tmp_read(path, buf, sizeof(buf)), "volume a\n");
	sandbox_mounts_clear(&m);
	ck_assert_int_eq(umount2(shm, 0), 0);
}
END_TEST

START_TEST(extra_fields_json)
{
	struct sandbox_mounts m = { .shm_size = -1 };
	const char *hosts_p[] = { "files", "hosts", NULL },
		   *name_p[] = { "files", "hostname", NULL };
	const char *shm_p[] = { "shm_size", NULL }, *resolv_p[] = { "files", "resolv.conf", NULL };
	char *out, obj[512];
	yajl_val v;

	/* Nothing: an empty files object, no shm_size. */
	ck_assert_int_eq(sandbox_mounts_extra_json(&m, &out), 0);
	ck_assert_str_eq(out, ",\"files\":{}");
	free(out);
	m.etc.hosts = strdup("1.2.3.4\th \"q\"\\\n");
	m.etc.hostname = strdup("web\n");
	m.shm_size = 67108864;
	ck_assert_int_eq(sandbox_mounts_extra_json(&m, &out), 0);
	snprintf(obj, sizeof(obj), "{\"id\":\"x\"%s}", out);
	v = yajl_tree_parse(obj, NULL, 0);
	ck_assert_msg(v != NULL, "%s", obj);
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(v, hosts_p, yajl_t_string)),
			 "1.2.3.4\th \"q\"\\\n");
	ck_assert_str_eq(YAJL_GET_STRING(yajl_tree_get(v, name_p, yajl_t_string)), "web\n");
	ck_assert_ptr_null(yajl_tree_get(v, resolv_p, yajl_t_any));
	ck_assert_int_eq(YAJL_GET_INTEGER(yajl_tree_get(v, shm_p, yajl_t_number)), 67108864);
	yajl_tree_free(v);
	free(out);
	sandbox_mounts_clear(&m);
}
END_TEST

/* A plain folder for /dev/shm: still the pod's tmpfs, no size (the default). */
START_TEST(shm_not_tmpfs)
{
	struct sandbox_mounts_ctx ctx = { .cid = "c", .share_root = root };
	struct sandbox_mounts m;
	char *spec;

	ck_assert_int_ge(asprintf(&spec,
				  "{\"mounts\":[{\"destination\":\"/dev/shm\",\"type\":\"bind\","
				  "\"source\":\"%s/shm-plain\",\"options\":[\"rbind\"]}]}",
				  host),
			 0);
	ck_assert_int_eq(sandbox_mounts_rewrite(spec, strlen(spec), &ctx, &m, NULL), 0);
	free(spec);
	ck_assert_ptr_nonnull(strstr(m.spec, "\"source\":\"" HUSK_AGENT_POD_SHM_DIR "\""));
	ck_assert_int_eq(m.shm_size, -1);
	ck_assert_uint_eq(m.n_entries, 0);
	sandbox_mounts_clear(&m);
}
END_TEST

/* A big /etc/hosts is not refused: it goes through the share. */
START_TEST(etc_file_too_big_is_shared)
{
	struct sandbox_mounts_ctx ctx = { .cid = "c", .share_root = root };
	char *big = malloc(SANDBOX_NET_ETC_MAX + 2), *spec;
	struct sandbox_mounts m;

	memset(big, '#', SANDBOX_NET_ETC_MAX + 1);
	big[SANDBOX_NET_ETC_MAX + 1] = '\0';
	mnt_tmp_write(host, "big-hosts", big);
	free(big);
	ck_assert_int_ge(asprintf(&spec,
				  "{\"mounts\":[{\"destination\":\"/etc/hosts\",\"type\":\"bind\","
				  "\"source\":\"%s/big-hosts\",\"options\":[\"rbind\"]}]}",
				  host),
			 0);
	ck_assert_int_eq(sandbox_mounts_rewrite(spec, strlen(spec), &ctx, &m, NULL), 0);
	free(spec);
	ck_assert_ptr_null(m.etc.hosts);
	ck_assert_uint_eq(m.n_entries, 1);
	ck_assert_ptr_nonnull(strstr(m.spec, "\"source\":\"" HUSK_AGENT_SHARE_DIR "/c-"));
	sandbox_mounts_release(root, &m);
	sandbox_mounts_clear(&m);
}
END_TEST

/* A FIFO bound on /etc/resolv.conf is never opened (it would block): shared. */
START_TEST(etc_fifo_does_not_block)
{
	struct sandbox_mounts_ctx ctx = { .cid = "c", .share_root = root };
	char fifo[300], *spec;
	struct sandbox_mounts m;

	snprintf(fifo, sizeof(fifo), "%s/fifo", host);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_ge(asprintf(&spec,
				  "{\"mounts\":[{\"destination\":\"/etc/resolv.conf\","
				  "\"type\":\"bind\",\"source\":\"%s\",\"options\":[\"rbind\"]}]}",
				  fifo),
			 0);
	ck_assert_int_eq(sandbox_mounts_rewrite(spec, strlen(spec), &ctx, &m, NULL), 0);
	free(spec);
	ck_assert_ptr_null(m.etc.resolv);
	ck_assert_uint_eq(m.n_entries, 1);
	sandbox_mounts_release(root, &m);
	sandbox_mounts_clear(&m);
}
END_TEST

/* A missing source fails Create naming it, and undoes the entries made before. */
START_TEST(missing_source_fails_clean)
{
	struct sandbox_mounts_ctx ctx = { .cid = "c", .share_root = root };
	struct husk_error *err = NULL;
	char *spec, path[PATH_MAX];
	struct sandbox_mounts m;

	ck_assert_int_ge(
		asprintf(
			&spec,
			"{\"mounts\":["
			"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"%s/data\",\"options\":[\"rbind\",\"ro\"]},"
			"{\"destination\":\"/gone\",\"type\":\"bind\",\"source\":\"%s/no-such-dir\",\"options\":[\"rbind\"]}]}",
			host, host),
		0);
	ck_assert_int_eq(sandbox_mounts_rewrite(spec, strlen(spec), &ctx, &m, &err), -ENOENT);
	free(spec);
	snprintf(path, sizeof(path),
		 "mount on /gone: bind source %s/no-such-dir: No such file or directory", host);
	ck_assert_str_eq(husk_error_message(err), path);
	husk_error_free(err);
	err = NULL;
	ck_assert_ptr_null(m.spec);
	ck_assert_uint_eq(m.n_entries, 0);
	snprintf(path, sizeof(path), "%s/mounts", root);
	ck_assert_int_eq(mnt_tmp_count(path), 1);
	/* A missing network file is an error too (runc's would be). */
	ck_assert_int_ge(asprintf(&spec,
				  "{\"mounts\":[{\"destination\":\"/etc/hosts\",\"type\":\"bind\","
				  "\"source\":\"/nonexistent/hosts\",\"options\":[\"rbind\"]}]}"),
			 0);
	ck_assert_int_eq(sandbox_mounts_rewrite(spec, strlen(spec), &ctx, &m, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "/nonexistent/hosts"));
	husk_error_free(err);
	free(spec);
}
END_TEST

/* Entries are recorded in the bundle before they are made. */
START_TEST(entries_recorded)
{
	char bundle[300], file[PATH_MAX], buf[1024], *spec;
	struct sandbox_mounts_ctx ctx = { .cid = "c9", .share_root = root, .bundle = bundle };
	struct sandbox_mounts m;

	snprintf(bundle, sizeof(bundle), "%s/bundle", dir);
	ck_assert_int_eq(mkdir(bundle, 0700), 0);
	ck_assert_int_ge(asprintf(&spec,
				  "{\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\","
				  "\"source\":\"%s/data\",\"options\":[\"rbind\"]}]}",
				  host),
			 0);
	ck_assert_int_eq(sandbox_mounts_rewrite(spec, strlen(spec), &ctx, &m, NULL), 0);
	free(spec);
	snprintf(file, sizeof(file), "%s/%s", bundle, BUNDLE_STATE_FILE);
	snprintf(buf, sizeof(buf), "fs-entry %s %s\n", root, m.entries[0]);
	ck_assert_str_eq(mnt_tmp_read(file, buf + 512, 512), buf);
	sandbox_mounts_release(root, &m);
	sandbox_mounts_clear(&m);
}
END_TEST

START_TEST(bad_spec_json)
{
	static const char odd[] = "{\"mounts\":[1,{\"source\":7},{\"destination\":\"/x\","
				  "\"source\":\"/etc\",\"options\":\"rbind\"}]}";
	struct sandbox_mounts_ctx ctx = { .cid = "c", .share_root = root };
	struct sandbox_mounts m;

	ck_assert_int_eq(sandbox_mounts_rewrite("{", 1, &ctx, &m, NULL), -EINVAL);
	ck_assert_ptr_null(m.spec);
	/* Odd shapes are left alone rather than crashing the shim. */
	ck_assert_int_eq(sandbox_mounts_rewrite(odd, strlen(odd), &ctx, &m, NULL), 0);
	ck_assert_uint_eq(m.n_entries, 0);
	sandbox_mounts_clear(&m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_mounts");
	TCase *tc = tcase_create("rewrite");

	tcase_set_timeout(tc, 20);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, rewrite_every_kind);
	tcase_add_test(tc, extra_fields_json);
	tcase_add_test(tc, shm_not_tmpfs);
	tcase_add_test(tc, etc_file_too_big_is_shared);
	tcase_add_test(tc, etc_fifo_does_not_block);
	tcase_add_test(tc, missing_source_fails_clean);
	tcase_add_test(tc, entries_recorded);
	tcase_add_test(tc, bad_spec_json);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
