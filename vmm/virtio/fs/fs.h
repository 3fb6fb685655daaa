/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs.h - virtio-fs (virtio 1.2 section 5.11) whose requests a vhost-user
 * backend (virtiofsd) serves straight from guest RAM.
 *
 * libhusk serves the MMIO registers and the config space (the tag and one
 * request queue); the rings go to the backend when the driver sets
 * DRIVER_OK and are stopped again when it resets the device, on the same
 * connection. Queue 0 is hiprio (FORGET), queue 1 the request queue.
 * The device has external_rings: the VM wiring hands it the QueueNotify
 * ioeventfds and the irqfd, which become the rings' kick and call fds, so
 * no request passes through a husk thread. A QueueNotify that KVM did not
 * catch (a trapped write) is forwarded by signalling the kick eventfd.
 *
 * When the backend dies (hang-up on the socket, watched on the event
 * loop) or breaks the protocol (a failed message at start or stop), the
 * device logs it once at HUSK_LOG_ERROR and takes the queues over: it
 * watches the kick eventfds itself and completes every FUSE request the
 * guest has outstanding (from the used index on: the backend is assumed
 * to have completed in order, as virtiofsd does with a thread pool of at
 * most one) or sends later with ENOTCONN, through queue.c's validated
 * pop/push. The guest sees I/O errors instead of hanging. The VM goes on.
 *
 * Locks: dev->lock (transport, activate/reset), then fs->lock (started,
 * takeover, dead), then a queue's q->lock. The socket watcher and the kick
 * watchers run on the event loop and never take dev->lock, because reset
 * holds it while waiting for them to leave the loop.
 */
#ifndef HUSK_VMM_VIRTIO_FS_FS_H
#define HUSK_VMM_VIRTIO_FS_FS_H

#include <stdint.h>

#include "common/error.h"
#include "vmm/base/event_loop.h"
#include "vmm/base/guest_mem.h"
#include "vmm/base/log.h"
#include "vmm/virtio/virtio.h"

#define VIRTIO_FS_TAG_MAX	     36 /* config tag bytes (5.11.4) */
#define VIRTIO_FS_QUEUES	     2	/* hiprio + one request queue */
#define VIRTIO_FS_HIPRIO	     0
#define VIRTIO_FS_REQUEST	     1
#define VIRTIO_FS_MIN_QUEUE_SIZE     16
#define VIRTIO_FS_MAX_QUEUE_SIZE     1024 /* libvhost-user's limit */
#define VIRTIO_FS_DEFAULT_QUEUE_SIZE 1024

struct virtio_fs_params {
	const char *name;	 /* "fs0": messages and the connection's name */
	const char *tag;	 /* 1..VIRTIO_FS_TAG_MAX bytes */
	const char *socket_path; /* the backend's listening socket; or NULL and: */
	int socket_fd;		 /* a connected socket (dup'ed; the caller keeps it) */
	uint16_t queue_size;	 /* power of two, 16..1024; 0: the default */
	int reply_timeout_ms;	 /* <= 0: VHOST_CONN_DEFAULT_TIMEOUT_MS */
	struct event_loop *loop; /* watches the socket (and kicks after a death) */
};

struct virtio_fs;

/*
 * virtio_fs_create - connect, run the vhost-user handshake and set up the
 * device. Guest RAM (@mem) must be memfd-backed. Returns 0 or -errno:
 * -EINVAL (tag, queue size, no memfd), connect errors, -EPROTO,
 * -ETIMEDOUT, -EPIPE/-ECONNRESET from the backend.
 */
int virtio_fs_create(struct virtio_fs **out, const struct virtio_fs_params *p,
		     struct guest_mem *mem, const struct log_sink *log, struct husk_error **err);

/*
 * virtio_fs_destroy - stop watching, reset the device without talking to
 * the backend any more, close the socket (virtiofsd exits on that), free.
 * NULL is fine.
 */
void virtio_fs_destroy(struct virtio_fs *fs);

struct virtio_dev *virtio_fs_dev(struct virtio_fs *fs);

/* virtio_fs_tag - the tag as configured (NUL-terminated). */
const char *virtio_fs_tag(const struct virtio_fs *fs);

/* virtio_fs_backend_dead - true once the device has taken the queues over. */
bool virtio_fs_backend_dead(struct virtio_fs *fs);

#endif
