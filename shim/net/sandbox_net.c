// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_net.c - the tap and its redirection in the container's network
 * namespace (sandbox_net.h). Order of setup: read the interface (alone
 * for a warm VM's fit), create the tap, bring it up with the same MTU,
 * ingress qdiscs on both, then a mirred filter each way; a failure undoes
 * what was done.
 */
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/error.h"
#include "husk.h"
#include "shim/base/shim_log.h"
#include "shim/net/sandbox_net.h"

/* A non-persistent tap: it disappears when the last fd (libhusk's) closes. */
static int sandbox_net_tap_open(struct sandbox_net_link *l, size_t n, struct husk_error **err)
{
	struct ifreq ifr;

	snprintf(l->tap, sizeof(l->tap), SANDBOX_NET_TAP_FMT, (unsigned char)n);
	l->tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (l->tap_fd < 0)
		return husk_err(err, errno, "open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", l->tap);
	/* libhusk's virtio-net wants the virtio header (offloads). */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(l->tap_fd, TUNSETIFF, &ifr) < 0)
		return husk_err(err, errno, "create tap %s", l->tap);
	l->tap_ifindex = (int)if_nametoindex(l->tap);
	if (!l->tap_ifindex)
		return husk_err(err, errno, "tap %s index", l->tap);
	return 0;
}

static int sandbox_net_plumb(int fd, struct sandbox_net_link *l, struct husk_error **err)
{
	struct nl_msg m;
	int ret;

	sandbox_net_msg_link_up(&m, l->tap_ifindex, l->mtu);
	ret = nl_request(fd, &m);
	if (ret)
		return husk_err(err, -ret, "set %s up with MTU %u", l->tap, l->mtu);
	sandbox_net_msg_ingress(&m, true, l->ifindex);
	ret = nl_request(fd, &m);
	if (ret)
		return husk_err(err, -ret, "ingress qdisc on %s", l->ifname);
	l->ingress = true;
	sandbox_net_msg_ingress(&m, true, l->tap_ifindex);
	ret = nl_request(fd, &m);
	if (ret)
		return husk_err(err, -ret, "ingress qdisc on %s", l->tap);
	sandbox_net_msg_redirect(&m, l->ifindex, l->tap_ifindex);
	ret = nl_request(fd, &m);
	if (ret)
		return husk_err(err, -ret, "redirect %s -> %s", l->ifname, l->tap);
	sandbox_net_msg_redirect(&m, l->tap_ifindex, l->ifindex);
	ret = nl_request(fd, &m);
	if (ret)
		return husk_err(err, -ret, "redirect %s -> %s", l->tap, l->ifname);
	return 0;
}

static int sandbox_net_query_in(void *arg, struct husk_error **err)
{
	struct sandbox_net *n = arg;
	int fd, ret;

	ret = nl_sock_open(&fd, err);
	if (ret)
		return ret;
	ret = sandbox_net_query(fd, &n->info, err);
	close(fd);
	return ret;
}

static int sandbox_net_plumb_in(void *arg, struct husk_error **err)
{
	struct sandbox_net *n = arg;
	int fd, ret;

	size_t k;

	ret = nl_sock_open(&fd, err);
	if (ret)
		return ret;
	for (k = 0; !ret && k < n->info.nlinks; k++) {
		ret = sandbox_net_tap_open(&n->info.links[k], k, err);
		if (!ret)
			ret = sandbox_net_plumb(fd, &n->info.links[k], err);
	}
	close(fd);
	return ret;
}

int sandbox_net_read(const char *netns, struct sandbox_net **out, struct husk_error **err)
{
	struct sandbox_net *n = calloc(1, sizeof(*n));
	int ret;

	*out = NULL;
	if (!n)
		return husk_err(err, ENOMEM, "network");
	snprintf(n->netns, sizeof(n->netns), "%s", netns);
	ret = sandbox_net_run_in(netns, sandbox_net_query_in, n, err);
	if (ret == -ENODEV) {
		/* As with runc: a namespace with only loopback gives just that. */
		shim_info("network namespace %s has no Ethernet link that is up: loopback only",
			  netns);
		if (err) {
			husk_error_free(*err);
			*err = NULL;
		}
		free(n);
		return 0;
	}
	if (ret) {
		free(n);
		return husk_err_wrap(err, "network namespace %s", netns);
	}
	*out = n;
	return 0;
}

int sandbox_net_make(struct sandbox_net *n, const char *bundle, struct husk_error **err)
{
	char tap[16];
	size_t k;
	int ret;

	/* Recorded before the first change, for `delete` after a crash. */
	for (k = 0; k < n->info.nlinks; k++) {
		snprintf(tap, sizeof(tap), SANDBOX_NET_TAP_FMT, (unsigned char)k);
		ret = sandbox_net_state_add(bundle, n->info.links[k].ifname, tap, n->netns);
		if (ret)
			shim_warn("record the network of %s: %s", bundle, strerror(-ret));
	}
	ret = sandbox_net_run_in(n->netns, sandbox_net_plumb_in, n, err);
	if (ret)
		return husk_err_wrap(err, "network namespace %s", n->netns);
	for (k = 0; k < n->info.nlinks; k++)
		shim_info("network: %s (MTU %u, %zu address(es)) <-> %s in %s",
			  n->info.links[k].ifname, n->info.links[k].mtu, n->info.links[k].naddrs,
			  n->info.links[k].tap, n->netns);
	return 0;
}

int sandbox_net_setup(const char *netns, const char *bundle, struct sandbox_net **out,
		      struct husk_error **err)
{
	int ret = sandbox_net_read(netns, out, err);

	if (ret || !*out)
		return ret;
	ret = sandbox_net_make(*out, bundle, err);
	if (ret) {
		sandbox_net_teardown(*out);
		*out = NULL;
	}
	return ret;
}

static int sandbox_net_teardown_in(void *arg, struct husk_error **err)
{
	struct sandbox_net *n = arg;
	size_t k;

	(void)err;
	for (k = 0; k < n->info.nlinks; k++)
		if (n->info.links[k].tap[0])
			sandbox_net_undo(n->info.links[k].ingress ? n->info.links[k].ifname : NULL,
					 n->info.links[k].tap, true);
	return 0;
}

void sandbox_net_teardown(struct sandbox_net *n)
{
	struct husk_error *err = NULL;
	size_t k;

	if (!n)
		return;
	for (k = 0; k < n->info.nlinks; k++)
		if (n->info.links[k].tap_fd >= 0)
			close(n->info.links[k].tap_fd);
	if (sandbox_net_run_in(n->netns, sandbox_net_teardown_in, n, &err))
		shim_debug("network teardown: %s", husk_error_message(err));
	husk_error_free(err);
	free(n);
}
