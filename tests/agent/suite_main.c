// SPDX-License-Identifier: Apache-2.0
/*
 * suite_main.c - the husk-init test suite, as a client of a running
 * husk-init (tests/agent/run-suite starts one):
 *
 *   agent-suite --connect unix:PATH|vsock:CID:PORT --rootfs DIR
 *               [--etc DIR] [--erofs DEV] [--ext4 DEV] [--net]
 *               [--require cgroup,blk,net] [--shutdown]
 *
 * One line per test: "ok agent/NAME", "FAIL agent/NAME: why", or
 * "not run: agent/NAME: why" when this machine lacks what it needs (a
 * failure instead when --require names that feature). Exit 1 on any FAIL.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

static int suite_args(struct suite *s, int argc, char **argv, bool *shutdown)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' }, { "rootfs", required_argument, NULL, 'r' },
		{ "etc", required_argument, NULL, 'e' },     { "erofs", required_argument, NULL, 'o' },
		{ "ext4", required_argument, NULL, 'x' },    { "require", required_argument, NULL, 'q' },
		{ "net", no_argument, NULL, 'n' },           { "shutdown", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': s->addr = optarg; break;
		case 'r': s->rootfs = optarg; break;
		case 'e': s->etc = optarg; break;
		case 'o': s->erofs = optarg; break;
		case 'x': s->ext4 = optarg; break;
		case 'q': s->require = optarg; break;
		case 'n': s->net = true; break;
		case 's': *shutdown = true; break;
		default: return -1;
		}
	}
	return s->addr && s->rootfs ? 0 : -1;
}

/* What husk-init said about cgroups in its HELLO reply. */
static void suite_hello(struct suite *s)
{
	struct ac_msg *m = ac_call(s->ac, HUSK_MSG_HELLO, "{\"version\":1}", 10000);

	if (m && m->hdr.type == HUSK_MSG_OK) {
		s->cgroup = ac_bool(m, "cgroup");
		s->memory = s->cgroup && strstr(m->payload, "\"memory\"");
		printf("agent-suite: %s\n", m->payload);
		suite_pass(s, "hello");
	} else {
		suite_fail(s, "hello", "%s", m ? m->payload : "no reply");
	}
	ac_msg_free(m);
}

static void suite_shutdown(struct suite *s)
{
	struct ac_msg *m = ac_call(s->ac, HUSK_MSG_SHUTDOWN, "{}", 30000);

	if (m && m->hdr.type == HUSK_MSG_OK)
		suite_pass(s, "shutdown-reply");
	else
		suite_fail(s, "shutdown-reply", "%s", m ? m->payload : "no reply");
	ac_msg_free(m);
}

int main(int argc, char **argv)
{
	struct suite s = { 0 };
	bool shutdown = false;

	if (suite_args(&s, argc, argv, &shutdown) < 0) {
		fprintf(stderr, "usage: agent-suite --connect ADDR --rootfs DIR [--etc DIR] [--erofs DEV] "
			"[--ext4 DEV] [--net] [--require LIST] [--shutdown]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	s.ac = ac_open(s.addr);
	if (!s.ac) {
		printf("FAIL agent/connect: cannot reach husk-init at %s\n", s.addr);
		return 1;
	}
	suite_hello(&s);
	tests_basic(&s);
	tests_process(&s);
	tests_isolation(&s);
	tests_cgroup(&s);
	tests_rootfs(&s);
	tests_network(&s);
	tests_malformed(&s);
	if (shutdown)
		suite_shutdown(&s);
	ac_close(s.ac);
	printf("agent-suite: %d passed, %d failed, %d not run\n", s.passed, s.failed, s.skipped);
	return s.failed ? 1 : 0;
}
