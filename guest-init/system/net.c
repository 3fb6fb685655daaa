// SPDX-License-Identifier: Apache-2.0
/*
 * net.c - rtnetlink requests (there is no ip(8) in the guest): link
 * state, MAC and MTU; addresses; routes. Each request waits for the
 * kernel's acknowledgement so that errors come back with context.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/hex.h"
#include "guest-init/system/system.h"

struct nlreq {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	};
	char attrs[512];
};

static void nl_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send @r and wait for its ACK; returns 0 or the kernel's -errno. */
static int nl_talk(struct nlreq *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *nh;
	int fd, ret = -EIO;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	r->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->nh.nlmsg_seq = 1;
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
	} else if ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				break;
			}
		}
	}
	close(fd);
	return ret;
}

/* "xx:xx:xx:xx:xx:xx" by hand: sscanf would pull 36 KiB into the binary. */
static int net_mac_parse(const char *s, unsigned char mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		hi = husk_hex_digit(s[3 * i]);
		lo = husk_hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int net_link_set(int ifindex, const char *mac, unsigned int mtu, bool up, struct husk_error **e)
{
	struct nlreq r = { 0 };
	unsigned char hw[6];
	int ret;

	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifi));
	r.nh.nlmsg_type = RTM_NEWLINK;
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = ifindex;
	r.ifi.ifi_change = IFF_UP;
	r.ifi.ifi_flags = up ? IFF_UP : 0;
	if (mac) {
		if (net_mac_parse(mac, hw) < 0)
			return husk_err(e, 0, "MAC address \"%.40s\" is not xx:xx:xx:xx:xx:xx",
					mac);
		nl_attr(&r, IFLA_ADDRESS, hw, sizeof(hw));
	}
	if (mtu)
		nl_attr(&r, IFLA_MTU, &mtu, sizeof(mtu));
	ret = nl_talk(&r);
	if (ret < 0)
		return husk_err(e, -ret, "configure link %d", ifindex);
	return 0;
}

/* "addr/len" into family, bytes and prefix length. */
static int net_cidr(const char *cidr, int *family, unsigned char *addr, int *plen)
{
	char buf[64], *slash;
	char *end;
	long n;

	if (strlen(cidr) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, cidr);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	*family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*family, buf, addr) != 1)
		return -EINVAL;
	n = *family == AF_INET6 ? 128 : 32;
	if (slash) {
		long max = n;

		n = strtol(slash, &end, 10);
		if (!*slash || *end || n < 0 || n > max)
			return -EINVAL;
	}
	*plen = (int)n;
	return 0;
}

int net_addr_add(int ifindex, const char *cidr, struct husk_error **e)
{
	struct nlreq r = { 0 };
	unsigned char addr[16];
	int family, plen, ret;

	if (net_cidr(cidr, &family, addr, &plen) < 0)
		return husk_err(e, 0, "address \"%.60s\" is not ADDR/LEN", cidr);
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifa));
	r.nh.nlmsg_type = RTM_NEWADDR;
	r.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r.ifa.ifa_family = (unsigned char)family;
	r.ifa.ifa_prefixlen = (unsigned char)plen;
	r.ifa.ifa_index = (unsigned int)ifindex;
	nl_attr(&r, IFA_LOCAL, addr, family == AF_INET ? 4 : 16);
	nl_attr(&r, IFA_ADDRESS, addr, family == AF_INET ? 4 : 16);
	ret = nl_talk(&r);
	if (ret < 0)
		return husk_err(e, -ret, "add address %s", cidr);
	return 0;
}

int net_route_add(const char *dest, const char *gw, int ifindex, struct husk_error **e)
{
	struct nlreq r = { 0 };
	unsigned char dst[16], via[16];
	int family = AF_INET, gfamily, plen = 0, glen, ret;

	if (strcmp(dest, "default") && net_cidr(dest, &family, dst, &plen) < 0)
		return husk_err(e, 0, "route destination \"%.60s\" is not CIDR or default", dest);
	if (gw && (net_cidr(gw, &gfamily, via, &glen) < 0 ||
		   (strcmp(dest, "default") && gfamily != family)))
		return husk_err(e, 0, "gateway \"%.60s\" does not fit %s", gw, dest);
	if (gw && !strcmp(dest, "default"))
		family = gfamily;
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.rt));
	r.nh.nlmsg_type = RTM_NEWROUTE;
	r.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	r.rt = (struct rtmsg){ .rtm_family = (unsigned char)family,
			       .rtm_dst_len = (unsigned char)plen,
			       .rtm_table = RT_TABLE_MAIN,
			       .rtm_protocol = RTPROT_BOOT,
			       .rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
			       .rtm_type = RTN_UNICAST };
	if (plen)
		nl_attr(&r, RTA_DST, dst, family == AF_INET ? 4 : 16);
	if (gw)
		nl_attr(&r, RTA_GATEWAY, via, family == AF_INET ? 4 : 16);
	if (ifindex > 0)
		nl_attr(&r, RTA_OIF, &ifindex, sizeof(ifindex));
	ret = nl_talk(&r);
	if (ret < 0)
		return husk_err(e, -ret, "add route to %s%s%s", dest, gw ? " via " : "",
				gw ? gw : "");
	return 0;
}
