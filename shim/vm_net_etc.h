/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm_net_etc.h - the network files a spec binds into the container (CRI
 * binds /etc/hosts, /etc/resolv.conf and /etc/hostname from files in the
 * sandbox's folder on the host). Host paths do not exist in the VM, so
 * the shim reads those files, hands their content to husk-init with
 * CONFIGURE_NETWORK (it writes them under the VM's /etc) and rewrites the
 * mounts' sources in the CREATE spec to those VM paths.
 */
#ifndef HUSK_SHIM_VM_NET_ETC_H
#define HUSK_SHIM_VM_NET_ETC_H

#include <stddef.h>
#include <stdio.h>

struct husk_error;

#define VM_NET_ETC_MAX	(64u << 10)	/* larger "network files" are refused */

struct vm_net_etc {
	char *hosts;		/* file texts, NULL when the spec binds none */
	char *resolv;
	char *hostname;
};

/*
 * vm_net_etc_rewrite - find binds onto the three files in @spec (JSON
 * text), read their host sources into @etc (may be NULL), and give the
 * spec with those sources replaced by the VM's paths in *@out (NULL when
 * nothing was replaced). A source that cannot be read is left as it is.
 */
int vm_net_etc_rewrite(const char *spec, size_t len, struct vm_net_etc *etc, char **out,
		       size_t *out_len, struct husk_error **err);
void vm_net_etc_clear(struct vm_net_etc *etc);

/*
 * vm_net_etc_read_spec - the config.json at @path as the VM must see it:
 * json_read_file() then vm_net_etc_rewrite() (for the CREATE request).
 */
int vm_net_etc_read_spec(const char *path, char **spec, size_t *len,
			 struct husk_error **err);

#endif
