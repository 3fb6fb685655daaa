// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_agent.c - shim/agent/agent_client.c and agent_frame.c against a
 * scripted husk-init on a socketpair: HELLO, replies matched by id while
 * events arrive in between, ERROR replies as errno + message, STDIO_BIND,
 * and callers released when the connection dies.
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

static Suite *suite(void)
{
	Suite *s = suite_create("shim_agent");
	TCase *tc = tcase_create("client");

	tcase_add_test(tc, calls_events_errors);
	tcase_add_test(tc, stdio_bind);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
