// SPDX-License-Identifier: Apache-2.0
/*
 * t_pod.c - Kubernetes pod semantics: an app container whose spec names
 * the pod sandbox container's namespaces as /proc/PID/ns/TYPE (PID: the
 * sandbox's init, as CREATE reported it) shares its hostname, ipc and,
 * asked, pid namespace; bad paths are refused; with a cgroup namespace
 * a container sees its own cgroup as the root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/suite.h"

#define MiB (1024LL * 1024)

/* linux.namespaces as containerd's CRI plugin writes it for an app
 * container of the pod whose sandbox init is @pid (@buf: 512 bytes). */
static const char *cri_ns(char *buf, long long pid, bool share_pid)
{
	char pidpath[64] = "";

	if (share_pid)
		snprintf(pidpath, sizeof(pidpath), ",\"path\":\"/proc/%lld/ns/pid\"", pid);
	snprintf(buf, 512,
		 "{\"type\":\"pid\"%s},{\"type\":\"ipc\",\"path\":\"/proc/%lld/ns/ipc\"},"
		 "{\"type\":\"uts\",\"path\":\"/proc/%lld/ns/uts\"},{\"type\":\"mount\"},"
		 "{\"type\":\"network\",\"path\":\"/proc/%lld/ns/net\"},{\"type\":\"cgroup\"}",
		 pidpath, pid, pid, pid);
	return buf;
}

/* The first line of @text that starts with @prefix, copied to @out (128). */
static const char *line_with(const char *text, const char *prefix, char *out)
{
	const char *p = text ? strstr(text, prefix) : NULL;

	snprintf(out, 128, "%.*s", p ? (int)strcspn(p, "\n") : 0, p ? p : "");
	return out;
}

/*
 * The app container (empty hostname, as CRI leaves it) prints the
 * sandbox's hostname and the sandbox's ipc namespace, and, its pid
 * namespace not shared, does not see the sandbox's process.
 */
static int uts_ipc_check(struct suite *s, long long pid, char *why)
{
	char ns[512], ipc_a[128], ipc_b[128];
	struct tspec b = { .sh = "hostname; readlink /proc/self/ns/ipc; "
				 "cat /proc/[0-9]*/cmdline | tr '\\0' ' '",
			   .hostname = "",
			   .namespaces = cri_ns(ns, pid, false) };
	struct ac_buf oa = { 0 };
	struct tresult r;
	long long st = -1;
	int ret = -1;

	if (run_container(s, "pod-app", &b, NULL, 0, &r) < 0 ||
	    exec_run(s, "pod-sandbox", "ipc", "readlink /proc/self/ns/ipc", &oa, &st, why) < 0) {
		if (r.why[0])
			snprintf(why, 512, "%s", r.why);
	} else if (strncmp(r.out.data ? r.out.data : "", "pod-host\n", 9) != 0) {
		snprintf(why, 512, "hostname: wanted pod-host, got \"%s\"", r.out.data);
	} else if (!line_with(oa.data, "ipc:", ipc_a)[0] ||
		   strcmp(ipc_a, line_with(r.out.data, "ipc:", ipc_b)) != 0) {
		snprintf(why, 512, "ipc namespaces differ: sandbox \"%s\", app \"%s\"", ipc_a,
			 ipc_b);
	} else if (strstr(r.out.data, "sleep 2001")) {
		snprintf(why, 512, "pid namespace shared without a pid path: \"%s\"", r.out.data);
	} else {
		ret = 0;
	}
	tresult_free(&r);
	free(oa.data);
	return ret;
}

/* With the pid path too, each sees the other's process; deleting the
 * app container leaves the sandbox's init running. */
static int pid_check(struct suite *s, long long pid, char *why)
{
	const char *ps = "cat /proc/[0-9]*/cmdline | tr '\\0' ' '";
	char ns[512];
	struct tspec b = { .sh = "exec sleep 2002",
			   .hostname = "",
			   .namespaces = cri_ns(ns, pid, true) };
	struct ac_buf oa = { 0 }, ob = { 0 }, oc = { 0 };
	long long st = -1;
	int ret = -1;

	if (start_sleeper(s, "pod-pid", &b, why) < 0 ||
	    exec_run(s, "pod-pid", "ps", ps, &ob, &st, why) < 0 ||
	    exec_run(s, "pod-sandbox", "ps", ps, &oa, &st, why) < 0)
		goto out;
	if (!strstr(ob.data, "sleep 2001") || !strstr(oa.data, "sleep 2002")) {
		snprintf(why, 512, "pid namespace not shared: app \"%s\" sandbox \"%s\"", ob.data,
			 oa.data);
		goto out;
	}
	delete_quiet(s, "pod-pid");
	if (exec_run(s, "pod-sandbox", "ps2", ps, &oc, &st, why) < 0)
		goto out;
	if (!strstr(oc.data, "sleep 2001") || strstr(oc.data, "sleep 2002"))
		snprintf(why, 512, "after deleting the app: sandbox sees \"%s\"", oc.data);
	else
		ret = 0;
out:
	free(oa.data);
	free(ob.data);
	free(oc.data);
	return ret;
}

/* CREATE with namespaces @ns must fail with @needle in the error. */
static int bad_one(struct suite *s, const char *ns, const char *needle, char *why)
{
	struct tspec t = { .sh = "true", .namespaces = ns };
	char *json = create_json(s, "pod-bad", &t, NULL);
	bool r = json && refused(s, HUSK_MSG_CREATE, json, needle, why);

	free(json);
	delete_quiet(s, "pod-bad");
	return r ? 0 : -1;
}

/* Another type's path, "../" in it, a mount path, and the pid of no
 * container (pids stay below 4194304). */
static int bad_paths_check(struct suite *s, long long pid, char *why)
{
	char ns[4][128], want[4][160];
	int i;

	snprintf(ns[0], 128, "{\"type\":\"uts\",\"path\":\"/proc/%lld/ns/ipc\"}", pid);
	snprintf(want[0], 160, "uts path \"/proc/%lld/ns/ipc\" is not /proc/<pid>/ns/uts", pid);
	snprintf(ns[1], 128, "{\"type\":\"pid\",\"path\":\"/proc/%lld/../1/ns/pid\"}", pid);
	snprintf(want[1], 160, "pid path \"/proc/%lld/../1/ns/pid\" is not /proc/<pid>/ns/pid",
		 pid);
	snprintf(ns[2], 128, "{\"type\":\"mount\",\"path\":\"/proc/%lld/ns/mnt\"}", pid);
	snprintf(want[2], 160, "mount path /proc/%lld/ns/mnt: joining a mount namespace", pid);
	snprintf(ns[3], 128, "{\"type\":\"uts\",\"path\":\"/proc/4194304/ns/uts\"}");
	snprintf(want[3], 160,
		 "linux.namespaces: uts path /proc/4194304/ns/uts: "
		 "no container in this VM has init pid 4194304");
	for (i = 0; i < 4; i++)
		if (bad_one(s, ns[i], want[i], why) < 0)
			return -1;
	return 0;
}

/* The container's own cgroup is the root of what it sees, in its init
 * (/proc/1) and in an EXEC'd process. */
static int cgroup_ns_check(struct suite *s, char *why)
{
	struct tspec t = {
		.sh = "exec sleep 2003",
		.mem_limit = 48 * MiB,
		.namespaces = "{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"ipc\"},"
			      "{\"type\":\"uts\"},{\"type\":\"cgroup\"}",
		.mounts_extra =
			",{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\","
			"\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\","
			"\"ro\"]}",
	};
	struct ac_buf o = { 0 };
	long long st = -1;
	int ret = -1;

	if (start_sleeper(s, "pod-cgns", &t, why) < 0 ||
	    exec_run(s, "pod-cgns", "cg",
		     "cat /sys/fs/cgroup/memory.max /proc/self/cgroup /proc/1/cgroup", &o, &st,
		     why) < 0)
		return -1;
	if (o.data && strcmp(o.data, "50331648\n0::/\n0::/\n") == 0)
		ret = 0;
	else
		snprintf(why, 512, "wanted the limit and 0::/ twice, got \"%s\"", o.data);
	free(o.data);
	return ret;
}

static void verdict(struct suite *s, const char *name, int ret, const char *why)
{
	if (ret == 0)
		suite_pass(s, name);
	else
		suite_fail(s, name, "%s", why);
}

void tests_pod(struct suite *s)
{
	struct tspec sandbox = { .sh = "exec sleep 2001", .hostname = "pod-host" };
	char why[512] = "";
	long long pid = start_sleeper(s, "pod-sandbox", &sandbox, why);

	if (pid <= 0) {
		suite_fail(s, "pod-uts-ipc", "sandbox: %s", why);
	} else {
		verdict(s, "pod-uts-ipc", uts_ipc_check(s, pid, why), why);
		verdict(s, "pod-pid", pid_check(s, pid, why), why);
		verdict(s, "pod-bad-paths", bad_paths_check(s, pid, why), why);
	}
	delete_quiet(s, "pod-pid");
	delete_quiet(s, "pod-sandbox");
	if (!s->memory) {
		suite_skip(s, "pod-cgroup-namespace", "cgroup",
			   "no cgroup v2 memory controller on this machine");
		return;
	}
	verdict(s, "pod-cgroup-namespace", cgroup_ns_check(s, why), why);
	delete_quiet(s, "pod-cgns");
}
