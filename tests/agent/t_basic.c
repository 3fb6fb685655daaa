// SPDX-License-Identifier: Apache-2.0
/* t_basic.c - one process per container: output, exit status, identity, limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/suite.h"

static void expect(struct suite *s, const char *name, const struct tspec *t, const char *in,
		   size_t in_len, const char *out, const char *err, long long status, long long sig)
{
	struct tresult r;
	char id[64];

	snprintf(id, sizeof(id), "b-%s", name);
	if (run_container(s, id, t, in, in_len, &r) < 0)
		suite_fail(s, name, "%s", r.why);
	else if (out && strcmp(r.out.data ? r.out.data : "", out))
		suite_fail(s, name, "stdout \"%s\", wanted \"%s\"", r.out.data ? r.out.data : "",
			   out);
	else if (err && strcmp(r.err.data ? r.err.data : "", err))
		suite_fail(s, name, "stderr \"%s\", wanted \"%s\"", r.err.data ? r.err.data : "",
			   err);
	else if (r.exit_status != status || r.signal != sig)
		suite_fail(s, name, "exit_status %lld signal %lld, wanted %lld and %lld",
			   r.exit_status, r.signal, status, sig);
	else
		suite_pass(s, name);
	tresult_free(&r);
}

static void t_stdin_eof(struct suite *s)
{
	size_t len = 300000, i;
	char *in = malloc(len + 1);
	struct tspec t = { .sh = "cat; echo done >&2" };
	struct tresult r;

	for (i = 0; i < len; i++)
		in[i] = (char)('a' + i % 26 + (i % 1000 == 999 ? -('a' + i % 26) + '\n' : 0));
	in[len] = '\0';
	if (run_container(s, "b-stdin", &t, in, len, &r) < 0)
		suite_fail(s, "stdin-to-eof", "%s", r.why);
	else if (r.out.len != len || memcmp(r.out.data, in, len))
		suite_fail(s, "stdin-to-eof", "got %zu bytes back, sent %zu (or they differ)",
			   r.out.len, len);
	else if (!r.err.data || strcmp(r.err.data, "done\n") || r.exit_status != 0)
		suite_fail(s, "stdin-to-eof", "cat did not end after EOF (stderr \"%s\")",
			   r.err.data ? r.err.data : "");
	else
		suite_pass(s, "stdin-to-eof");
	tresult_free(&r);
	free(in);
}

static void tests_limits(struct suite *s);

void tests_basic(struct suite *s)
{
	struct tspec t;

	t = (struct tspec){ .sh = "echo hello; echo to-err >&2" };
	expect(s, "output-bytes", &t, NULL, 0, "hello\n", "to-err\n", 0, 0);
	t = (struct tspec){ .sh = "printf 'a\\0b'" };
	{
		struct tresult r;

		if (run_container(s, "b-nul", &t, NULL, 0, &r) < 0)
			suite_fail(s, "output-nul-byte", "%s", r.why);
		else if (r.out.len != 3 || memcmp(r.out.data, "a\0b", 3))
			suite_fail(s, "output-nul-byte", "got %zu bytes", r.out.len);
		else
			suite_pass(s, "output-nul-byte");
		tresult_free(&r);
	}
	t = (struct tspec){ .sh = "exit 0" };
	expect(s, "exit-0", &t, NULL, 0, "", "", 0, 0);
	t = (struct tspec){ .sh = "exit 42" };
	expect(s, "exit-nonzero", &t, NULL, 0, "", "", 42, 0);
	t = (struct tspec){ .sh = "echo \"$FOO|$BAR|$HOME\"",
			    .env = "\"FOO=foo value\",\"BAR=b=c\"" };
	expect(s, "env", &t, NULL, 0, "foo value|b=c|/root\n", "", 0, 0);
	t = (struct tspec){ .sh = "pwd", .cwd = "/tmp" };
	expect(s, "cwd", &t, NULL, 0, "/tmp\n", "", 0, 0);
	t = (struct tspec){
		.sh = "id -u; id -g; id -G", .uid = 65534, .gid = 65534, .gids = "10,20"
	};
	expect(s, "uid-gid-groups", &t, NULL, 0, "65534\n65534\n65534 10 20\n", "", 0, 0);
	t = (struct tspec){ .sh = "id -u; id -G; echo $HOME", .username = "\"nobody\"" };
	expect(s, "username-from-passwd", &t, NULL, 0, "65534\n65534 4242\n/\n", "", 0, 0);
	t = (struct tspec){ .sh = "echo x", .username = "\"nosuchuser\"" };
	{
		struct tresult r;

		if (run_container(s, "b-nouser", &t, NULL, 0, &r) == 0 ||
		    !strstr(r.why, "nosuchuser"))
			suite_fail(s, "unknown-user-fails-start",
				   "START did not fail naming the user: %s", r.why);
		else
			suite_pass(s, "unknown-user-fails-start");
		tresult_free(&r);
	}
	t_stdin_eof(s);
	tests_limits(s);
}

/* rlimits, no_new_privs, capabilities, read-only root, masked paths, /dev. */
static void tests_limits(struct suite *s)
{
	struct tspec t;

	t = (struct tspec){
		.sh = "ulimit -n; grep NoNewPrivs /proc/self/status; grep CapBnd /proc/self/status",
		.process_extra =
			",\"noNewPrivileges\":true,\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":321,\"hard\":654}],"
			"\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
			"\"permitted\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"inheritable\":[],\"ambient\":[]}"
	};
	expect(s, "rlimit-nnp-caps", &t, NULL, 0,
	       "321\nNoNewPrivs:\t1\nCapBnd:\t0000000000000021\n", "", 0, 0);
	t = (struct tspec){
		.sh = "touch /x 2>/dev/null && echo rw || echo ro; echo ok > /tmp/y && cat /tmp/y; "
		      "wc -c < /proc/cmdline; ls /sys/firmware | wc -l; "
		      "(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null || echo sys-ro",
		.readonly = true,
		.masked = "\"/proc/cmdline\",\"/sys/firmware\""
	};
	expect(s, "readonly-root-masked-paths", &t, NULL, 0, "ro\nok\n0\n0\nsys-ro\n", "", 0, 0);
	/* /proc/sys is in readonlyPaths (spec_build): the sysctl goes in first */
	t = (struct tspec){
		.sh = "cat /proc/sys/kernel/domainname; "
		      "(echo x > /proc/sys/kernel/domainname) 2>/dev/null || echo sys-ro",
		.linux_extra = ",\"sysctl\":{\"kernel.domainname\":\"husk.test\"}"
	};
	expect(s, "sysctl-then-readonly-proc-sys", &t, NULL, 0, "husk.test\nsys-ro\n", "", 0, 0);
	t = (struct tspec){
		.sh = "hostname; ls /dev/null /dev/zero /dev/pts/ptmx >/dev/null && echo devs",
		.hostname = "box1"
	};
	expect(s, "hostname-and-dev", &t, NULL, 0, "box1\ndevs\n", "", 0, 0);
	/* A device below a folder /dev does not have (runc makes the folder). */
	t = (struct tspec){ .sh = "stat -c '%F %t:%T %a' /dev/net/tun /dev/input/event7",
			    .linux_extra =
				    ",\"devices\":["
				    "{\"path\":\"/dev/net/tun\",\"type\":\"c\",\"major\":10,"
				    "\"minor\":200,\"fileMode\":438},"
				    "{\"path\":\"/dev/input/event7\",\"type\":\"c\",\"major\":13,"
				    "\"minor\":71,\"fileMode\":432}]" };
	expect(s, "device-in-new-folder", &t, NULL, 0,
	       "character special file a:c8 666\ncharacter special file d:47 660\n", "", 0, 0);
}
