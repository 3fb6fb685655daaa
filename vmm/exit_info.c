// SPDX-License-Identifier: Apache-2.0
/* exit_info.c - names of exit reasons and the formatted husk_exit_info. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/exit_info.h"

const char *husk_exit_reason_string(enum husk_exit_reason reason)
{
	switch (reason) {
	case HUSK_EXIT_NONE:
		return "running";
	case HUSK_EXIT_POWEROFF:
		return "poweroff";
	case HUSK_EXIT_RESET:
		return "reset";
	case HUSK_EXIT_TRIPLE_FAULT:
		return "triple fault";
	case HUSK_EXIT_INTERNAL_ERROR:
		return "internal error";
	case HUSK_EXIT_HOST_ERROR:
		return "host error";
	case HUSK_EXIT_STOPPED:
		return "stopped";
	case HUSK_EXIT_PVM_UNSUPPORTED:
		return "PVM unsupported";
	}
	return "unknown";
}

void exit_info_vformat(struct husk_exit_info *info, enum husk_exit_reason reason, uint32_t vcpu,
		       const char *fmt, va_list ap)
{
	int saved = errno;

	memset(info, 0, sizeof(*info));
	info->reason = reason;
	info->vcpu = vcpu;
	if (reason == HUSK_EXIT_HOST_ERROR)
		info->host_errno = saved;
	vsnprintf(info->message, sizeof(info->message), fmt, ap);
}
