// SPDX-License-Identifier: Apache-2.0
/* t_network.c - CONFIGURE_NETWORK over rtnetlink, and the files it writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/suite.h"

static const char net_json[] =
	"{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:42\",\"mtu\":1400,"
	"\"addresses\":[\"10.200.0.2/24\",\"fd00:200::2/64\"]}],"
	"\"routes\":[{\"destination\":\"default\",\"gateway\":\"10.200.0.1\"},"
	"{\"destination\":\"10.201.0.0/16\",\"device\":\"eth0\"}],"
	"\"hostname\":\"podhost\",\"hosts\":\"127.0.0.1 localhost\\n10.200.0.2 podhost\\n\","
	"\"dns\":{\"servers\":[\"10.200.0.53\"],\"searches\":[\"example.test\"],\"options\":[\"ndots:2\"]}}";

static const char *const net_want[] = {
	"02:00:00:00:00:42\n",	    "1400\n",
	"inet 10.200.0.2/24",	    "inet6 fd00:200::2/64",
	"default via 10.200.0.1",   "10.201.0.0/16 dev eth0",
	"nameserver 10.200.0.53\n", "search example.test\n",
	"options ndots:2\n",	    "10.200.0.2 podhost\n",
};

void tests_network(struct suite *s)
{
	char why[512] = "", mounts[1024], root[1024];
	struct tspec t = {
		.sh = "cat /sys/class/net/eth0/address /sys/class/net/eth0/mtu; ip addr show eth0; "
		      "ip route; cat /etc/resolv.conf /etc/hosts"
	};
	struct tresult r;
	size_t i;

	if (!s->net) {
		suite_skip(s, "configure-network", "net", "no eth0 to configure (--net)");
		return;
	}
	if (!ok(s, HUSK_MSG_CONFIGURE_NETWORK, net_json, why)) {
		suite_fail(s, "configure-network", "%s", why);
		return;
	}
	snprintf(
		mounts, sizeof(mounts),
		",{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\",\"source\":\"%s/resolv.conf\",\"options\":[\"rbind\",\"ro\"]}"
		",{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"%s/hosts\",\"options\":[\"rbind\",\"ro\"]}",
		s->etc, s->etc);
	t.mounts_extra = mounts;
	/* the bind mount points are made in the root: in a VM, an overlay
	 * (the erofs image is read-only) */
	if (s->in_vm && s->ext4) {
		snprintf(root, sizeof(root),
			 "{\"lower\":[{\"source\":\"%s\",\"fstype\":\"erofs\"}],"
			 "\"upper\":{\"source\":\"%s\",\"fstype\":\"ext4\"}}",
			 s->erofs, s->ext4);
		t.rootfs_json = root;
	}
	if (run_container(s, "net", &t, NULL, 0, &r) < 0) {
		suite_fail(s, "configure-network", "%s", r.why);
		return;
	}
	for (i = 0; i < sizeof(net_want) / sizeof(net_want[0]); i++) {
		if (!r.out.data || !strstr(r.out.data, net_want[i])) {
			suite_fail(s, "configure-network", "no \"%s\" in \"%s\"", net_want[i],
				   r.out.data ? r.out.data : "");
			tresult_free(&r);
			return;
		}
	}
	suite_pass(s, "configure-network");
	tresult_free(&r);
}
