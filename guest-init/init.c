// SPDX-License-Identifier: Apache-2.0
/* init.c - husk-init, PID 1 inside a husk VM. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "husk-init: not implemented yet\n");
	return 2;
}
