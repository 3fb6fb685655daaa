// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup_freeze.c - PAUSE and RESUME: the cgroup v2 freezer of a
 * container's cgroup. Writing cgroup.freeze only starts the transition;
 * the kernel reports its end as "frozen 1" in cgroup.events. The reply
 * waits for that, so that a paused container has really stopped running
 * when the host hears OK (containerd reports it PAUSED at once).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"

#define FREEZE_WAIT_MS 5000 /* a stuck freeze (e.g. D state) gives up here */

/* 1 or 0 from the "frozen" line of cgroup.events, -1 if unreadable. */
static int cgroup_frozen(const struct container *c)
{
	char path[PATH_MAX + 16], buf[256], *p;

	snprintf(path, sizeof(path), "%s/cgroup.events", c->cg);
	if (util_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "frozen ", 7) == 0)
			return p[7] == '1';
	return -1;
}

int cgroup_freeze(const struct container *c, bool freeze, struct husk_error **e)
{
	int i, st;

	if (!c->cg[0])
		return husk_err(e, ENOTSUP,
				"%s %s: the container has no cgroup (no cgroup v2 here)",
				freeze ? "pause" : "resume", c->id);
	if (cgroup_write(c->cg, "cgroup.freeze", freeze ? "1" : "0", e) < 0)
		return husk_err_wrap(e, "%s %s", freeze ? "pause" : "resume", c->id);
	for (i = 0; i < FREEZE_WAIT_MS; i++) {
		st = cgroup_frozen(c);
		if (st < 0)
			return husk_err(e, EIO, "%s %s: cannot read %s/cgroup.events",
					freeze ? "pause" : "resume", c->id, c->cg);
		if (st == freeze)
			return 0;
		usleep(1000);
	}
	if (freeze) { /* do not leave it half frozen behind an error */
		struct husk_error *ignored = NULL;

		cgroup_write(c->cg, "cgroup.freeze", "0", &ignored);
		husk_error_free(ignored);
	}
	return husk_err(e, ETIMEDOUT, "%s %s: the cgroup did not %s within %d ms",
			freeze ? "pause" : "resume", c->id, freeze ? "freeze" : "thaw",
			FREEZE_WAIT_MS);
}
