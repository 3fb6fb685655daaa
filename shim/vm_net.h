/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm_net.h - container networking for the VM backend, the way Kata and
 * firecracker-containerd do it so CNI plugins work unchanged: in the
 * spec's network namespace the shim finds the interface CNI made (a veth
 * end), creates a tap next to it and has tc redirect every frame both
 * ways (ingress qdisc + matchall filter + mirred egress redirect). The
 * tap backs the VM's virtio-net device, whose eth0 then takes over the
 * interface's MAC, addresses, routes and MTU (CONFIGURE_NETWORK). Each
 * Ethernet link that is up gets its own tap and device, in the order the
 * kernel lists them: links[n] becomes the guest's eth<n>.
 *
 * Files: vm_net.c (namespace thread, tap, setup and teardown),
 * vm_net_query.c (reading the interface), vm_net_tc.c (the requests),
 * vm_net_json.c (the CONFIGURE_NETWORK payload), vm_net_state.c (the
 * record `delete` uses after a killed shim).
 *
 * The shim process itself stays in the host's namespace: everything in
 * the container's runs on a short-lived thread that setns(2)s there.
 */
#ifndef HUSK_SHIM_VM_NET_H
#define HUSK_SHIM_VM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/netlink.h"

struct husk_error;
struct vm_net_etc;

#define VM_NET_TAP_FMT		"tap%hhu_husk"	/* the tap of link n (an unsigned char) */
#define VM_NET_GUEST_FMT	"eth%zu"	/* the VM's virtio-net device n */
#define VM_NET_MAX_LINKS	4
#define VM_NET_MAX_ADDRS	16
#define VM_NET_MAX_ROUTES	32
#define VM_NET_ADDR_LEN		64	/* "ffff:...:ffff/128" */
#define VM_NET_FILTER_PRIO	1

struct vm_net_route {
	char dest[VM_NET_ADDR_LEN];	/* "default" or CIDR */
	char gw[VM_NET_ADDR_LEN];	/* "" for an on-link route */
	size_t link;			/* out of links[link] */
};

/* A link of the namespace; the guest's eth<n> takes over links[n]. */
struct vm_net_link {
	char ifname[16];		/* IFNAMSIZ */
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu;
	char addrs[VM_NET_MAX_ADDRS][VM_NET_ADDR_LEN];
	size_t naddrs;
	char tap[16];			/* its tap, once made */
	int tap_ifindex;
	int tap_fd;			/* -1 once handed to libhusk */
	bool ingress;			/* we added its ingress qdisc */
};

struct vm_net_info {
	struct vm_net_link links[VM_NET_MAX_LINKS];
	size_t nlinks;
	struct vm_net_route routes[VM_NET_MAX_ROUTES];
	size_t nroutes;
};

struct vm_net {
	char netns[4096];
	struct vm_net_info info;
};

/* vm_net_query.c: pure parsers of dump replies into @i (0, or -ENOSPC) */
/* vm_net_parse_link - every Ethernet link that is up, but our taps. */
int vm_net_parse_link(const struct nlmsghdr *h, struct vm_net_info *i);
/* vm_net_parse_addr - an address of one of the links, not link-local. */
int vm_net_parse_addr(const struct nlmsghdr *h, struct vm_net_info *i);
/*
 * vm_net_parse_route - a unicast main-table route out of one of the links
 * that the kernel did not derive from an address (the guest's will).
 */
int vm_net_parse_route(const struct nlmsghdr *h, struct vm_net_info *i);
/* vm_net_query - dump links, addresses and routes of the current netns. */
int vm_net_query(int fd, struct vm_net_info *i, struct husk_error **err);

/* vm_net_tc.c: request builders (pure) */
void vm_net_msg_ingress(struct nl_msg *m, bool add, int ifindex);
void vm_net_msg_redirect(struct nl_msg *m, int from_ifindex, int to_ifindex);
void vm_net_msg_link_up(struct nl_msg *m, int ifindex, uint32_t mtu);
void vm_net_msg_link_del(struct nl_msg *m, const char *ifname);

/*
 * vm_net_json.c: the CONFIGURE_NETWORK payload for @i (NULL: no
 * interface, loopback only) and @etc (NULL or empty: no files): hosts as
 * it is, resolv.conf as dns servers/searches/options, the hostname's
 * first line. Returns 0 or -ENOMEM.
 */
int vm_net_json(const struct vm_net_info *i, const struct vm_net_etc *etc, char **out);

/* vm_net.c */
/*
 * vm_net_setup - in the namespace at @netns: read its interface, make the
 * tap and the redirection. Records it in @bundle's state first. A
 * namespace without an Ethernet link that is up gives *@out NULL (the
 * VM then has loopback only).
 */
int vm_net_setup(const char *netns, const char *bundle, struct vm_net **out,
		 struct husk_error **err);
/* vm_net_teardown - remove the redirection and the tap (after the VM is gone). */
void vm_net_teardown(struct vm_net *n);
/* vm_net_run_in - run @fn on a thread inside the namespace at @netns. */
int vm_net_run_in(const char *netns, int (*fn)(void *arg, struct husk_error **err),
		  void *arg, struct husk_error **err);
/*
 * vm_net_undo - in the current netns: drop the ingress qdisc of @ifname
 * (unless NULL) and the tap @tap, unless @tap is still there and !@force:
 * a live VMM still has it open (the tap is not persistent).
 */
void vm_net_undo(const char *ifname, const char *tap, bool force);

/* vm_net_state.c */
int vm_net_state_add(const char *bundle, const char *ifname, const char *tap,
		     const char *netns);
/* vm_net_state_cleanup - undo the recorded redirections of a dead shim. */
void vm_net_state_cleanup(const char *bundle);

#endif
