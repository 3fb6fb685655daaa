// SPDX-License-Identifier: Apache-2.0
/* main.c - containerd-shim-husk-v2 entry point. */
#include <stdio.h>
#include <string.h>

#include "husk.h"

int main(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
		printf("containerd-shim-husk-v2 %s\n", husk_version());
		return 0;
	}
	fprintf(stderr, "usage: containerd-shim-husk-v2 [-namespace NS -address ADDR -id ID] start|delete\n"
			"containerd-shim-husk-v2: not implemented yet\n");
	return 2;
}
