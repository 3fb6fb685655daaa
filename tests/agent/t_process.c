// SPDX-License-Identifier: Apache-2.0
/* t_process.c - a running container: exec, signals, close stdin, tty, pids. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/agent/suite.h"

static void t_exec(struct suite *s)
{
	struct ac_buf out = { 0 };
	long long st = -1;
	char why[512] = "";

	if (exec_run(s, "p-main", "e1", "tr '\\0' ' ' < /proc/1/cmdline; echo; hostname", &out, &st,
		     why) < 0)
		suite_fail(s, "exec", "%s", why);
	else if (st != 0 || !out.data || strcmp(out.data, "sleep 1000 \nmainhost\n"))
		suite_fail(s, "exec", "status %lld output \"%s\"", st, out.data ? out.data : "");
	else
		suite_pass(s, "exec");
	free(out.data);
	out = (struct ac_buf){ 0 };
	if (exec_run(s, "p-main", "e2", "exit 3", &out, &st, why) < 0 || st != 3)
		suite_fail(s, "exec-exit-code", "%s (status %lld)", why, st);
	else
		suite_pass(s, "exec-exit-code");
	free(out.data);
	out = (struct ac_buf){ 0 };
	/* not the container's init: a pid namespace's init ignores its own SIGKILL */
	if (exec_run(s, "p-main", "e2k", "kill -9 $$", &out, &st, why) < 0 || st != 137)
		suite_fail(s, "killed-by-signal", "%s (status %lld, wanted 137)", why, st);
	else
		suite_pass(s, "killed-by-signal");
	free(out.data);
}

static void t_kill(struct suite *s)
{
	char why[512] = "", json[256];
	struct ac_msg *w, *ev;

	if (!exec_create(s, "p-main", "e3", "exec sleep 1000", false, false, false, why) ||
	    !exec_start(s, "p-main", "e3", why)) {
		suite_fail(s, "signal-exec", "%s", why);
		return;
	}
	snprintf(json, sizeof(json), "{\"id\":\"p-main\",\"exec_id\":\"e3\",\"signal\":%d}",
		 SIGTERM);
	if (!ok(s, HUSK_MSG_SIGNAL, json, why) || !(w = wait_for(s, "p-main", "e3", why))) {
		suite_fail(s, "signal-exec", "%s", why);
		return;
	}
	if (ac_int(w, "signal", -1) != SIGTERM || ac_int(w, "exit_status", -1) != 128 + SIGTERM)
		suite_fail(s, "signal-exec", "WAIT said %s", w->payload);
	else
		suite_pass(s, "signal-exec");
	ac_msg_free(w);
	ev = ac_event(s->ac, HUSK_MSG_EVENT_EXIT, "p-main", "e3", 10000);
	if (!ev || ac_int(ev, "signal", -1) != SIGTERM)
		suite_fail(s, "exit-event", "no EXIT event for p-main/e3 with signal 15");
	else
		suite_pass(s, "exit-event");
	ac_msg_free(ev);
}

static void t_close_stdin(struct suite *s)
{
	char why[512] = "";
	struct ac_buf out = { 0 };
	int in, o;

	if (!exec_create(s, "p-main", "e4", "cat; echo closed", true, true, false, why) ||
	    (o = ac_bind(s->addr, "p-main", "e4", "stdout", why, 512)) < 0 ||
	    ac_bind(s->addr, "p-main", "e4", "stderr", why, 512) < 0 ||
	    (in = ac_bind(s->addr, "p-main", "e4", "stdin", why, 512)) < 0 ||
	    !exec_start(s, "p-main", "e4", why) || agent_write_all(in, "abc", 3) < 0 ||
	    !ok(s, HUSK_MSG_CLOSE_STDIN, "{\"id\":\"p-main\",\"exec_id\":\"e4\"}", why) ||
	    ac_pump(-1, NULL, 0, o, &out, -1, NULL, 20000) < 0) {
		suite_fail(s, "close-stdin", "%s", why[0] ? why : "output did not end");
		return;
	}
	if (!out.data || strcmp(out.data, "abcclosed\n"))
		suite_fail(s, "close-stdin", "output \"%s\"", out.data ? out.data : "");
	else
		suite_pass(s, "close-stdin");
	free(out.data);
}

/* Read from @fd until @want appears (or 20 s pass). */
static bool read_until(int fd, struct ac_buf *b, const char *want)
{
	char buf[4096];
	int i;

	for (i = 0; i < 200 && !(b->data && strstr(b->data, want)); i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			break;
		b->data = realloc(b->data, b->len + (size_t)n + 1);
		memcpy(b->data + b->len, buf, (size_t)n);
		b->len += (size_t)n;
		b->data[b->len] = '\0';
	}
	return b->data && strstr(b->data, want);
}

static void t_tty(struct suite *s)
{
	char why[512] = "";
	struct ac_buf out = { 0 };
	int in, o;

	if (!exec_create(s, "p-main", "e5",
			 "[ -t 0 ] && echo is-a-tty; tty; stty size; read x; stty size", true, true,
			 true, why) ||
	    (o = ac_bind(s->addr, "p-main", "e5", "stdout", why, 512)) < 0 ||
	    (in = ac_bind(s->addr, "p-main", "e5", "stdin", why, 512)) < 0 ||
	    !exec_start(s, "p-main", "e5", why)) {
		suite_fail(s, "tty", "%s", why);
		return;
	}
	if (!read_until(o, &out, "30 100")) {
		suite_fail(s, "tty", "no \"30 100\" in \"%s\"", out.data ? out.data : "");
	} else if (!ok(s, HUSK_MSG_RESIZE_PTY,
		       "{\"id\":\"p-main\",\"exec_id\":\"e5\",\"rows\":40,\"cols\":120}", why) ||
		   agent_write_all(in, "go\n", 3) < 0 || !read_until(o, &out, "40 120")) {
		suite_fail(s, "tty", "after resize: %s \"%s\"", why, out.data ? out.data : "");
	} else if (!strstr(out.data, "is-a-tty")) {
		suite_fail(s, "tty", "stdin is not a terminal: \"%s\"", out.data);
	} else if (!strstr(out.data, "/dev/pts/")) {
		/* the pty must come from the container's devpts, or ttyname fails */
		suite_fail(s, "tty", "tty(1) found no /dev/pts name: \"%s\"", out.data);
	} else {
		suite_pass(s, "tty");
	}
	close(in);
	close(o);
	free(out.data);
}

static void t_pids_and_end(struct suite *s, long long pid)
{
	char why[512] = "";
	struct ac_msg *m = must(s, HUSK_MSG_PIDS, "{\"id\":\"p-main\"}", why), *w;
	char needle[32];

	snprintf(needle, sizeof(needle), "%lld", pid);
	if (!m || !strstr(m->payload, needle))
		suite_fail(s, "pids", "%s (init pid %lld)", m ? m->payload : why, pid);
	else
		suite_pass(s, "pids");
	ac_msg_free(m);
	if (!ok(s, HUSK_MSG_SIGNAL, "{\"id\":\"p-main\",\"signal\":9,\"all\":true}", why) ||
	    !(w = wait_for(s, "p-main", "", why))) {
		suite_fail(s, "kill-container", "%s", why);
		return;
	}
	if (ac_int(w, "signal", -1) != 9)
		suite_fail(s, "kill-container", "WAIT said %s", w->payload);
	else
		suite_pass(s, "kill-container");
	ac_msg_free(w);
	m = ac_call(s->ac, HUSK_MSG_DELETE, "{\"id\":\"p-main\"}", 30000);
	w = ac_call(s->ac, HUSK_MSG_START, "{\"id\":\"p-main\"}", 30000);
	if (!m || m->hdr.type != HUSK_MSG_OK || !w || w->hdr.type != HUSK_MSG_ERROR ||
	    ac_int(w, "errno", 0) != 2)
		suite_fail(s, "delete", "DELETE %s, then START %s", m ? m->payload : "-",
			   w ? w->payload : "-");
	else
		suite_pass(s, "delete");
	ac_msg_free(m);
	ac_msg_free(w);
}

void tests_process(struct suite *s)
{
	struct tspec t = { .sh = "exec sleep 1000", .hostname = "mainhost" };
	char why[512] = "";
	long long pid = start_sleeper(s, "p-main", &t, why);

	if (pid < 0) {
		suite_fail(s, "exec", "container: %s", why);
		return;
	}
	t_exec(s);
	t_kill(s);
	t_close_stdin(s);
	t_tty(s);
	t_pids_and_end(s, pid);
}
