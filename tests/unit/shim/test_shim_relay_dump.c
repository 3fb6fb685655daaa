// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_relay_dump.c - shim/sandbox/sandbox_relay_dump.c: the SIGUSR1
 * dump's RELAY_STATUS query against a scripted husk-init on a socketpair.
 * The dump returns at once; husk-init's answer is logged when it comes,
 * one line per stream; a husk-init that never answers gets the timeout
 * line; the owner may free the client while the query still holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "shim/agent/agent_client.h"
#include "shim/base/shim_log.h"
#include "shim/sandbox/sandbox.h"
#include "tests/lib/unit.h"

static const char relay_reply[] =
	"{\"streams\":[{\"id\":\"c1\",\"exec_id\":\"\",\"pid\":7,\"stream\":\"stdout\","
	"\"state\":\"waiting_destination\",\"eof\":false,\"moved\":65536,\"buffered\":4096,"
	"\"idle_ms\":1500}],\"total\":1,\"truncated\":false}";

struct guest {
	int fd;
	bool answer; /* RELAY_STATUS gets relay_reply; else it is never answered */
};

static void *fake_guest(void *arg)
{
	struct guest *g = arg;
	struct husk_agent_hdr h;
	char *p;

	while (!agent_recv_frame(g->fd, -1, &h, &p)) {
		if (h.type == HUSK_MSG_HELLO)
			agent_send_frame(g->fd, HUSK_MSG_OK, h.id, "{}", 2);
		else if (h.type == HUSK_MSG_RELAY_STATUS && g->answer)
			agent_send_frame(g->fd, HUSK_MSG_OK, h.id, relay_reply,
					 strlen(relay_reply));
		free(p);
	}
	return NULL;
}

/* fd 2 (the shim's log) into a fresh temporary file; its fd is returned. */
static int log_to_file(void)
{
	char path[] = "/tmp/husk-relay-dump-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
	shim_log_set_level(SHIM_LOG_INFO);
	return fd;
}

/* Whether the log holds @needle within @ms. */
static bool log_has(int fd, const char *needle, int ms)
{
	static char buf[65536];
	int64_t end = husk_now_ms() + ms;
	ssize_t n;

	do {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		if (strstr(buf, needle))
			return true;
		usleep(20000);
	} while (husk_now_ms() < end);
	return false;
}

static struct agent_client *client(struct guest *g, int sv[2], pthread_t *t)
{
	struct husk_error *err = NULL;
	struct agent_client *c = NULL;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	g->fd = sv[1];
	pthread_create(t, NULL, fake_guest, g);
	ck_assert_int_eq(agent_client_new(sv[0], NULL, NULL, 5000, &c, &err), 0);
	return c;
}

START_TEST(answer_is_logged)
{
	struct guest g = { .answer = true };
	int logfd = log_to_file(), sv[2];
	struct agent_client *c;
	pthread_t t;

	c = client(&g, sv, &t);
	sandbox_dump_relays(c);
	ck_assert(log_has(logfd, "dump: husk-init relay: 1 stream(s)", 5000));
	ck_assert(log_has(logfd,
			  "dump: husk-init relay: c1 pid 7 stdout: moved 65536 bytes, buffered "
			  "4096, waiting for vsock credit (the host does not read), last progress "
			  "1500 ms ago",
			  5000));
	ck_assert(log_has(logfd, "dump: husk-init relay: end", 5000));
	ck_assert(!log_has(logfd, "did not answer", 0));
	agent_client_free(c);
	pthread_join(t, NULL);
	close(sv[1]);
	close(logfd);
}
END_TEST

START_TEST(silence_is_logged)
{
	struct guest g = { .answer = false };
	int logfd = log_to_file(), sv[2];
	struct agent_client *c;
	pthread_t t;

	c = client(&g, sv, &t);
	sandbox_dump_relays(c);
	/* The dump did not wait for the guest. */
	ck_assert(log_has(logfd, "asked husk-init", 0));
	ck_assert(!log_has(logfd, "did not answer", 0));
	ck_assert(log_has(logfd,
			  "dump: husk-init relay: husk-init did not answer the relay query "
			  "within 2 s: its control channel is blocked or the guest is stuck",
			  10000));
	agent_client_free(c);
	pthread_join(t, NULL);
	close(sv[1]);
	close(logfd);
}
END_TEST

/* The owner frees the client while the query waits: the query ends with
 * the connection (logged), and the memory goes with its release (ASan
 * would see a use after free otherwise). */
START_TEST(owner_frees_during_query)
{
	struct guest g = { .answer = false };
	int logfd = log_to_file(), sv[2];
	struct agent_wait_info info[2];
	struct agent_client *c;
	pthread_t t;
	int i;

	c = client(&g, sv, &t);
	sandbox_dump_relays(c);
	for (i = 0; i < 500 && agent_client_waits(c, info, 2) != 1; i++)
		usleep(10000);
	ck_assert_uint_eq(info[0].type, HUSK_MSG_RELAY_STATUS);
	agent_client_free(c);
	ck_assert(log_has(logfd,
			  "query failed: RELAY_STATUS: husk-init's connection ended before it "
			  "answered",
			  5000));
	ck_assert(log_has(logfd, "dump: husk-init relay: end", 5000));
	pthread_join(t, NULL);
	close(sv[1]);
	close(logfd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_relay_dump");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, answer_is_logged);
	tcase_add_test(tc, silence_is_logged);
	tcase_add_test(tc, owner_frees_during_query);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
