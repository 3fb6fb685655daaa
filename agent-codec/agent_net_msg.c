// SPDX-License-Identifier: Apache-2.0
/* agent_net_msg.c - decoding the CONFIGURE_NETWORK payload (see agent_net_msg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-codec/agent_net_msg.h"

static int amsg_iface(yajl_val v, struct amsg_iface *i, struct husk_error **e)
{
	if (json_member_string(v, "name", true, &i->name, e) < 0 ||
	    json_member_string(v, "mac", false, &i->mac, e) < 0 ||
	    json_member_int64(v, "mtu", &i->mtu, e) < 0 ||
	    json_member_strv(v, "addresses", &i->addrs, e) < 0)
		return -EINVAL;
	if (strlen(i->name) >= 16 || !i->name[0] || strchr(i->name, '/'))
		return husk_err(e, 0, "interface name \"%.40s\" is not valid", i->name);
	if (i->mtu < 0 || i->mtu > 65535)
		return husk_err(e, 0, "mtu %lld is out of range", (long long)i->mtu);
	return 0;
}

static int amsg_route(yajl_val v, struct amsg_route *r, struct husk_error **e)
{
	if (json_member_string(v, "destination", true, &r->dest, e) < 0 ||
	    json_member_string(v, "gateway", false, &r->gateway, e) < 0 ||
	    json_member_string(v, "device", false, &r->device, e) < 0)
		return -EINVAL;
	if (!r->gateway && !r->device)
		return husk_err(e, 0, "route to %.60s has neither gateway nor device", r->dest);
	return 0;
}

static int amsg_list(yajl_val arr, const char *what, size_t max, struct husk_error **e)
{
	if (!arr || YAJL_IS_NULL(arr))
		return 0;
	if (!YAJL_IS_ARRAY(arr) || arr->u.array.len > max)
		return husk_err(e, 0, "\"%s\" is not an array of at most %zu", what, max);
	return (int)arr->u.array.len;
}

static int amsg_dns(yajl_val dns, struct amsg_net *n, struct husk_error **e)
{
	if (dns && !YAJL_IS_OBJECT(dns))
		return husk_err(e, 0, "\"dns\" is not an object");
	if (json_member_strv(dns, "servers", &n->dns_servers, e) < 0 ||
	    json_member_strv(dns, "searches", &n->dns_searches, e) < 0 ||
	    json_member_strv(dns, "options", &n->dns_options, e) < 0)
		return husk_err_wrap(e, "dns");
	return 0;
}

int amsg_net_parse(yajl_val v, struct amsg_net *n, struct husk_error **e)
{
	yajl_val ifs = json_member(v, "interfaces"), routes = json_member(v, "routes");
	int cnt, i;

	cnt = amsg_list(ifs, "interfaces", AMSG_MAX_IFACES, e);
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt; i++, n->nifaces++)
		if (amsg_iface(ifs->u.array.values[i], &n->ifaces[i], e) < 0)
			return husk_err_wrap(e, "interfaces[%d]", i);
	cnt = amsg_list(routes, "routes", AMSG_MAX_ROUTES, e);
	if (cnt < 0)
		return cnt;
	for (i = 0; i < cnt; i++, n->nroutes++)
		if (amsg_route(routes->u.array.values[i], &n->routes[i], e) < 0)
			return husk_err_wrap(e, "routes[%d]", i);
	if (json_member_string(v, "hostname", false, &n->hostname, e) < 0 ||
	    json_member_string(v, "hosts", false, &n->hosts, e) < 0)
		return -EINVAL;
	if (n->hostname && strlen(n->hostname) > 64)
		return husk_err(e, 0, "hostname is longer than 64 bytes");
	return amsg_dns(json_member(v, "dns"), n, e);
}

void amsg_net_free(struct amsg_net *n)
{
	size_t i;

	for (i = 0; i < AMSG_MAX_IFACES; i++)
		free(n->ifaces[i].addrs);
	free(n->dns_servers);
	free(n->dns_searches);
	free(n->dns_options);
	memset(n, 0, sizeof(*n));
}
