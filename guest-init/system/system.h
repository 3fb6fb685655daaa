/* SPDX-License-Identifier: Apache-2.0 */
/*
 * system.h - the guest system under the containers: its mounts
 * (sysmount.c), network (net.c, netconf.c), disks (blkdev.c) and small
 * file helpers (util.c); the event loop (loop.h) and log lines
 * (init_log.h) have their own headers. Knows nothing of containers,
 * connections or the agent's state (guest-init/agent.h).
 */
#ifndef HUSK_INIT_SYSTEM_H
#define HUSK_INIT_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-codec/agent_net_msg.h"
#include "common/error.h"

/* blkdev.c: wait until @source (a /dev/vdX slot) has its medium */
int blkdev_ready(const char *source, struct husk_error **e);

/* net.c, netconf.c */
int net_link_set(int ifindex, const char *mac, unsigned int mtu, bool up, struct husk_error **e);
int net_addr_add(int ifindex, const char *cidr, struct husk_error **e);
int net_route_add(const char *dest, const char *gw, int ifindex, struct husk_error **e);
/*
 * netconf_apply - CONFIGURE_NETWORK: links, addresses, routes; hostname,
 * hosts and resolv.conf written into @etc_dir.
 */
int netconf_apply(const char *etc_dir, const struct amsg_net *n, struct husk_error **e);

/* sysmount.c */
int sysmount_vm(struct husk_error **e);
int sysmount_test(struct husk_error **e);
void sysmount_boot_marker(void);

/* util.c */
int util_mkdir_p(const char *path, mode_t mode, struct husk_error **e);
int util_write_file(const char *path, const char *data, size_t len, struct husk_error **e);
ssize_t util_read_file(const char *path, char *buf, size_t size);
int64_t util_now_ns(void);

#endif
