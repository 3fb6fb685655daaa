// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_net.c - shim/net/netlink.c and the pure parts of shim/net/sandbox_net*.c:
 * request bytes (nesting, lengths, the tc and link fields the kernel
 * reads), parsing dump replies into what the guest takes over, and the
 * CONFIGURE_NETWORK payload. Replies are built the way the kernel lays
 * them out (family header, then attributes).
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "husk.h"
#include "shim/net/netlink.h"
#include "tests/lib/unit.h"
#include "shim/net/sandbox_net.h"
#include "shim/net/sandbox_net_etc.h"

/* The single nested attribute @type inside @a, parsed. */
static const struct rtattr *nested(const struct rtattr *a, int type)
{
	const struct rtattr *tb[16];

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(nl_attrs(RTA_DATA(a), RTA_PAYLOAD(a), tb, 15), 0);
	return tb[type];
}

START_TEST(redirect_filter_bytes)
{
	const struct rtattr *tb[TCA_MAX + 1], *act;
	const struct tc_mirred *mir;
	const struct tcmsg *tc;
	struct nl_msg m;

	sandbox_net_msg_redirect(&m, 3, 7);
	ck_assert(!m.overflow);
	ck_assert_int_eq(m.depth, 0);
	ck_assert_uint_eq(m.hdr.nlmsg_type, RTM_NEWTFILTER);
	ck_assert_uint_eq(m.hdr.nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	tc = NLMSG_DATA(&m.hdr);
	ck_assert_int_eq(tc->tcm_ifindex, 3);
	ck_assert_uint_eq(tc->tcm_parent, 0xffff0000u);
	ck_assert_uint_eq(TC_H_MAJ(tc->tcm_info) >> 16, SANDBOX_NET_FILTER_PRIO);
	ck_assert_uint_eq(TC_H_MIN(tc->tcm_info), htons(ETH_P_ALL));
	ck_assert_int_eq(nl_msg_attrs(&m.hdr, sizeof(*tc), tb, TCA_MAX), 0);
	ck_assert_str_eq(RTA_DATA(tb[TCA_KIND]), "matchall");
	/* The outermost nest ends exactly at the end of the message. */
	ck_assert_uint_eq((const uint8_t *)tb[TCA_OPTIONS] - m.buf + tb[TCA_OPTIONS]->rta_len,
			  m.hdr.nlmsg_len);
	act = nested(nested(tb[TCA_OPTIONS], TCA_MATCHALL_ACT), 1);
	ck_assert_str_eq(RTA_DATA(nested(act, TCA_ACT_KIND)), "mirred");
	mir = RTA_DATA(nested(nested(act, TCA_ACT_OPTIONS), TCA_MIRRED_PARMS));
	ck_assert_uint_eq(RTA_PAYLOAD(nested(nested(act, TCA_ACT_OPTIONS), TCA_MIRRED_PARMS)),
			  sizeof(*mir));
	ck_assert_uint_eq(mir->ifindex, 7);
	ck_assert_int_eq(mir->eaction, TCA_EGRESS_REDIR);
	ck_assert_int_eq(mir->action, TC_ACT_STOLEN);
}
END_TEST

START_TEST(ingress_and_link_bytes)
{
	const struct rtattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	const struct tcmsg *tc;
	struct nl_msg m;
	uint32_t mtu;

	sandbox_net_msg_ingress(&m, true, 5);
	tc = NLMSG_DATA(&m.hdr);
	ck_assert_uint_eq(m.hdr.nlmsg_type, RTM_NEWQDISC);
	ck_assert(m.hdr.nlmsg_flags & NLM_F_EXCL);
	ck_assert_int_eq(tc->tcm_ifindex, 5);
	ck_assert_uint_eq(tc->tcm_parent, TC_H_INGRESS);
	ck_assert_uint_eq(tc->tcm_handle, 0xffff0000u);
	ck_assert_int_eq(nl_msg_attrs(&m.hdr, sizeof(*tc), tb, TCA_MAX), 0);
	ck_assert_str_eq(RTA_DATA(tb[TCA_KIND]), "ingress");
	sandbox_net_msg_ingress(&m, false, 5);
	ck_assert_uint_eq(m.hdr.nlmsg_type, RTM_DELQDISC);
	ck_assert_uint_eq(m.hdr.nlmsg_flags, NLM_F_REQUEST);

	sandbox_net_msg_link_up(&m, 9, 1400);
	ifi = NLMSG_DATA(&m.hdr);
	ck_assert_int_eq(ifi->ifi_index, 9);
	ck_assert_uint_eq(ifi->ifi_flags & ifi->ifi_change, IFF_UP);
	ck_assert_int_eq(nl_msg_attrs(&m.hdr, sizeof(*ifi), tb, IFLA_MAX), 0);
	memcpy(&mtu, RTA_DATA(tb[IFLA_MTU]), 4);
	ck_assert_uint_eq(mtu, 1400);
	sandbox_net_msg_link_del(&m, "tap0_husk");
	ck_assert_uint_eq(m.hdr.nlmsg_type, RTM_DELLINK);
	ck_assert_int_eq(nl_msg_attrs(&m.hdr, sizeof(*ifi), tb, IFLA_MAX), 0);
	ck_assert_str_eq(RTA_DATA(tb[IFLA_IFNAME]), "tap0_husk");
}
END_TEST

START_TEST(overflow_and_corrupt_attrs)
{
	static uint8_t big[600];
	const struct rtattr *tb[4];
	struct nl_msg m;
	uint8_t bad[8] = { 0 };
	struct rtattr *a = (struct rtattr *)bad;

	nl_msg_init(&m, RTM_NEWLINK, 0, NULL, 0);
	nl_put(&m, 1, big, sizeof(big));
	ck_assert(!m.overflow);
	nl_put(&m, 2, big, sizeof(big)); /* past NL_MSG_MAX */
	ck_assert(m.overflow);
	ck_assert_int_eq(nl_request(-1, &m), -EMSGSIZE); /* never sent */
	nl_msg_init(&m, RTM_NEWLINK, 0, NULL, 0);
	nl_nest_begin(&m, 1);
	ck_assert_int_eq(nl_request(-1, &m), -EMSGSIZE); /* an open nest */

	a->rta_len = 20; /* claims more than the 8 bytes there */
	a->rta_type = 1;
	ck_assert_int_eq(nl_attrs(bad, sizeof(bad), tb, 3), -EINVAL);
	a->rta_len = 8;
	ck_assert_int_eq(nl_attrs(bad, sizeof(bad), tb, 3), 0);
	ck_assert_ptr_eq(tb[1], a);
}
END_TEST

static void reply_link(struct nl_msg *m, int idx, const char *name, unsigned flags,
		       unsigned short type, uint32_t mtu)
{
	struct ifinfomsg ifi = { .ifi_index = idx, .ifi_flags = flags, .ifi_type = type };
	uint8_t mac[6] = { 0x02, 0x77, 0, 0, 0, (uint8_t)idx };

	nl_msg_init(m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_put_str(m, IFLA_IFNAME, name);
	nl_put(m, IFLA_ADDRESS, mac, sizeof(mac));
	nl_put_u32(m, IFLA_MTU, mtu);
}

static void reply_addr(struct nl_msg *m, int family, int idx, const char *addr, int plen, int scope)
{
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)family,
				 .ifa_index = (uint32_t)idx,
				 .ifa_prefixlen = (uint8_t)plen,
				 .ifa_scope = (uint8_t)scope };
	uint8_t bin[16];

	ck_assert_int_eq(inet_pton(family, addr, bin), 1);
	nl_msg_init(m, RTM_NEWADDR, 0, &ifa, sizeof(ifa));
	nl_put(m, IFA_ADDRESS, bin, family == AF_INET ? 4 : 16);
	if (family == AF_INET)
		nl_put(m, IFA_LOCAL, bin, 4);
}

static void reply_route(struct nl_msg *m, int family, const char *dst, int plen, const char *gw,
			int oif, int proto, int table)
{
	struct rtmsg rt = { .rtm_family = (uint8_t)family,
			    .rtm_dst_len = (uint8_t)plen,
			    .rtm_table = (uint8_t)table,
			    .rtm_protocol = (uint8_t)proto,
			    .rtm_type = RTN_UNICAST };
	uint8_t bin[16];
	size_t len = family == AF_INET ? 4 : 16;

	nl_msg_init(m, RTM_NEWROUTE, 0, &rt, sizeof(rt));
	if (dst) {
		ck_assert_int_eq(inet_pton(family, dst, bin), 1);
		nl_put(m, RTA_DST, bin, len);
	}
	if (gw) {
		ck_assert_int_eq(inet_pton(family, gw, bin), 1);
		nl_put(m, RTA_GATEWAY, bin, len);
	}
	nl_put_u32(m, RTA_OIF, (uint32_t)oif);
}

static void fill_info(struct sandbox_net_info *i)
{
	struct nl_msg m;

	memset(i, 0, sizeof(*i));
	reply_link(&m, 1, "lo", IFF_LOOPBACK | IFF_UP, ARPHRD_LOOPBACK, 65536);
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, i), 0);
	reply_link(&m, 2, "tap0_husk", IFF_UP, ARPHRD_ETHER, 1500); /* ours */
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, i), 0);
	reply_link(&m, 6, "tap1_husk", IFF_UP, ARPHRD_ETHER, 1500);
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, i), 0);
	reply_link(&m, 3, "ifb0", 0, ARPHRD_ETHER, 1500); /* down */
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, i), 0);
	reply_link(&m, 4, "eth0", IFF_UP, ARPHRD_ETHER, 1400);
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, i), 0);
	reply_link(&m, 5, "net1", IFF_UP, ARPHRD_ETHER, 9000); /* a second link */
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, i), 0);

	reply_addr(&m, AF_INET, 4, "10.77.0.2", 24, RT_SCOPE_UNIVERSE);
	sandbox_net_parse_addr(&m.hdr, i);
	reply_addr(&m, AF_INET6, 4, "fd00:77::2", 64, RT_SCOPE_UNIVERSE);
	sandbox_net_parse_addr(&m.hdr, i);
	reply_addr(&m, AF_INET6, 4, "fe80::77:ff:fe00:4", 64,
		   RT_SCOPE_LINK); /* guest makes its own */
	sandbox_net_parse_addr(&m.hdr, i);
	reply_addr(&m, AF_INET, 1, "127.0.0.1", 8, RT_SCOPE_HOST); /* not carried */
	sandbox_net_parse_addr(&m.hdr, i);
	reply_addr(&m, AF_INET, 5, "192.0.2.7", 28, RT_SCOPE_UNIVERSE);
	sandbox_net_parse_addr(&m.hdr, i);

	reply_route(&m, AF_INET, NULL, 0, "10.77.0.1", 4, RTPROT_BOOT, RT_TABLE_MAIN);
	sandbox_net_parse_route(&m.hdr, i);
	reply_route(&m, AF_INET, "10.77.0.0", 24, NULL, 4, RTPROT_KERNEL, RT_TABLE_MAIN);
	sandbox_net_parse_route(&m.hdr, i); /* follows from the address */
	reply_route(&m, AF_INET, "192.168.5.0", 24, NULL, 4, RTPROT_STATIC, RT_TABLE_MAIN);
	sandbox_net_parse_route(&m.hdr, i);
	reply_route(&m, AF_INET, "10.9.0.0", 16, "10.77.0.1", 5, RTPROT_BOOT, RT_TABLE_MAIN);
	sandbox_net_parse_route(&m.hdr, i); /* out of the second link */
	reply_route(&m, AF_INET, "10.7.0.0", 16, "10.77.0.1", 1, RTPROT_BOOT, RT_TABLE_MAIN);
	sandbox_net_parse_route(&m.hdr, i); /* out of lo: not carried */
	reply_route(&m, AF_INET, "10.8.0.0", 16, "10.77.0.1", 4, RTPROT_BOOT, 100);
	sandbox_net_parse_route(&m.hdr, i); /* a policy table */
	reply_route(&m, AF_INET6, NULL, 0, "fd00:77::1", 4, RTPROT_BOOT, RT_TABLE_MAIN);
	sandbox_net_parse_route(&m.hdr, i);
}

START_TEST(parse_dump_replies)
{
	static const uint8_t mac[6] = { 0x02, 0x77, 0, 0, 0, 4 };
	struct sandbox_net_info i;
	struct nl_msg m;

	fill_info(&i);
	ck_assert_uint_eq(i.nlinks, 2);
	ck_assert_str_eq(i.links[0].ifname, "eth0");
	ck_assert_int_eq(i.links[0].ifindex, 4);
	ck_assert_uint_eq(i.links[0].mtu, 1400);
	ck_assert_mem_eq(i.links[0].mac, mac, 6);
	ck_assert_int_eq(i.links[0].tap_fd, -1);
	ck_assert_uint_eq(i.links[0].naddrs, 2);
	ck_assert_str_eq(i.links[0].addrs[0], "10.77.0.2/24");
	ck_assert_str_eq(i.links[0].addrs[1], "fd00:77::2/64");
	ck_assert_str_eq(i.links[1].ifname, "net1");
	ck_assert_uint_eq(i.links[1].mtu, 9000);
	ck_assert_uint_eq(i.links[1].naddrs, 1);
	ck_assert_str_eq(i.links[1].addrs[0], "192.0.2.7/28");
	ck_assert_uint_eq(i.nroutes, 4);
	ck_assert_str_eq(i.routes[0].dest, "default");
	ck_assert_str_eq(i.routes[0].gw, "10.77.0.1");
	ck_assert_uint_eq(i.routes[0].link, 0);
	ck_assert_str_eq(i.routes[1].dest, "192.168.5.0/24");
	ck_assert_str_eq(i.routes[1].gw, "");
	ck_assert_str_eq(i.routes[2].dest, "10.9.0.0/16");
	ck_assert_uint_eq(i.routes[2].link, 1);
	ck_assert_str_eq(i.routes[3].gw, "fd00:77::1");

	/* More links than the VM takes: an error, not a silent subset. */
	reply_link(&m, 7, "net2", IFF_UP, ARPHRD_ETHER, 1500);
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, &i), 0);
	reply_link(&m, 8, "net3", IFF_UP, ARPHRD_ETHER, 1500);
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, &i), 0);
	reply_link(&m, 9, "net4", IFF_UP, ARPHRD_ETHER, 1500);
	ck_assert_int_eq(sandbox_net_parse_link(&m.hdr, &i), -ENOSPC);
}
END_TEST

static const char *jstr(yajl_val v, const char **path)
{
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);

	ck_assert_ptr_nonnull(s);
	return YAJL_GET_STRING(s);
}

START_TEST(configure_network_json)
{
	static const char *name[] = { "name", NULL }, *mac[] = { "mac", NULL },
			  *dest[] = { "destination", NULL }, *gw[] = { "gateway", NULL },
			  *dev[] = { "device", NULL };
	struct sandbox_net_info i;
	yajl_val v, ifs, iface, addrs, routes;
	char errbuf[128], *json;
	const char *ifs_path[] = { "interfaces", NULL }, *routes_path[] = { "routes", NULL };

	fill_info(&i);
	ck_assert_int_eq(sandbox_net_json(&i, NULL, &json), 0);
	v = yajl_tree_parse(json, errbuf, sizeof(errbuf));
	ck_assert_msg(v != NULL, "%s: %s", json, errbuf);
	ifs = yajl_tree_get(v, ifs_path, yajl_t_array);
	ck_assert_uint_eq(YAJL_GET_ARRAY(ifs)->len, 2);
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(ifs)->values[1], name), "eth1");
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(ifs)->values[1], mac), "02:77:00:00:00:05");
	iface = YAJL_GET_ARRAY(ifs)->values[0];
	ck_assert_str_eq(jstr(iface, name), "eth0");
	ck_assert_str_eq(jstr(iface, mac), "02:77:00:00:00:04");
	ck_assert_int_eq(YAJL_GET_INTEGER(yajl_tree_get(iface, (const char *[]){ "mtu", NULL },
							yajl_t_number)),
			 1400);
	addrs = yajl_tree_get(iface, (const char *[]){ "addresses", NULL }, yajl_t_array);
	ck_assert_uint_eq(YAJL_GET_ARRAY(addrs)->len, 2);
	ck_assert_str_eq(YAJL_GET_STRING(YAJL_GET_ARRAY(addrs)->values[1]), "fd00:77::2/64");
	routes = yajl_tree_get(v, routes_path, yajl_t_array);
	ck_assert_uint_eq(YAJL_GET_ARRAY(routes)->len, 4);
	/* The on-link route first, so that the gateways are reachable. */
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(routes)->values[0], dest), "192.168.5.0/24");
	ck_assert_ptr_null(yajl_tree_get(YAJL_GET_ARRAY(routes)->values[0], gw, yajl_t_string));
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(routes)->values[1], dest), "default");
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(routes)->values[1], gw), "10.77.0.1");
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(routes)->values[1], dev), "eth0");
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(routes)->values[2], dest), "10.9.0.0/16");
	ck_assert_str_eq(jstr(YAJL_GET_ARRAY(routes)->values[2], dev), "eth1");
	yajl_tree_free(v);
	free(json);
}
END_TEST

START_TEST(etc_files_payload)
{
	static const char hosts[] = "127.0.0.1\tlocalhost\n10.77.0.2\tweb \"x\"\n";
	static const char resolv[] = "# made by CNI\nnameserver 10.77.0.53\nnameserver fd00::53\n"
				     "search a.example b.example\noptions ndots:5 edns0\n";
	struct sandbox_net_etc etc = { .hosts = strdup(hosts),
				       .resolv = strdup(resolv),
				       .hostname = strdup("web-1\n") };
	char *out = NULL;
	yajl_val v;

	/* The payload: hosts escaped, resolv.conf split, the hostname's first word. */
	ck_assert_int_eq(sandbox_net_json(NULL, &etc, &out), 0);
	v = yajl_tree_parse(out, NULL, 0);
	ck_assert_msg(v != NULL, "%s", out);
	ck_assert_str_eq(jstr(v, (const char *[]){ "hosts", NULL }), hosts);
	ck_assert_str_eq(jstr(v, (const char *[]){ "hostname", NULL }), "web-1");
	ck_assert_ptr_nonnull(strstr(out, "\"interfaces\":[],\"routes\":[]"));
	ck_assert_ptr_nonnull(strstr(out, "\"dns\":{\"servers\":[\"10.77.0.53\",\"fd00::53\"],"
					  "\"searches\":[\"a.example\",\"b.example\"],"
					  "\"options\":[\"ndots:5\",\"edns0\"]}"));
	yajl_tree_free(v);
	free(out);
	sandbox_net_etc_clear(&etc);
}
END_TEST

START_TEST(resolv_domain_and_comments)
{
	struct sandbox_net_etc etc = { .resolv = strdup("; old style\ndomain corp.example\n"
							"nameserver 192.0.2.53 # the resolver\n"
							"nameserverX 192.0.2.99\n  options\n") };
	char *out;

	ck_assert_int_eq(sandbox_net_json(NULL, &etc, &out), 0);
	ck_assert_msg(strstr(out, "\"dns\":{\"servers\":[\"192.0.2.53\"],"
				  "\"searches\":[\"corp.example\"],\"options\":[]}") != NULL,
		      "%s", out);
	ck_assert_ptr_null(strstr(out, "hostname"));
	free(out);
	sandbox_net_etc_clear(&etc);
}
END_TEST

static int never_called(void *arg, struct husk_error **err)
{
	(void)err;
	*(int *)arg = 1;
	return 0;
}

START_TEST(missing_namespace)
{
	struct husk_error *err = NULL;
	int called = 0;
	char dir[] = "/tmp/husk-net-test-XXXXXX", state[64];
	FILE *f;

	ck_assert_int_eq(sandbox_net_run_in("/nonexistent/netns", never_called, &called, &err),
			 -ENOENT);
	ck_assert_int_eq(called, 0);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "/nonexistent/netns"));
	husk_error_free(err);

	/* delete's cleanup: a namespace already gone is nothing to undo. */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(sandbox_net_state_add(dir, "eth0", "tap0_husk", "/nonexistent/netns"), 0);
	snprintf(state, sizeof(state), "%s/husk-state", dir);
	f = fopen(state, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(state, sizeof(state), f));
	fclose(f);
	ck_assert_str_eq(state, "net eth0 tap0_husk /nonexistent/netns\n");
	sandbox_net_state_cleanup(dir);
	snprintf(state, sizeof(state), "%s/husk-state", dir);
	ck_assert_int_eq(unlink(state), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_net");
	TCase *msg = tcase_create("messages");
	TCase *parse = tcase_create("parse");

	tcase_add_test(msg, redirect_filter_bytes);
	tcase_add_test(msg, ingress_and_link_bytes);
	tcase_add_test(msg, overflow_and_corrupt_attrs);
	tcase_add_test(parse, parse_dump_replies);
	tcase_add_test(parse, configure_network_json);
	tcase_add_test(parse, etc_files_payload);
	tcase_add_test(parse, resolv_domain_and_comments);
	tcase_add_test(msg, missing_namespace);
	suite_add_tcase(s, msg);
	suite_add_tcase(s, parse);
	return s;
}

UNIT_MAIN()
