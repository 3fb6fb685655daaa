// SPDX-License-Identifier: Apache-2.0
/*
 * power.c - ending the VM cleanly: stop every container, sync, and
 * reboot (SHUTDOWN did the first two before its reply already). The guest kernel runs with reboot=k, so a reboot resets through
 * the keyboard controller, which the VMM takes as the end of the VM;
 * RB_POWER_OFF without ACPI could merely halt the CPUs. In test mode the
 * machine is the host: husk-init only exits.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "guest-init/power.h"
#include "guest-init/container/container.h"

void power_off(struct agent *ag)
{
	container_delete_all(ag);
	if (!ag->vm) {
		log_info("shutdown: exiting (test mode)");
		exit(0);
	}
	log_info("shutdown: rebooting to end the VM");
	reboot(RB_AUTOBOOT);
	for (;;)
		pause(); /* PID 1 must not exit: that would panic the kernel */
}
