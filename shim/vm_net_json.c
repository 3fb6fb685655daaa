// SPDX-License-Identifier: Apache-2.0
/* vm_net_json.c - the CONFIGURE_NETWORK payload for the guest's eth0 (vm_net.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm_net.h"

/*
 * Every string here came from inet_ntop(), the kernel's interface name
 * rules or fixed text: no character needs JSON escaping.
 */
static void vm_net_json_addrs(FILE *f, const struct vm_net_info *i)
{
	size_t k;

	for (k = 0; k < i->naddrs; k++)
		fprintf(f, "%s\"%s\"", k ? "," : "", i->addrs[k]);
}

/*
 * On-link routes go first: the guest adds routes in order, and a route
 * through a gateway needs the gateway reachable already.
 */
static void vm_net_json_routes(FILE *f, const struct vm_net_info *i)
{
	const struct vm_net_route *r;
	bool first = true;
	int pass;
	size_t k;

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < i->nroutes; k++) {
			r = &i->routes[k];
			if (!r->gw[0] != !pass)
				continue;
			fprintf(f, "%s{\"destination\":\"%s\",\"device\":\"%s\"", first ? "" : ",",
				r->dest, VM_NET_GUEST_IF);
			if (r->gw[0])
				fprintf(f, ",\"gateway\":\"%s\"", r->gw);
			fputc('}', f);
			first = false;
		}
	}
}

int vm_net_json(const struct vm_net_info *i, char **out)
{
	const uint8_t *m = i->mac;
	size_t len;
	FILE *f = open_memstream(out, &len);

	if (!f)
		return -ENOMEM;
	fprintf(f, "{\"interfaces\":[{\"name\":\"%s\",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\","
		"\"mtu\":%u,\"addresses\":[", VM_NET_GUEST_IF, m[0], m[1], m[2], m[3], m[4], m[5],
		i->mtu);
	vm_net_json_addrs(f, i);
	fputs("]}],\"routes\":[", f);
	vm_net_json_routes(f, i);
	fputs("]}", f);
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
