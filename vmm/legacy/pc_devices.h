/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pc_devices.h - the legacy PC devices every VM has on its port I/O bus:
 * COM1 (the console), the i8042 (its reset line reboots), the boot-marker
 * port and quiet sinks for ports Linux probes. They know nothing of the
 * VM: interrupts go to struct kvm, a guest reset to cfg.reset_fn.
 */
#ifndef HUSK_VMM_LEGACY_PC_DEVICES_H
#define HUSK_VMM_LEGACY_PC_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "vmm/base/bus.h"
#include "vmm/base/kvm.h"
#include "vmm/legacy/i8042.h"
#include "vmm/legacy/uart.h"

struct pc_devices_cfg {
	struct kvm *kvm;	 /* interrupt lines */
	i8042_reset_fn reset_fn; /* the guest pulsed the reset line */
	void *reset_opaque;
	uart_out_fn console_fn; /* console output, as husk_vm_config */
	void *console_opaque;
	int console_out_fd, console_in_fd;
};

struct pc_devices {
	struct kvm *kvm;
	i8042_reset_fn reset_fn;
	void *reset_opaque;
	struct uart uart;
	struct i8042 i8042;
	uint64_t t_marker; /* first boot-marker write, ns; atomic */
	bool ready;	   /* pc_devices_init() ran: fini needed */
};

/* pc_devices_init - register COM1, i8042, boot marker and quiet port sinks on @pio. */
int pc_devices_init(struct pc_devices *d, struct bus *pio, const struct pc_devices_cfg *cfg,
		    struct husk_error **err);

/* pc_devices_fini - stop the console input thread, free device state. */
void pc_devices_fini(struct pc_devices *d);

#endif
