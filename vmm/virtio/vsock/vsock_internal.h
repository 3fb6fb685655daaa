/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vsock_internal.h - state shared by the files of vmm/virtio/vsock/ only.
 *
 *   device.c       the virtio device: config, features, activate/reset,
 *                  and the loop callbacks (kick eventfd, deadline timerfd,
 *                  each connection's host fd)
 *   tx.c           TX queue: guest packets drive the connections
 *   rx.c           RX queue: packets for the guest, host reads into chains
 *   host.c         face: in-process connect/listen (the public host API)
 *   unix_socket.c  face: the Firecracker-style Unix socket multiplexer
 *   connection.c   the connection state machine: table, slots, lifetime
 *                  and deadlines, host fd events and writes, the RX wait
 *                  list and the ring of RSTs owed to no connection
 *   credit.c       flow control (5.10.6.3) and the per-connection buffer
 *   packet.c       packet headers: decode/encode and the one check every
 *                  guest-written header passes (the choke point)
 *   deferred.c     the device lock, callbacks run after it drops, the kick
 *                  and the deadline timer
 *   status.c       a connection's snapshot for diagnostics (read-only)
 *
 * Calls run one way, down this picture; a connection reaches its face
 * (the host-side endpoint) only through its struct vsock_face, and its
 * host fd's loop callback is the device's (v->conn_event):
 *
 *        device.c
 *       /    |    \
 *    tx.c -> rx.c  host.c -> unix_socket.c        (tx.c -> host.c: a guest
 *       \    |    /      \ /                       REQUEST finds its face)
 *        connection.c    |
 *         |       \      |
 *    credit.c  packet.c  deferred.c
 *
 * Everything below is under v->lock and, apart from the API entry points,
 * on the event-loop thread. Lock order: dev->lock, v->lock, one q->lock.
 */
#ifndef HUSK_VMM_VIRTIO_VSOCK_INTERNAL_H
#define HUSK_VMM_VIRTIO_VSOCK_INTERNAL_H

#include <linux/virtio_vsock.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/virtio/chain.h"
#include "vmm/virtio/queue.h"
#include "vmm/virtio/vsock/vsock.h"

#define VSOCK_HDR_LEN	  44u	       /* struct virtio_vsock_hdr, 5.10.6 */
#define VSOCK_MAX_PAYLOAD (64u * 1024) /* per packet, either way */
#define VSOCK_HOST_CID	  2u	       /* VMADDR_CID_HOST */
#define VSOCK_F_STREAM	  0	       /* 5.10.3; Linux's header lacks it */
#define VSOCK_SHUT_MASK	  (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)
#define VSOCK_HASH_SIZE	  256u
#define VSOCK_REPLY_RING  64u	      /* RSTs to packets of no connection */
#define VSOCK_CLOSE_MS	  2000	      /* SHUTDOWN sent, RST awaited */
#define VSOCK_DYING_MS	  2000	      /* our RST owed, the guest takes no packet */
#define VSOCK_STALE_MS	  30000	      /* host end closed, the guest takes no data */
#define VSOCK_UDS_WAIT_MS 100	      /* mux listener paused: out of fds */
#define VSOCK_PORT_BASE	  0x40000000u /* first host-initiated local port */

/* A header in host byte order. */
struct vsock_pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

enum vsock_state {
	VSOCK_HANDSHAKE,  /* Unix mux client, "CONNECT <port>\n" not read yet */
	VSOCK_CONNECTING, /* host-initiated: REQUEST queued, RESPONSE awaited */
	VSOCK_ESTABLISHED,
	VSOCK_DYING, /* host side gone: only our RST remains to send */
};

/* Control packets a connection owes the guest (sent when rx buffers allow). */
#define VSOCK_PEND_REQUEST  (1u << 0)
#define VSOCK_PEND_RESPONSE (1u << 1)
#define VSOCK_PEND_SHUTDOWN (1u << 2)
#define VSOCK_PEND_CREDIT   (1u << 3)
#define VSOCK_PEND_RST	    (1u << 4)

/* Guest-to-host bytes the host socket did not take yet. */
struct vsock_ring {
	uint8_t *buf;
	uint32_t cap, head, len;
};

/* A callback to run once v->lock is dropped (queued by host.c, run by deferred.c). */
struct vsock_note {
	struct vsock_note *next;
	vsock_connect_fn connect_fn; /* or */
	vsock_accept_fn accept_fn;
	void *opaque;
	int fd, error;
	uint32_t host_port, guest_port;
};

struct vsock_conn;

/*
 * A face: the host-side endpoint kind of a connection, what the state
 * machine calls when the connection's life reaches the host side.
 */
struct vsock_face {
	/* HANDSHAKE: the host fd has input (the Unix face's "CONNECT" line). */
	void (*handshake)(struct vsock_conn *c);
	/* The guest answered our REQUEST with RESPONSE; <0: reset it. */
	int (*established)(struct vsock_conn *c);
	/* The connection ends; a connect result owed is @error. May be NULL. */
	void (*complete)(struct vsock_conn *c, int error);
};

struct vsock_conn {
	struct virtio_vsock *v;
	const struct vsock_face *face;
	struct vsock_conn *next;	      /* hash bucket or handshake list */
	struct vsock_conn *rx_next, *rx_prev; /* the RX wait list */
	bool on_rx, hashed, watched, dead;
	bool from_guest; /* guest-initiated: counts in v->nr_guest */
	enum vsock_state state;
	uint32_t local_port, peer_port; /* host side, guest side */
	int fd;				/* host end, nonblocking */
	unsigned int pend;		/* VSOCK_PEND_* */
	uint32_t shut_sent;		/* SHUTDOWN flags we announced */
	uint32_t peer_shut;		/* SHUTDOWN flags the guest sent */
	bool readable;			/* host fd may have bytes (edge seen) */
	bool host_eof, host_hup, wr_shut;
	uint64_t deadline_ns; /* 0: none; per state, see vsock_conn_expire() */
	uint64_t stale_at;    /* host end closed: evictable from then, 0: not */

	/* Credit, 5.10.6.3. Host->guest: */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Guest->host: bytes received, bytes handed to the host, last told. */
	uint32_t rx_cnt, fwd_cnt, fwd_cnt_sent;
	struct vsock_ring ring;

	struct vsock_note *note; /* pending connect result */
	int user_fd;		 /* in-process connect: the caller's end */
};

struct vsock_listener {
	struct vsock_listener *next;
	uint32_t port;
	vsock_accept_fn fn;
	void *opaque;
};

struct vsock_reply {
	uint32_t src_port, dst_port; /* as the guest sent them */
};

struct virtio_vsock {
	struct virtio_dev dev;
	struct virtq queues[3];
	struct virtio_vsock_config config; /* little-endian, as the guest reads it */
	uint64_t guest_cid;
	uint32_t buf_alloc;
	unsigned int max_conns;
	unsigned int guest_max; /* of them guest-initiated; the rest is the host's */
	uint64_t (*clock_ns)(void *opaque);
	void *clock_opaque;
	struct event_loop *loop;
	event_fn conn_event; /* device.c's, for host fds */
	bool dev_inited;

	pthread_mutex_t lock;
	bool lock_inited;
	bool active; /* between activate and reset */
	int kick_fd, timer_fd, uds_fd;
	char *uds_path;
	uint64_t uds_retry_at; /* mux listener paused until then, 0: polled */
	bool uds_starved;      /* accept ran out of fds (warned) */
	uint64_t timer_at;     /* armed deadline, 0: none */

	struct vsock_conn *table[VSOCK_HASH_SIZE];
	struct vsock_conn *handshakes;
	unsigned int nr_conns, nr_guest;
	uint32_t next_port;
	struct vsock_listener *listeners;
	struct vsock_note *notes; /* to deliver after unlock */

	struct vsock_conn *rx_head, *rx_tail;
	struct vsock_reply replies[VSOCK_REPLY_RING];
	unsigned int reply_head, reply_len;
	struct virtq_chain rx_chain;
	bool rx_held; /* rx_chain popped, not used yet */
	struct virtq_chain tx_chain;
	struct iovec iov[VIRTQ_CHAIN_MAX_IOV];
};

/* deferred.c */
void vsock_lock(struct virtio_vsock *v);
void vsock_unlock(struct virtio_vsock *v); /* then delivers notes */
void vsock_note_queue(struct virtio_vsock *v, struct vsock_note *n);
void vsock_kick(struct virtio_vsock *v);
uint64_t vsock_now(const struct virtio_vsock *v);
void vsock_timer_update(struct virtio_vsock *v, uint64_t deadline_ns);

/* packet.c */
void vsock_pkt_decode(const uint8_t *raw, struct vsock_pkt *p);
void vsock_pkt_encode(const struct vsock_pkt *p, uint8_t *raw);
bool vsock_pkt_addr_ok(const struct virtio_vsock *v, const struct vsock_pkt *p);
const char *vsock_pkt_check(const struct virtio_vsock *v, const struct vsock_pkt *p, size_t avail,
			    const struct vsock_conn *c);

/* tx.c */
void vsock_tx_process(struct virtio_vsock *v);

/* rx.c */
void vsock_rx_pump(struct virtio_vsock *v);

/* connection.c */
bool vsock_conn_slot_free(const struct virtio_vsock *v, bool from_guest);
int vsock_conn_new(struct virtio_vsock *v, int fd, const struct vsock_face *face, bool from_guest,
		   struct vsock_conn **out);
int vsock_conn_watch(struct vsock_conn *c);
struct vsock_conn *vsock_conn_find(struct virtio_vsock *v, uint32_t local, uint32_t peer);
void vsock_conn_hash(struct vsock_conn *c);
void vsock_conn_unlink(struct vsock_conn *c);
uint32_t vsock_conn_pick_port(struct virtio_vsock *v, uint32_t peer);
void vsock_conn_reply_rst(struct virtio_vsock *v, const struct vsock_pkt *p);
void vsock_conn_drop_replies(struct virtio_vsock *v, uint32_t src_port, uint32_t dst_port);
void vsock_conn_wait_rx(struct vsock_conn *c);
void vsock_conn_unwait_rx(struct vsock_conn *c);
void vsock_conn_update(struct vsock_conn *c);
bool vsock_conn_can_read(const struct vsock_conn *c);
void vsock_conn_host_event(struct vsock_conn *c, uint32_t events);
void vsock_conn_connect(struct vsock_conn *c, uint32_t port, int timeout_ms);
void vsock_conn_reset(struct vsock_conn *c, int error);
void vsock_conn_progress(struct vsock_conn *c);
bool vsock_conn_evict(struct virtio_vsock *v);
void vsock_conn_free(struct vsock_conn *c, int error);
void vsock_conn_flush(struct vsock_conn *c);
int vsock_conn_send(struct vsock_conn *c, struct chain_reader *r, uint32_t len);
void vsock_conn_expire(struct virtio_vsock *v, uint64_t now, uint64_t *next);
void vsock_conn_detach_all(struct virtio_vsock *v, struct vsock_conn **list);
void vsock_conn_destroy_list(struct virtio_vsock *v, struct vsock_conn *list);

/* credit.c */
int vsock_ring_init(struct vsock_ring *r, uint32_t cap);
void vsock_ring_fini(struct vsock_ring *r);
void vsock_ring_put(struct vsock_ring *r, struct chain_reader *src, uint32_t len);
int vsock_ring_iov(const struct vsock_ring *r, struct iovec iov[2]);
void vsock_ring_drop(struct vsock_ring *r, uint32_t len);
uint32_t vsock_credit_peer_free(const struct vsock_conn *c);
void vsock_credit_peer(struct vsock_conn *c, const struct vsock_pkt *p);
bool vsock_credit_fits(const struct vsock_conn *c, uint32_t len);
void vsock_credit_forwarded(struct vsock_conn *c, uint32_t n);
void vsock_credit_fill(struct vsock_conn *c, struct vsock_pkt *p);

/* host.c: the in-process face */
void vsock_host_accept(struct virtio_vsock *v, const struct vsock_pkt *p);
void vsock_listeners_free(struct virtio_vsock *v);

/* unix_socket.c: the Unix socket face */
int vsock_uds_open(struct virtio_vsock *v, const char *path, struct husk_error **err);
void vsock_uds_close(struct virtio_vsock *v);
int vsock_uds_connect(struct virtio_vsock *v, uint32_t port);
void vsock_uds_retry(struct virtio_vsock *v, uint64_t now, uint64_t *next);

#endif
