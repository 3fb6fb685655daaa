// SPDX-License-Identifier: Apache-2.0
/* suite_client.c - the test suite's side of the husk agent protocol: connect, calls, events. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "common/clock.h"
#include "tests/agent/suite_client.h"

/*
 * Firecracker's vsock Unix face (husk --vsock cid=N,uds=PATH): send
 * "CONNECT <port>\n", read the "OK <hostport>\n" line one byte at a time
 * (the guest's bytes may follow it at once and belong to the stream).
 * 0, or -1 with errno set (ECONNREFUSED: nobody listens on the port).
 */
static int ac_hvsock_handshake(int fd, unsigned int port)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long deadline = husk_now_ms() + 10000;
	char line[64];
	size_t n = 0;
	ssize_t r;
	int len;

	len = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (agent_write_all(fd, line, (size_t)len) < 0)
		return -1;
	while (n < sizeof(line) - 1) {
		long long left = deadline - husk_now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = read(fd, &line[n], 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ECONNREFUSED;
			return -1;
		}
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	if (strncmp(line, "OK ", 3) != 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int ac_dial_unix(const char *path, size_t len)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd;

	if (len >= sizeof(un.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(un.sun_path, path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&un, sizeof(un)) == 0)
		return fd;
	if (fd >= 0) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

int ac_dial(const char *addr)
{
	struct sockaddr_vm vm = { .svm_family = AF_VSOCK };
	unsigned int cid, port;
	const char *colon;
	char *end;
	int fd;

	if (strncmp(addr, "unix:", 5) == 0) {
		return ac_dial_unix(addr + 5, strlen(addr + 5));
	} else if (strncmp(addr, "hvsock:", 7) == 0) {
		colon = strrchr(addr + 7, ':');
		if (!colon || colon == addr + 7 || !colon[1] ||
		    (port = (unsigned int)strtoul(colon + 1, &end, 10), *end)) {
			errno = EINVAL;
			return -1;
		}
		fd = ac_dial_unix(addr + 7, (size_t)(colon - (addr + 7)));
		if (fd >= 0 && ac_hvsock_handshake(fd, port) < 0) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
		return fd;
	} else if (sscanf(addr, "vsock:%u:%u", &cid, &port) == 2) {
		vm.svm_cid = cid;
		vm.svm_port = port;
		fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&vm, sizeof(vm)) == 0)
			return fd;
	} else {
		errno = EINVAL;
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

struct ac_msg *ac_recv(int fd, int timeout_ms)
{
	struct ac_msg *m = calloc(1, sizeof(*m));

	if (!m || agent_recv_frame(fd, timeout_ms, &m->hdr, &m->payload) < 0) {
		free(m);
		return NULL;
	}
	m->tree = m->hdr.length ? yajl_tree_parse(m->payload, NULL, 0) : NULL;
	return m;
}

void ac_msg_free(struct ac_msg *m)
{
	if (!m)
		return;
	if (m->tree)
		yajl_tree_free(m->tree);
	free(m->payload);
	free(m);
}

struct ac *ac_open(const char *addr)
{
	struct ac *c = calloc(1, sizeof(*c));
	struct ac_msg *r;

	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->next_id = 1;
	c->fd = ac_dial(addr);
	if (c->fd < 0) {
		fprintf(stderr, "agent-suite: connect %s: %s\n", addr, strerror(errno));
		free(c);
		return NULL;
	}
	r = ac_call(c, HUSK_MSG_HELLO, "{\"version\":1}", 10000);
	if (!r || r->hdr.type != HUSK_MSG_OK) {
		fprintf(stderr, "agent-suite: HELLO failed: %s\n", r ? r->payload : "no reply");
		ac_msg_free(r);
		ac_close(c);
		return NULL;
	}
	ac_msg_free(r);
	return c;
}

void ac_close(struct ac *c)
{
	while (c->events) {
		struct ac_msg *n = c->events->next;

		ac_msg_free(c->events);
		c->events = n;
	}
	close(c->fd);
	free(c);
}

static void ac_keep(struct ac *c, struct ac_msg *m)
{
	struct ac_msg **tail = &c->events;

	while (*tail)
		tail = &(*tail)->next;
	m->next = NULL;
	*tail = m;
}

struct ac_msg *ac_call(struct ac *c, uint16_t type, const char *json, int timeout_ms)
{
	long long deadline = husk_now_ms() + timeout_ms;
	uint64_t id = c->next_id++;
	struct ac_msg *m;

	if (agent_send_frame(c->fd, type, id, json, json ? strlen(json) : 0) < 0)
		return NULL;
	for (;;) {
		long long left = deadline - husk_now_ms();

		m = left > 0 ? ac_recv(c->fd, (int)left) : NULL;
		if (!m || m->hdr.id == id)
			return m;
		ac_keep(c, m);
	}
}

static bool ac_event_match(const struct ac_msg *m, uint16_t type, const char *id,
			   const char *exec_id)
{
	const char *mid = ac_str(m, "id"), *mexec = ac_str(m, "exec_id");

	return m->hdr.type == type && (!id || (mid && !strcmp(mid, id))) &&
	       (!exec_id || (mexec && !strcmp(mexec, exec_id)));
}

struct ac_msg *ac_event(struct ac *c, uint16_t type, const char *id, const char *exec_id,
			int timeout_ms)
{
	long long deadline = husk_now_ms() + timeout_ms;
	struct ac_msg **pp, *m;

	for (pp = &c->events; *pp; pp = &(*pp)->next) {
		if (ac_event_match(*pp, type, id, exec_id)) {
			m = *pp;
			*pp = m->next;
			return m;
		}
	}
	for (;;) {
		long long left = deadline - husk_now_ms();

		m = left > 0 ? ac_recv(c->fd, (int)left) : NULL;
		if (!m || ac_event_match(m, type, id, exec_id))
			return m;
		ac_keep(c, m);
	}
}

int ac_bind(const char *addr, const char *id, const char *exec_id, const char *stream, char *why,
	    size_t why_size)
{
	char json[512];
	struct ac_msg *r;
	int fd = ac_dial(addr);

	if (fd < 0) {
		snprintf(why, why_size, "connect: %s", strerror(errno));
		return -1;
	}
	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"exec_id\":\"%s\",\"stream\":\"%s\"}", id,
		 exec_id, stream);
	if (agent_send_frame(fd, HUSK_MSG_STDIO_BIND, 1, json, strlen(json)) < 0 ||
	    !(r = ac_recv(fd, 10000))) {
		snprintf(why, why_size, "STDIO_BIND %s: no reply", stream);
		close(fd);
		return -1;
	}
	if (r->hdr.type != HUSK_MSG_OK) {
		snprintf(why, why_size, "STDIO_BIND %s: %s", stream, r->payload);
		ac_msg_free(r);
		close(fd);
		return -1;
	}
	ac_msg_free(r);
	return fd;
}
