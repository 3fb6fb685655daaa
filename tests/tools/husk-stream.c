// SPDX-License-Identifier: Apache-2.0
/*
 * husk-stream - byte streams with counts and checksums over vsock, TCP and
 * Unix sockets, for the virtio rig tests and benchmarks. Static; runs in
 * test guests and in level 1.
 *
 *   husk-stream serve  ADDR echo|sink|source [options]
 *   husk-stream client ADDR send|echo|recv   [options]
 *
 * ADDR:
 *   vsock:PORT            serve: AF_VSOCK, any CID
 *   vsock:CID:PORT        client: AF_VSOCK
 *   tcp:PORT              serve: TCP, any IPv4 address
 *   tcp:HOST:PORT         client (serve: that address); numeric IPv4
 *   unix:PATH             a Unix stream socket (serve removes a stale one)
 *   hvsock:PATH:PORT      client: the Firecracker-style vsock Unix face
 *                         (`CONNECT PORT\n`, answered by `OK N\n`)
 *
 * Options:
 *   -c N      connections (serve: accept N, then exit; client: N in parallel)
 *   -b BYTES  bytes each connection sends (send, echo, source; k/M/G suffix)
 *   -s SEED   stream seed; connection i sends the stream of SEED + i
 *   -n        no pattern and no checksum (benchmarks: zeros, sum 0)
 *   -t SECS   give up after SECS without progress (default 60)
 *   -r SECS   client: retry refused connections for up to SECS
 *   -d SECS   wait SECS after each connection is made before moving bytes
 *             (a slow reader: the peer's writes must wait, not be lost)
 *   -q        no per-connection lines
 *
 * Each connection sends its bytes, shuts its write side down when done
 * (servers after the peer's EOF), and ends at the peer's EOF. Output, one
 * line per connection and a total:
 *   husk-stream: conn=I tx=N txsum=HEX rx=N rxsum=HEX ms=T
 *   husk-stream: total conns=N failed=F tx=N rx=N ms=T mibps=X
 * Checksums are FNV-1a 64 of the bytes sent and received. An echo client
 * also checks that what came back is what it sent. Exit 0 when every
 * connection completed (and matched), 1 otherwise, 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	   (64 * 1024)
#define MAX_CONNS  1024
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

enum role { R_ECHO, R_SINK, R_SOURCE, R_SEND, R_CLIENT_ECHO, R_RECV };

struct addr {
	int family;    /* AF_VSOCK, AF_INET, AF_UNIX */
	bool mux;      /* hvsock: CONNECT handshake after connect */
	uint32_t port; /* vsock or hvsock port */
	struct sockaddr_storage ss;
	socklen_t len;
};

struct opts {
	enum role role;
	bool server;
	int conns;
	uint64_t bytes;
	uint64_t seed;
	bool nosum;
	int timeout_ms;
	int retry_ms;
	int delay_ms;
	bool quiet;
	struct addr addr;
};

struct conn {
	const struct opts *o;
	int idx;
	int fd;
	uint64_t rng; /* pattern generator state */
	uint64_t tx, rx, txsum, rxsum;
	uint64_t target; /* bytes to generate and send */
	bool echo;	 /* write back what arrives */
	bool rx_eof, tx_shut;
	size_t pend_off, pend_len;
	uint64_t t0, t1;
	bool ok;
	char buf[CHUNK]; /* bytes to send (echo: what arrived) */
	char rxbuf[CHUNK];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* xorshift64*: one 64-bit word of the stream, stored little-endian. */
static void pattern_fill(uint64_t *state, char *buf, size_t len)
{
	uint64_t x = *state, w;
	size_t i, n;

	for (i = 0; i < len; i += 8) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		w = x * 0x2545f4914f6cdd1dULL;
		n = len - i < 8 ? len - i : 8;
		for (size_t k = 0; k < n; k++)
			buf[i + k] = (char)(w >> (8 * k));
	}
	*state = x;
}

static uint64_t fnv1a(uint64_t h, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* ---------------------------------------------------------------- addresses */

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

static int addr_vsock(struct addr *a, const char *rest, bool server)
{
	struct sockaddr_vm *vm = (struct sockaddr_vm *)&a->ss;
	const char *colon = strchr(rest, ':');
	uint32_t cid = VMADDR_CID_ANY;
	char cidbuf[16];

	if (colon) {
		if ((size_t)(colon - rest) >= sizeof(cidbuf))
			return -1;
		memcpy(cidbuf, rest, (size_t)(colon - rest));
		cidbuf[colon - rest] = 0;
		if (parse_u32(cidbuf, &cid))
			return -1;
		rest = colon + 1;
	} else if (!server) {
		return -1;
	}
	if (parse_u32(rest, &a->port))
		return -1;
	a->family = AF_VSOCK;
	vm->svm_family = AF_VSOCK;
	vm->svm_cid = cid;
	vm->svm_port = a->port;
	a->len = sizeof(*vm);
	return 0;
}

static int addr_tcp(struct addr *a, const char *rest, bool server)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;
	const char *colon = strrchr(rest, ':');
	char host[64] = "0.0.0.0";
	uint32_t port;

	if (colon) {
		if ((size_t)(colon - rest) >= sizeof(host))
			return -1;
		memcpy(host, rest, (size_t)(colon - rest));
		host[colon - rest] = 0;
		rest = colon + 1;
	} else if (!server) {
		return -1;
	}
	if (parse_u32(rest, &port) || port > 65535)
		return -1;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -1;
	a->family = AF_INET;
	a->len = sizeof(*in);
	return 0;
}

static int addr_unix(struct addr *a, const char *path, size_t len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;

	if (len == 0 || len >= sizeof(un->sun_path))
		return -1;
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, len);
	un->sun_path[len] = 0;
	a->family = AF_UNIX;
	a->len = sizeof(*un);
	return 0;
}

static int addr_parse(struct addr *a, const char *s, bool server)
{
	const char *colon;

	memset(a, 0, sizeof(*a));
	if (!strncmp(s, "vsock:", 6))
		return addr_vsock(a, s + 6, server);
	if (!strncmp(s, "tcp:", 4))
		return addr_tcp(a, s + 4, server);
	if (!strncmp(s, "unix:", 5))
		return addr_unix(a, s + 5, strlen(s + 5));
	if (!strncmp(s, "hvsock:", 7) && !server) {
		colon = strrchr(s + 7, ':');
		if (!colon || parse_u32(colon + 1, &a->port))
			return -1;
		a->mux = true;
		return addr_unix(a, s + 7, (size_t)(colon - (s + 7)));
	}
	return -1;
}

/* ---------------------------------------------------------------- connecting */

/* Firecracker's vsock Unix face: `CONNECT <port>\n`, then `OK <n>\n`. */
static int mux_handshake(int fd, uint32_t port)
{
	char line[64];
	size_t n = 0;
	ssize_t r;
	int len;

	len = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write(fd, line, (size_t)len) != len)
		return -errno ? -errno : -EIO;
	/* One byte at a time: stream bytes may follow the line at once. */
	while (n < sizeof(line) - 1) {
		r = read(fd, &line[n], 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ECONNREFUSED; /* nobody listens on the guest port */
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	if (strncmp(line, "OK ", 3)) {
		fprintf(stderr, "husk-stream: CONNECT %u answered '%s'\n", port, line);
		return -EPROTO;
	}
	return 0;
}

static int connect_once(const struct addr *a)
{
	int fd, ret, one = 1;

	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (a->family == AF_INET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (a->mux) {
		ret = mux_handshake(fd, a->port);
		if (ret < 0) {
			close(fd);
			return ret;
		}
	}
	return fd;
}

static int connect_retry(const struct opts *o)
{
	uint64_t deadline = now_ns() + (uint64_t)o->retry_ms * 1000000ULL;
	int fd;

	for (;;) {
		fd = connect_once(&o->addr);
		if (fd >= 0)
			return fd;
		if (fd != -ECONNREFUSED && fd != -ENOENT && fd != -ECONNRESET && fd != -ETIMEDOUT &&
		    fd != -ENODEV)
			return fd;
		if (now_ns() >= deadline)
			return fd;
		usleep(100 * 1000);
	}
}

static int listen_on(const struct addr *a)
{
	int fd, one = 1;

	if (a->family == AF_UNIX)
		unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("husk-stream: socket");
		return -1;
	}
	if (a->family == AF_INET)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
		perror("husk-stream: bind");
		close(fd);
		return -1;
	}
	if (listen(fd, MAX_CONNS) < 0) {
		perror("husk-stream: listen");
		close(fd);
		return -1;
	}
	return fd;
}

/* ---------------------------------------------------------------- one stream */

static void conn_setup(struct conn *c, const struct opts *o, int idx)
{
	c->o = o;
	c->idx = idx;
	c->rng = splitmix64(o->seed + (uint64_t)idx) | 1;
	c->txsum = c->rxsum = FNV_OFFSET;
	c->echo = o->role == R_ECHO;
	if (o->role == R_SEND || o->role == R_CLIENT_ECHO || o->role == R_SOURCE)
		c->target = o->bytes;
}

/* Queue the next generated chunk, if any is left to send. */
static void conn_generate(struct conn *c)
{
	uint64_t left = c->target - c->tx;
	size_t n = left < CHUNK ? (size_t)left : CHUNK;

	if (c->echo || c->pend_len || !n)
		return;
	if (!c->o->nosum) {
		pattern_fill(&c->rng, c->buf, n);
		c->txsum = fnv1a(c->txsum, c->buf, n);
	}
	c->pend_off = 0;
	c->pend_len = n;
}

static bool conn_tx_done(const struct conn *c)
{
	if (c->pend_len)
		return false;
	if (c->echo)
		return c->rx_eof;
	/* Servers answer EOF with EOF; senders shut down once all is out. */
	return c->tx == c->target && (c->target > 0 || c->rx_eof);
}

static int conn_write(struct conn *c)
{
	ssize_t n = send(c->fd, c->buf + c->pend_off, c->pend_len, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (c->echo && !c->o->nosum)
		c->txsum = fnv1a(c->txsum, c->buf + c->pend_off, (size_t)n);
	c->pend_off += (size_t)n;
	c->pend_len -= (size_t)n;
	c->tx += (uint64_t)n;
	return 0;
}

/* An echo server reads only when all it read before went back out. */
static int conn_read(struct conn *c)
{
	char *dst = c->echo ? c->buf : c->rxbuf;
	ssize_t n = read(c->fd, dst, CHUNK);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		c->rx_eof = true;
		return 0;
	}
	if (!c->o->nosum)
		c->rxsum = fnv1a(c->rxsum, dst, (size_t)n);
	c->rx += (uint64_t)n;
	if (c->echo) {
		c->pend_off = 0;
		c->pend_len = (size_t)n;
	}
	return 0;
}

static const char *conn_state(const struct conn *c)
{
	if (!c->rx_eof && c->tx_shut)
		return "waiting for the peer's EOF";
	if (c->pend_len)
		return "writing";
	return "reading";
}

/* Move bytes until both directions are closed; 0 or -errno. */
static int conn_pump(struct conn *c)
{
	struct pollfd p = { .fd = c->fd };
	int ret;

	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	for (;;) {
		conn_generate(c);
		if (!c->tx_shut && conn_tx_done(c)) {
			if (shutdown(c->fd, SHUT_WR) < 0)
				return -errno;
			c->tx_shut = true;
		}
		if (c->rx_eof && c->tx_shut)
			return 0;
		p.events = 0;
		if (c->pend_len)
			p.events |= POLLOUT;
		if (!c->rx_eof && !(c->echo && c->pend_len))
			p.events |= POLLIN;
		ret = poll(&p, 1, c->o->timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0) {
			fprintf(stderr,
				"husk-stream: conn %d: no progress for %d ms while %s "
				"(tx=%" PRIu64 " rx=%" PRIu64 ")\n",
				c->idx, c->o->timeout_ms, conn_state(c), c->tx, c->rx);
			return -ETIMEDOUT;
		}
		ret = 0;
		if (c->pend_len && (p.revents & (POLLOUT | POLLERR)))
			ret = conn_write(c);
		if (!ret && (p.events & POLLIN) && (p.revents & (POLLIN | POLLHUP | POLLERR)))
			ret = conn_read(c);
		if (ret < 0)
			return ret;
		if (!(p.revents & (POLLIN | POLLOUT)) && (p.revents & POLLHUP) &&
		    !(p.events & POLLIN))
			return -EPIPE; /* hung up while we still had bytes to send */
	}
}

static void conn_report(const struct conn *c)
{
	if (c->o->quiet)
		return;
	printf("husk-stream: conn=%d tx=%" PRIu64 " txsum=%016" PRIx64 " rx=%" PRIu64
	       " rxsum=%016" PRIx64 " ms=%" PRIu64 "%s\n",
	       c->idx, c->tx, c->o->nosum ? 0 : c->txsum, c->rx, c->o->nosum ? 0 : c->rxsum,
	       (c->t1 - c->t0) / 1000000, c->ok ? "" : " FAILED");
}

static void conn_check_echo(struct conn *c)
{
	if (c->o->role != R_CLIENT_ECHO)
		return;
	if (c->rx != c->tx || (!c->o->nosum && c->rxsum != c->txsum)) {
		fprintf(stderr,
			"husk-stream: conn %d: echo mismatch: sent %" PRIu64
			" bytes sum %016" PRIx64 ", got back %" PRIu64 " sum %016" PRIx64 "\n",
			c->idx, c->tx, c->txsum, c->rx, c->rxsum);
		c->ok = false;
	}
}

static void conn_run(struct conn *c)
{
	int ret;

	if (c->o->delay_ms)
		usleep((useconds_t)c->o->delay_ms * 1000);
	c->t0 = now_ns();
	ret = conn_pump(c);
	c->t1 = now_ns();
	c->ok = ret == 0;
	if (ret < 0)
		fprintf(stderr, "husk-stream: conn %d: %s after tx=%" PRIu64 " rx=%" PRIu64 "\n",
			c->idx, strerror(-ret), c->tx, c->rx);
	conn_check_echo(c);
	close(c->fd);
	conn_report(c);
}

static void *client_thread(void *arg)
{
	struct conn *c = arg;

	c->fd = connect_retry(c->o);
	if (c->fd < 0) {
		fprintf(stderr, "husk-stream: conn %d: connect: %s\n", c->idx, strerror(-c->fd));
		c->ok = false;
		c->t0 = c->t1 = now_ns();
		return NULL;
	}
	conn_run(c);
	return NULL;
}

static void *server_thread(void *arg)
{
	conn_run(arg);
	return NULL;
}

/* ---------------------------------------------------------------- main */

static int report_total(const struct opts *o, struct conn **cs, uint64_t t0)
{
	uint64_t tx = 0, rx = 0, t1 = t0, ns;
	int failed = 0;

	for (int i = 0; i < o->conns; i++) {
		tx += cs[i]->tx;
		rx += cs[i]->rx;
		failed += !cs[i]->ok;
		if (cs[i]->t1 > t1)
			t1 = cs[i]->t1;
	}
	ns = t1 > t0 ? t1 - t0 : 1;
	printf("husk-stream: total conns=%d failed=%d tx=%" PRIu64 " rx=%" PRIu64 " ms=%" PRIu64
	       " mibps=%.2f\n",
	       o->conns, failed, tx, rx, ns / 1000000,
	       (double)(tx > rx ? tx : rx) / (1024.0 * 1024.0) / ((double)ns / 1e9));
	return failed ? 1 : 0;
}

static int spawn(pthread_t *th, void *(*fn)(void *), struct conn *c)
{
	int ret = pthread_create(th, NULL, fn, c);

	if (ret)
		fprintf(stderr, "husk-stream: pthread_create: %s\n", strerror(ret));
	return ret ? -1 : 0;
}

static int run_server(const struct opts *o, struct conn **cs, pthread_t *th)
{
	uint64_t t0 = 0;
	int lfd, i;

	lfd = listen_on(&o->addr);
	if (lfd < 0)
		return 1;
	printf("husk-stream: listening\n");
	fflush(stdout);
	for (i = 0; i < o->conns; i++) {
		cs[i]->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cs[i]->fd < 0) {
			perror("husk-stream: accept");
			return 1;
		}
		if (!t0)
			t0 = now_ns();
		if (spawn(&th[i], server_thread, cs[i]))
			return 1;
	}
	close(lfd);
	for (i = 0; i < o->conns; i++)
		pthread_join(th[i], NULL);
	return report_total(o, cs, t0);
}

static int run_client(const struct opts *o, struct conn **cs, pthread_t *th)
{
	uint64_t t0 = now_ns();
	int i, n;

	for (n = 0; n < o->conns; n++)
		if (spawn(&th[n], client_thread, cs[n]))
			break;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (n < o->conns)
		return 1;
	return report_total(o, cs, t0);
}

static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G':
		n <<= 10; /* fall through */
	case 'M':
		n <<= 10; /* fall through */
	case 'k':
	case 'K':
		n <<= 10;
		end++;
		break;
	case 0:
		break;
	default:
		return -1;
	}
	if (*end)
		return -1;
	*v = n;
	return 0;
}

static int parse_role(struct opts *o, const char *verb, const char *mode)
{
	static const struct {
		const char *verb, *mode;
		enum role role;
	} roles[] = {
		{ "serve", "echo", R_ECHO },	     { "serve", "sink", R_SINK },
		{ "serve", "source", R_SOURCE },     { "client", "send", R_SEND },
		{ "client", "echo", R_CLIENT_ECHO }, { "client", "recv", R_RECV },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (!strcmp(verb, roles[i].verb) && !strcmp(mode, roles[i].mode)) {
			o->role = roles[i].role;
			o->server = verb[0] == 's';
			return 0;
		}
	}
	return -1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: husk-stream serve ADDR echo|sink|source [-c N] [-b BYTES] [-s SEED] [-n] [-t SECS] [-d SECS] [-q]\n"
		"       husk-stream client ADDR send|echo|recv [-c N] [-b BYTES] [-s SEED] [-n] [-t SECS] [-r SECS] [-d SECS] [-q]\n"
		"ADDR: vsock:[CID:]PORT tcp:[HOST:]PORT unix:PATH hvsock:PATH:PORT\n");
	return 2;
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	uint64_t v;
	int ch;

	if (argc < 4 || parse_role(o, argv[1], argv[3]) || addr_parse(&o->addr, argv[2], o->server))
		return -1;
	optind = 4;
	while ((ch = getopt(argc, argv, "c:b:s:nt:r:d:q")) != -1) {
		if (ch == 'n' || ch == 'q') {
			*(ch == 'n' ? &o->nosum : &o->quiet) = true;
			continue;
		}
		if (ch == '?' || parse_size(optarg, &v))
			return -1;
		switch (ch) {
		case 'c':
			o->conns = (int)v;
			break;
		case 'b':
			o->bytes = v;
			break;
		case 's':
			o->seed = v;
			break;
		case 't':
			o->timeout_ms = (int)(v * 1000);
			break;
		case 'r':
			o->retry_ms = (int)(v * 1000);
			break;
		case 'd':
			o->delay_ms = (int)(v * 1000);
			break;
		}
	}
	if (optind != argc || o->conns < 1 || o->conns > MAX_CONNS)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .conns = 1, .timeout_ms = 60000, .seed = 1 };
	struct conn **cs;
	pthread_t *th;
	int i;

	if (parse_opts(&o, argc, argv))
		return usage();
	signal(SIGPIPE, SIG_IGN);
	cs = calloc((size_t)o.conns, sizeof(*cs));
	th = calloc((size_t)o.conns, sizeof(*th));
	if (!cs || !th) {
		perror("husk-stream: calloc");
		return 1;
	}
	for (i = 0; i < o.conns; i++) {
		cs[i] = calloc(1, sizeof(**cs));
		if (!cs[i]) {
			perror("husk-stream: calloc");
			return 1;
		}
		conn_setup(cs[i], &o, i);
	}
	return o.server ? run_server(&o, cs, th) : run_client(&o, cs, th);
}
