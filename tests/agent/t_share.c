// SPDX-License-Identifier: Apache-2.0
/*
 * t_share.c - spec binds from the host's share (HUSK_AGENT_SHARE_DIR) and
 * of the pod's /dev/shm (HUSK_AGENT_POD_SHM_DIR). The share checks need
 * this machine's view of the share (--share DIR: husk-init in test mode
 * runs with the same --share; in a VM, the folder virtiofsd serves), so
 * that a write on one side can be looked for on the other. Without it
 * they are one "not run" line, and only the refusals that need no share
 * run. The pod shm is a tmpfs inside husk-init's world: it runs anywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/agent/suite.h"

#define SHARE HUSK_AGENT_SHARE_DIR

static int host_put(const struct suite *s, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s->share, rel);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The host's copy of @rel, or "" when it cannot be read. */
static void host_get(const struct suite *s, const char *rel, char *buf, size_t size)
{
	char path[4096];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", s->share, rel);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

static void bind_json(char *buf, size_t size, const char *src, const char *dst, const char *opts)
{
	snprintf(buf, size,
		 ",{\"destination\":\"%s\",\"type\":\"bind\",\"source\":\"%s\","
		 "\"options\":[%s]}",
		 dst, src, opts);
}

/* ro: content read matches the host's, a write fails with EROFS. */
static void t_share_ro(struct suite *s)
{
	char mounts[512];
	struct tspec t = { .sh = "cat /tmp/ro/data; echo x > /tmp/ro/new", .mounts_extra = mounts };
	struct tresult r;
	struct stat st;
	char path[4096];

	bind_json(mounts, sizeof(mounts), SHARE "/ro", "/tmp/ro", "\"rbind\",\"ro\"");
	snprintf(path, sizeof(path), "%s/ro/new", s->share);
	if (run_container(s, "s-ro", &t, NULL, 0, &r) < 0)
		suite_fail(s, "share-bind-ro", "%s", r.why);
	else if (!r.out.data || strcmp(r.out.data, "ro-data\n"))
		suite_fail(s, "share-bind-ro", "read \"%s\", wanted \"ro-data\\n\"",
			   r.out.data ? r.out.data : "");
	else if (r.exit_status == 0 || !r.err.data || !strstr(r.err.data, strerror(EROFS)))
		suite_fail(s, "share-bind-ro", "write: status %lld, stderr \"%s\", wanted \"%s\"",
			   r.exit_status, r.err.data ? r.err.data : "", strerror(EROFS));
	else if (stat(path, &st) == 0)
		suite_fail(s, "share-bind-ro", "%s exists on the host", path);
	else
		suite_pass(s, "share-bind-ro");
	tresult_free(&r);
}

/* rw: a container's write shows up on the host and the other way round. */
static void t_share_rw(struct suite *s)
{
	char mounts[512], why[512] = "", host[256];
	struct tspec t = { .sh = "exec sleep 1004", .mounts_extra = mounts };
	struct ac_buf out = { 0 }, out2 = { 0 };
	long long st = -1;

	bind_json(mounts, sizeof(mounts), SHARE "/rw", "/tmp/rw", "\"rbind\",\"rw\"");
	if (start_sleeper(s, "s-rw", &t, why) < 0 ||
	    exec_run(s, "s-rw", "w", "echo from-guest > /tmp/rw/g", &out, &st, why) < 0) {
		suite_fail(s, "share-bind-rw", "%s", why);
		goto out;
	}
	host_get(s, "rw/g", host, sizeof(host));
	if (st != 0 || strcmp(host, "from-guest\n")) {
		suite_fail(s, "share-bind-rw", "guest write: status %lld, host reads \"%s\"", st,
			   host);
		goto out;
	}
	if (host_put(s, "rw/h", "from-host\n") < 0 ||
	    exec_run(s, "s-rw", "r", "cat /tmp/rw/h", &out2, &st, why) < 0) {
		suite_fail(s, "share-bind-rw", "host write: %s", why[0] ? why : strerror(errno));
		goto out;
	}
	if (st != 0 || !out2.data || strcmp(out2.data, "from-host\n"))
		suite_fail(s, "share-bind-rw",
			   "the container reads \"%s\" (status %lld), wanted "
			   "\"from-host\\n\"",
			   out2.data ? out2.data : "", st);
	else
		suite_pass(s, "share-bind-rw");
out:
	free(out.data);
	free(out2.data);
	delete_quiet(s, "s-rw");
}

/* One file of the share on a target that does not exist yet. */
static void t_share_file(struct suite *s)
{
	char mounts[512];
	struct tspec t = { .sh = "cat /tmp/sub/file.txt; test -f /tmp/sub/file.txt && echo file",
			   .mounts_extra = mounts };
	struct tresult r;

	bind_json(mounts, sizeof(mounts), SHARE "/file.txt", "/tmp/sub/file.txt",
		  "\"bind\",\"ro\"");
	if (run_container(s, "s-file", &t, NULL, 0, &r) < 0)
		suite_fail(s, "share-bind-file", "%s", r.why);
	else if (!r.out.data || strcmp(r.out.data, "single\nfile\n"))
		suite_fail(s, "share-bind-file", "read \"%s\", wanted \"single\\nfile\\n\"",
			   r.out.data ? r.out.data : "");
	else
		suite_pass(s, "share-bind-file");
	tresult_free(&r);
}

static bool share_prepare(const struct suite *s)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/ro", s->share);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return false;
	snprintf(path, sizeof(path), "%s/rw", s->share);
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return false;
	/* links a bind source must not follow out of the share */
	snprintf(path, sizeof(path), "%s/esc-abs", s->share);
	if (symlink("/etc", path) < 0 && errno != EEXIST)
		return false;
	snprintf(path, sizeof(path), "%s/esc-rel", s->share);
	if (symlink("../../../../../../etc", path) < 0 && errno != EEXIST)
		return false;
	return host_put(s, "ro/data", "ro-data\n") == 0 && host_put(s, "file.txt", "single\n") == 0;
}

static void t_refused_source(struct suite *s, const char *name, const char *src, const char *needle)
{
	char mounts[512], why[512] = "", *json;
	struct tspec t = { .sh = "true", .mounts_extra = mounts };

	bind_json(mounts, sizeof(mounts), src, "/tmp/x", "\"rbind\"");
	json = create_json(s, "s-bad", &t, NULL);
	if (!json || !refused(s, HUSK_MSG_CREATE, json, needle, why))
		suite_fail(s, name, "%s", why);
	else
		suite_pass(s, name);
	free(json);
	delete_quiet(s, "s-bad");
}

/* Two containers binding the pod shm at /dev/shm see each other's files. */
static void t_pod_shm(struct suite *s)
{
	char mounts[512], why[512] = "";
	struct tspec a = { .sh = "echo a > /dev/shm/from-a; exec sleep 1005",
			   .mounts_extra = mounts,
			   .create_extra = ",\"shm_size\":8388608" };
	struct tspec b = { .sh = "cat /dev/shm/from-a; echo b > /dev/shm/from-b; "
				 "stat -f -c '%b %S' /dev/shm; grep ' /dev/shm ' /proc/mounts",
			   .mounts_extra = mounts };
	struct ac_buf out = { 0 };
	struct tresult r = { 0 };
	long long st = -1;
	long blocks = 0, bsize = 0;

	bind_json(mounts, sizeof(mounts), HUSK_AGENT_POD_SHM_DIR, "/dev/shm", "\"rbind\",\"rw\"");
	if (start_sleeper(s, "shm-a", &a, why) < 0 ||
	    run_container(s, "shm-b", &b, NULL, 0, &r) < 0 ||
	    exec_run(s, "shm-a", "r", "cat /dev/shm/from-b", &out, &st, why) < 0) {
		suite_fail(s, "pod-shm-shared", "%s", why[0] ? why : r.why);
	} else if (!r.out.data || strncmp(r.out.data, "a\n", 2) || !out.data ||
		   strcmp(out.data, "b\n")) {
		suite_fail(s, "pod-shm-shared", "B read \"%s\", A read \"%s\"",
			   r.out.data ? r.out.data : "", out.data ? out.data : "");
	} else if (sscanf(r.out.data + 2, "%ld %ld", &blocks, &bsize) != 2 ||
		   blocks * bsize != 8388608 || !strstr(r.out.data, "nosuid,nodev,noexec")) {
		suite_fail(s, "pod-shm-shared", "not an 8 MiB nosuid,nodev,noexec tmpfs: \"%s\"",
			   r.out.data);
	} else {
		suite_pass(s, "pod-shm-shared");
	}
	tresult_free(&r);
	free(out.data);
	delete_quiet(s, "shm-a");
}

/*
 * The pause container's bind (CRI: rbind,ro): read-only, and the remount
 * that makes it so keeps the tmpfs's nosuid,nodev,noexec.
 */
static void t_pod_shm_ro(struct suite *s)
{
	char mounts[512];
	struct tspec t = {
		.sh = "grep ' /dev/shm ' /proc/mounts; touch /dev/shm/c 2>/dev/null || echo refused",
		.mounts_extra = mounts
	};
	struct tresult r;

	bind_json(mounts, sizeof(mounts), HUSK_AGENT_POD_SHM_DIR, "/dev/shm", "\"rbind\",\"ro\"");
	if (run_container(s, "shm-ro", &t, NULL, 0, &r) < 0)
		suite_fail(s, "pod-shm-ro-keeps-flags", "%s", r.why);
	else if (!r.out.data || !strstr(r.out.data, " ro,nosuid,nodev,noexec") ||
		 !strstr(r.out.data, "\nrefused\n"))
		suite_fail(s, "pod-shm-ro-keeps-flags",
			   "wanted a ro,nosuid,nodev,noexec mount that "
			   "refuses a write: \"%s\"",
			   r.out.data ? r.out.data : "");
	else
		suite_pass(s, "pod-shm-ro-keeps-flags");
	tresult_free(&r);
}

void tests_share(struct suite *s)
{
	t_refused_source(s, "share-source-dotdot", SHARE "/../files",
			 "source " SHARE "/../files has a \"..\" component");
	t_refused_source(s, "share-source-dotdot-inner", SHARE "/ro/../../x",
			 "has a \"..\" component");
	t_pod_shm(s);
	t_pod_shm_ro(s);
	if (!s->share) {
		/* without the share, CREATE must still fail clearly */
		t_refused_source(s, "share-unavailable-error", SHARE "/ro",
				 s->in_vm ? "mount virtio-fs share " HUSK_AGENT_SHARE_TAG
					    " on " SHARE :
					    "no share in test mode");
		suite_skip(s, "share-binds", "share",
			   "no host view of husk-init's share "
			   "(--share DIR; in a VM it needs the virtio-fs device): ro, rw, "
			   "single-file binds and symlink refusals not run");
		return;
	}
	if (!share_prepare(s)) {
		suite_fail(s, "share-binds", "cannot fill %s: %s", s->share, strerror(errno));
		return;
	}
	t_share_ro(s);
	t_share_rw(s);
	t_share_file(s);
	t_refused_source(s, "share-symlink-absolute-refused", SHARE "/esc-abs/passwd",
			 "leads out of its folder");
	t_refused_source(s, "share-symlink-relative-refused", SHARE "/esc-rel/passwd",
			 "leads out of its folder");
}
