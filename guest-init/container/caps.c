// SPDX-License-Identifier: Apache-2.0
/*
 * caps.c - the process's capability sets, set with capset(2) and prctl(2)
 * directly (no libcap in a static PID 1). The bounding set is cut while
 * the process still has CAP_SETPCAP, i.e. before it changes its uid;
 * the other sets after, when PR_SET_KEEPCAPS has kept the permitted set.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest-init/container/container.h"
#include "guest-init/system/system.h"
#include "agent-codec/capname.h"

/* The kernel's highest capability; the table may know newer ones. */
static int caps_last(void)
{
	char buf[16];
	ssize_t n = util_read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf));

	if (n > 0)
		return atoi(buf);
	return capname_last();
}

int caps_bounding(const struct spec_caps *c, struct husk_error **e)
{
	int cap, last;

	if (!c->set)
		return 0;
	last = caps_last();
	for (cap = 0; cap <= last; cap++) {
		if (c->bounding & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return husk_err(e, errno, "drop capability %d from the bounding set", cap);
	}
	return 0;
}

int caps_apply(const struct spec_caps *c, struct husk_error **e)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int i, cap, last;

	if (!c->set)
		return 0;
	for (i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(c->effective >> (32 * i));
		data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return husk_err(e, errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return husk_err(e, errno, "clear ambient capabilities");
	last = caps_last();
	for (cap = 0; cap <= last; cap++) {
		if (!(c->ambient & (1ull << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return husk_err(e, errno, "raise ambient capability %d", cap);
	}
	return 0;
}
