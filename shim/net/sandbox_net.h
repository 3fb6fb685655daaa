/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_net.h - container networking for the VM backend, the way Kata and
 * firecracker-containerd do it so CNI plugins work unchanged: in the
 * spec's network namespace the shim finds the interface CNI made (a veth
 * end), creates a tap next to it and has tc redirect every frame both
 * ways (ingress qdisc + matchall filter + mirred egress redirect). The
 * tap backs the VM's virtio-net device, whose eth0 then takes over the
 * interface's MAC, addresses, routes and MTU (CONFIGURE_NETWORK). Each
 * Ethernet link that is up gets its own tap and device, in the order the
 * kernel lists them: links[n] becomes the guest's eth<n>.
 *
 * Files, top first (each calls only files below it):
 *   sandbox_net.c        tap, setup and teardown
 *   sandbox_net_state.c  the record `delete` uses after a killed shim
 *   sandbox_net_query.c  reading the interface
 *   sandbox_net_tc.c     the redirection's requests, and undoing one
 *   sandbox_net_netns.c  running work on a thread in the namespace
 *   sandbox_net_json.c   the CONFIGURE_NETWORK payload (pure)
 *   sandbox_net_etc.c    hosts, resolv.conf and hostname files (pure)
 *   netlink.c            the rtnetlink toolkit all of them use
 * (port_forward.h, beside them, relays `kubectl port-forward` to the VM.)
 *
 * The shim process itself stays in the host's namespace: everything in
 * the container's runs on a short-lived thread that setns(2)s there.
 */
#ifndef HUSK_SHIM_NET_SANDBOX_NET_H
#define HUSK_SHIM_NET_SANDBOX_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/net/netlink.h"

struct husk_error;
struct sandbox_net_etc;

#define SANDBOX_NET_TAP_FMT	"tap%hhu_husk" /* the tap of link n (an unsigned char) */
#define SANDBOX_NET_GUEST_FMT	"eth%zu"       /* the VM's virtio-net device n */
#define SANDBOX_NET_MAX_LINKS	4
#define SANDBOX_NET_MAX_ADDRS	16
#define SANDBOX_NET_MAX_ROUTES	32
#define SANDBOX_NET_ADDR_LEN	64 /* "ffff:...:ffff/128" */
#define SANDBOX_NET_FILTER_PRIO 1

struct sandbox_net_route {
	char dest[SANDBOX_NET_ADDR_LEN]; /* "default" or CIDR */
	char gw[SANDBOX_NET_ADDR_LEN];	 /* "" for an on-link route */
	size_t link;			 /* out of links[link] */
};

/* A link of the namespace; the guest's eth<n> takes over links[n]. */
struct sandbox_net_link {
	char ifname[16]; /* IFNAMSIZ */
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu;
	char addrs[SANDBOX_NET_MAX_ADDRS][SANDBOX_NET_ADDR_LEN];
	size_t naddrs;
	char tap[16]; /* its tap, once made */
	int tap_ifindex;
	int tap_fd;   /* -1 once handed to libhusk */
	bool ingress; /* we added its ingress qdisc */
};

struct sandbox_net_info {
	struct sandbox_net_link links[SANDBOX_NET_MAX_LINKS];
	size_t nlinks;
	struct sandbox_net_route routes[SANDBOX_NET_MAX_ROUTES];
	size_t nroutes;
};

struct sandbox_net {
	char netns[4096];
	struct sandbox_net_info info;
};

/* sandbox_net_query.c: pure parsers of dump replies into @i (0, or -ENOSPC) */
/* sandbox_net_parse_link - every Ethernet link that is up, but our taps. */
int sandbox_net_parse_link(const struct nlmsghdr *h, struct sandbox_net_info *i);
/* sandbox_net_parse_addr - an address of one of the links, not link-local. */
int sandbox_net_parse_addr(const struct nlmsghdr *h, struct sandbox_net_info *i);
/*
 * sandbox_net_parse_route - a unicast main-table route out of one of the links
 * that the kernel did not derive from an address (the guest's will).
 */
int sandbox_net_parse_route(const struct nlmsghdr *h, struct sandbox_net_info *i);
/* sandbox_net_query - dump links, addresses and routes of the current netns. */
int sandbox_net_query(int fd, struct sandbox_net_info *i, struct husk_error **err);

/* sandbox_net_tc.c: request builders (pure) */
void sandbox_net_msg_ingress(struct nl_msg *m, bool add, int ifindex);
void sandbox_net_msg_redirect(struct nl_msg *m, int from_ifindex, int to_ifindex);
void sandbox_net_msg_link_up(struct nl_msg *m, int ifindex, uint32_t mtu);
void sandbox_net_msg_link_del(struct nl_msg *m, const char *ifname);

/*
 * sandbox_net_json.c: the CONFIGURE_NETWORK payload for @i (NULL: no
 * interface, loopback only) and @etc (NULL or empty: no files): hosts as
 * it is, resolv.conf as dns servers/searches/options, the hostname's
 * first line. Returns 0 or -ENOMEM.
 */
int sandbox_net_json(const struct sandbox_net_info *i, const struct sandbox_net_etc *etc,
		     char **out);

/* sandbox_net.c */
/*
 * sandbox_net_setup - in the namespace at @netns: read its interface, make the
 * tap and the redirection. Records it in @bundle's state first. A
 * namespace without an Ethernet link that is up gives *@out NULL (the
 * VM then has loopback only).
 */
int sandbox_net_setup(const char *netns, const char *bundle, struct sandbox_net **out,
		      struct husk_error **err);
/* sandbox_net_setup's two halves: read the namespace (no change made; *@out as there)... */
int sandbox_net_read(const char *netns, struct sandbox_net **out, struct husk_error **err);
/* ...then record, make the taps and the redirection; on failure undo with sandbox_net_teardown. */
int sandbox_net_make(struct sandbox_net *n, const char *bundle, struct husk_error **err);
/* sandbox_net_teardown - remove the redirection and the tap (after the VM is gone). */
void sandbox_net_teardown(struct sandbox_net *n);
/* sandbox_net_netns.c */
/* sandbox_net_run_in - run @fn on a thread inside the namespace at @netns. */
int sandbox_net_run_in(const char *netns, int (*fn)(void *arg, struct husk_error **err), void *arg,
		       struct husk_error **err);
/* sandbox_net_tc.c */
/*
 * sandbox_net_undo - in the current netns: drop the ingress qdisc of @ifname
 * (unless NULL) and the tap @tap, unless @tap is still there and !@force:
 * a live VMM still has it open (the tap is not persistent).
 */
void sandbox_net_undo(const char *ifname, const char *tap, bool force);

/* sandbox_net_state.c */
int sandbox_net_state_add(const char *bundle, const char *ifname, const char *tap,
			  const char *netns);
/* sandbox_net_state_cleanup - undo the recorded redirections of a dead shim. */
void sandbox_net_state_cleanup(const char *bundle);

#endif
