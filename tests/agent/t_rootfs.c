// SPDX-License-Identifier: Apache-2.0
/* t_rootfs.c - root file systems from block devices: erofs, and overlay on ext4. */
#include <stdio.h>
#include <string.h>

#include "tests/agent/suite.h"

static void t_run(struct suite *s, const char *name, const char *rootfs, const char *sh,
		  const char *want)
{
	struct tspec t = { .sh = sh, .rootfs_json = rootfs };
	struct tresult r;
	char id[64];

	snprintf(id, sizeof(id), "r-%s", name);
	if (run_container(s, id, &t, NULL, 0, &r) < 0)
		suite_fail(s, name, "%s", r.why);
	else if (!r.out.data || strcmp(r.out.data, want) || r.exit_status != 0)
		suite_fail(s, name, "status %lld, output \"%s\", wanted \"%s\" (stderr %s)",
			   r.exit_status, r.out.data ? r.out.data : "", want,
			   r.err.data ? r.err.data : "");
	else
		suite_pass(s, name);
	tresult_free(&r);
}

void tests_rootfs(struct suite *s)
{
	char json[512];

	if (!s->erofs) {
		suite_skip(s, "rootfs-erofs", "blk",
			   "no loop device with the erofs image (--erofs)");
		suite_skip(s, "rootfs-overlay-ext4", "blk",
			   "no loop device with the erofs image (--erofs)");
		return;
	}
	snprintf(json, sizeof(json), "{\"lower\":[{\"source\":\"%s\",\"fstype\":\"erofs\"}]}",
		 s->erofs);
	t_run(s, "rootfs-erofs", json, "cat /image-marker; touch /x 2>/dev/null || echo read-only",
	      "erofs-image\nread-only\n");
	if (!s->ext4) {
		suite_skip(s, "rootfs-overlay-ext4", "blk",
			   "no loop device with an ext4 image (--ext4)");
		return;
	}
	snprintf(json, sizeof(json),
		 "{\"lower\":[{\"source\":\"%s\",\"fstype\":\"erofs\"}],"
		 "\"upper\":{\"source\":\"%s\",\"fstype\":\"ext4\"}}",
		 s->erofs, s->ext4);
	t_run(s, "rootfs-overlay-ext4", json,
	      "echo written > /new-file; cat /new-file /image-marker", "written\nerofs-image\n");
}
