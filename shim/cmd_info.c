// SPDX-License-Identifier: Apache-2.0
/* cmd_info.c - -v, -info and helpers shared by the commands. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/cli.h"
#include "shim/cmd.h"
#include "husk.h"
#include "shim/ttrpc/pb.h"
#include "shim/ttrpc/ttrpc.h"

int shim_cmd_version(void)
{
	printf("containerd-shim-husk-v2:\n  Version: %s\n  libhusk: %s\n", HUSK_VERSION,
	       husk_version());
	return 0;
}

/* containerd 2.x runs `shim -info`: answer RuntimeInfo, start nothing. */
int shim_cmd_info(void)
{
	Containerd__Types__RuntimeInfo info = CONTAINERD__TYPES__RUNTIME_INFO__INIT;
	Containerd__Types__RuntimeVersion ver = CONTAINERD__TYPES__RUNTIME_VERSION__INIT;
	uint8_t *buf;
	size_t len;

	shim_drain_stdin();
	info.name = (char *)"io.containerd.husk.v2";
	ver.version = (char *)HUSK_VERSION;
	info.version = &ver;
	if (ttrpc_pack(&info.base, &buf, &len))
		return 1;
	fwrite(buf, 1, len, stdout);
	free(buf);
	return fflush(stdout) ? 1 : 0;
}

void shim_drain_stdin(void)
{
	char buf[4096];
	ssize_t n;

	if (isatty(STDIN_FILENO))
		return;
	do {
		n = read(STDIN_FILENO, buf, sizeof(buf));
	} while (n > 0 || (n < 0 && errno == EINTR));
}

int shim_bundle_dir(const struct shim_args *a, char *buf, size_t len)
{
	char tmp[PATH_MAX];

	if (a->bundle && *a->bundle) {
		if (!realpath(a->bundle, tmp))
			return -errno;
	} else if (!getcwd(tmp, sizeof(tmp))) {
		return -errno;
	}
	if (snprintf(buf, len, "%s", tmp) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}
