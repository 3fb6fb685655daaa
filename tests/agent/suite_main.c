// SPDX-License-Identifier: Apache-2.0
/*
 * suite_main.c - the husk-init test suite, as a client of a running
 * husk-init (tests/agent/run-suite starts one):
 *
 *   agent-suite --connect unix:PATH|vsock:CID:PORT|hvsock:PATH:PORT
 *               (--rootfs DIR | --in-vm --erofs DEV)
 *               [--etc DIR] [--erofs DEV] [--ext4 DEV] [--net] [--share DIR]
 *               [--require cgroup,blk,net,share] [--shutdown]
 *
 * --rootfs DIR: husk-init in test mode on this machine; containers bind
 * the busybox directory DIR. --in-vm: husk-init is a VM's init and its
 * files are not visible here; containers use the erofs image (--erofs,
 * as the guest names the device) as their read-only root, or with
 * --ext4 as overlay upper where a test must write to the root, and
 * whatever a test reads from the guest it reads through a container.
 * --etc is where husk-init writes hosts and resolv.conf, as husk-init
 * sees it (default: /etc in a VM). --share DIR is this machine's view of
 * husk-init's share (HUSK_AGENT_SHARE_DIR): husk-init's own --share in
 * test mode, the folder virtiofsd serves for a VM.
 *
 *   agent-suite --probe ADDR      exit 0 when husk-init answers HELLO at ADDR
 *
 * One line per test: "ok agent/NAME", "FAIL agent/NAME: why", or
 * "not run: agent/NAME: why" when this machine lacks what it needs (a
 * failure instead when --require names that feature). Exit 1 on any FAIL.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/suite.h"

static int suite_args(struct suite *s, int argc, char **argv, bool *shutdown)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "rootfs", required_argument, NULL, 'r' },
		{ "etc", required_argument, NULL, 'e' },
		{ "erofs", required_argument, NULL, 'o' },
		{ "ext4", required_argument, NULL, 'x' },
		{ "require", required_argument, NULL, 'q' },
		{ "net", no_argument, NULL, 'n' },
		{ "shutdown", no_argument, NULL, 's' },
		{ "in-vm", no_argument, NULL, 'v' },
		{ "share", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			s->addr = optarg;
			break;
		case 'r':
			s->rootfs = optarg;
			break;
		case 'e':
			s->etc = optarg;
			break;
		case 'o':
			s->erofs = optarg;
			break;
		case 'x':
			s->ext4 = optarg;
			break;
		case 'q':
			s->require = optarg;
			break;
		case 'n':
			s->net = true;
			break;
		case 's':
			*shutdown = true;
			break;
		case 'v':
			s->in_vm = true;
			break;
		case 'S':
			s->share = optarg;
			break;
		default:
			return -1;
		}
	}
	if (s->in_vm && !s->etc)
		s->etc = "/etc";
	return s->addr && (s->in_vm ? s->erofs != NULL : s->rootfs != NULL) ? 0 : -1;
}

/* What husk-init said about cgroups in its HELLO reply. */
static void suite_hello(struct suite *s)
{
	struct ac_msg *m = ac_call(s->ac, HUSK_MSG_HELLO, "{\"version\":1}", 10000);

	if (m && m->hdr.type == HUSK_MSG_OK) {
		const char *mode = ac_str(m, "mode"), *want = s->in_vm ? "vm" : "test";

		s->cgroup = ac_bool(m, "cgroup");
		s->memory = s->cgroup && strstr(m->payload, "\"memory\"");
		printf("agent-suite: %s\n", m->payload);
		if (!mode || strcmp(mode, want))
			suite_fail(s, "hello", "mode \"%s\", wanted \"%s\"", mode ? mode : "",
				   want);
		else
			suite_pass(s, "hello");
	} else {
		suite_fail(s, "hello", "%s", m ? m->payload : "no reply");
	}
	ac_msg_free(m);
}

/*
 * With a container still running: SHUTDOWN deletes it and syncs before
 * its reply, which says so ({"synced": true}); the caller then checks
 * that husk-init ends (test mode: exit 0; a VM: the VMM's exit).
 */
static void suite_shutdown(struct suite *s)
{
	struct tspec t = { .sh = "exec sleep 1000" };
	char why[512] = "";
	struct ac_msg *m;

	if (start_sleeper(s, "shutdown-left", &t, why) < 0) {
		suite_fail(s, "shutdown-reply", "a container to leave running: %s", why);
		return;
	}
	m = ac_call(s->ac, HUSK_MSG_SHUTDOWN, "{}", 30000);
	if (m && m->hdr.type == HUSK_MSG_OK && ac_bool(m, "synced"))
		suite_pass(s, "shutdown-reply");
	else
		suite_fail(s, "shutdown-reply", "wanted OK {\"synced\": true}, got %s",
			   m ? m->payload : "no reply");
	ac_msg_free(m);
}

int main(int argc, char **argv)
{
	struct suite s = { 0 };
	bool shutdown = false;

	if (argc == 3 && !strcmp(argv[1], "--probe")) { /* does HELLO answer? */
		s.ac = ac_open(argv[2]);
		if (s.ac)
			ac_close(s.ac);
		return s.ac ? 0 : 1;
	}
	if (suite_args(&s, argc, argv, &shutdown) < 0) {
		fprintf(stderr,
			"usage: agent-suite --connect ADDR (--rootfs DIR | --in-vm --erofs DEV) "
			"[--etc DIR] [--erofs DEV] [--ext4 DEV] [--net] [--share DIR] [--require LIST] [--shutdown]\n");
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
	tests_relay(&s);
	tests_steps(&s);
	tests_isolation(&s);
	tests_pod(&s);
	tests_cgroup(&s);
	tests_rootfs(&s);
	tests_network(&s);
	tests_files(&s);
	tests_share(&s);
	tests_share_root(&s);
	tests_forward(&s);
	tests_malformed(&s);
	if (shutdown)
		suite_shutdown(&s);
	ac_close(s.ac);
	printf("agent-suite: %d passed, %d failed, %d not run\n", s.passed, s.failed, s.skipped);
	return s.failed ? 1 : 0;
}
