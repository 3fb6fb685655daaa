// SPDX-License-Identifier: Apache-2.0
/* t_isolation.c - two containers in one VM do not see each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/suite.h"

static void t_delete(struct suite *s, const char *id)
{
	char json[128];

	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	ac_msg_free(ac_call(s->ac, HUSK_MSG_DELETE, json, 30000));
}

void tests_isolation(struct suite *s)
{
	struct tspec a = { .sh = "exec sleep 1001", .hostname = "host-a" };
	struct tspec b = { .sh = "exec sleep 1002", .hostname = "host-b" };
	const char *cmd = "cat /proc/[0-9]*/cmdline | tr '\\0' ' '; echo; hostname; "
			  "touch /tmp/mark-$(hostname); ls /tmp";
	struct ac_buf oa = { 0 }, ob = { 0 };
	long long st = -1;
	char why[512] = "";

	if (start_sleeper(s, "iso-a", &a, why) < 0 || start_sleeper(s, "iso-b", &b, why) < 0 ||
	    exec_run(s, "iso-a", "x", cmd, &oa, &st, why) < 0 ||
	    exec_run(s, "iso-b", "x", cmd, &ob, &st, why) < 0) {
		suite_fail(s, "two-containers-isolated", "%s", why);
	} else if (!strstr(oa.data, "sleep 1001") || strstr(oa.data, "sleep 1002") ||
		   !strstr(ob.data, "sleep 1002") || strstr(ob.data, "sleep 1001")) {
		suite_fail(s, "two-containers-isolated", "pid namespaces leak: A \"%s\" B \"%s\"",
			   oa.data, ob.data);
	} else if (!strstr(oa.data, "host-a\nmark-host-a\n") ||
		   !strstr(ob.data, "host-b\nmark-host-b\n")) {
		suite_fail(s, "two-containers-isolated", "uts or /tmp shared: A \"%s\" B \"%s\"",
			   oa.data, ob.data);
	} else {
		suite_pass(s, "two-containers-isolated");
	}
	free(oa.data);
	free(ob.data);
	t_delete(s, "iso-a");
	t_delete(s, "iso-b");
}
