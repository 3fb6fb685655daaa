// SPDX-License-Identifier: Apache-2.0
/* vm_net_query.c - reading the namespace's interface over rtnetlink (vm_net.h). */
#include <net/if.h>
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "vm_net.h"

int vm_net_parse_link(const struct nlmsghdr *h, struct vm_net_info *i)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];

	if (i->ifindex || h->nlmsg_type != RTM_NEWLINK ||
	    nl_msg_attrs(h, sizeof(*ifi), tb, IFLA_MAX) < 0)
		return 0;
	/* A link that is down carries nothing CNI set up (an ifb, say). */
	if ((ifi->ifi_flags & IFF_LOOPBACK) || !(ifi->ifi_flags & IFF_UP) ||
	    ifi->ifi_type != ARPHRD_ETHER ||
	    !tb[IFLA_IFNAME] || !tb[IFLA_ADDRESS] || RTA_PAYLOAD(tb[IFLA_ADDRESS]) != 6)
		return 0;
	snprintf(i->ifname, sizeof(i->ifname), "%.*s", (int)RTA_PAYLOAD(tb[IFLA_IFNAME]),
		 (const char *)RTA_DATA(tb[IFLA_IFNAME]));
	if (!strcmp(i->ifname, VM_NET_TAP_NAME)) {
		i->ifname[0] = '\0';
		return 0;
	}
	i->ifindex = ifi->ifi_index;
	memcpy(i->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_MTU] && RTA_PAYLOAD(tb[IFLA_MTU]) == 4)
		memcpy(&i->mtu, RTA_DATA(tb[IFLA_MTU]), 4);
	return 0;
}

/* "addr/plen" of a binary address of @family; plen < 0: the bare address. */
static int vm_net_cidr(int family, const struct rtattr *a, int plen, char *out,
		       size_t len)
{
	char txt[INET6_ADDRSTRLEN];
	size_t want = family == AF_INET ? 4 : 16;

	if (!a || RTA_PAYLOAD(a) != want || !inet_ntop(family, RTA_DATA(a), txt, sizeof(txt)))
		return -EINVAL;
	if (plen < 0)
		snprintf(out, len, "%s", txt);
	else
		snprintf(out, len, "%s/%d", txt, plen);
	return 0;
}

int vm_net_parse_addr(const struct nlmsghdr *h, struct vm_net_info *i)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *tb[IFA_MAX + 1], *a;

	if (h->nlmsg_type != RTM_NEWADDR || nl_msg_attrs(h, sizeof(*ifa), tb, IFA_MAX) < 0 ||
	    (int)ifa->ifa_index != i->ifindex || ifa->ifa_scope >= RT_SCOPE_LINK ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	/* IFA_LOCAL is the interface's own IPv4 address (ADDRESS may be a peer). */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (i->naddrs >= VM_NET_MAX_ADDRS)
		return -ENOSPC;
	if (!vm_net_cidr(ifa->ifa_family, a, ifa->ifa_prefixlen, i->addrs[i->naddrs],
			 VM_NET_ADDR_LEN))
		i->naddrs++;
	return 0;
}

static bool vm_net_route_wanted(const struct rtmsg *rt, const struct rtattr **tb, int ifindex)
{
	uint32_t table = rt->rtm_table, oif;

	if (tb[RTA_TABLE] && RTA_PAYLOAD(tb[RTA_TABLE]) == 4)
		memcpy(&table, RTA_DATA(tb[RTA_TABLE]), 4);
	if (table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST ||
	    rt->rtm_protocol == RTPROT_KERNEL || !tb[RTA_OIF] || RTA_PAYLOAD(tb[RTA_OIF]) != 4)
		return false;
	memcpy(&oif, RTA_DATA(tb[RTA_OIF]), 4);
	return (int)oif == ifindex && (rt->rtm_family == AF_INET || rt->rtm_family == AF_INET6);
}

int vm_net_parse_route(const struct nlmsghdr *h, struct vm_net_info *i)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *tb[RTA_MAX + 1];
	struct vm_net_route *r;

	if (h->nlmsg_type != RTM_NEWROUTE || nl_msg_attrs(h, sizeof(*rt), tb, RTA_MAX) < 0 ||
	    !vm_net_route_wanted(rt, tb, i->ifindex))
		return 0;
	if (i->nroutes >= VM_NET_MAX_ROUTES)
		return -ENOSPC;
	r = &i->routes[i->nroutes];
	memset(r, 0, sizeof(*r));
	if (!rt->rtm_dst_len)
		snprintf(r->dest, sizeof(r->dest), "default");
	else if (vm_net_cidr(rt->rtm_family, tb[RTA_DST], rt->rtm_dst_len, r->dest,
			     sizeof(r->dest)))
		return 0;
	if (tb[RTA_GATEWAY] &&
	    vm_net_cidr(rt->rtm_family, tb[RTA_GATEWAY], -1, r->gw, sizeof(r->gw)))
		return 0;
	i->nroutes++;
	return 0;
}

static int vm_net_link_cb(const struct nlmsghdr *h, void *i)
{
	return vm_net_parse_link(h, i);
}

static int vm_net_addr_cb(const struct nlmsghdr *h, void *i)
{
	return vm_net_parse_addr(h, i);
}

static int vm_net_route_cb(const struct nlmsghdr *h, void *i)
{
	return vm_net_parse_route(h, i);
}

int vm_net_query(int fd, struct vm_net_info *i, struct husk_error **err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct rtmsg rt = { .rtm_family = AF_UNSPEC, .rtm_table = RT_TABLE_MAIN };
	struct nl_msg m;
	int ret;

	memset(i, 0, sizeof(*i));
	nl_msg_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	ret = nl_dump(fd, &m, vm_net_link_cb, i);
	if (ret)
		return husk_err(err, -ret, "list links");
	if (!i->ifindex)
		return husk_err(err, ENODEV, "the network namespace has no Ethernet interface");
	nl_msg_init(&m, RTM_GETADDR, 0, &ifa, sizeof(ifa));
	ret = nl_dump(fd, &m, vm_net_addr_cb, i);
	if (ret)
		return husk_err(err, -ret, "addresses of %s", i->ifname);
	nl_msg_init(&m, RTM_GETROUTE, 0, &rt, sizeof(rt));
	ret = nl_dump(fd, &m, vm_net_route_cb, i);
	if (ret)
		return husk_err(err, -ret, "routes of %s", i->ifname);
	return 0;
}
