/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_net_msg.h - the CONFIGURE_NETWORK payload of include/husk_agent.h,
 * decoded: interfaces, routes, hostname, hosts and DNS. agent_msg.c calls
 * amsg_net_parse() for that message type; this part knows nothing of the
 * other requests.
 */
#ifndef HUSK_AGENT_CODEC_NET_MSG_H
#define HUSK_AGENT_CODEC_NET_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "agent-codec/json.h"
#include "common/error.h"

#define AMSG_MAX_IFACES 8
#define AMSG_MAX_ROUTES 64

struct amsg_iface {
	const char *name, *mac;
	int64_t mtu;	    /* 0: leave */
	const char **addrs; /* "10.0.0.2/24", "fd00::2/64" */
};

struct amsg_route {
	const char *dest, *gateway, *device;
};

struct amsg_net {
	struct amsg_iface ifaces[AMSG_MAX_IFACES];
	size_t nifaces;
	struct amsg_route routes[AMSG_MAX_ROUTES];
	size_t nroutes;
	const char *hostname, *hosts;
	const char **dns_servers, **dns_searches, **dns_options;
};

/*
 * amsg_net_parse - decode the CONFIGURE_NETWORK object @v into @n (zeroed
 * by the caller); the strings stay owned by @v. 0 or -errno with @e set.
 */
int amsg_net_parse(yajl_val v, struct amsg_net *n, struct husk_error **e);
/* amsg_net_free - free the lists amsg_net_parse() allocated; zeroes @n. */
void amsg_net_free(struct amsg_net *n);

#endif
