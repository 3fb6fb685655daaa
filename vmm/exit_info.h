/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exit_info.h - how a VM's end is described: the reason's name and a
 * struct husk_exit_info filled from a printf-style message. Used by both
 * the VM (vm.c) and its vCPUs (vcpu_exit.c), which each end the VM.
 */
#ifndef HUSK_VMM_EXIT_INFO_H
#define HUSK_VMM_EXIT_INFO_H

#include <stdarg.h>
#include <stdint.h>

#include "husk.h"

/*
 * exit_info_vformat - fill @info with @reason, @vcpu and the message;
 * a host error also records the errno the caller saw (read first, so a
 * "%m" in @fmt and host_errno agree).
 */
void exit_info_vformat(struct husk_exit_info *info, enum husk_exit_reason reason, uint32_t vcpu,
		       const char *fmt, va_list ap);

#endif
