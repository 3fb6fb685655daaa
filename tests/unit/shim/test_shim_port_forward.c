// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_port_forward.c - shim/net/port_forward*.c without a VM or
 * root: the relay gets a listener on 127.0.0.1 made here and a "connect
 * to husk-init" callback whose other end is a fake guest thread on a
 * socketpair (it checks the PORT_CONNECT frame, answers OK or ERROR, then
 * echoes). No NAT rule touches these connections, so the port lookup
 * falls back to the listener's own port, or a test callback gives one.
 * Also the iptables command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "agent-codec/agent_socket.h"
#include "common/error.h"
#include "husk.h"
#include "husk_agent.h"
#include "shim/base/shim_log.h"
#include "shim/net/port_forward.h"
#include "tests/lib/unit.h"

#define MIB	(1u << 20)
#define TRAILER "bye"
#define WAIT_MS 10000

struct fake_guest {
	bool refuse;	     /* answer ERROR */
	bool unreachable;    /* the connect callback fails */
	atomic_int port;     /* the port PORT_CONNECT named */
	atomic_int connects; /* callback calls */
	atomic_int live;     /* guest threads still running */
	atomic_bool saw_eof; /* the echo reached the host's half-close */
};

/* The guest threads use @g (on the test's stack): wait until they are gone. */
static void guest_wait(struct fake_guest *g)
{
	int i;

	for (i = 0; i < 1000 && atomic_load(&g->live); i++)
		usleep(10000);
	ck_assert_int_eq(atomic_load(&g->live), 0);
}

struct guest_conn {
	struct fake_guest *g;
	int fd;
};

static void guest_echo(struct guest_conn *c)
{
	char buf[8192];
	ssize_t n;

	/* Writes may fail once the relay stopped: the client's checks tell. */
	while ((n = read(c->fd, buf, sizeof(buf))) > 0)
		if (agent_write_all(c->fd, buf, (size_t)n))
			return;
	atomic_store(&c->g->saw_eof, n == 0);
	/* After the host's EOF the guest may still talk: half-close kept it open. */
	if (agent_write_all(c->fd, TRAILER, strlen(TRAILER)))
		return;
}

static void *guest_thread(void *arg)
{
	struct guest_conn *c = arg;
	static const char refusal[] = "{\"errno\":111,\"message\":\"nothing listens on 1\"}";
	struct husk_agent_hdr h;
	yajl_val v, port;
	char *payload;

	ck_assert_int_eq(agent_recv_frame(c->fd, WAIT_MS, &h, &payload), 0);
	ck_assert_uint_eq(h.type, HUSK_MSG_PORT_CONNECT);
	v = yajl_tree_parse(payload, NULL, 0);
	ck_assert_ptr_nonnull(v);
	port = yajl_tree_get(v, (const char *[]){ "port", NULL }, yajl_t_number);
	ck_assert_ptr_nonnull(port);
	atomic_store(&c->g->port, (int)YAJL_GET_INTEGER(port));
	yajl_tree_free(v);
	free(payload);
	if (c->g->refuse) {
		ck_assert_int_eq(agent_send_frame(c->fd, HUSK_MSG_ERROR, h.id, refusal,
						  strlen(refusal)),
				 0);
	} else {
		ck_assert_int_eq(agent_send_frame(c->fd, HUSK_MSG_OK, h.id, "{}", 2), 0);
		guest_echo(c);
	}
	close(c->fd);
	atomic_fetch_sub(&c->g->live, 1);
	free(c);
	return NULL;
}

static int fake_connect(void *opaque, int *fd, struct husk_error **err)
{
	struct fake_guest *g = opaque;
	struct guest_conn *c;
	pthread_t t;
	int sv[2];

	if (g->unreachable)
		return husk_err(err, ESRCH, "connect to husk-init: the VM has ended");
	c = malloc(sizeof(*c));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c->g = opaque;
	c->fd = sv[1];
	atomic_fetch_add(&c->g->connects, 1);
	atomic_fetch_add(&c->g->live, 1);
	ck_assert_int_eq(pthread_create(&t, NULL, guest_thread, c), 0);
	pthread_detach(t);
	*fd = sv[0];
	return 0;
}

static int port_8080(void *opaque, int fd, uint16_t *port)
{
	*port = 8080;
	return 0;
}

static int listen_lo(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int dial_lo(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read into @buf until EOF (returns the count) or @len bytes; fails on a stall. */
static size_t read_until_eof(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t have = 0;
	ssize_t n;

	for (;;) {
		ck_assert_int_eq(poll(&p, 1, WAIT_MS), 1);
		n = read(fd, buf + have, len - have);
		if (n < 0 && errno == ECONNRESET)
			return have;
		ck_assert_int_ge(n, 0);
		if (n == 0 || (have += (size_t)n) == len)
			return have;
	}
}

struct writer {
	int fd;
	const char *data;
	size_t len;
};

/* The client's sending half: all of it, then half-close (SHUT_WR). */
static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	ck_assert_int_eq(agent_write_all(w->fd, w->data, w->len), 0);
	ck_assert_int_eq(shutdown(w->fd, SHUT_WR), 0);
	return NULL;
}

static struct pf_relay *relay_on(int lfd, struct fake_guest *g, pf_port_fn *port_fn)
{
	struct pf_relay_ops ops = { .connect = fake_connect, .port = port_fn, .opaque = g };
	struct pf_relay *r = NULL;

	ck_assert_int_eq(pf_relay_start(lfd, &ops, &r, NULL), 0);
	return r;
}

START_TEST(relay_echo_one_mib)
{
	struct fake_guest g = { .refuse = false };
	char *out = malloc(MIB), *in = malloc(MIB + 64);
	struct writer w;
	struct pf_relay *r;
	pthread_t t;
	uint16_t port;
	size_t i, got;
	int lfd, c;

	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < MIB; i++)
		out[i] = (char)(i * 131 + (i >> 11));
	lfd = listen_lo(&port);
	r = relay_on(lfd, &g, NULL);
	c = dial_lo(port);
	w = (struct writer){ c, out, MIB };
	ck_assert_int_eq(pthread_create(&t, NULL, writer_thread, &w), 0);
	/* Echo, then the trailer the guest sent after our EOF, then its EOF. */
	got = read_until_eof(c, in, MIB + 64);
	pthread_join(t, NULL);
	ck_assert_uint_eq(got, MIB + strlen(TRAILER));
	ck_assert_int_eq(memcmp(in, out, MIB), 0);
	ck_assert_int_eq(memcmp(in + MIB, TRAILER, strlen(TRAILER)), 0);
	ck_assert(atomic_load(&g.saw_eof));
	/* No NAT here: the port is the listener's own. */
	ck_assert_int_eq(atomic_load(&g.port), port);
	ck_assert_int_eq(atomic_load(&g.connects), 1);
	close(c);
	pf_relay_stop(r);
	guest_wait(&g);
	close(lfd);
	free(out);
	free(in);
}
END_TEST

START_TEST(relay_port_callback)
{
	struct fake_guest g = { .refuse = false };
	struct pf_relay *r;
	char buf[16];
	uint16_t port;
	int lfd, c;

	lfd = listen_lo(&port);
	r = relay_on(lfd, &g, port_8080);
	c = dial_lo(port);
	ck_assert_int_eq(agent_write_all(c, "ping", 4), 0);
	ck_assert_int_eq(shutdown(c, SHUT_WR), 0);
	ck_assert_uint_eq(read_until_eof(c, buf, sizeof(buf)), 4 + strlen(TRAILER));
	ck_assert_int_eq(memcmp(buf, "ping" TRAILER, 7), 0);
	ck_assert_int_eq(atomic_load(&g.port), 8080);
	close(c);
	pf_relay_stop(r);
	guest_wait(&g);
	close(lfd);
}
END_TEST

START_TEST(relay_error_closes_client)
{
	struct fake_guest g = { .refuse = true };
	struct pf_relay *r;
	char buf[16];
	uint16_t port;
	int lfd, c;

	lfd = listen_lo(&port);
	r = relay_on(lfd, &g, port_8080);
	c = dial_lo(port);
	/* Nothing is relayed: the connection just ends. */
	ck_assert_uint_eq(read_until_eof(c, buf, sizeof(buf)), 0);
	ck_assert_int_eq(atomic_load(&g.port), 8080);
	close(c);
	pf_relay_stop(r);
	guest_wait(&g);
	close(lfd);
}
END_TEST

START_TEST(relay_unreachable_guest)
{
	struct fake_guest g = { .unreachable = true };
	struct pf_relay *r;
	char buf[16];
	uint16_t port;
	int lfd, c;

	lfd = listen_lo(&port);
	r = relay_on(lfd, &g, NULL);
	c = dial_lo(port);
	ck_assert_uint_eq(read_until_eof(c, buf, sizeof(buf)), 0);
	close(c);
	pf_relay_stop(r);
	guest_wait(&g);
	close(lfd);
}
END_TEST

/* A forward past its handshake: one byte echoed. */
static int dial_forward(uint16_t port)
{
	char b;
	int c = dial_lo(port);

	ck_assert_int_eq(agent_write_all(c, "x", 1), 0);
	ck_assert_int_eq(read(c, &b, 1), 1);
	return c;
}

/* Beyond PF_MAX_CONNS a connection is closed at once; an ended one frees its slot. */
START_TEST(relay_cap)
{
	struct fake_guest g = { .refuse = false };
	struct pf_relay *r;
	int lfd, c[PF_MAX_CONNS], extra, i, tries;
	char buf[16];
	uint16_t port;

	shim_log_set_level(SHIM_LOG_ERROR); /* the refusals' expected warnings */
	lfd = listen_lo(&port);
	r = relay_on(lfd, &g, NULL);
	for (i = 0; i < PF_MAX_CONNS; i++)
		c[i] = dial_forward(port);
	extra = dial_lo(port);
	ck_assert_uint_eq(read_until_eof(extra, buf, sizeof(buf)), 0);
	close(extra);
	ck_assert_int_eq(atomic_load(&g.connects), PF_MAX_CONNS);
	/* Close one; its thread ends soon after, and a new forward fits. */
	close(c[0]);
	for (tries = 0; tries < 100; tries++) {
		extra = dial_lo(port);
		if (write(extra, "x", 1) == 1 && read(extra, buf, 1) == 1)
			break;
		close(extra);
		extra = -1;
		usleep(20000);
	}
	ck_assert_int_ge(extra, 0);
	ck_assert_int_eq(atomic_load(&g.connects), PF_MAX_CONNS + 1);
	close(extra);
	for (i = 1; i < PF_MAX_CONNS; i++)
		close(c[i]);
	pf_relay_stop(r);
	guest_wait(&g);
	close(lfd);
}
END_TEST

/* Stop must not wait for idle forwards: they end, and the client sees it. */
START_TEST(relay_stop_ends_forwards)
{
	struct fake_guest g = { .refuse = false };
	struct pf_relay *r;
	char buf[16];
	uint16_t port;
	int lfd, c[3], i;

	lfd = listen_lo(&port);
	r = relay_on(lfd, &g, NULL);
	for (i = 0; i < 3; i++)
		c[i] = dial_forward(port);
	pf_relay_stop(r);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(read_until_eof(c[i], buf, sizeof(buf)), 0);
		close(c[i]);
	}
	close(lfd);
}
END_TEST

START_TEST(iptables_rule_argv)
{
	static const char *const add[] = { "iptables", "-w",	     "-t",    "nat",
					   "-A",       "OUTPUT",     "-o",    "lo",
					   "-p",       "tcp",	     "-d",    "127.0.0.1",
					   "!",	       "--dport",    "40123", "-j",
					   "REDIRECT", "--to-ports", "40123", NULL };
	const char *argv[PF_RULE_ARGC];
	char p[8], dp[8];
	size_t i;

	port_forward_rule_argv(true, 40123, p, dp, argv);
	for (i = 0; add[i]; i++)
		ck_assert_str_eq(argv[i], add[i]);
	ck_assert_ptr_null(argv[i]);
	port_forward_rule_argv(false, 65535, p, dp, argv);
	ck_assert_str_eq(argv[4], "-D");
	ck_assert_str_eq(argv[14], "65535");
	ck_assert_str_eq(argv[18], "65535");
	ck_assert_ptr_null(argv[19]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_port_forward");
	TCase *relay = tcase_create("relay");
	TCase *rule = tcase_create("rule");

	tcase_set_timeout(relay, 60);
	tcase_add_test(relay, relay_echo_one_mib);
	tcase_add_test(relay, relay_port_callback);
	tcase_add_test(relay, relay_error_closes_client);
	tcase_add_test(relay, relay_unreachable_guest);
	tcase_add_test(relay, relay_cap);
	tcase_add_test(relay, relay_stop_ends_forwards);
	tcase_add_test(rule, iptables_rule_argv);
	suite_add_tcase(s, relay);
	suite_add_tcase(s, rule);
	return s;
}

UNIT_MAIN()
