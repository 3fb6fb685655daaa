// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_agent.c - shim/agent/agent_client.c and agent_frame.c against a
 * scripted husk-init on a socketpair: HELLO, replies matched by id while
 * events arrive in between, ERROR replies as errno + message, STDIO_BIND,
 * callers released when the connection dies, and against one that never
 * answers: deadlines per request kind, the error naming what timed out,
 * and the list of waiting requests; and against one that stops reading:
 * sending has the same deadline, and a half-sent frame closes the connection.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/agent/agent_client.h"
#include "common/error.h"
#include "agent-codec/json.h"
#include "shim/ttrpc/ttrpc.h"
#include "tests/lib/unit.h"

struct fake {
	int fd;
	int events; /* EXIT events seen by the callback */
	char exit_id[64];
	bool closed;
};

/* "[[[...]]]" @depth deep, malloc'd. */
static char *nested(size_t depth)
{
	char *s = malloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

/* The guest side: answer HELLO, then each request as the script says. */
static void *fake_guest(void *arg)
{
	struct fake *f = arg;
	struct husk_agent_hdr h;
	static const char ev[] = "{\"id\":\"c1\",\"exec_id\":\"\",\"exit_status\":3}";
	static const char er[] = "{\"errno\":3,\"message\":\"container c9: not found\"}";
	char *p;

	while (!agent_recv_frame(f->fd, 5000, &h, &p)) {
		if (h.type == HUSK_MSG_SIGNAL) {
			agent_send_frame(f->fd, HUSK_MSG_EVENT_EXIT, 0, ev, strlen(ev));
			agent_send_frame(f->fd, HUSK_MSG_OK, h.id, "", 0);
		} else if (h.type == HUSK_MSG_PIDS) {
			agent_send_frame(f->fd, HUSK_MSG_ERROR, h.id, er, strlen(er));
		} else if (h.type == HUSK_MSG_STATS) {
			/* A hostile guest: an event and a reply nested 100000 deep. */
			char *deep = nested(100000);

			agent_send_frame(f->fd, HUSK_MSG_EVENT_EXIT, 0, deep, strlen(deep));
			agent_send_frame(f->fd, HUSK_MSG_OK, h.id, deep, strlen(deep));
			free(deep);
		} else if (h.type == HUSK_MSG_SHUTDOWN) {
			free(p);
			break; /* no reply: the connection dies */
		} else {
			agent_send_frame(f->fd, HUSK_MSG_OK, h.id, "{\"pid\":42}", 10);
		}
		free(p);
	}
	shutdown(f->fd, SHUT_RDWR);
	return NULL;
}

static void on_event(void *opaque, uint16_t type, yajl_val v)
{
	struct fake *f = opaque;
	const char *id = "";

	if (type == HUSK_MSG_EVENT_EXIT) {
		json_string(json_member(v, "id"), "id", &id, NULL);
		snprintf(f->exit_id, sizeof(f->exit_id), "%s", id);
		__atomic_add_fetch(&f->events, 1, __ATOMIC_SEQ_CST);
	} else if (type == 0) {
		f->closed = true;
	}
}

START_TEST(calls_events_errors)
{
	struct fake f = { 0 };
	struct agent_client *c = NULL;
	struct husk_error *err = NULL;
	yajl_val reply = NULL;
	int64_t pid = 0;
	pthread_t t;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f.fd = sv[1];
	pthread_create(&t, NULL, fake_guest, &f);
	ck_assert_int_eq(agent_client_new(sv[0], on_event, &f, 5000, &c, &err), 0);
	ck_assert_int_eq(agent_call(c, HUSK_MSG_START, "{\"id\":\"c1\"}", 5000, &reply, &err), 0);
	json_int64(json_member(reply, "pid"), "pid", &pid, NULL);
	ck_assert_int_eq(pid, 42);
	yajl_tree_free(reply);
	/* The event comes before the reply and is delivered, not mistaken for it. */
	ck_assert_int_eq(agent_call(c, HUSK_MSG_SIGNAL, "{}", 5000, NULL, &err), 0);
	ck_assert_int_eq(f.events, 1);
	ck_assert_str_eq(f.exit_id, "c1");
	ck_assert_int_eq(agent_call(c, HUSK_MSG_PIDS, "{}", 5000, NULL, &err), -ESRCH);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "container c9: not found"));
	ck_assert_int_eq(husk_error_errno(err), ESRCH);
	/* Nesting beyond the protocol's limit: an error, no deep recursion; the
	 * event reaches the handler as no tree. */
	reply = NULL;
	ck_assert_int_eq(agent_call(c, HUSK_MSG_STATS, "{}", 5000, &reply, &err), -EINVAL);
	ck_assert_ptr_null(reply);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "nested deeper than 64 levels"));
	ck_assert_int_eq(f.events, 2);
	/* No reply ever: the caller is released when the connection ends. */
	ck_assert_int_eq(agent_call(c, HUSK_MSG_SHUTDOWN, NULL, 5000, NULL, &err), -ECONNRESET);
	ck_assert_int_eq(agent_call(c, HUSK_MSG_PIDS, "{}", 5000, NULL, &err), -ECONNRESET);
	pthread_join(t, NULL);
	agent_client_free(c);
	ck_assert(f.closed);
	close(sv[1]);
	husk_error_free(err);
}
END_TEST

static void *fake_bind(void *arg)
{
	int fd = *(int *)arg;
	struct husk_agent_hdr h;
	char *p;

	if (!agent_recv_frame(fd, 5000, &h, &p)) {
		if (h.type == HUSK_MSG_STDIO_BIND && strstr(p, "\"stream\":\"stdout\""))
			agent_send_frame(fd, HUSK_MSG_OK, h.id, "", 0);
		else
			agent_send_frame(fd, HUSK_MSG_ERROR, h.id,
					 "{\"errno\":22,\"message\":\"bad\"}", 29);
		free(p);
	}
	if (write(fd, "raw", 3) != 3)
		return NULL;
	return NULL;
}

START_TEST(stdio_bind)
{
	struct husk_error *err = NULL;
	char buf[8] = { 0 };
	pthread_t t;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pthread_create(&t, NULL, fake_bind, &sv[1]);
	ck_assert_int_eq(agent_stdio_bind(sv[0], "c1", NULL, "stdout", 5000, &err), 0);
	pthread_join(t, NULL);
	/* After OK the connection is raw bytes. */
	ck_assert_int_eq(read(sv[0], buf, 3), 3);
	ck_assert_str_eq(buf, "raw");
	close(sv[0]);
	close(sv[1]);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pthread_create(&t, NULL, fake_bind, &sv[1]);
	ck_assert_int_eq(agent_stdio_bind(sv[0], "c1", "e1", "stdin", 5000, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "STDIO_BIND"));
	pthread_join(t, NULL);
	close(sv[0]);
	close(sv[1]);
	husk_error_free(err);
}
END_TEST

/*
 * The halves: every stream's request goes out with no answer yet (the
 * shim binds a process's streams in one round trip), then each answer is
 * read on its own connection; one that never comes times out.
 */
START_TEST(stdio_bind_halves)
{
	static const char *const names[3] = { "stdin", "stdout", "stderr" };
	struct husk_error *err = NULL;
	struct husk_agent_hdr h;
	int sv[3][2], i;
	char *p;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[i]), 0);
		ck_assert_int_eq(agent_stdio_bind_send(sv[i][0], "c1", NULL, names[i], 5000, &err),
				 0);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(agent_recv_frame(sv[i][1], 5000, &h, &p), 0);
		ck_assert_int_eq(h.type, HUSK_MSG_STDIO_BIND);
		ck_assert_ptr_nonnull(strstr(p, names[i]));
		free(p);
	}
	agent_send_frame(sv[2][1], HUSK_MSG_OK, 1, "", 0);
	agent_send_frame(sv[0][1], HUSK_MSG_ERROR, 1, "{\"errno\":2,\"message\":\"no c1\"}", 29);
	ck_assert_int_eq(agent_stdio_bind_reply(sv[2][0], "c1", NULL, "stderr", 5000, &err), 0);
	ck_assert_int_eq(agent_stdio_bind_reply(sv[0][0], "c1", NULL, "stdin", 5000, &err),
			 -ENOENT);
	ck_assert_str_eq(husk_error_message(err), "STDIO_BIND stdin of c1/init: husk-init: no c1");
	ck_assert_int_eq(agent_stdio_bind_reply(sv[1][0], "c1", NULL, "stdout", 50, &err),
			 -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "STDIO_BIND stdout of c1/init"));
	for (i = 0; i < 3; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	husk_error_free(err);
}
END_TEST

/* A husk-init that says HELLO and then never answers anything. */
static void *fake_silent(void *arg)
{
	int fd = *(int *)arg;
	struct husk_agent_hdr h;
	char *p;
	int ret;

	while ((ret = agent_recv_frame(fd, -1, &h, &p)) == 0) {
		if (h.type == HUSK_MSG_HELLO)
			agent_send_frame(fd, HUSK_MSG_OK, h.id, "{}", 2);
		free(p);
	}
	return NULL;
}

struct waiter {
	struct agent_client *c;
	int ret;
	struct husk_error *err;
};

/* A WAIT: no deadline, released only by the connection's end. */
static void *call_wait(void *arg)
{
	struct waiter *w = arg;

	w->ret = agent_call(w->c, HUSK_MSG_WAIT, "{\"id\":\"c1\",\"exec_id\":\"e1\"}",
			    agent_deadline_ms(HUSK_MSG_WAIT), NULL, &w->err);
	return NULL;
}

/* Wait (up to 5 s) until @n requests are waiting; their list into @out. */
static size_t waits_reach(struct agent_client *c, size_t n, struct agent_wait_info *out)
{
	size_t got = 0;
	int i;

	for (i = 0; i < 500 && (got = agent_client_waits(c, out, 4)) != n; i++)
		usleep(10000);
	return got;
}

/*
 * Against a husk-init that never answers: a PAUSE ends at its deadline
 * with an error naming request, container and time, as DEADLINE_EXCEEDED
 * for containerd, and leaves no waiter behind; a WAIT has no deadline and
 * is listed while it waits (type, whom, age); the connection's end
 * releases it as UNAVAILABLE.
 */
START_TEST(silent_agent_deadlines)
{
	struct agent_wait_info info[4];
	struct husk_error *err = NULL;
	struct agent_client *c = NULL;
	struct waiter w = { 0 };
	pthread_t g, t;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pthread_create(&g, NULL, fake_silent, &sv[1]);
	ck_assert_int_eq(agent_client_new(sv[0], NULL, NULL, 5000, &c, &err), 0);
	w.c = c;
	pthread_create(&t, NULL, call_wait, &w);
	ck_assert_uint_eq(waits_reach(c, 1, info), 1);
	ck_assert_uint_eq(info[0].type, HUSK_MSG_WAIT);
	ck_assert_str_eq(info[0].subject, "c1 exec e1");
	ck_assert_int_ge(info[0].age_ms, 0);

	ck_assert_int_eq(agent_call(c, HUSK_MSG_PAUSE, "{\"id\":\"c1\",\"exec_id\":\"\"}", 1500,
				    NULL, &err),
			 -ETIMEDOUT);
	ck_assert_str_eq(husk_error_message(err),
			 "husk-init did not answer PAUSE for c1 within 2 s");
	ck_assert_int_eq(ttrpc_code_from_errno(husk_error_errno(err)), TTRPC_DEADLINE_EXCEEDED);
	/* The PAUSE is gone from the list; the WAIT (older) still waits. */
	ck_assert_uint_eq(agent_client_waits(c, info, 4), 1);
	ck_assert_uint_eq(info[0].type, HUSK_MSG_WAIT);
	ck_assert_int_ge(info[0].age_ms, 1000);

	shutdown(sv[1], SHUT_RDWR);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.ret, -ECONNRESET);
	ck_assert_str_eq(husk_error_message(w.err),
			 "WAIT for c1 exec e1: husk-init's connection ended before it answered");
	ck_assert_int_eq(ttrpc_code_from_errno(w.ret), TTRPC_UNAVAILABLE);
	ck_assert_uint_eq(agent_client_waits(c, info, 4), 0);
	agent_client_free(c);
	pthread_join(g, NULL);
	close(sv[1]);
	husk_error_free(w.err);
	husk_error_free(err);
}
END_TEST

/*
 * A husk-init that stops reading: it answers HELLO (when @hello), then
 * reads nothing until @go is written to, then answers every request OK
 * (but the filler) until the connection ends.
 */
#define FILLER_ID 1000 /* ids of the frames that fill the socket */
struct stalled {
	int fd;
	bool hello;
	int go[2]; /* a pipe: the test writes a byte to let it read again */
};

static void *fake_stalled(void *arg)
{
	struct stalled *g = arg;
	struct husk_agent_hdr h;
	char *p, b;

	if (g->hello && !agent_recv_frame(g->fd, 5000, &h, &p)) {
		agent_send_frame(g->fd, HUSK_MSG_OK, h.id, "{}", 2);
		free(p);
	}
	if (read(g->go[0], &b, 1) != 1)
		return NULL;
	while (!agent_recv_frame(g->fd, 5000, &h, &p)) {
		if (h.id < FILLER_ID) /* the test's own filler needs no answer */
			agent_send_frame(g->fd, HUSK_MSG_OK, h.id, "{}", 2);
		free(p);
	}
	return NULL;
}

static void stalled_start(struct stalled *g, int sv[2], bool hello, pthread_t *t)
{
	int one = 1;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* The smallest send buffer the kernel allows: a few frames fill it. */
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)), 0);
	ck_assert_int_eq(pipe(g->go), 0);
	g->fd = sv[1];
	g->hello = hello;
	pthread_create(t, NULL, fake_stalled, g);
}

/* The stalled husk-init reads again (if not told so already), ends; its fds go. */
static void stalled_stop(struct stalled *g, pthread_t t, bool told)
{
	if (!told)
		ck_assert_int_eq(write(g->go[1], "g", 1), 1);
	pthread_join(t, NULL);
	close(g->fd);
	close(g->go[0]);
	close(g->go[1]);
}

/* Whole PIDS frames into @fd until its buffer takes no more; how many. */
static int fill_with_frames(int fd)
{
	struct husk_agent_hdr h = { HUSK_AGENT_MAGIC, HUSK_AGENT_VERSION, HUSK_MSG_PIDS, 0, 2, 0 };
	uint8_t frame[HUSK_AGENT_HDR_SIZE + 2];
	int n;

	for (n = 0;; n++) {
		h.id = FILLER_ID + (uint64_t)n;
		husk_agent_hdr_encode(&h, frame);
		memcpy(frame + HUSK_AGENT_HDR_SIZE, "{}", 2);
		if (send(fd, frame, sizeof(frame), MSG_DONTWAIT) != (ssize_t)sizeof(frame))
			break;
	}
	ck_assert_int_eq(errno, EAGAIN);
	return n;
}

/* Until the reader saw the connection end (up to 5 s). */
static bool closed_within_5s(struct fake *f)
{
	int i;

	for (i = 0; i < 500 && !__atomic_load_n(&f->closed, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	return f->closed;
}

/*
 * A husk-init that reads nothing, with the socket's buffer full: the
 * request's send ends at its deadline, with an error naming the request
 * and the deadline, and no waiter left. Nothing of it went out, so the
 * connection goes on: once the guest reads again, the next request works.
 */
START_TEST(send_deadline_when_guest_stops_reading)
{
	struct agent_wait_info info[4];
	struct husk_error *err = NULL;
	struct agent_client *c = NULL;
	struct stalled g;
	pthread_t t;
	int sv[2];

	stalled_start(&g, sv, true, &t);
	ck_assert_int_eq(agent_client_new(sv[0], NULL, NULL, 5000, &c, &err), 0);
	ck_assert_int_gt(fill_with_frames(sv[0]), 0);
	ck_assert_int_eq(agent_call(c, HUSK_MSG_PAUSE, "{\"id\":\"c1\"}", 300, NULL, &err),
			 -ETIMEDOUT);
	ck_assert_str_eq(husk_error_message(err),
			 "send PAUSE for c1 to husk-init: timed out after 300 ms");
	ck_assert_int_eq(ttrpc_code_from_errno(husk_error_errno(err)), TTRPC_DEADLINE_EXCEEDED);
	ck_assert_uint_eq(agent_client_waits(c, info, 4), 0);

	ck_assert_int_eq(write(g.go[1], "g", 1), 1);
	ck_assert_int_eq(agent_call(c, HUSK_MSG_PAUSE, "{\"id\":\"c1\"}", 5000, NULL, &err), 0);
	agent_client_free(c);
	stalled_stop(&g, t, true);
	husk_error_free(err);
}
END_TEST

/*
 * A request larger than the socket's buffer to a husk-init that reads
 * nothing: part of the frame went out when the deadline passes, so the
 * stream is broken and the client hangs up (the reader ends, later
 * requests fail at once as the agent gone) instead of sending the next
 * frame into the middle of this one.
 */
START_TEST(send_deadline_partial_frame_hangs_up)
{
	struct fake f = { 0 };
	struct husk_error *err = NULL;
	struct agent_client *c = NULL;
	struct stalled g;
	char *json = malloc(256 * 1024);
	pthread_t t;
	int sv[2];

	memset(json, 'x', 256 * 1024);
	memcpy(json, "{\"id\":\"c1\",\"pad\":\"", 18);
	strcpy(json + 256 * 1024 - 3, "\"}");
	stalled_start(&g, sv, true, &t);
	ck_assert_int_eq(agent_client_new(sv[0], on_event, &f, 5000, &c, &err), 0);
	ck_assert_int_eq(agent_call(c, HUSK_MSG_CREATE, json, 300, NULL, &err), -ETIMEDOUT);
	ck_assert_str_eq(husk_error_message(err),
			 "send CREATE for c1 to husk-init: timed out after 300 ms"
			 " (part of it went out: connection closed)");
	ck_assert(closed_within_5s(&f));
	ck_assert_int_eq(agent_call(c, HUSK_MSG_PIDS, "{}", 5000, NULL, &err), -ECONNRESET);

	stalled_stop(&g, t, false);
	agent_client_free(c);
	free(json);
	husk_error_free(err);
}
END_TEST

/* HELLO on a connection whose peer reads nothing: bounded the same way. */
START_TEST(hello_send_deadline)
{
	struct husk_error *err = NULL;
	struct agent_client *c = NULL;
	struct stalled g;
	pthread_t t;
	int sv[2];

	stalled_start(&g, sv, false, &t);
	ck_assert_int_gt(fill_with_frames(sv[0]), 0);
	/* agent_client_new closes sv[0] when it fails. */
	ck_assert_int_eq(agent_client_new(sv[0], NULL, NULL, 300, &c, &err), -ETIMEDOUT);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(husk_error_message(err),
			 "send HELLO to husk-init: timed out after 300 ms");

	stalled_stop(&g, t, false);
	husk_error_free(err);
}
END_TEST

/* Every request has a finite deadline but WAIT; the ones that mount wait longest. */
START_TEST(deadline_per_kind)
{
	unsigned int type;

	for (type = HUSK_MSG_HELLO; type <= HUSK_MSG_PORT_CONNECT; type++) {
		if (type == HUSK_MSG_WAIT)
			ck_assert_int_eq(agent_deadline_ms((uint16_t)type), -1);
		else
			ck_assert_int_gt(agent_deadline_ms((uint16_t)type), 0);
	}
	ck_assert_int_eq(agent_deadline_ms(HUSK_MSG_PAUSE), 30000);
	ck_assert_int_gt(agent_deadline_ms(HUSK_MSG_CREATE), agent_deadline_ms(HUSK_MSG_PAUSE));
	ck_assert_int_gt(agent_deadline_ms(HUSK_MSG_DELETE), agent_deadline_ms(HUSK_MSG_SIGNAL));
}
END_TEST

START_TEST(subject_from_request)
{
	char buf[AGENT_SUBJECT_MAX];

	agent_subject("{\"id\":\"c1\",\"exec_id\":\"\",\"spec\":{\"id\":\"x\"}}", buf, sizeof(buf));
	ck_assert_str_eq(buf, "c1");
	agent_subject("{\"id\":\"c1\",\"exec_id\":\"e7\"}", buf, sizeof(buf));
	ck_assert_str_eq(buf, "c1 exec e7");
	agent_subject(NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	agent_subject("{\"id\":", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	agent_subject("{\"id\":5}", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_agent");
	TCase *tc = tcase_create("client");

	tcase_add_test(tc, calls_events_errors);
	tcase_add_test(tc, stdio_bind);
	tcase_add_test(tc, stdio_bind_halves);
	tcase_add_test(tc, silent_agent_deadlines);
	tcase_add_test(tc, send_deadline_when_guest_stops_reading);
	tcase_add_test(tc, send_deadline_partial_frame_hangs_up);
	tcase_add_test(tc, hello_send_deadline);
	tcase_add_test(tc, deadline_per_kind);
	tcase_add_test(tc, subject_from_request);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
