// SPDX-License-Identifier: Apache-2.0
/*
 * test_vsock.c - vmm/virtio/vsock*.c driven by the mock guest driver
 * (tests/lib/mock_vsock.h). The tests play the guest's vsock transport
 * with a small socket model (struct gsock: ports, credit both ways, data
 * received) and the host with socketpairs and Unix sockets, pumping the
 * event loop by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/base/le.h"
#include "tests/lib/mock_vsock.h"
#include "tests/lib/unit.h"

#define GUEST_BUF (64u * 1024) /* what the modelled guest advertises */
#define MAXS	  320	       /* every slot of the default device, and some */
#define CHUNK	  4096

/* One guest-side stream socket. */
struct gsock {
	bool used, connected, rst;
	uint32_t port, peer;	     /* guest port, host port */
	uint32_t buf_alloc, fwd_cnt; /* our receive side, as told to the host */
	uint32_t rx_total;	     /* bytes received */
	uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt;
	uint32_t peer_shut;
	bool auto_consume; /* consume (and credit) on arrival */
	uint8_t *data;	   /* received bytes, when kept */
	size_t cap;
	unsigned int credit_updates;
};

static struct mock_vsock mv;
static struct gsock socks[MAXS];
static uint32_t g_listen_port = 1234; /* the guest accepts REQUESTs here */
static bool g_refuse;
static bool g_silent;		       /* leave REQUESTs unanswered */
static unsigned int g_rsts;	       /* RSTs for no known socket */
static unsigned int g_rsts_at_request; /* g_rsts when the last REQUEST came */
static struct vsock_pkt g_last_rst;
static char uds[108];

/* ---------------------------------------------------------- the guest */

static struct gsock *gs_find(uint32_t port, uint32_t peer)
{
	unsigned int i;

	for (i = 0; i < MAXS; i++)
		if (socks[i].used && socks[i].port == port && socks[i].peer == peer)
			return &socks[i];
	return NULL;
}

static struct gsock *gs_new(uint32_t port, uint32_t peer)
{
	unsigned int i;

	for (i = 0; i < MAXS; i++)
		if (!socks[i].used) {
			memset(&socks[i], 0, sizeof(socks[i]));
			socks[i] = (struct gsock){ .used = true,
						   .port = port,
						   .peer = peer,
						   .buf_alloc = GUEST_BUF,
						   .auto_consume = true };
			return &socks[i];
		}
	ck_abort_msg("out of guest sockets");
	return NULL;
}

static void gs_free_all(void)
{
	unsigned int i;

	for (i = 0; i < MAXS; i++)
		free(socks[i].data);
	memset(socks, 0, sizeof(socks));
}

static void gs_send(struct gsock *s, uint16_t op, uint32_t flags, const void *d, uint32_t len)
{
	mock_vsock_send(&mv, op, s->port, s->peer, flags, s->buf_alloc, s->fwd_cnt, d, len);
}

static uint32_t gs_peer_free(const struct gsock *s)
{
	uint32_t inflight = s->tx_cnt - s->peer_fwd_cnt;

	return inflight >= s->peer_buf_alloc ? 0 : s->peer_buf_alloc - inflight;
}

static void gs_data(struct gsock *s, const uint8_t *p, uint32_t len)
{
	/* 5.10.6.3: the host must never exceed the credit we gave. */
	ck_assert_uint_le(s->rx_total + len - s->fwd_cnt, s->buf_alloc);
	if (s->data) {
		ck_assert_uint_le(s->rx_total + len, s->cap);
		memcpy(s->data + s->rx_total, p, len);
	}
	s->rx_total += len;
	if (s->auto_consume && s->rx_total - s->fwd_cnt >= s->buf_alloc / 2) {
		s->fwd_cnt = s->rx_total;
		gs_send(s, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	}
}

static void g_request(const struct vsock_pkt *h)
{
	struct gsock *s;

	if (g_silent)
		return;
	g_rsts_at_request = g_rsts;
	if (h->dst_port != g_listen_port || g_refuse) {
		mock_vsock_send(&mv, VIRTIO_VSOCK_OP_RST, h->dst_port, h->src_port, 0, 0, 0, NULL,
				0);
		return;
	}
	s = gs_new(h->dst_port, h->src_port);
	s->connected = true;
	s->peer_buf_alloc = h->buf_alloc;
	s->peer_fwd_cnt = h->fwd_cnt;
	gs_send(s, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0);
}

static void g_dispatch(const struct vsock_pkt *h, const uint8_t *payload)
{
	struct gsock *s = gs_find(h->dst_port, h->src_port);

	ck_assert_uint_eq(h->src_cid, VSOCK_HOST_CID);
	ck_assert_uint_eq(h->dst_cid, mv.cid);
	ck_assert_uint_eq(h->type, VIRTIO_VSOCK_TYPE_STREAM);
	if (h->op == VIRTIO_VSOCK_OP_REQUEST && !s) {
		g_request(h);
		return;
	}
	if (!s) {
		if (h->op == VIRTIO_VSOCK_OP_RST) {
			g_rsts++;
			g_last_rst = *h;
		}
		return;
	}
	s->peer_buf_alloc = h->buf_alloc;
	s->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		s->connected = true;
		break;
	case VIRTIO_VSOCK_OP_RST:
		s->rst = true;
		s->connected = false;
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		s->peer_shut |= h->flags;
		break;
	case VIRTIO_VSOCK_OP_RW:
		gs_data(s, payload, h->len);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		s->credit_updates++;
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		gs_send(s, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
		break;
	}
}

static uint8_t pkt_buf[VSOCK_MAX_PAYLOAD];

/* Pump device and loop until neither has anything left to say. */
static void run(int wait_ms)
{
	struct vsock_pkt h;
	bool busy = true;

	mock_vsock_pump(&mv, wait_ms);
	while (busy) {
		busy = false;
		while (mock_vsock_recv(&mv, &h, pkt_buf, sizeof(pkt_buf))) {
			g_dispatch(&h, pkt_buf);
			busy = true;
		}
		if (mock_vsock_pump(&mv, 0))
			busy = true;
	}
}

/* Send what credit allows from @d[*off, len) as RW packets. */
static void gs_write(struct gsock *s, const uint8_t *d, size_t len, size_t *off)
{
	while (*off < len) {
		uint32_t n = len - *off < CHUNK ? (uint32_t)(len - *off) : CHUNK;

		if (n > gs_peer_free(s))
			n = gs_peer_free(s);
		if (!n)
			return;
		gs_send(s, VIRTIO_VSOCK_OP_RW, 0, d + *off, n);
		s->tx_cnt += n;
		*off += n;
	}
}

/* ---------------------------------------------------------- the host */

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 9)) & 0xff);
}

static void nonblock(int fd)
{
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* Host writes what the socket takes; returns bytes written this time. */
static size_t host_write(int fd, const uint8_t *d, size_t len, size_t *off)
{
	ssize_t n = *off < len ? send(fd, d + *off, len - *off, MSG_DONTWAIT | MSG_NOSIGNAL) : 0;

	if (n > 0)
		*off += (size_t)n;
	return n > 0 ? (size_t)n : 0;
}

static size_t host_read(int fd, uint8_t *d, size_t cap, size_t *off)
{
	ssize_t n = *off < cap ? recv(fd, d + *off, cap - *off, MSG_DONTWAIT) : 0;

	if (n > 0)
		*off += (size_t)n;
	return n > 0 ? (size_t)n : 0;
}

static int accepted_fd = -1;
static uint32_t accepted_gport;
static int conn_fd = -2, conn_err = 1;

static void on_accept(void *opaque, uint32_t host_port, uint32_t guest_port, int fd)
{
	ck_assert_int_eq(accepted_fd, -1);
	accepted_fd = fd;
	accepted_gport = guest_port;
}

static void on_connect(void *opaque, int fd, int error)
{
	conn_fd = fd;
	conn_err = error;
}

static void setup_params(uint32_t buf_alloc)
{
	struct virtio_vsock_params p = { .guest_cid = 3, .buf_alloc = buf_alloc, .uds_path = uds };

	snprintf(uds, sizeof(uds), "/tmp/husk-vsock-test-%d", (int)getpid());
	g_refuse = false;
	g_silent = false;
	g_rsts = 0;
	accepted_fd = -1;
	conn_fd = -2;
	conn_err = 1;
	mock_vsock_init(&mv, &p, true);
}

static void setup(void)
{
	setup_params(0);
}

static void teardown(void)
{
	if (accepted_fd >= 0)
		close(accepted_fd);
	if (conn_fd >= 0)
		close(conn_fd);
	mock_vsock_fini(&mv);
	gs_free_all();
	ck_assert_int_eq(access(uds, F_OK), -1); /* destroy removed the socket */
}

/* Host-initiated through the in-process API, accepted by the guest. */
static struct gsock *host_connect(int *fd)
{
	struct gsock *s = NULL;
	unsigned int i;

	conn_fd = -2;
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, g_listen_port, 1000, on_connect, NULL,
						    NULL),
			 0);
	run(0);
	ck_assert_int_eq(conn_err, 0);
	ck_assert_int_ge(conn_fd, 0);
	*fd = conn_fd;
	conn_fd = -2;
	for (i = 0; i < MAXS; i++)
		if (socks[i].used && socks[i].connected && (!s || socks[i].peer > s->peer))
			s = &socks[i];
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Guest-initiated to an in-process listener. */
static struct gsock *guest_connect(uint32_t gport, uint32_t hport, int *fd)
{
	struct gsock *s = gs_new(gport, hport);

	accepted_fd = -1;
	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert(s->connected);
	ck_assert_int_ge(accepted_fd, 0);
	ck_assert_uint_eq(accepted_gport, gport);
	*fd = accepted_fd;
	accepted_fd = -1;
	return s;
}

/*
 * Echo @len bytes host -> guest -> host: the host writes a pattern, the
 * guest sends back whatever it received, the host checks byte for byte.
 */
static void echo(struct gsock *s, int fd, size_t len)
{
	uint8_t *out = malloc(len), *back = malloc(len);
	size_t wr = 0, rd = 0, echoed = 0;
	int rounds = 0;

	nonblock(fd);
	free(s->data);
	s->data = malloc(len);
	s->cap = len;
	s->rx_total = s->fwd_cnt = 0;
	pattern(out, len, (unsigned int)len);
	while (rd < len) {
		host_write(fd, out, len, &wr);
		run(0);
		gs_write(s, s->data, s->rx_total, &echoed);
		run(0);
		host_read(fd, back, len, &rd);
		ck_assert_int_lt(++rounds, 100000);
	}
	ck_assert_mem_eq(back, out, len);
	ck_assert(!s->rst);
	free(out);
	free(back);
}

/* ---------------------------------------------------------- tests */

START_TEST(config_guest_cid)
{
	uint8_t b[8];

	virtio_mmio_io(&mv.mmio, VIRTIO_MMIO_CONFIG, b, 8, false);
	ck_assert_uint_eq(le64_get(b), 3);
	ck_assert_uint_eq(mock_mmio_read(&mv.mmio, VIRTIO_MMIO_DEVICE_ID), 19);
}
END_TEST

START_TEST(guest_connect_listener_echo)
{
	int fd;
	struct gsock *s;

	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 1024, on_accept, NULL, NULL), 0);
	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 1024, on_accept, NULL, NULL), -EADDRINUSE);
	s = guest_connect(5000, 1024, &fd);
	ck_assert_uint_eq(s->peer_buf_alloc, VIRTIO_VSOCK_DEFAULT_BUF_ALLOC);
	echo(s, fd, 1u << 20);
	close(fd);
	ck_assert_int_eq(virtio_vsock_unlisten(mv.dev, 1024), 0);
	ck_assert_int_eq(virtio_vsock_unlisten(mv.dev, 1024), -ENOENT);
}
END_TEST

START_TEST(guest_connect_nobody_listens)
{
	struct gsock *s = gs_new(5001, 999);

	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert(s->rst);
	ck_assert(!s->connected);
}
END_TEST

START_TEST(host_connect_echo)
{
	int fd;
	struct gsock *s = host_connect(&fd);

	ck_assert_uint_ge(s->peer, VSOCK_PORT_BASE);
	ck_assert_uint_eq(s->port, g_listen_port);
	echo(s, fd, 1u << 20);
	close(fd);
}
END_TEST

START_TEST(host_connect_refused)
{
	g_refuse = true;
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, g_listen_port, 1000, on_connect, NULL,
						    NULL),
			 0);
	run(0);
	ck_assert_int_eq(conn_fd, -1);
	ck_assert_int_eq(conn_err, -ECONNREFUSED);
}
END_TEST

START_TEST(host_connect_timeout)
{
	g_silent = true;
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, 77, 50, on_connect, NULL, NULL), 0);
	run(0);
	while (conn_err == 1)
		ck_assert_int_ge(mock_vsock_pump(&mv, 1000), 1);
	ck_assert_int_eq(conn_err, -ETIMEDOUT);
	ck_assert_int_eq(conn_fd, -1);
	g_silent = false;
	run(0);
	ck_assert_uint_eq(g_rsts, 1); /* the guest is told to forget it */
}
END_TEST

START_TEST(connect_before_driver)
{
	struct husk_error *err = NULL;

	mock_mmio_write(&mv.mmio, VIRTIO_MMIO_STATUS, 0);
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, 1, 10, on_connect, NULL, &err),
			 -ENOTCONN);
	husk_error_free(err);
}
END_TEST

static void *blocking_connect(void *arg)
{
	int fd = -1;

	*(int *)arg = virtio_vsock_connect(mv.dev, 4321, 100, &fd, NULL);
	return NULL;
}

START_TEST(blocking_connect_times_out)
{
	pthread_t t;
	int ret = 0;

	mv.el.seccomp = true; /* the device thread runs filtered, as in a VM */
	ck_assert_int_eq(event_loop_start(&mv.el, NULL), 0);
	pthread_create(&t, NULL, blocking_connect, &ret);
	pthread_join(t, NULL);
	event_loop_stop(&mv.el);
	ck_assert_int_eq(ret, -ETIMEDOUT);
}
END_TEST

struct blocking {
	int ret, fd;
	bool done;
};

static void *blocking_connect_ok(void *arg)
{
	struct blocking *b = arg;

	b->ret = virtio_vsock_connect(mv.dev, g_listen_port, 2000, &b->fd, NULL);
	__atomic_store_n(&b->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* The proposed public path: the loop on its own thread, the caller blocked. */
START_TEST(blocking_connect_accepted)
{
	struct blocking b = { .ret = 1, .fd = -1 };
	struct vsock_pkt h;
	pthread_t t;
	int i;

	mv.el.seccomp = true; /* the device thread runs filtered, as in a VM */
	ck_assert_int_eq(event_loop_start(&mv.el, NULL), 0);
	pthread_create(&t, NULL, blocking_connect_ok, &b);
	for (i = 0; i < 2000 && !__atomic_load_n(&b.done, __ATOMIC_ACQUIRE); i++) {
		while (mock_vsock_recv(&mv, &h, pkt_buf, sizeof(pkt_buf)))
			g_dispatch(&h, pkt_buf); /* answers the REQUEST */
		usleep(1000);
	}
	pthread_join(t, NULL);
	event_loop_stop(&mv.el);
	ck_assert_int_eq(b.ret, 0);
	ck_assert_int_ge(b.fd, 0);
	ck_assert_int_eq(send(b.fd, "hi", 2, 0), 2);
	run(0);
	ck_assert_uint_eq(socks[0].rx_total, 2);
	close(b.fd);
}
END_TEST

static int uds_client(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static int uds_listener(uint32_t port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_lt(snprintf(a.sun_path, sizeof(a.sun_path), "%.90s_%u", uds, port),
			 (int)sizeof(a.sun_path));
	unlink(a.sun_path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

START_TEST(uds_connect_ok_and_echo)
{
	const char req[] = "CONNECT 1234\nearly";
	char line[64] = { 0 };
	int fd = uds_client(uds);
	struct gsock *s;
	ssize_t n;
	unsigned int i;

	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	run(0);
	for (i = 0, s = NULL; i < MAXS; i++)
		if (socks[i].used)
			s = &socks[i];
	ck_assert_ptr_nonnull(s);
	ck_assert(s->connected);
	n = recv(fd, line, sizeof(line) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	snprintf(line + 40, 24, "OK %u\n", s->peer);
	ck_assert_str_eq(line, line + 40);
	/* What followed the line in the same write reached the guest. */
	ck_assert_uint_eq(s->rx_total, 5);
	s->rx_total = s->fwd_cnt = 0;
	echo(s, fd, 1u << 20);
	close(fd);
	run(0);
	ck_assert_uint_eq(s->peer_shut, VSOCK_SHUT_MASK);
}
END_TEST

/* EOF, or ECONNRESET when the device closed with our bytes unread. */
static bool closed_by_peer(int fd)
{
	char b[16];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno == ECONNRESET);
}

START_TEST(uds_connect_refused_closes)
{
	int fd = uds_client(uds);

	g_refuse = true;
	ck_assert_int_eq(send(fd, "CONNECT 9\n", 10, 0), 10);
	run(0);
	ck_assert(closed_by_peer(fd));
	close(fd);
}
END_TEST

START_TEST(uds_bad_request_closes)
{
	int fd = uds_client(uds), fd2 = uds_client(uds);

	ck_assert_int_eq(send(fd, "HELLO 12\n", 9, 0), 9);
	ck_assert_int_eq(send(fd2, "CONNECT 99999999999\n", 20, 0), 20);
	run(0);
	ck_assert(closed_by_peer(fd));
	ck_assert(closed_by_peer(fd2));
	close(fd);
	close(fd2);
}
END_TEST

START_TEST(uds_guest_connect_echo)
{
	int lfd = uds_listener(52), fd;
	struct gsock *s = gs_new(6000, 52);
	char path[128];

	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert(s->connected);
	fd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	echo(s, fd, 1u << 20);
	close(fd);
	close(lfd);
	snprintf(path, sizeof(path), "%s_52", uds);
	unlink(path);
}
END_TEST

START_TEST(uds_guest_connect_nobody)
{
	struct gsock *s = gs_new(6001, 53);

	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert(s->rst);
}
END_TEST

START_TEST(credit_limits_host_to_guest)
{
	static uint8_t out[256 * 1024];
	size_t wr = 0;
	int fd;
	struct gsock *s = host_connect(&fd);

	s->auto_consume = false;
	s->buf_alloc = 8192;
	gs_send(s, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	pattern(out, sizeof(out), 1);
	host_write(fd, out, sizeof(out), &wr);
	run(0);
	/* gs_data asserted the limit on every packet; here it is full. */
	ck_assert_uint_eq(s->rx_total, 8192);
	s->fwd_cnt = 4096;
	gs_send(s, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	run(0);
	ck_assert_uint_eq(s->rx_total, 12288);
	close(fd);
}
END_TEST

START_TEST(credit_update_and_request)
{
	static uint8_t d[200 * 1024], back[200 * 1024];
	size_t off = 0, rd = 0;
	int fd;
	struct gsock *s = host_connect(&fd);

	pattern(d, sizeof(d), 2);
	while (rd < sizeof(d)) {
		gs_write(s, d, sizeof(d), &off);
		run(0);
		host_read(fd, back, sizeof(back), &rd);
		run(0);
	}
	ck_assert_mem_eq(back, d, sizeof(d));
	/* More than the buffer went through: the device must have said so. */
	ck_assert_uint_ge(s->credit_updates, 1);
	s->credit_updates = 0;
	gs_send(s, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert_uint_eq(s->credit_updates, 1);
	ck_assert_uint_eq(s->peer_fwd_cnt, sizeof(d));
	close(fd);
}
END_TEST

/* Fill connection @s towards a host that does not read, until no credit is left. */
static size_t stall(struct gsock *s, const uint8_t *d, size_t len)
{
	size_t off = 0, last = 1;

	while (off != last && off < len) {
		last = off;
		gs_write(s, d, len, &off);
		run(0);
	}
	ck_assert_uint_eq(gs_peer_free(s), 0);
	return off;
}

START_TEST(stalled_reader_isolated)
{
	static uint8_t d[2u << 20], back[2u << 20];
	size_t sent, off, rd = 0;
	int fa, fb;
	struct gsock *a, *b;

	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 80, on_accept, NULL, NULL), 0);
	a = guest_connect(7000, 80, &fa);
	b = guest_connect(7001, 80, &fb);
	pattern(d, sizeof(d), 3);
	sent = stall(a, d, sizeof(d));
	ck_assert_uint_lt(sent, sizeof(d));
	/* b still moves a MiB both ways while a is stuck. */
	echo(b, fb, 1u << 20);
	/* The host reads a at last: everything arrives, in order. */
	off = sent;
	nonblock(fa);
	while (rd < sizeof(d)) {
		gs_write(a, d, sizeof(d), &off);
		run(0);
		host_read(fa, back, sizeof(back), &rd);
	}
	ck_assert_mem_eq(back, d, sizeof(d));
	close(fa);
	close(fb);
}
END_TEST

/* The connection whose guest port is @gport, from the status snapshot. */
static int conn_status(uint32_t gport, struct husk_vsock_conn_status *st)
{
	unsigned int i;

	for (i = 0; virtio_vsock_conn_status(mv.dev, i, st) == 0; i++)
		if (st->guest_port == gport)
			return 0;
	return -ENOENT;
}

/*
 * The diagnostic snapshot (husk_vm_get_vsock_conn) says where a stalled
 * guest->host stream stands: what arrived, what the host socket took,
 * what waits in the buffer, that the guest has no room left, and, once
 * the host reads, that a credit update went out and the room came back.
 */
START_TEST(status_of_a_stalled_stream)
{
	static uint8_t d[1u << 20], back[1u << 20];
	struct husk_vsock_conn_status st;
	struct husk_queue_status qs = { .struct_size = sizeof(qs) };
	size_t sent, rd = 0, off;
	int fa;
	struct gsock *a;

	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 80, on_accept, NULL, NULL), 0);
	a = guest_connect(7000, 80, &fa);
	pattern(d, sizeof(d), 5);
	sent = stall(a, d, sizeof(d));
	ck_assert_int_eq(conn_status(7000, &st), 0);
	ck_assert_uint_eq(st.host_port, 80);
	ck_assert_uint_eq(st.state, HUSK_VSOCK_ESTABLISHED);
	ck_assert(st.flags & HUSK_VSOCK_FROM_GUEST);
	ck_assert_uint_eq(st.from_guest, sent);
	ck_assert_uint_eq(st.buf_alloc, VIRTIO_VSOCK_DEFAULT_BUF_ALLOC);
	/* The host socket took part, the buffer holds the rest, and it is full. */
	ck_assert_uint_eq(st.fwd_cnt + st.queued, sent);
	ck_assert_uint_eq(st.queued, st.buf_alloc);
	ck_assert_uint_eq(st.from_guest - st.fwd_cnt_sent, st.buf_alloc); /* guest sees 0 free */
	ck_assert_uint_eq(st.guest_buf_alloc, a->buf_alloc);
	ck_assert_uint_eq(st.to_guest, 0);
	ck_assert_uint_eq(st.guest_credit, a->buf_alloc);

	/* Every TX chain was taken and returned: the ring has nothing pending. */
	virtq_peek(&mv.dev->queues[VIRTIO_VSOCK_TXQ], &qs);
	ck_assert_uint_eq(qs.active, 1);
	ck_assert_uint_eq(qs.external, 0);
	ck_assert_uint_eq(qs.avail_idx, qs.last_avail);
	ck_assert_uint_eq(qs.used_idx, qs.avail_idx);
	ck_assert_uint_ne(qs.avail_idx, 0);

	/* The host reads: the buffer drains, the guest is told, the rest flows. */
	nonblock(fa);
	off = sent;
	while (rd < sizeof(d)) {
		host_read(fa, back, sizeof(back), &rd);
		run(0);
		gs_write(a, d, sizeof(d), &off);
		run(0);
	}
	ck_assert_mem_eq(back, d, sizeof(d));
	ck_assert_int_eq(conn_status(7000, &st), 0);
	ck_assert_uint_eq(st.from_guest, sizeof(d));
	ck_assert_uint_eq(st.fwd_cnt, sizeof(d));
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(a->peer_fwd_cnt, st.fwd_cnt_sent);
	ck_assert_int_eq(conn_status(7001, &st), -ENOENT);
	close(fa);
}
END_TEST

START_TEST(credit_violation_resets)
{
	static uint8_t d[1u << 20];
	uint8_t c;
	int fd;
	struct gsock *s;

	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 81, on_accept, NULL, NULL), 0);
	s = guest_connect(7002, 81, &fd);
	stall(s, d, sizeof(d));
	gs_send(s, VIRTIO_VSOCK_OP_RW, 0, d, 1); /* one byte without credit */
	run(0);
	ck_assert(s->rst);
	/* The host end is closed once its queued bytes are read. */
	nonblock(fd);
	while (recv(fd, d, sizeof(d), MSG_DONTWAIT) > 0)
		;
	ck_assert_int_eq(recv(fd, &c, 1, MSG_DONTWAIT), 0);
	close(fd);
}
END_TEST

START_TEST(many_connections)
{
	enum { N = 40, LEN = 32 * 1024 };
	static uint8_t out[N][LEN], back[N][LEN];
	size_t wr[N] = { 0 }, rd[N] = { 0 }, echoed[N] = { 0 };
	struct gsock *s[N];
	int fd[N], i, done = 0, rounds = 0;

	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 90, on_accept, NULL, NULL), 0);
	for (i = 0; i < N; i++) {
		s[i] = guest_connect(8000 + i, 90, &fd[i]);
		nonblock(fd[i]);
		s[i]->data = malloc(LEN);
		s[i]->cap = LEN;
		pattern(out[i], LEN, i);
	}
	while (done < N) {
		for (i = 0; i < N; i++)
			host_write(fd[i], out[i], LEN, &wr[i]);
		run(0);
		for (i = 0; i < N; i++)
			gs_write(s[i], s[i]->data, s[i]->rx_total, &echoed[i]);
		run(0);
		for (i = 0, done = 0; i < N; i++) {
			host_read(fd[i], back[i], LEN, &rd[i]);
			done += rd[i] == LEN;
		}
		ck_assert_int_lt(++rounds, 10000);
	}
	for (i = 0; i < N; i++) {
		ck_assert_mem_eq(back[i], out[i], LEN);
		close(fd[i]);
	}
}
END_TEST

static void bad_packet(struct vsock_pkt h, uint32_t plen)
{
	static uint8_t payload[VSOCK_MAX_PAYLOAD + 16];

	g_rsts = 0;
	mock_vsock_send_raw(&mv, &h, payload, plen);
	run(0);
	ck_assert_uint_eq(g_rsts, 1);
	ck_assert_uint_eq(g_last_rst.src_port, h.dst_port);
	ck_assert_uint_eq(g_last_rst.dst_port, h.src_port);
	ck_assert(!virtio_dev_is_broken(virtio_vsock_dev(mv.dev)));
}

START_TEST(rst_for_bad_packets)
{
	struct vsock_pkt ok = { .src_cid = 3,
				.dst_cid = 2,
				.src_port = 9000,
				.dst_port = 9001,
				.type = VIRTIO_VSOCK_TYPE_STREAM,
				.op = VIRTIO_VSOCK_OP_RW };
	struct vsock_pkt h;

	ok.len = 10;
	bad_packet(ok, 10); /* no such connection */
	h = ok;
	h.src_cid = 4;
	bad_packet(h, 10); /* wrong source CID */
	h = ok;
	h.dst_cid = 3 | (1ULL << 32);
	bad_packet(h, 10); /* not to the host */
	h = ok;
	h.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	bad_packet(h, 10);
	h = ok;
	h.op = 8;
	bad_packet(h, 10);
	h = ok;
	h.len = 100;
	bad_packet(h, 10); /* len beyond the chain */
	h = ok;
	h.len = VSOCK_MAX_PAYLOAD + 1;
	bad_packet(h, VSOCK_MAX_PAYLOAD + 1); /* oversize */
	h = ok;
	h.op = VIRTIO_VSOCK_OP_RST;
	mock_vsock_send_raw(&mv, &h, NULL, 0); /* RST is never answered */
	g_rsts = 0;
	run(0);
	ck_assert_uint_eq(g_rsts, 0);
}
END_TEST

START_TEST(bad_packet_resets_connection)
{
	uint8_t c;
	int fd;
	struct gsock *s = host_connect(&fd);
	struct vsock_pkt h = { .src_cid = 3,
			       .dst_cid = 2,
			       .src_port = s->port,
			       .dst_port = s->peer,
			       .type = 7,
			       .op = VIRTIO_VSOCK_OP_RW };

	mock_vsock_send_raw(&mv, &h, NULL, 0);
	run(0);
	ck_assert(s->rst);
	ck_assert_int_eq(recv(fd, &c, 1, MSG_DONTWAIT), 0);
	close(fd);
	/* fwd_cnt beyond what was sent is just as bad. */
	s = host_connect(&fd);
	s->fwd_cnt = 0;
	mock_vsock_send(&mv, VIRTIO_VSOCK_OP_CREDIT_UPDATE, s->port, s->peer, 0, 100, 1, NULL, 0);
	run(0);
	ck_assert(s->rst);
	close(fd);
}
END_TEST

START_TEST(short_header_fails_device)
{
	struct mock_buf b = { mv.tx_buf[0], 20, false };

	mock_vq_add_chain(&mv.mq[VIRTIO_VSOCK_TXQ], &b, 1);
	mock_mmio_write(&mv.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_VSOCK_TXQ);
	run(0);
	ck_assert(virtio_dev_is_broken(virtio_vsock_dev(mv.dev)));
	ck_assert(mock_mmio_read(&mv.mmio, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}
END_TEST

START_TEST(small_rx_buffer_fails_device)
{
	struct virtio_vsock_params p = { .guest_cid = 3 };
	unsigned int i;

	mock_vsock_fini(&mv);
	uds[0] = 0;
	mock_vsock_init(&mv, &p, false);
	for (i = 0; i < 3; i++)
		mock_vq_init(&mv.mq[i], &mv.g.gm, i, MV_QSIZE);
	ck_assert_uint_eq(mock_mmio_bring_up(&mv.mmio, virtio_vsock_dev(mv.dev)->offered, mv.mq, 3),
			  0xf);
	mock_vsock_post_rx(&mv, 1, 16);
	mock_vsock_send(&mv, VIRTIO_VSOCK_OP_RW, 1, 2, 0, 0, 0, NULL, 0);
	mock_vsock_pump(&mv, 0);
	ck_assert(virtio_dev_is_broken(virtio_vsock_dev(mv.dev)));
}
END_TEST

START_TEST(shutdown_guest_send)
{
	uint8_t b[16];
	size_t off = 0;
	int fd;
	struct gsock *s = host_connect(&fd);

	gs_send(s, VIRTIO_VSOCK_OP_RW, 0, "ping", 4);
	s->tx_cnt += 4;
	gs_send(s, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0);
	run(0);
	ck_assert_int_eq(recv(fd, b, sizeof(b), MSG_DONTWAIT), 4);
	ck_assert_int_eq(recv(fd, b, sizeof(b), MSG_DONTWAIT), 0); /* EOF */
	/* The other direction still works. */
	host_write(fd, (const uint8_t *)"pong", 4, &off);
	run(0);
	ck_assert_uint_eq(s->rx_total, 4);
	/* Data after SHUTDOWN(SEND) breaks the rules. */
	gs_send(s, VIRTIO_VSOCK_OP_RW, 0, "x", 1);
	run(0);
	ck_assert(s->rst);
	close(fd);
}
END_TEST

START_TEST(shutdown_host_half_close_then_clean_close)
{
	uint8_t b[16];
	size_t off = 0;
	int fd;
	struct gsock *s = host_connect(&fd);

	host_write(fd, (const uint8_t *)"abc", 3, &off);
	shutdown(fd, SHUT_WR);
	run(0);
	ck_assert_uint_eq(s->rx_total, 3);
	ck_assert_uint_eq(s->peer_shut, VIRTIO_VSOCK_SHUTDOWN_SEND);
	gs_send(s, VIRTIO_VSOCK_OP_RW, 0, "xyz", 3);
	s->tx_cnt += 3;
	run(0);
	ck_assert_int_eq(recv(fd, b, sizeof(b), MSG_DONTWAIT), 3);
	/* 5.10.6.5 clean close: SHUTDOWN both, answered with RST. */
	gs_send(s, VIRTIO_VSOCK_OP_SHUTDOWN, VSOCK_SHUT_MASK, NULL, 0);
	run(0);
	ck_assert(s->rst);
	ck_assert_int_eq(recv(fd, b, sizeof(b), MSG_DONTWAIT), 0);
	close(fd);
}
END_TEST

START_TEST(host_close_then_guest_rst)
{
	int fd;
	struct gsock *s = host_connect(&fd);

	close(fd);
	run(0);
	ck_assert_uint_eq(s->peer_shut, VSOCK_SHUT_MASK);
	gs_send(s, VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
	run(0);
	ck_assert(!s->rst); /* no RST answers an RST */
	ck_assert_uint_eq(virtio_vsock_connect_async(mv.dev, g_listen_port, 1000, on_connect, NULL,
						     NULL),
			  0);
	run(0);
	ck_assert_int_eq(conn_err, 0); /* the table has room again */
}
END_TEST

START_TEST(reset_closes_everything)
{
	uint8_t c;
	int fd, fd2;

	host_connect(&fd);
	conn_err = 1;
	g_silent = true; /* leave the next REQUEST pending */
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, 55, 5000, on_connect, NULL, NULL), 0);
	run(0);
	ck_assert_int_eq(conn_err, 1);
	mock_mmio_write(&mv.mmio, VIRTIO_MMIO_STATUS, 0);
	ck_assert_int_eq(conn_err, -ECONNRESET);
	ck_assert_int_eq(recv(fd, &c, 1, MSG_DONTWAIT), 0);
	close(fd);
	g_silent = false;
	gs_free_all();
	mock_vsock_bring_up(&mv);
	host_connect(&fd2);
	close(fd2);
}
END_TEST

START_TEST(too_many_connections)
{
	struct virtio_vsock_params p = { .guest_cid = 5, .max_conns = 2 };
	struct husk_error *err = NULL;
	struct gsock *s;

	mock_vsock_fini(&mv);
	uds[0] = 0;
	mock_vsock_init(&mv, &p, true);
	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 1, on_accept, NULL, NULL), 0);
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, 1, 1000, on_connect, NULL, NULL), 0);
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, 1, 1000, on_connect, NULL, NULL), 0);
	ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, 1, 1000, on_connect, NULL, &err),
			 -EAGAIN);
	husk_error_free(err);
	s = gs_new(10, 1);
	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert(s->rst);
	ck_assert_int_eq(accepted_fd, -1);
}
END_TEST

START_TEST(create_rejects_bad_params)
{
	struct virtio_vsock_params p = { .guest_cid = 2, .loop = &mv.el };
	struct virtio_vsock *v;
	struct husk_error *err = NULL;

	ck_assert_int_eq(virtio_vsock_create(&v, &p, &mv.g.gm, NULL, &err), -EINVAL);
	husk_error_free(err);
	err = NULL;
	p.guest_cid = 3;
	p.max_conns = 1; /* nothing left for the host */
	ck_assert_int_eq(virtio_vsock_create(&v, &p, &mv.g.gm, NULL, &err), -EINVAL);
	husk_error_free(err);
	err = NULL;
	p.max_conns = 0;
	p.guest_cid = 3;
	p.uds_path = uds; /* bound and live: not stale, not ours */
	ck_assert_int_eq(virtio_vsock_create(&v, &p, &mv.g.gm, NULL, &err), -EADDRINUSE);
	husk_error_free(err);
	ck_assert_int_eq(access(uds, F_OK), 0);
}
END_TEST

/* ------------------------------------- slots, deadlines, out of fds */

static uint64_t fake_ns = 1000000000ULL; /* the device's clock in these tests */

static uint64_t fake_clock(void *opaque)
{
	return *(const uint64_t *)opaque;
}

/*
 * A device on the fake clock with @max_conns slots (0: default); with
 * @rx false the driver comes up but never posts an RX buffer: a guest
 * that takes no packet at all.
 */
static void init_fake(unsigned int max_conns, bool rx)
{
	struct virtio_vsock_params p = { .guest_cid = 3,
					 .max_conns = max_conns,
					 .uds_path = uds,
					 .clock_ns = fake_clock,
					 .clock_opaque = &fake_ns };
	unsigned int i;

	mock_vsock_init(&mv, &p, rx);
	if (rx)
		return;
	for (i = 0; i < 3; i++)
		mock_vq_init(&mv.mq[i], &mv.g.gm, i, MV_QSIZE);
	ck_assert_uint_eq(mock_mmio_bring_up(&mv.mmio, virtio_vsock_dev(mv.dev)->offered, mv.mq, 3),
			  0xf);
}

static void setup_fake(unsigned int max_conns, bool rx)
{
	mock_vsock_fini(&mv);
	init_fake(max_conns, rx);
}

/* Time passes on the fake clock; a guest notification wakes the device. */
static void advance_ms(unsigned int ms)
{
	fake_ns += ms * 1000000ULL;
	mock_mmio_write(&mv.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_VSOCK_TXQ);
	run(0);
}

static int connect_async(uint32_t port, int timeout_ms)
{
	struct husk_error *err = NULL;
	int ret = virtio_vsock_connect_async(mv.dev, port, timeout_ms, on_connect, NULL, &err);

	if (ret == -EAGAIN)
		ck_assert_ptr_nonnull(strstr(husk_error_message(err), "slots in use"));
	husk_error_free(err);
	return ret;
}

/*
 * The guest closes (SHUTDOWN both ways, as Linux's close does) with its
 * last bytes still in our buffer, behind a host reader slower than the
 * close deadline: they all still reach the host, then EOF. Only a reader
 * that takes nothing for VSOCK_STALE_MS loses them (the slot is freed).
 */
static size_t close_behind_slow_reader(struct gsock **s, int *fd)
{
	static uint8_t d[1u << 20];
	size_t sent;

	setup_fake(0, true);
	*s = host_connect(fd);
	pattern(d, sizeof(d), 6);
	sent = stall(*s, d, sizeof(d));
	ck_assert_uint_lt(sent, sizeof(d));
	gs_send(*s, VIRTIO_VSOCK_OP_SHUTDOWN, VSOCK_SHUT_MASK, NULL, 0);
	run(0);
	return sent;
}

START_TEST(close_drains_to_a_slow_reader)
{
	static uint8_t back[1u << 20], want[1u << 20];
	size_t sent, rd = 0;
	struct gsock *s;
	ssize_t n;
	int fd, i;

	sent = close_behind_slow_reader(&s, &fd);
	pattern(want, sizeof(want), 6);
	nonblock(fd);
	/*
	 * 16 KiB a second: the half MiB or so behind the close takes half a
	 * minute, far beyond VSOCK_CLOSE_MS, and the socket has room for the
	 * buffer's next bytes well within VSOCK_STALE_MS each time. Once the
	 * buffer is empty the device closes cleanly (RST to the guest, its
	 * end of the socket closed): the reader still gets the socket's bytes.
	 */
	for (i = 0; i < 1000; i++) {
		advance_ms(1000);
		n = recv(fd, back + rd, sizeof(back) - rd < 16384 ? sizeof(back) - rd : 16384,
			 MSG_DONTWAIT);
		if (n == 0)
			break; /* EOF */
		ck_assert_int_gt(n, 0);
		rd += (size_t)n;
	}
	ck_assert_uint_eq(rd, sent);
	ck_assert_mem_eq(back, want, sent);
	ck_assert_int_gt(i, VSOCK_CLOSE_MS / 1000 * 4);
	ck_assert(s->rst); /* the clean close's RST */
	close(fd);
}
END_TEST

START_TEST(close_gives_up_on_a_reader_that_takes_nothing)
{
	uint8_t b[16];
	struct gsock *s;
	int fd;

	close_behind_slow_reader(&s, &fd);
	advance_ms(VSOCK_STALE_MS - 1000);
	ck_assert(!s->rst);
	advance_ms(2000);
	ck_assert(s->rst);
	nonblock(fd);
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	ck_assert_int_eq(recv(fd, b, sizeof(b), MSG_DONTWAIT), 0);
	close(fd);
}
END_TEST

/* The guest opens all it may; the host's quarter of the slots stays the host's. */
START_TEST(guest_cannot_take_host_slots)
{
	enum {
		HOST = VIRTIO_VSOCK_DEFAULT_MAX_CONNS / 4,
		GUEST = VIRTIO_VSOCK_DEFAULT_MAX_CONNS - HOST,
	};
	static int gfd[GUEST], hfd[HOST];
	struct gsock *s;
	int i;

	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 90, on_accept, NULL, NULL), 0);
	for (i = 0; i < GUEST; i++)
		guest_connect(20000 + i, 90, &gfd[i]);
	s = gs_new(30000, 90);
	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert(s->rst);
	ck_assert(!s->connected);
	ck_assert_int_eq(accepted_fd, -1);
	/* The host still reaches the guest, bytes and all, HOST times. */
	s = host_connect(&hfd[0]);
	echo(s, hfd[0], 64 * 1024);
	for (i = 1; i < HOST; i++)
		host_connect(&hfd[i]);
	ck_assert_int_eq(connect_async(g_listen_port, 1000), -EAGAIN); /* all 256 in use */
	/* A guest connection that ends gives the guest its slot back. */
	gs_send(gs_find(20000, 90), VIRTIO_VSOCK_OP_RST, 0, NULL, 0);
	run(0);
	close(gfd[0]);
	guest_connect(30001, 90, &gfd[0]);
	for (i = 0; i < GUEST; i++)
		close(gfd[i]);
	for (i = 0; i < HOST; i++)
		close(hfd[i]);
}
END_TEST

static unsigned int timeouts;

static void on_connect_count(void *opaque, int fd, int error)
{
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(error, -ETIMEDOUT);
	timeouts++;
}

/*
 * A guest that posts no RX buffer cannot take the RSTs of the host's
 * connections that timed out: their slots are freed after VSOCK_DYING_MS
 * anyway, and the RSTs reach the guest, ahead of anything newer, once it
 * drains RX again.
 */
START_TEST(dying_slots_freed_without_rx)
{
	int i;

	setup_fake(4, false);
	timeouts = 0;
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(virtio_vsock_connect_async(mv.dev, g_listen_port, 50,
							    on_connect_count, NULL, NULL),
				 0);
	ck_assert_int_eq(connect_async(g_listen_port, 50), -EAGAIN);
	advance_ms(51);
	ck_assert_uint_eq(timeouts, 4);
	/* Timed out, RST owed: the slots are still taken... */
	ck_assert_int_eq(connect_async(g_listen_port, 50), -EAGAIN);
	advance_ms(VSOCK_DYING_MS - 1);
	ck_assert_int_eq(connect_async(g_listen_port, 50), -EAGAIN);
	/* ...until the deadline. */
	advance_ms(1);
	ck_assert_int_eq(connect_async(g_listen_port, 1000), 0);
	run(0);
	ck_assert_int_eq(conn_err, 1); /* no REQUEST went out yet */
	g_rsts = 0;
	mock_vsock_post_rx(&mv, MV_RX_POSTED, MV_BUF_LEN);
	run(0);
	ck_assert_uint_eq(g_rsts, 4);
	ck_assert_uint_ge(g_last_rst.src_port, VSOCK_PORT_BASE);
	ck_assert_uint_eq(g_last_rst.dst_port, g_listen_port);
	ck_assert_uint_eq(g_rsts_at_request, 4); /* the RSTs came first */
	ck_assert_int_eq(conn_err, 0);
	ck_assert_int_ge(conn_fd, 0);
}
END_TEST

/*
 * The host closes a connection whose guest takes no data (no credit):
 * once it has taken none for VSOCK_STALE_MS, a host connection that finds
 * no free slot evicts it; before that, or with slots free, it stays.
 */
START_TEST(stale_closed_connection_yields_slot)
{
	uint8_t junk[100] = { 0 };
	size_t off = 0;
	struct gsock *s;
	int fd;

	setup_fake(2, true);
	s = host_connect(&fd);
	s->buf_alloc = 0; /* the guest application stopped reading */
	gs_send(s, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
	run(0);
	host_write(fd, junk, sizeof(junk), &off);
	close(fd);
	run(0);
	/* Asking for credit is not taking data: it does not make it fresh. */
	advance_ms(VSOCK_STALE_MS / 2);
	gs_send(s, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert_uint_eq(s->credit_updates, 1);
	g_silent = true; /* REQUESTs left pending: each holds its slot */
	ck_assert_int_eq(connect_async(g_listen_port, 600000), 0);
	advance_ms(VSOCK_STALE_MS - VSOCK_STALE_MS / 2 - 1);
	ck_assert_int_eq(connect_async(g_listen_port, 600000), -EAGAIN); /* not stale yet */
	ck_assert(!s->rst);
	advance_ms(1);
	ck_assert(!s->rst); /* stale, but nobody needs the slot */
	ck_assert_int_eq(connect_async(g_listen_port, 600000), 0);
	run(0);
	ck_assert(s->rst);
	ck_assert_uint_eq(s->rx_total, 0);
	ck_assert_int_eq(connect_async(g_listen_port, 600000), -EAGAIN);
}
END_TEST

/*
 * A guest connection's RST, moved to the reply ring when its slot was
 * freed, must not reset a later connection on the same port pair.
 */
START_TEST(stale_rst_spares_new_connection)
{
	struct vsock_pkt bad;
	struct gsock *s;

	setup_fake(4, false);
	ck_assert_int_eq(virtio_vsock_listen(mv.dev, 91, on_accept, NULL, NULL), 0);
	s = gs_new(7000, 91);
	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert_int_ge(accepted_fd, 0);
	/* A bad packet resets it: RESPONSE and RST owed, none taken. */
	bad = (struct vsock_pkt){ .src_cid = 3,
				  .dst_cid = 2,
				  .src_port = 7000,
				  .dst_port = 91,
				  .type = 7,
				  .op = VIRTIO_VSOCK_OP_RW };
	mock_vsock_send_raw(&mv, &bad, NULL, 0);
	run(0);
	ck_assert(closed_by_peer(accepted_fd));
	close(accepted_fd);
	accepted_fd = -1;
	advance_ms(VSOCK_DYING_MS); /* RST not taken: slot freed, RST queued */
	/* The guest, which never saw the first, connects from the same port. */
	gs_send(s, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	run(0);
	ck_assert_int_ge(accepted_fd, 0);
	g_rsts = 0;
	mock_vsock_post_rx(&mv, MV_RX_POSTED, MV_BUF_LEN);
	run(0);
	ck_assert(s->connected);
	ck_assert(!s->rst);
	ck_assert_uint_eq(g_rsts, 0);
}
END_TEST

/* What the child of uds_accept_backs_off_out_of_fds saw. */
struct emfile_report {
	int starved;	     /* dup() hit EMFILE: the process was out of fds */
	int wakeups_out;     /* loop events in 20 turns, out of fds */
	int wakeups_retry;   /* the same after the retry time, still out of fds */
	int wakeups_freed;   /* the same with fds free, before the retry time */
	char flooded_ok[32]; /* a client queued meanwhile, after recovery */
	char later_ok[32];   /* a client that came after */
};

static int loop_turns(int turns)
{
	int n, events = 0;

	while (turns--) {
		n = event_loop_run_once(&mv.el, 0);
		events += n > 0 ? n : 0;
	}
	return events;
}

/* CONNECT to the guest's port; its answer line. */
static void uds_request(int fd, char *line, size_t cap)
{
	ssize_t n;

	memset(line, 0, cap);
	if (send(fd, "CONNECT 1234\n", 13, MSG_NOSIGNAL) != 13)
		return;
	run(0);
	n = recv(fd, line, cap - 1, MSG_DONTWAIT);
	if (n < 0)
		line[0] = 0;
}

enum { FLOOD = 16, FILL_MAX = 512 };

static void emfile_child(struct emfile_report *r)
{
	int flood[FLOOD], fill[FILL_MAX], nfill = 0, null_fd, fd, i;
	struct rlimit rl;

	/* A device of our own: the parent's shares this epoll instance. */
	snprintf(uds, sizeof(uds), "/tmp/husk-vsock-emfile-%d", (int)getpid());
	init_fake(0, true);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 256;
	setrlimit(RLIMIT_NOFILE, &rl);
	for (i = 0; i < FLOOD; i++)
		flood[i] = uds_client(uds); /* queued: nobody ran the loop yet */
	while (nfill < FILL_MAX && (fd = dup(null_fd)) >= 0)
		fill[nfill++] = fd;
	r->starved = nfill < FILL_MAX && errno == EMFILE;
	r->wakeups_out = loop_turns(20);
	fake_ns += VSOCK_UDS_WAIT_MS * 1000000ULL;
	mock_mmio_write(&mv.mmio, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_VSOCK_TXQ);
	r->wakeups_retry = loop_turns(20);
	while (nfill)
		close(fill[--nfill]);
	r->wakeups_freed = loop_turns(20);
	advance_ms(VSOCK_UDS_WAIT_MS);
	uds_request(flood[0], r->flooded_ok, sizeof(r->flooded_ok));
	fd = uds_client(uds);
	uds_request(fd, r->later_ok, sizeof(r->later_ok));
	mock_vsock_fini(&mv);
}

/*
 * Out of fds, the Unix mux's listener stays readable while accept fails:
 * the loop must not spin on it, and must serve the clients once fds are
 * free. Run in a child: the fd limit is lowered there.
 */
START_TEST(uds_accept_backs_off_out_of_fds)
{
	struct emfile_report r;
	int pfd[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		memset(&r, 0, sizeof(r));
		emfile_child(&r);
		_exit(write(pfd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(r.starved, 1);
	/*
	 * A spinning loop counts 20 in each. Paused: one wake-up finds EMFILE;
	 * at the retry the kick, then the listener once more; with fds free
	 * nothing until the retry. (+1: the timerfd, should 100 ms pass.)
	 */
	ck_assert_int_ge(r.wakeups_out, 1);
	ck_assert_int_le(r.wakeups_out, 2);
	ck_assert_int_ge(r.wakeups_retry, 2);
	ck_assert_int_le(r.wakeups_retry, 3);
	ck_assert_int_le(r.wakeups_freed, 1);
	ck_assert_int_eq(strncmp(r.flooded_ok, "OK ", 3), 0);
	ck_assert_int_eq(strncmp(r.later_ok, "OK ", 3), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vsock");
	TCase *tc = tcase_create("mock guest");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, config_guest_cid);
	tcase_add_test(tc, status_of_a_stalled_stream);
	tcase_add_test(tc, close_drains_to_a_slow_reader);
	tcase_add_test(tc, close_gives_up_on_a_reader_that_takes_nothing);
	tcase_add_test(tc, guest_connect_listener_echo);
	tcase_add_test(tc, guest_connect_nobody_listens);
	tcase_add_test(tc, host_connect_echo);
	tcase_add_test(tc, host_connect_refused);
	tcase_add_test(tc, host_connect_timeout);
	tcase_add_test(tc, connect_before_driver);
	tcase_add_test(tc, blocking_connect_times_out);
	tcase_add_test(tc, blocking_connect_accepted);
	tcase_add_test(tc, uds_connect_ok_and_echo);
	tcase_add_test(tc, uds_connect_refused_closes);
	tcase_add_test(tc, uds_bad_request_closes);
	tcase_add_test(tc, uds_guest_connect_echo);
	tcase_add_test(tc, uds_guest_connect_nobody);
	tcase_add_test(tc, credit_limits_host_to_guest);
	tcase_add_test(tc, credit_update_and_request);
	tcase_add_test(tc, stalled_reader_isolated);
	tcase_add_test(tc, credit_violation_resets);
	tcase_add_test(tc, many_connections);
	tcase_add_test(tc, rst_for_bad_packets);
	tcase_add_test(tc, bad_packet_resets_connection);
	tcase_add_test(tc, short_header_fails_device);
	tcase_add_test(tc, small_rx_buffer_fails_device);
	tcase_add_test(tc, shutdown_guest_send);
	tcase_add_test(tc, shutdown_host_half_close_then_clean_close);
	tcase_add_test(tc, host_close_then_guest_rst);
	tcase_add_test(tc, reset_closes_everything);
	tcase_add_test(tc, too_many_connections);
	tcase_add_test(tc, create_rejects_bad_params);
	tcase_add_test(tc, guest_cannot_take_host_slots);
	tcase_add_test(tc, dying_slots_freed_without_rx);
	tcase_add_test(tc, stale_closed_connection_yields_slot);
	tcase_add_test(tc, stale_rst_spares_new_connection);
	tcase_add_test(tc, uds_accept_backs_off_out_of_fds);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
