/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_net_etc.h - the network files a spec binds into the container (CRI
 * binds /etc/hosts, /etc/resolv.conf and /etc/hostname from files in the
 * sandbox's folder on the host). Each container gets its own copy: the
 * spec rewrite (sandbox_mounts.h) reads them into CREATE's "files" and points
 * the binds at husk-init's per-container copies. The first container's
 * also go with CONFIGURE_NETWORK, for the VM's own /etc and hostname.
 */
#ifndef HUSK_SHIM_NET_SANDBOX_NET_ETC_H
#define HUSK_SHIM_NET_SANDBOX_NET_ETC_H

#include <stddef.h>
#include <stdio.h>

struct husk_error;

#define SANDBOX_NET_ETC_MAX (64u << 10) /* larger ones go through the share */

struct sandbox_net_etc {
	char *hosts; /* file texts, NULL when the spec binds none */
	char *resolv;
	char *hostname;
};

/*
 * sandbox_net_etc_read - the text of the file at @path, or NULL when it is no
 * regular file, cannot be read, is longer than SANDBOX_NET_ETC_MAX or holds a
 * NUL byte.
 */
char *sandbox_net_etc_read(const char *path);
void sandbox_net_etc_clear(struct sandbox_net_etc *etc);

#endif
