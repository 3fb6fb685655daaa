// SPDX-License-Identifier: Apache-2.0
/* guest_panic.c - the first "Kernel panic - not syncing: " line of a guest
 * console (guest_panic.h). Only the first counts: a panic while panicking
 * says less than the one that started it. */
#include <stdio.h>
#include <string.h>

#include "shim/sandbox/guest_panic.h"

#define PANIC_MARK "Kernel panic - not syncing: "

static void guest_panic_line(struct guest_panic *gp)
{
	const char *at;
	size_t n;

	gp->line[gp->len] = '\0';
	at = strstr(gp->line, PANIC_MARK);
	if (!at || gp->seen)
		return;
	at += strlen(PANIC_MARK);
	n = strcspn(at, "\r");
	snprintf(gp->reason, sizeof(gp->reason), "%.*s", (int)n, at);
	gp->seen = true;
}

void guest_panic_feed(struct guest_panic *gp, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			guest_panic_line(gp);
			gp->len = 0;
		} else if (gp->len < sizeof(gp->line) - 1) {
			/* control bytes would garble the log line they end up in */
			gp->line[gp->len++] = buf[i] < 0x20 && buf[i] != '\r' ? '?' : (char)buf[i];
		}
	}
}
