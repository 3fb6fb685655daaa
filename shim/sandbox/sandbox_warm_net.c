// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_warm_net.c - a warm spare's network: its VM boots with one
 * virtio-net interface without a tap (sandbox_boot.c; virtio-mmio devices
 * cannot be added to a running guest), and a pod whose network namespace
 * has one Ethernet link takes the spare by handing that link's tap to it
 * (husk_vm_net_attach). The tap, its tc redirection and what husk-init
 * then applies (the link's MAC, MTU, addresses, routes) are a cold boot's
 * (shim/net/sandbox_net.h); the interface's random MAC and unset MTU at
 * boot are replaced by the link's then. A sandbox without a network (or
 * with loopback only) leaves the interface tapless: link down, untouched
 * by husk-init, which configures only the interfaces it is told about.
 */
#include <string.h>

#include "common/error.h"
#include "husk.h"
#include "shim/base/oci_spec.h"
#include "shim/base/shim_log.h"
#include "shim/net/sandbox_net.h"
#include "shim/sandbox/sandbox.h"

static const char *warm_netns(const struct shim_create_req *req)
{
	const char *netns = req->spec->netns_path;

	return netns && *netns ? netns : NULL;
}

const char *sandbox_warm_net_misfit(struct sandbox *be, const struct shim_create_req *req,
				    struct sandbox_net **net)
{
	const char *netns = warm_netns(req);
	struct husk_error *e = NULL;

	*net = NULL;
	if (!netns)
		return NULL;
	if (!be->warm_net)
		return "the spare has no network interface";
	if (sandbox_net_read(netns, net, &e)) {
		/* The cold boot reads it again and reports what went wrong. */
		shim_info("warm VM: %s", husk_error_message(e));
		husk_error_free(e);
		return "its network namespace could not be read";
	}
	if (*net && (*net)->info.nlinks > 1)
		return "its network namespace has more than one interface";
	return NULL;
}

int sandbox_warm_net_take(struct sandbox *be, const struct shim_create_req *req,
			  struct sandbox_net *net, struct husk_error **err)
{
	const char *netns = warm_netns(req);
	struct sandbox_net_link *l;
	int ret = 0;

	if (!netns)
		return 0;
	be->net = net; /* the VM's teardown undoes what sandbox_net_make did */
	if (net) {
		ret = sandbox_net_make(net, req->bundle, err);
		l = &net->info.links[0];
		if (!ret)
			ret = husk_vm_net_attach(be->vm, 0, l->tap_fd, err);
		if (ret)
			return husk_err_wrap(err, "the warm VM's network");
		l->tap_fd = -1; /* closed by the call: libhusk has its own */
		shim_info("warm VM: %s's tap %s attached to its eth0", l->ifname, l->tap);
	}
	sandbox_port_forward_setup(be, netns);
	sandbox_port_forward_start(be);
	return 0;
}
