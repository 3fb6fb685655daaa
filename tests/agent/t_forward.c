// SPDX-License-Identifier: Apache-2.0
/*
 * t_forward.c - PORT_CONNECT (port forwarding): a connection that asks for
 * 127.0.0.1:port carries raw bytes both ways after the OK, half-closes
 * pass through, refused and invalid ports get ERROR and the connection
 * ends. The TCP peer is an echo server in this process whose listening
 * socket is made in husk-init's network namespace (run-suite gives it one
 * of its own; the peer pid of the Unix socket names it), so the byte tests
 * need husk-init on this machine (test mode, not a VM).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/agent/suite.h"

#define FWD_BYTES (1u << 20)

/* husk-init's network namespace (an fd), from the peer of a Unix connection. */
static int agent_netns(struct suite *s)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char path[64];
	int fd, ns = -1;

	if (strncmp(s->addr, "unix:", 5) || (fd = ac_dial(s->addr)) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)cr.pid);
		ns = open(path, O_RDONLY | O_CLOEXEC);
	}
	close(fd);
	return ns;
}

/* A TCP socket made in namespace @ns (sockets stay where they were made). */
static int socket_in(int ns)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;

	if (self >= 0 && setns(ns, CLONE_NEWNET) == 0) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (setns(self, CLONE_NEWNET) < 0) {
			perror("agent-suite: back to its own network namespace");
			exit(1);
		}
	}
	if (self >= 0)
		close(self);
	return fd;
}

/* @ns when this process may make sockets in it (setns needs privilege), else -1. */
static int usable_netns(int ns)
{
	int fd = ns >= 0 ? socket_in(ns) : -1;

	if (fd >= 0) {
		close(fd);
		return ns;
	}
	if (ns >= 0)
		close(ns);
	return -1;
}

/* A socket on 127.0.0.1 in @ns, port chosen by the kernel; listening if @listening. */
static int bound_loopback(int ns, bool listening, int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket_in(ns);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (listening && listen(fd, 16) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* One echo client: everything back, then a half-close after its EOF. */
static void *echo_client(void *arg)
{
	int fd = (int)(long)arg;
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (agent_write_all(fd, buf, (size_t)n) < 0)
			break;
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

/* Accept until the listener is shut down; one thread per client. */
static void *echo_server(void *arg)
{
	int lfd = (int)(long)arg, fd;
	pthread_t t;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if (pthread_create(&t, NULL, echo_client, (void *)(long)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
	}
	return NULL;
}

/* A new connection whose first message is PORT_CONNECT @json; the reply in *@r. */
static int port_connect(struct suite *s, const char *json, struct ac_msg **r)
{
	int fd = ac_dial(s->addr);

	*r = NULL;
	if (fd < 0)
		return -1;
	if (agent_send_frame(fd, HUSK_MSG_PORT_CONNECT, 5, json, strlen(json)) < 0 ||
	    !(*r = ac_recv(fd, 15000))) {
		close(fd);
		return -1;
	}
	return fd;
}

static char pattern_byte(size_t i)
{
	return (char)((i * 7 + i / 4099) & 0xff);
}

/* Write @len patterned bytes on @fd while reading them back, until EOF. */
static int echo_round(int fd, size_t len, char *why)
{
	size_t sent = 0, got = 0, i;
	char buf[16384];
	struct pollfd p;
	ssize_t n;

	for (;;) {
		p = (struct pollfd){ .fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0) };
		if (poll(&p, 1, 15000) <= 0)
			return snprintf(why, 512, "stalled: %zu sent, %zu back", sent, got), -1;
		if (p.revents & POLLOUT) {
			char out[16384];
			size_t k = len - sent < sizeof(out) ? len - sent : sizeof(out);

			for (i = 0; i < k; i++)
				out[i] = pattern_byte(sent + i);
			n = send(fd, out, k, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN)
				return snprintf(why, 512, "send: %s", strerror(errno)), -1;
			sent += n > 0 ? (size_t)n : 0;
			if (sent == len)
				shutdown(fd, SHUT_WR);
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			return snprintf(why, 512, "recv: %s", strerror(errno)), -1;
		if (n == 0)
			break;
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] != pattern_byte(got + i))
				return snprintf(why, 512, "byte %zu differs", got + i), -1;
		got += (size_t)n;
	}
	if (sent != len || got != len)
		return snprintf(why, 512, "%zu bytes sent, %zu back (of %zu)", sent, got, len), -1;
	return 0;
}

/* PORT_CONNECT to @port; OK and a connected fd, else -1 and @why. */
static int forward_open(struct suite *s, int port, char *why)
{
	struct ac_msg *r;
	char json[64];
	int fd;

	snprintf(json, sizeof(json), "{\"port\":%d}", port);
	fd = port_connect(s, json, &r);
	if (fd >= 0 && r->hdr.type != HUSK_MSG_OK) {
		snprintf(why, 512, "PORT_CONNECT %d: %s", port, r->payload);
		close(fd);
		fd = -1;
	} else if (fd < 0) {
		snprintf(why, 512, "PORT_CONNECT %d: no reply", port);
	}
	ac_msg_free(r);
	return fd;
}

static void t_echo(struct suite *s, int port)
{
	char why[512];
	int fd = forward_open(s, port, why);

	if (fd >= 0 && echo_round(fd, FWD_BYTES, why) == 0)
		suite_pass(s, "forward-echo-1mib");
	else
		suite_fail(s, "forward-echo-1mib", "%s", why);
	if (fd >= 0)
		close(fd);
}

/* Two forwards open at once, each echoing its own bytes. */
static void t_two(struct suite *s, int port)
{
	char why[512] = "";
	int a = forward_open(s, port, why), b = a >= 0 ? forward_open(s, port, why) : -1;

	if (a >= 0 && b >= 0 && echo_round(b, 200000, why) == 0 && echo_round(a, 300000, why) == 0)
		suite_pass(s, "forward-two-at-once");
	else
		suite_fail(s, "forward-two-at-once", "%s", why);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

/* A forward whose host side stops reading fills its buffers and stalls
 * alone: control requests and another forward still get through. */
static void t_stalled(struct suite *s, int port)
{
	char why[512] = "", chunk[16384];
	int a = forward_open(s, port, why), b = -1;
	struct ac_msg *m = NULL;
	size_t stuck = 0;
	ssize_t n;

	memset(chunk, 'x', sizeof(chunk));
	while (a >= 0 && stuck < (64u << 20) &&
	       (n = send(a, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
		stuck += (size_t)n;
	if (a < 0)
		suite_fail(s, "forward-stalled-peer", "%s", why);
	else if (stuck >= (64u << 20))
		suite_fail(s, "forward-stalled-peer", "64 MiB went in unread: no backpressure");
	else if (!(m = ac_call(s->ac, HUSK_MSG_HELLO, "{\"version\":1}", 5000)) ||
		 m->hdr.type != HUSK_MSG_OK)
		suite_fail(s, "forward-stalled-peer", "HELLO meanwhile: %s",
			   m ? m->payload : "no reply");
	else if ((b = forward_open(s, port, why)) < 0 || echo_round(b, 100000, why) < 0)
		suite_fail(s, "forward-stalled-peer", "another forward meanwhile: %s", why);
	else
		suite_pass(s, "forward-stalled-peer");
	ac_msg_free(m);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

/* HUSK_AGENT_MAX_FORWARDS open at once; one more gets EMFILE; closing them frees the slots. */
static void t_limit(struct suite *s, int port)
{
	int fds[HUSK_AGENT_MAX_FORWARDS], n, i, fd = -1;
	struct ac_msg *r = NULL;
	char json[64], why[512] = "";
	bool failed = true;

	snprintf(json, sizeof(json), "{\"port\":%d}", port);
	for (n = 0; n < HUSK_AGENT_MAX_FORWARDS; n++)
		if ((fds[n] = forward_open(s, port, why)) < 0)
			break;
	if (n == HUSK_AGENT_MAX_FORWARDS)
		fd = port_connect(s, json, &r);
	if (n < HUSK_AGENT_MAX_FORWARDS)
		suite_fail(s, "forward-limit", "forward %d: %s", n + 1, why);
	else if (fd < 0 || r->hdr.type != HUSK_MSG_ERROR || ac_int(r, "errno", 0) != EMFILE)
		suite_fail(s, "forward-limit", "forward %d: wanted ERROR EMFILE, got %s", n + 1,
			   r ? r->payload : "no reply");
	else
		failed = false;
	ac_msg_free(r);
	if (fd >= 0)
		close(fd);
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (failed)
		return;
	/* the slots free up as husk-init sees the EOFs: allow it a moment */
	for (i = 0, fd = -1; i < 100 && fd < 0; i++)
		if ((fd = forward_open(s, port, why)) < 0)
			usleep(50000);
	if (fd >= 0 && echo_round(fd, 1000, why) == 0)
		suite_pass(s, "forward-limit");
	else
		suite_fail(s, "forward-limit", "after closing them all: %s", why);
	if (fd >= 0)
		close(fd);
}

/* PORT_CONNECT @json gets ERROR holding @needle, then the connection ends. */
static void expect_refused(struct suite *s, const char *name, const char *json, const char *needle)
{
	struct ac_msg *r;
	int fd = port_connect(s, json, &r);
	const char *msg = r ? ac_str(r, "message") : NULL;
	char c;

	if (fd < 0)
		suite_fail(s, name, "no reply");
	else if (r->hdr.type != HUSK_MSG_ERROR || !msg || !strstr(msg, needle) ||
		 ac_int(r, "errno", 0) <= 0)
		suite_fail(s, name, "wanted ERROR with \"%s\" and an errno, got %s", needle,
			   r->payload);
	else if (read(fd, &c, 1) != 0)
		suite_fail(s, name, "the connection did not end after the error");
	else
		suite_pass(s, name);
	ac_msg_free(r);
	if (fd >= 0)
		close(fd);
}

/* A port with nothing listening: bound (so no one else takes it), not listening. */
static void t_refused(struct suite *s, int ns)
{
	char json[64], want[64];
	int port, fd = bound_loopback(ns, false, &port);

	if (fd < 0) {
		suite_fail(s, "forward-refused", "no free port: %s", strerror(errno));
		return;
	}
	snprintf(json, sizeof(json), "{\"port\":%d}", port);
	snprintf(want, sizeof(want), "connect 127.0.0.1:%d: Connection refused", port);
	expect_refused(s, "forward-refused", json, want);
	close(fd);
}

/* A listener that never accepts, its queue full: further SYNs are dropped,
 * so a connect to it hangs. Returns the listener; the fillers go in @fill. */
static int hanging_port(int ns, int *port, int fill[4])
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd = bound_loopback(ns, false, port), i;

	if (lfd >= 0 && listen(lfd, 0) < 0) {
		close(lfd);
		lfd = -1;
	}
	if (lfd < 0)
		return -1;
	sin.sin_port = htons((uint16_t)*port);
	for (i = 0; i < 4; i++) {
		fill[i] = socket_in(ns);
		if (fill[i] >= 0) {
			fcntl(fill[i], F_SETFL, O_NONBLOCK);
			connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
		}
	}
	usleep(100000);
	return lfd;
}

/* A connect that never completes: ETIMEDOUT after the timeout, and husk-init
 * answers other requests meanwhile. */
static void t_timeout(struct suite *s, int ns)
{
	int port, fill[4] = { -1, -1, -1, -1 }, lfd = hanging_port(ns, &port, fill), fd = -1, i;
	struct ac_msg *h = NULL, *r = NULL;
	char json[64];

	snprintf(json, sizeof(json), "{\"port\":%d}", port);
	if (lfd < 0 || (fd = ac_dial(s->addr)) < 0 ||
	    agent_send_frame(fd, HUSK_MSG_PORT_CONNECT, 5, json, strlen(json)) < 0)
		suite_fail(s, "forward-timeout", "setup: %s", strerror(errno));
	else if (!(h = ac_call(s->ac, HUSK_MSG_HELLO, "{\"version\":1}", 3000)) ||
		 h->hdr.type != HUSK_MSG_OK)
		suite_fail(s, "forward-timeout", "HELLO while connecting: %s",
			   h ? h->payload : "no reply");
	else if (!(r = ac_recv(fd, HUSK_AGENT_FORWARD_TIMEOUT_MS + 5000)))
		suite_fail(s, "forward-timeout", "no reply to PORT_CONNECT");
	else if (r->hdr.type != HUSK_MSG_ERROR || ac_int(r, "errno", 0) != ETIMEDOUT ||
		 !strstr(r->payload, "connect 127.0.0.1:") || !strstr(r->payload, "timed out"))
		suite_fail(s, "forward-timeout", "wanted ERROR ETIMEDOUT, got %s", r->payload);
	else
		suite_pass(s, "forward-timeout");
	ac_msg_free(h);
	ac_msg_free(r);
	for (i = 0; i < 4; i++)
		if (fill[i] >= 0)
			close(fill[i]);
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
}

void tests_forward(struct suite *s)
{
	char why[512];
	pthread_t t;
	int port, lfd, ns;

	expect_refused(s, "forward-port-0", "{\"port\":0}", "port: 0 is not 1-65535");
	expect_refused(s, "forward-port-70000", "{\"port\":70000}", "port: 70000");
	expect_refused(s, "forward-port-string", "{\"port\":\"x\"}", "port: ");
	if (refused(s, HUSK_MSG_PORT_CONNECT, "{\"port\":80}", "first message", why))
		suite_pass(s, "forward-after-hello");
	else
		suite_fail(s, "forward-after-hello", "%s", why);
	ns = s->in_vm ? -1 : usable_netns(agent_netns(s));
	if (ns < 0) {
		suite_skip(
			s, "forward-echo", "forward",
			"no way into husk-init's network namespace (a VM, not a Unix "
			"socket, or no privilege): no echo server there; refused port, echo and two-at-once "
			"not run");
		return;
	}
	t_refused(s, ns);
	t_timeout(s, ns);
	lfd = bound_loopback(ns, true, &port);
	close(ns);
	if (lfd < 0 || pthread_create(&t, NULL, echo_server, (void *)(long)lfd) != 0) {
		suite_fail(s, "forward-echo", "echo server: %s", strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return;
	}
	t_echo(s, port);
	t_two(s, port);
	t_limit(s, port); /* first: the stalled forward below frees its slot late */
	t_stalled(s, port);
	shutdown(lfd, SHUT_RDWR); /* ends the accept loop */
	pthread_join(t, NULL);
	close(lfd);
}
