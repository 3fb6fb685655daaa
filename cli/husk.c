// SPDX-License-Identifier: Apache-2.0
/* husk.c - the husk command line: boots a kernel with libhusk. */
#include <stdio.h>
#include <string.h>

#include "husk.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: husk run --kernel PATH [--initrd PATH] [--cmdline STR] [--mem MiB] [--cpus N]\n"
		   "       husk --help | --version\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("husk %s\n", husk_version());
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	fprintf(stderr, "husk: not implemented yet\n");
	return 2;
}
