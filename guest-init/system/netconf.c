// SPDX-License-Identifier: Apache-2.0
/*
 * netconf.c - CONFIGURE_NETWORK: interfaces (MAC and MTU set while the
 * link is down, as some drivers require), addresses, routes, then the
 * hostname and the files containers bind in: hosts, resolv.conf and
 * hostname under the agent's etc folder, each replaced atomically.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest-init/system/system.h"

static int netconf_iface(const struct amsg_iface *i, struct husk_error **e)
{
	int idx = (int)if_nametoindex(i->name);
	size_t a;

	if (!idx)
		return husk_err(e, ENODEV, "interface %s", i->name);
	if ((i->mac || i->mtu) && net_link_set(idx, NULL, 0, false, e) < 0)
		return husk_err_wrap(e, "%s", i->name);
	if (net_link_set(idx, i->mac, (unsigned int)i->mtu, true, e) < 0)
		return husk_err_wrap(e, "%s", i->name);
	for (a = 0; i->addrs && i->addrs[a]; a++)
		if (net_addr_add(idx, i->addrs[a], e) < 0)
			return husk_err_wrap(e, "%s", i->name);
	return 0;
}

static int netconf_route(const struct amsg_route *r, struct husk_error **e)
{
	int idx = 0;

	if (r->device) {
		idx = (int)if_nametoindex(r->device);
		if (!idx)
			return husk_err(e, ENODEV, "route device %s", r->device);
	}
	return net_route_add(r->dest, r->gateway, idx, e);
}

/* Write @name under etc_dir through a temporary file and rename(2). */
static int netconf_file(const char *etc_dir, const char *name, const char *text,
			struct husk_error **e)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", etc_dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.husk", etc_dir, name);
	f = fopen(tmp, "we");
	if (!f)
		return husk_err(e, errno, "create %s", tmp);
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		husk_err(e, errno, "write %s", path);
		unlink(tmp);
		return -husk_error_errno(*e);
	}
	return 0;
}

static void netconf_line(char *buf, size_t size, const char *word, const char **list, bool one_line)
{
	size_t i;

	for (i = 0; list && list[i]; i++) {
		size_t len = strlen(buf);

		if (one_line)
			snprintf(buf + len, size - len, "%s%s", i ? " " : word, list[i]);
		else
			snprintf(buf + len, size - len, "%s%s\n", word, list[i]);
	}
	if (one_line && list && list[0] && strlen(buf) + 1 < size)
		strcat(buf, "\n");
}

static int netconf_resolv(const char *etc_dir, const struct amsg_net *n, struct husk_error **e)
{
	char buf[4096] = "";

	if (!n->dns_servers && !n->dns_searches && !n->dns_options)
		return 0;
	netconf_line(buf, sizeof(buf), "nameserver ", n->dns_servers, false);
	netconf_line(buf, sizeof(buf), "search ", n->dns_searches, true);
	netconf_line(buf, sizeof(buf), "options ", n->dns_options, true);
	return netconf_file(etc_dir, "resolv.conf", buf, e);
}

int netconf_apply(const char *etc_dir, const struct amsg_net *n, struct husk_error **e)
{
	char host[80];
	size_t i;

	for (i = 0; i < n->nifaces; i++)
		if (netconf_iface(&n->ifaces[i], e) < 0)
			return -husk_error_errno(*e);
	for (i = 0; i < n->nroutes; i++)
		if (netconf_route(&n->routes[i], e) < 0)
			return -husk_error_errno(*e);
	if (util_mkdir_p(etc_dir, 0755, e) < 0)
		return -husk_error_errno(*e);
	if (n->hostname) {
		if (sethostname(n->hostname, strlen(n->hostname)) < 0)
			return husk_err(e, errno, "sethostname %s", n->hostname);
		snprintf(host, sizeof(host), "%s\n", n->hostname);
		if (netconf_file(etc_dir, "hostname", host, e) < 0)
			return -husk_error_errno(*e);
	}
	if (n->hosts && netconf_file(etc_dir, "hosts", n->hosts, e) < 0)
		return -husk_error_errno(*e);
	return netconf_resolv(etc_dir, n, e);
}
