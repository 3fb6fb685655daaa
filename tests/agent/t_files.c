// SPDX-License-Identifier: Apache-2.0
/*
 * t_files.c - CREATE's "files": each container of a VM gets its own
 * /etc/hosts and /etc/hostname from its own request, bad names and sizes
 * are refused naming the file, and the files go away with the container.
 * Everything is read through containers, so it runs the same in a VM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/suite.h"

/* binds of this container's hosts and hostname over the image's */
static void etc_binds(char *buf, size_t size, const char *id)
{
	snprintf(
		buf, size,
		",{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"%s/%s/hosts\",\"options\":[\"rbind\",\"ro\"]}"
		",{\"destination\":\"/etc/hostname\",\"type\":\"bind\",\"source\":\"%s/%s/hostname\",\"options\":[\"rbind\",\"ro\"]}",
		HUSK_AGENT_FILES_DIR, id, HUSK_AGENT_FILES_DIR, id);
}

static bool files_sleeper(struct suite *s, const char *id, char *why)
{
	char mounts[1024], extra[256];
	struct tspec t = { .sh = "exec sleep 1003", .mounts_extra = mounts, .create_extra = extra };

	etc_binds(mounts, sizeof(mounts), id);
	snprintf(extra, sizeof(extra),
		 ",\"files\":{\"hosts\":\"10.9.0.1 %s-host\\n\","
		 "\"hostname\":\"%s-host\\n\",\"resolv.conf\":\"nameserver 10.9.0.53\\n\"}",
		 id, id);
	return start_sleeper(s, id, &t, why) > 0;
}

static bool files_read(struct suite *s, const char *id, char *why)
{
	struct ac_buf out = { 0 };
	long long st = -1;
	char want[256];
	bool r = false;

	snprintf(want, sizeof(want), "10.9.0.1 %s-host\n%s-host\n", id, id);
	if (exec_run(s, id, "cat", "cat /etc/hosts /etc/hostname", &out, &st, why) < 0)
		goto out;
	if (st != 0 || !out.data || strcmp(out.data, want)) {
		snprintf(why, 512, "%s read \"%s\" (status %lld), wanted \"%s\"", id,
			 out.data ? out.data : "", st, want);
		goto out;
	}
	r = true;
out:
	free(out.data);
	return r;
}

/* The files folder as a container sees it (bound whole at /tmp/files). */
static bool files_list(struct suite *s, char *out, size_t size, char *why)
{
	char mounts[256];
	struct tspec t = { .sh = "ls /tmp/files", .mounts_extra = mounts };
	struct tresult r;
	bool listed = false;

	snprintf(mounts, sizeof(mounts),
		 ",{\"destination\":\"/tmp/files\",\"type\":\"bind\","
		 "\"source\":\"%s\",\"options\":[\"rbind\",\"ro\"]}",
		 HUSK_AGENT_FILES_DIR);
	if (run_container(s, "f-lister", &t, NULL, 0, &r) < 0) {
		snprintf(why, 512, "%s", r.why);
	} else if (r.exit_status != 0) {
		snprintf(why, 512, "ls /tmp/files: status %lld, %s", r.exit_status,
			 r.err.data ? r.err.data : "");
	} else {
		snprintf(out, size, "\n%s", r.out.data ? r.out.data : "");
		listed = true;
	}
	tresult_free(&r);
	return listed;
}

/* Two containers alive at once, each with its own files; then DELETE. */
static void t_per_container(struct suite *s)
{
	char why[512] = "", list[1024];

	if (!files_sleeper(s, "f-a", why) || !files_sleeper(s, "f-b", why) ||
	    !files_read(s, "f-a", why) || !files_read(s, "f-b", why))
		suite_fail(s, "files-per-container", "%s", why);
	else
		suite_pass(s, "files-per-container");
	delete_quiet(s, "f-a");
	if (!files_list(s, list, sizeof(list), why))
		suite_fail(s, "files-removed-at-delete", "%s", why);
	else if (strstr(list, "\nf-a\n") || !strstr(list, "\nf-b\n"))
		suite_fail(s, "files-removed-at-delete",
			   "after DELETE of f-a (f-b alive) the folder "
			   "holds \"%s\"",
			   list + 1);
	else
		suite_pass(s, "files-removed-at-delete");
	delete_quiet(s, "f-b");
}

static void t_refused(struct suite *s, const char *name, const char *files, const char *needle)
{
	struct tspec t = { .sh = "true", .create_extra = files };
	char why[512] = "", *json = create_json(s, "f-bad", &t, NULL);

	if (!json || !refused(s, HUSK_MSG_CREATE, json, needle, why))
		suite_fail(s, name, "%s", why);
	else
		suite_pass(s, name);
	free(json);
	delete_quiet(s, "f-bad");
}

/* A text of exactly HUSK_AGENT_FILE_MAX bytes is fine, one more is not. */
static void t_sizes(struct suite *s)
{
	size_t n = HUSK_AGENT_FILE_MAX + 1;
	char *extra = malloc(n + 64), *p, mounts[1024], needle[128];
	struct tspec t = { .sh = "wc -c < /etc/hosts",
			   .mounts_extra = mounts,
			   .create_extra = extra };
	struct tresult r;

	p = extra + sprintf(extra, ",\"files\":{\"hosts\":\"");
	memset(p, 'x', n);
	strcpy(p + n, "\",\"hostname\":\"\"}");
	snprintf(needle, sizeof(needle), "files: \"hosts\" has %zu bytes, more than %u", n,
		 HUSK_AGENT_FILE_MAX);
	t_refused(s, "files-oversized", extra, needle);
	memmove(p + n - 1, p + n, strlen(p + n) + 1); /* now exactly the limit */
	etc_binds(mounts, sizeof(mounts), "f-max");
	if (run_container(s, "f-max", &t, NULL, 0, &r) < 0)
		suite_fail(s, "files-at-size-limit", "%s", r.why);
	else if (!r.out.data || atol(r.out.data) != (long)HUSK_AGENT_FILE_MAX)
		suite_fail(s, "files-at-size-limit", "/etc/hosts has \"%s\" bytes, wanted %u",
			   r.out.data ? r.out.data : "", HUSK_AGENT_FILE_MAX);
	else
		suite_pass(s, "files-at-size-limit");
	tresult_free(&r);
	free(extra);
}

/* A CREATE that fails after writing the files leaves no folder behind. */
static void t_failed_create(struct suite *s)
{
	char why[512] = "", list[1024], *json;
	struct tspec t = { .sh = "true",
			   .create_extra = ",\"files\":{\"hosts\":\"x\\n\"}",
			   .mounts_extra =
				   ",{\"destination\":\"/tmp/x\",\"type\":\"bind\","
				   "\"source\":\"/no/such/source\",\"options\":[\"rbind\"]}" };

	json = create_json(s, "f-fails", &t, NULL);
	if (!json || !refused(s, HUSK_MSG_CREATE, json, "/no/such/source", why))
		suite_fail(s, "files-removed-when-create-fails", "%s", why);
	else if (!files_list(s, list, sizeof(list), why))
		suite_fail(s, "files-removed-when-create-fails", "%s", why);
	else if (strstr(list, "\nf-fails\n"))
		suite_fail(s, "files-removed-when-create-fails", "folder left: \"%s\"", list + 1);
	else
		suite_pass(s, "files-removed-when-create-fails");
	free(json);
	delete_quiet(s, "f-fails");
}

void tests_files(struct suite *s)
{
	char long_name[128];

	snprintf(long_name, sizeof(long_name), ",\"files\":{\"%0*d\":\"a\"}",
		 HUSK_AGENT_FILE_NAME_MAX + 1, 0);
	t_per_container(s);
	t_refused(s, "files-name-dotdot-path", ",\"files\":{\"../x\":\"a\"}",
		  "files: name \"../x\" is not a plain file name");
	t_refused(s, "files-name-dotdot", ",\"files\":{\"..\":\"a\"}",
		  "files: name \"..\" is not a plain file name");
	t_refused(s, "files-name-slash", ",\"files\":{\"etc/hosts\":\"a\"}",
		  "files: name \"etc/hosts\" is not a plain file name");
	t_refused(s, "files-name-too-long", long_name, "0000\" is not a plain file name");
	t_refused(s, "files-not-a-string", ",\"files\":{\"hosts\":42}",
		  "files: \"hosts\" is not a string");
	t_refused(s, "files-bad-shm-size", ",\"shm_size\":-1", "shm_size -1 is not a positive");
	t_sizes(s);
	t_failed_create(s);
}
