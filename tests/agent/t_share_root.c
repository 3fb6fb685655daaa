// SPDX-License-Identifier: Apache-2.0
/*
 * t_share_root.c - a root file system that is a folder of the host's
 * share (CREATE "rootfs": {"dir": HUSK_AGENT_SHARE_DIR "/<entry>"}), as the
 * shim gives a container whose snapshot it mounted on the host: run-suite
 * mounts an overlay of the busybox folder at <share>/ovl-rootfs (nosuid,
 * nodev, like the shim), its upperdir at <share>/../ovl-upper. husk-init
 * must use it as it is (the host's overlay is the writable layer): a
 * deleted image file is gone in the container and a whiteout on the host,
 * writes land in the upperdir, the root is not nosuid in the container,
 * and a read-only root refuses writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tests/agent/suite.h"

#define ROOT_JSON "{\"dir\":\"" HUSK_AGENT_SHARE_DIR "/ovl-rootfs\"}"

static void upper_path(const struct suite *s, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/../ovl-upper/%s", s->share, rel);
}

/* Deleted: gone inside, a whiteout outside; written: in the upperdir. */
static void t_share_root_rw(struct suite *s)
{
	struct tspec t = { .sh = "rm /etc/group; ls /etc; cat /etc/group; echo new >/new-file; "
				 "grep ' / ' /proc/mounts",
			   .rootfs_json = ROOT_JSON };
	char path[4096], text[64] = "";
	struct tresult r;
	struct stat st;
	FILE *f;

	if (run_container(s, "sr-rw", &t, NULL, 0, &r) < 0) {
		suite_fail(s, "share-root-overlay", "%s", r.why);
		goto out;
	}
	upper_path(s, "new-file", path, sizeof(path));
	f = fopen(path, "r");
	if (f) {
		if (!fgets(text, sizeof(text), f))
			text[0] = '\0';
		fclose(f);
	}
	if (!r.out.data || strstr(r.out.data, "\ngroup\n") || !r.err.data ||
	    !strstr(r.err.data, "No such file"))
		suite_fail(s, "share-root-overlay", "/etc/group still there: out \"%s\" err \"%s\"",
			   r.out.data ? r.out.data : "", r.err.data ? r.err.data : "");
	else if (strcmp(text, "new\n"))
		suite_fail(s, "share-root-overlay", "%s holds \"%s\", wanted \"new\\n\"", path,
			   text);
	else if (upper_path(s, "etc/group", path, sizeof(path)),
		 lstat(path, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(0, 0))
		suite_fail(s, "share-root-overlay", "no whiteout at %s", path);
	else if (strstr(r.out.data, " / ") && strstr(strstr(r.out.data, " / "), "nosuid"))
		suite_fail(s, "share-root-overlay", "the root is nosuid: %s", r.out.data);
	else
		suite_pass(s, "share-root-overlay");
out:
	tresult_free(&r);
}

static void t_share_root_ro(struct suite *s)
{
	struct tspec t = { .sh = "cat /etc/passwd >/dev/null && echo read; touch /ro-file",
			   .rootfs_json = ROOT_JSON,
			   .readonly = true };
	char path[4096];
	struct tresult r;
	struct stat st;

	upper_path(s, "ro-file", path, sizeof(path));
	if (run_container(s, "sr-ro", &t, NULL, 0, &r) < 0)
		suite_fail(s, "share-root-readonly", "%s", r.why);
	else if (!r.out.data || strcmp(r.out.data, "read\n") || r.exit_status == 0 || !r.err.data ||
		 !strstr(r.err.data, strerror(EROFS)))
		suite_fail(s, "share-root-readonly", "status %lld, out \"%s\", err \"%s\"",
			   r.exit_status, r.out.data ? r.out.data : "",
			   r.err.data ? r.err.data : "");
	else if (stat(path, &st) == 0)
		suite_fail(s, "share-root-readonly", "%s exists on the host", path);
	else
		suite_pass(s, "share-root-readonly");
	tresult_free(&r);
}

void tests_share_root(struct suite *s)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/ovl-rootfs/bin", s->share ? s->share : "");
	if (!s->share || s->in_vm || stat(path, &st) < 0) {
		/* Not "share": a VM run requires the share, not this overlay. */
		suite_skip(s, "share-root", "share-root",
			   "no overlay root in the share "
			   "(run-suite mounts one when overlayfs works here; in a VM the "
			   "shim's rig tests cover it)");
		return;
	}
	t_share_root_rw(s);
	t_share_root_ro(s);
}
