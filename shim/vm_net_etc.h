/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm_net_etc.h - the network files a spec binds into the container (CRI
 * binds /etc/hosts, /etc/resolv.conf and /etc/hostname from files in the
 * sandbox's folder on the host). Each container gets its own copy: the
 * spec rewrite (vm_mounts.h) reads them into CREATE's "files" and points
 * the binds at husk-init's per-container copies. The first container's
 * also go with CONFIGURE_NETWORK, for the VM's own /etc and hostname.
 */
#ifndef HUSK_SHIM_VM_NET_ETC_H
#define HUSK_SHIM_VM_NET_ETC_H

#include <stddef.h>
#include <stdio.h>

struct husk_error;

#define VM_NET_ETC_MAX	(64u << 10)	/* larger ones go through the share */

struct vm_net_etc {
	char *hosts;		/* file texts, NULL when the spec binds none */
	char *resolv;
	char *hostname;
};

/*
 * vm_net_etc_read - the text of the file at @path, or NULL when it is no
 * regular file, cannot be read, is longer than VM_NET_ETC_MAX or holds a
 * NUL byte.
 */
char *vm_net_etc_read(const char *path);
void vm_net_etc_clear(struct vm_net_etc *etc);

#endif
