// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_net_tc.c - the rtnetlink requests of the redirection (sandbox_net.h):
 * what `tc qdisc add dev X ingress` and `tc filter add dev X parent ffff:
 * protocol all prio 1 matchall action mirred egress redirect dev Y` send,
 * and bringing the tap up with the interface's MTU; and undoing one
 * redirection (sandbox_net_undo), for teardown and for a killed shim's
 * records alike.
 */
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/net/sandbox_net.h"

#define SANDBOX_NET_INGRESS_HANDLE TC_H_MAKE(TC_H_INGRESS, 0) /* "ffff:" */

void sandbox_net_msg_ingress(struct nl_msg *m, bool add, int ifindex)
{
	struct tcmsg tc = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = SANDBOX_NET_INGRESS_HANDLE,
		.tcm_parent = TC_H_INGRESS,
	};

	/* EXCL: an ingress qdisc already there is someone else's. */
	nl_msg_init(m, add ? RTM_NEWQDISC : RTM_DELQDISC, add ? NLM_F_CREATE | NLM_F_EXCL : 0, &tc,
		    sizeof(tc));
	nl_put_str(m, TCA_KIND, "ingress");
}

void sandbox_net_msg_redirect(struct nl_msg *m, int from_ifindex, int to_ifindex)
{
	struct tcmsg tc = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = from_ifindex,
		.tcm_parent = SANDBOX_NET_INGRESS_HANDLE,
		/* priority in the high half, the matched protocol in the low */
		.tcm_info = TC_H_MAKE((uint32_t)SANDBOX_NET_FILTER_PRIO << 16, htons(ETH_P_ALL)),
	};
	struct tc_mirred mirred = {
		.action = TC_ACT_STOLEN, /* the frame leaves by the other device */
		.eaction = TCA_EGRESS_REDIR,
		.ifindex = (uint32_t)to_ifindex,
	};

	nl_msg_init(m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, &tc, sizeof(tc));
	nl_put_str(m, TCA_KIND, "matchall");
	nl_nest_begin(m, TCA_OPTIONS);
	nl_nest_begin(m, TCA_MATCHALL_ACT);
	nl_nest_begin(m, 1); /* the first action of the list */
	nl_put_str(m, TCA_ACT_KIND, "mirred");
	nl_nest_begin(m, TCA_ACT_OPTIONS);
	nl_put(m, TCA_MIRRED_PARMS, &mirred, sizeof(mirred));
	nl_nest_end(m);
	nl_nest_end(m);
	nl_nest_end(m);
	nl_nest_end(m);
}

void sandbox_net_msg_link_up(struct nl_msg *m, int ifindex, uint32_t mtu)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = IFF_UP,
		.ifi_change = IFF_UP,
	};

	nl_msg_init(m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (mtu)
		nl_put_u32(m, IFLA_MTU, mtu);
}

void sandbox_net_msg_link_del(struct nl_msg *m, const char *ifname)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };

	nl_msg_init(m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	nl_put_str(m, IFLA_IFNAME, ifname);
}

void sandbox_net_undo(const char *ifname, const char *tap, bool force)
{
	struct nl_msg m;
	int fd, idx;

	if (!force && if_nametoindex(tap))
		return; /* a live VMM still has the tap open */
	if (nl_sock_open(&fd, NULL))
		return;
	sandbox_net_msg_link_del(&m, tap);
	nl_request(fd, &m); /* usually gone with the VMM's fd already */
	idx = ifname ? (int)if_nametoindex(ifname) : 0;
	if (idx) {
		sandbox_net_msg_ingress(&m, false, idx);
		nl_request(fd, &m); /* its filters go with it */
	}
	close(fd);
}
