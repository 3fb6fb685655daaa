// SPDX-License-Identifier: Apache-2.0
/* sandbox_net_query.c - reading the namespace's interface over rtnetlink (sandbox_net.h). */
#include <net/if.h>
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/error.h"
#include "shim/net/sandbox_net.h"

/* Our own taps ("tap<n>_husk"): never carried over, even when left over. */
static bool sandbox_net_is_our_tap(const char *name)
{
	size_t len = strlen(name);

	return !strncmp(name, "tap", 3) && len > 8 && !strcmp(name + len - 5, "_husk");
}

int sandbox_net_parse_link(const struct nlmsghdr *h, struct sandbox_net_info *i)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *tb[IFLA_MAX + 1];
	struct sandbox_net_link *l;
	char name[sizeof(l->ifname)];

	if (h->nlmsg_type != RTM_NEWLINK || nl_msg_attrs(h, sizeof(*ifi), tb, IFLA_MAX) < 0)
		return 0;
	/* A link that is down carries nothing CNI set up (an ifb, say). */
	if ((ifi->ifi_flags & IFF_LOOPBACK) || !(ifi->ifi_flags & IFF_UP) ||
	    ifi->ifi_type != ARPHRD_ETHER || !tb[IFLA_IFNAME] || !tb[IFLA_ADDRESS] ||
	    RTA_PAYLOAD(tb[IFLA_ADDRESS]) != 6)
		return 0;
	snprintf(name, sizeof(name), "%.*s", (int)RTA_PAYLOAD(tb[IFLA_IFNAME]),
		 (const char *)RTA_DATA(tb[IFLA_IFNAME]));
	if (sandbox_net_is_our_tap(name))
		return 0;
	if (i->nlinks >= SANDBOX_NET_MAX_LINKS)
		return -ENOSPC;
	l = &i->links[i->nlinks];
	memset(l, 0, sizeof(*l));
	l->tap_fd = -1;
	memcpy(l->ifname, name, sizeof(name));
	l->ifindex = ifi->ifi_index;
	memcpy(l->mac, RTA_DATA(tb[IFLA_ADDRESS]), 6);
	if (tb[IFLA_MTU] && RTA_PAYLOAD(tb[IFLA_MTU]) == 4)
		memcpy(&l->mtu, RTA_DATA(tb[IFLA_MTU]), 4);
	i->nlinks++;
	return 0;
}

/* The link with @ifindex, or -1. */
static int sandbox_net_link_of(const struct sandbox_net_info *i, int ifindex)
{
	size_t k;

	for (k = 0; k < i->nlinks; k++)
		if (i->links[k].ifindex == ifindex)
			return (int)k;
	return -1;
}

/* "addr/plen" of a binary address of @family; plen < 0: the bare address. */
static int sandbox_net_cidr(int family, const struct rtattr *a, int plen, char *out, size_t len)
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

int sandbox_net_parse_addr(const struct nlmsghdr *h, struct sandbox_net_info *i)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *tb[IFA_MAX + 1], *a;
	struct sandbox_net_link *l;
	int k;

	if (h->nlmsg_type != RTM_NEWADDR || nl_msg_attrs(h, sizeof(*ifa), tb, IFA_MAX) < 0 ||
	    ifa->ifa_scope >= RT_SCOPE_LINK ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	k = sandbox_net_link_of(i, (int)ifa->ifa_index);
	if (k < 0)
		return 0;
	l = &i->links[k];
	/* IFA_LOCAL is the interface's own IPv4 address (ADDRESS may be a peer). */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (l->naddrs >= SANDBOX_NET_MAX_ADDRS)
		return -ENOSPC;
	if (!sandbox_net_cidr(ifa->ifa_family, a, ifa->ifa_prefixlen, l->addrs[l->naddrs],
			      SANDBOX_NET_ADDR_LEN))
		l->naddrs++;
	return 0;
}

/* The link a wanted route goes out of, or -1. */
static int sandbox_net_route_link(const struct rtmsg *rt, const struct rtattr **tb,
				  const struct sandbox_net_info *i)
{
	uint32_t table = rt->rtm_table, oif;

	if (tb[RTA_TABLE] && RTA_PAYLOAD(tb[RTA_TABLE]) == 4)
		memcpy(&table, RTA_DATA(tb[RTA_TABLE]), 4);
	if (table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST ||
	    rt->rtm_protocol == RTPROT_KERNEL || !tb[RTA_OIF] || RTA_PAYLOAD(tb[RTA_OIF]) != 4 ||
	    (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6))
		return -1;
	memcpy(&oif, RTA_DATA(tb[RTA_OIF]), 4);
	return sandbox_net_link_of(i, (int)oif);
}

int sandbox_net_parse_route(const struct nlmsghdr *h, struct sandbox_net_info *i)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	const struct rtattr *tb[RTA_MAX + 1];
	struct sandbox_net_route *r;
	int link;

	if (h->nlmsg_type != RTM_NEWROUTE || nl_msg_attrs(h, sizeof(*rt), tb, RTA_MAX) < 0)
		return 0;
	link = sandbox_net_route_link(rt, tb, i);
	if (link < 0)
		return 0;
	if (i->nroutes >= SANDBOX_NET_MAX_ROUTES)
		return -ENOSPC;
	r = &i->routes[i->nroutes];
	memset(r, 0, sizeof(*r));
	r->link = (size_t)link;
	if (!rt->rtm_dst_len)
		snprintf(r->dest, sizeof(r->dest), "default");
	else if (sandbox_net_cidr(rt->rtm_family, tb[RTA_DST], rt->rtm_dst_len, r->dest,
				  sizeof(r->dest)))
		return 0;
	if (tb[RTA_GATEWAY] &&
	    sandbox_net_cidr(rt->rtm_family, tb[RTA_GATEWAY], -1, r->gw, sizeof(r->gw)))
		return 0;
	i->nroutes++;
	return 0;
}

static int sandbox_net_link_cb(const struct nlmsghdr *h, void *i)
{
	return sandbox_net_parse_link(h, i);
}

static int sandbox_net_addr_cb(const struct nlmsghdr *h, void *i)
{
	return sandbox_net_parse_addr(h, i);
}

static int sandbox_net_route_cb(const struct nlmsghdr *h, void *i)
{
	return sandbox_net_parse_route(h, i);
}

int sandbox_net_query(int fd, struct sandbox_net_info *i, struct husk_error **err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct rtmsg rt = { .rtm_family = AF_UNSPEC, .rtm_table = RT_TABLE_MAIN };
	struct nl_msg m;
	int ret;

	memset(i, 0, sizeof(*i));
	nl_msg_init(&m, RTM_GETLINK, 0, &ifi, sizeof(ifi));
	ret = nl_dump(fd, &m, sandbox_net_link_cb, i);
	if (ret == -ENOSPC)
		return husk_err(err, ENOSPC, "more than %d Ethernet links", SANDBOX_NET_MAX_LINKS);
	if (ret)
		return husk_err(err, -ret, "list links");
	if (!i->nlinks)
		return husk_err(err, ENODEV,
				"the network namespace has no Ethernet link that is up");
	nl_msg_init(&m, RTM_GETADDR, 0, &ifa, sizeof(ifa));
	ret = nl_dump(fd, &m, sandbox_net_addr_cb, i);
	if (ret)
		return husk_err(err, -ret, "list addresses (at most %d a link)",
				SANDBOX_NET_MAX_ADDRS);
	nl_msg_init(&m, RTM_GETROUTE, 0, &rt, sizeof(rt));
	ret = nl_dump(fd, &m, sandbox_net_route_cb, i);
	if (ret)
		return husk_err(err, -ret, "list routes (at most %d)", SANDBOX_NET_MAX_ROUTES);
	return 0;
}
