/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_mounts.h - the spec's mounts as the VM must see them. Host paths do
 * not exist in the VM, so one pass over config.json's mounts rewrites
 * each bind (type "bind", or option bind/rbind) of an absolute host path:
 *
 *   - onto /etc/hosts, /etc/hostname, /etc/resolv.conf: the file's text
 *     goes into CREATE's "files" (each container its own) and the source
 *     becomes HUSK_AGENT_FILES_DIR/<cid>/<name>. A file above
 *     SANDBOX_NET_ETC_MAX goes through the share instead;
 *   - onto /dev/shm from a host folder (CRI's sandbox shm): the source
 *     becomes HUSK_AGENT_POD_SHM_DIR, the pod's one tmpfs in the VM, and
 *     "shm_size" is the host folder's size when it is a tmpfs;
 *   - anything else: an entry in the sandbox's share (fs_share.h), made
 *     read-only on the host side when the mount is "ro"; the source
 *     becomes HUSK_AGENT_SHARE_DIR/<entry>.
 *
 * Options (ro/rw, rbind, propagation) stay for husk-init, which applies
 * them in the guest. Other mounts (tmpfs, proc, sysfs, devpts, mqueue,
 * cgroup) and relative sources are left alone. A bind whose source does
 * not exist fails the rewrite with an error naming it, as runc's would.
 */
#ifndef HUSK_SHIM_SANDBOX_SANDBOX_MOUNTS_H
#define HUSK_SHIM_SANDBOX_SANDBOX_MOUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "shim/net/sandbox_net_etc.h"

struct husk_error;

struct sandbox_mounts_ctx {
	const char *cid;	/* the container, [A-Za-z0-9._-] */
	const char *share_root; /* the sandbox's share folder */
	const char *bundle;	/* entries are recorded here (fs_state.h); NULL: not */
};

struct sandbox_mounts {
	struct sandbox_net_etc etc; /* CREATE's "files" */
	int64_t shm_size;	    /* bytes of the pod's /dev/shm; -1: not known */
	char **entries;		    /* share entries made for this container */
	size_t n_entries;
	char *spec; /* the rewritten config.json */
	size_t spec_len;
};

/*
 * sandbox_mounts_rewrite - rewrite @spec (JSON text) for container @ctx->cid
 * into *@out, making its share entries. On failure *@out is cleared and
 * no entry is left.
 */
int sandbox_mounts_rewrite(const char *spec, size_t len, const struct sandbox_mounts_ctx *ctx,
			   struct sandbox_mounts *out, struct husk_error **err);

/*
 * sandbox_mounts_extra_json - CREATE's fields besides the spec, as text to
 * put into the payload object: ,"files":{...}[,"shm_size":N] (or "").
 * Returns 0 or -ENOMEM.
 */
int sandbox_mounts_extra_json(const struct sandbox_mounts *m, char **out);

/* sandbox_mounts_release - take @m's entries out of the share at @root. */
void sandbox_mounts_release(const char *root, struct sandbox_mounts *m);

/* sandbox_mounts_clear - free @m (entries are not touched: release them first). */
void sandbox_mounts_clear(struct sandbox_mounts *m);

#endif
