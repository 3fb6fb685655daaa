/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vsock.h - virtio-vsock (virtio 1.2 section 5.10), stream sockets only,
 * bridged to host file descriptors.
 *
 * The guest talks AF_VSOCK to CID 2 (the host); each guest connection is
 * bridged to one host stream socket. Two host faces, usable together:
 *
 *   in-process - virtio_vsock_connect*() opens a connection to a guest
 *                port and hands back one end of a socketpair once the
 *                guest accepted; virtio_vsock_listen() delivers guest
 *                connections to a host port as socketpair ends through a
 *                callback (the containerd shim talks to husk-init so);
 *   Unix mux   - Firecracker's scheme: with params.uds_path set, the
 *                device listens there; a client writes "CONNECT <port>\n",
 *                gets "OK <hostport>\n" once the guest accepted, then the
 *                socket is the stream (closed instead on refusal/timeout).
 *                A guest connection to host port P with no in-process
 *                listener is connected to the Unix socket "<uds_path>_<P>"
 *                (RST when nobody listens there).
 *
 * Threads. Every host socket and every queue is touched on the event-loop
 * thread only, under the device lock: a queue notification (from a vCPU
 * or an ioeventfd) just writes an eventfd the loop watches. The
 * connect/listen calls may come from any thread except the loop's (the
 * blocking connect would deadlock there); they take the device lock
 * briefly and kick the loop. Reset and destroy may come from any thread;
 * they stop every connection before returning.
 *
 * Callbacks (connect results, accepted connections) run on the loop thread
 * with no device lock held, or on the thread resetting/destroying the
 * device. They may call virtio_vsock_listen/unlisten/connect_async but
 * not the blocking connect, and must not block for long.
 *
 * Memory: a connection owns one receive buffer of buf_alloc bytes (what
 * the guest may have in flight towards the host, 5.10.6.3), so a host
 * peer that stops reading costs at most that and stalls only its own
 * connection.
 *
 * Slots: at most max_conns connections exist at once, of every kind. The
 * guest's own (guest-initiated, to a listener or "<uds_path>_<P>") may
 * take max_conns minus a quarter (at least 1): the rest is kept for the
 * host's connections (in-process and Unix mux clients), so a guest that
 * opens all it may cannot keep the host from reaching it, nor can one
 * that stops taking packets: a connection's RST not taken is freed after
 * VSOCK_DYING_MS, and a host-closed connection whose data the guest does
 * not take is given up when a host connection needs its slot (see
 * connection.c).
 */
#ifndef HUSK_VMM_VIRTIO_VSOCK_VSOCK_H
#define HUSK_VMM_VIRTIO_VSOCK_VSOCK_H

#include <stdint.h>

#include "common/error.h"
#include "vmm/base/event_loop.h"
#include "vmm/base/guest_mem.h"
#include "vmm/base/log.h"
#include "vmm/virtio/virtio.h"
#include "husk.h"

#define VIRTIO_VSOCK_QUEUE_SIZE 256
#define VIRTIO_VSOCK_RXQ	0
#define VIRTIO_VSOCK_TXQ	1
#define VIRTIO_VSOCK_EVQ	2

#define VIRTIO_VSOCK_DEFAULT_BUF_ALLOC	(256u * 1024)
#define VIRTIO_VSOCK_DEFAULT_MAX_CONNS	256u
#define VIRTIO_VSOCK_DEFAULT_TIMEOUT_MS 2000

struct virtio_vsock_params {
	uint64_t guest_cid;	 /* ≥ 3, < 2^32 - 1 (vsock(7)) */
	const char *uds_path;	 /* Unix mux socket; NULL: no mux */
	struct event_loop *loop; /* runs all socket I/O; not owned */
	uint32_t buf_alloc;	 /* per-connection buffer; 0: default */
	unsigned int max_conns;	 /* 0: default; else >= 2 */
	/* Monotonic ns for deadlines (tests inject one); NULL: CLOCK_MONOTONIC. */
	uint64_t (*clock_ns)(void *opaque);
	void *clock_opaque;
};

struct virtio_vsock;

/*
 * virtio_vsock_create - set up the device, its eventfd and timerfd on
 * @p->loop and, with uds_path, bind and listen there (a stale socket
 * file is replaced, any other file is an error). Returns 0 or -errno.
 */
int virtio_vsock_create(struct virtio_vsock **out, const struct virtio_vsock_params *p,
			struct guest_mem *mem, const struct log_sink *log, struct husk_error **err);

/* virtio_vsock_destroy - reset (closing every connection), unlink uds_path, free. */
void virtio_vsock_destroy(struct virtio_vsock *v);

/* virtio_vsock_dev - the transport-facing device (for virtio_mmio_init). */
struct virtio_dev *virtio_vsock_dev(struct virtio_vsock *v);

/*
 * vsock_connect_fn - result of a host-initiated connection: @fd (owned by
 * the callee) with @error 0, or @fd -1 and @error -ECONNREFUSED (the guest
 * answered RST: nobody listens), -ETIMEDOUT, or -ECONNRESET (the device
 * was reset or destroyed first).
 */
typedef void (*vsock_connect_fn)(void *opaque, int fd, int error);

/*
 * virtio_vsock_connect_async - open a stream to guest port @port; @fn runs
 * exactly once unless this returns an error. @timeout_ms ≤ 0: the default.
 * Returns 0, -ENOTCONN (the driver is not up: retry later), -EAGAIN (all
 * max_conns slots in use; the guest alone cannot cause it) or another
 * -errno, with *err filled.
 */
int virtio_vsock_connect_async(struct virtio_vsock *v, uint32_t port, int timeout_ms,
			       vsock_connect_fn fn, void *opaque, struct husk_error **err);

/*
 * virtio_vsock_connect - the same, blocking: *@fd is a connected
 * SOCK_STREAM socket (close it to end the connection). Needs the event
 * loop running on its own thread; never call it from that thread.
 */
int virtio_vsock_connect(struct virtio_vsock *v, uint32_t port, int timeout_ms, int *fd,
			 struct husk_error **err);

/*
 * vsock_accept_fn - the guest connected from @guest_port to @host_port;
 * @fd (owned by the callee) is the host end of the stream.
 */
typedef void (*vsock_accept_fn)(void *opaque, uint32_t host_port, uint32_t guest_port, int fd);

/*
 * virtio_vsock_listen - deliver guest connections to @port through @fn.
 * An in-process listener takes precedence over "<uds_path>_<port>".
 * Returns 0, -EADDRINUSE, or -ENOMEM.
 */
int virtio_vsock_listen(struct virtio_vsock *v, uint32_t port, vsock_accept_fn fn, void *opaque,
			struct husk_error **err);

/*
 * virtio_vsock_unlisten - stop listening on @port (-ENOENT if not). A
 * connection accepted just before may still be delivered once.
 */
int virtio_vsock_unlisten(struct virtio_vsock *v, uint32_t port);

/*
 * virtio_vsock_conn_status - fill @st (every field after struct_size)
 * for the @index-th connection (table order). Any thread; waits at most
 * 200 ms for the device lock. Returns 0, -ENOENT (no such connection) or
 * -EBUSY (the lock stayed held).
 */
int virtio_vsock_conn_status(struct virtio_vsock *v, unsigned int index,
			     struct husk_vsock_conn_status *st);

#endif
