/* SPDX-License-Identifier: Apache-2.0 */
/* power.h - ending the VM (power.c), called by main.c only. */
#ifndef HUSK_INIT_POWER_H
#define HUSK_INIT_POWER_H

#include "guest-init/state/agent.h"

/* power_off - delete every container, sync, reboot (test mode: exit 0). */
void power_off(struct agent *ag) __attribute__((noreturn));

#endif
