// SPDX-License-Identifier: Apache-2.0
/*
 * capname.c - the capability names of capabilities(7), indexed by number.
 * Spelled out rather than taken from <linux/capability.h> so that a spec
 * naming a capability newer than the build headers is still understood.
 */
#include <string.h>

#include "agent-codec/capname.h"

static const char *const cap_names[] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
};

int capname_lookup(const char *name)
{
	size_t i;

	if (strncmp(name, "CAP_", 4) != 0)
		return -1;
	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (strcmp(name + 4, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

int capname_last(void)
{
	return (int)(sizeof(cap_names) / sizeof(cap_names[0])) - 1;
}
