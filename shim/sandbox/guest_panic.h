/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest_panic.h - spotting a guest kernel panic in the console stream, so
 * that when the VM ends the shim can say why: "guest kernel panic: Out of
 * memory: compulsory panic_on_oom is enabled" instead of only "reset".
 * The guest reboots at once on a panic (panic=-1), which the VMM reports
 * as a reset like any other.
 */
#ifndef HUSK_SHIM_SANDBOX_GUEST_PANIC_H
#define HUSK_SHIM_SANDBOX_GUEST_PANIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_PANIC_LINE_MAX 256

struct guest_panic {
	char line[GUEST_PANIC_LINE_MAX]; /* the console line being read */
	size_t len;			 /* its length so far (the rest is cut) */
	bool seen;
	char reason[GUEST_PANIC_LINE_MAX]; /* what followed "not syncing: " */
};

/* guest_panic_feed - read @len console bytes; console chunks split lines
 * anywhere, so a partial line is kept for the next call. */
void guest_panic_feed(struct guest_panic *gp, const uint8_t *buf, size_t len);

#endif
