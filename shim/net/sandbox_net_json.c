// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_net_json.c - the CONFIGURE_NETWORK payload (sandbox_net.h): the guest's
 * eth<n> with link n's MAC, MTU and addresses, the routes, and the
 * network files the spec binds in (sandbox_net_etc.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/net/sandbox_net.h"
#include "shim/net/sandbox_net_etc.h"

#define SANDBOX_NET_HOSTNAME_MAX 64 /* what husk-init accepts */

/* A JSON string: file texts may hold quotes, backslashes, control bytes. */
static void sandbox_net_json_str(FILE *f, const char *s, size_t len)
{
	size_t k;

	fputc('"', f);
	for (k = 0; k < len; k++) {
		unsigned char c = (unsigned char)s[k];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/*
 * Interface names, inet_ntop() output and fixed text below need no
 * escaping.
 */
static void sandbox_net_json_iface(FILE *f, const struct sandbox_net_link *l, size_t n)
{
	const uint8_t *m = l->mac;
	size_t k;

	fprintf(f,
		"%s{\"name\":\"" SANDBOX_NET_GUEST_FMT "\",\"mac\":"
		"\"%02x:%02x:%02x:%02x:%02x:%02x\",\"mtu\":%u,\"addresses\":[",
		n ? "," : "", n, m[0], m[1], m[2], m[3], m[4], m[5], l->mtu);
	for (k = 0; k < l->naddrs; k++)
		fprintf(f, "%s\"%s\"", k ? "," : "", l->addrs[k]);
	fputs("]}", f);
}

/*
 * On-link routes go first: the guest adds routes in order, and a route
 * through a gateway needs the gateway reachable already.
 */
static void sandbox_net_json_routes(FILE *f, const struct sandbox_net_info *i)
{
	const struct sandbox_net_route *r;
	bool first = true;
	int pass;
	size_t k;

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < i->nroutes; k++) {
			r = &i->routes[k];
			if (!r->gw[0] != !pass)
				continue;
			fprintf(f,
				"%s{\"destination\":\"%s\",\"device\":\"" SANDBOX_NET_GUEST_FMT
				"\"",
				first ? "" : ",", r->dest, r->link);
			if (r->gw[0])
				fprintf(f, ",\"gateway\":\"%s\"", r->gw);
			fputc('}', f);
			first = false;
		}
	}
}

/* The words after @key on resolv.conf lines that start with @key. */
static void sandbox_net_json_resolv_list(FILE *f, const char *resolv, const char *key,
					 bool first_only)
{
	const char *line, *end, *w;
	size_t klen = strlen(key), n, wl;
	bool any = false;

	fputc('[', f);
	for (line = resolv; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		line += strspn(line, " \t");
		if (strncmp(line, key, klen) || !strchr(" \t", line[klen]) || line + klen >= end)
			continue;
		for (w = line + klen, n = 0; w < end; w += wl, n++) {
			w += strspn(w, " \t");
			wl = strcspn(w, " \t\n#;");
			if (!wl || (first_only && n))
				break;
			fputs(any ? "," : "", f);
			sandbox_net_json_str(f, w, wl);
			any = true;
		}
	}
	fputc(']', f);
}

static bool sandbox_net_json_resolv_has(const char *resolv, const char *key)
{
	size_t klen = strlen(key);
	const char *line;

	for (line = resolv; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		line += strspn(line, " \t");
		if (!strncmp(line, key, klen) && line[klen] && strchr(" \t", line[klen]))
			return true;
	}
	return false;
}

static void sandbox_net_json_etc(FILE *f, const struct sandbox_net_etc *etc)
{
	size_t hl;

	if (etc->hosts) {
		fputs(",\"hosts\":", f);
		sandbox_net_json_str(f, etc->hosts, strlen(etc->hosts));
	}
	if (etc->resolv) {
		fputs(",\"dns\":{\"servers\":", f);
		sandbox_net_json_resolv_list(f, etc->resolv, "nameserver", true);
		fputs(",\"searches\":", f);
		/* "domain" is the older one-name form of "search" */
		sandbox_net_json_resolv_list(f, etc->resolv,
					     sandbox_net_json_resolv_has(etc->resolv, "search") ?
						     "search" :
						     "domain",
					     false);
		fputs(",\"options\":", f);
		sandbox_net_json_resolv_list(f, etc->resolv, "options", false);
		fputc('}', f);
	}
	hl = etc->hostname ? strcspn(etc->hostname, " \t\r\n") : 0;
	if (hl && hl <= SANDBOX_NET_HOSTNAME_MAX) {
		fputs(",\"hostname\":", f);
		sandbox_net_json_str(f, etc->hostname, hl);
	}
}

int sandbox_net_json(const struct sandbox_net_info *i, const struct sandbox_net_etc *etc,
		     char **out)
{
	size_t len, k;
	FILE *f = open_memstream(out, &len);

	if (!f)
		return -ENOMEM;
	fputs("{\"interfaces\":[", f);
	for (k = 0; i && k < i->nlinks; k++)
		sandbox_net_json_iface(f, &i->links[k], k);
	fputs("],\"routes\":[", f);
	if (i)
		sandbox_net_json_routes(f, i);
	fputc(']', f);
	if (etc)
		sandbox_net_json_etc(f, etc);
	fputc('}', f);
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
