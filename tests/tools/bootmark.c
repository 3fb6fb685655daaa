// SPDX-License-Identifier: Apache-2.0
/*
 * bootmark - write the boot-complete marker from inside a guest: one byte
 * to husk's boot-marker I/O port (0x440, HUSK_BOOT_MARKER_PORT), which the
 * VMM timestamps. Static, for the busybox test initramfs. Under another
 * VMM the port is unclaimed and the write is ignored.
 */
#include <stdio.h>
#include <sys/io.h>

#define BOOT_MARKER_PORT 0x440

int main(void)
{
	if (ioperm(BOOT_MARKER_PORT, 1, 1) != 0) {
		perror("bootmark: ioperm 0x440");
		return 1;
	}
	outb(123, BOOT_MARKER_PORT);
	return 0;
}
