/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fs_internal.h - struct virtio_fs, shared by device.c (device, backend
 * start/stop) and fallback.c (what the device does once the backend
 * is gone). See fs.h for the threads and locks.
 */
#ifndef HUSK_VMM_VIRTIO_FS_INTERNAL_H
#define HUSK_VMM_VIRTIO_FS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "vmm/vhost/front.h"
#include "vmm/virtio/fs/fs.h"
#include "vmm/virtio/queue.h"

#define VIRTIO_FS_CONFIG_SIZE 40 /* tag[36] + le32 num_request_queues */

struct virtio_fs;

struct virtio_fs_queue {
	struct virtio_fs *fs;
	unsigned int index;
	int kick_fd;		  /* the ioeventfd; not owned; -1 until wired */
	bool watched;		  /* kick_fd on the loop (fallback mode) */
	bool started;		  /* handed to the backend */
	struct virtq_chain chain; /* fallback pops into it, under q->lock */
};

struct virtio_fs {
	struct virtio_dev dev;
	struct virtq queues[VIRTIO_FS_QUEUES];
	struct virtio_fs_queue fq[VIRTIO_FS_QUEUES];
	struct vhost_front front;
	struct event_loop *loop;
	const struct log_sink *log;
	char name[16];
	char tag[VIRTIO_FS_TAG_MAX + 1];
	uint8_t config[VIRTIO_FS_CONFIG_SIZE];
	int call_fd;	   /* the irqfd; not owned; -1 until wired */
	bool sock_watched; /* atomic: the socket is on the loop */
	bool closing;	   /* destroy: no more messages to the backend */

	pthread_mutex_t lock; /* the three below */
	bool started;	      /* between activate and reset */
	bool fallback;	      /* atomic reads too: the device serves the queues */
	bool dead;	      /* atomic reads too: the backend is gone */
};

/*
 * virtio_fs_backend_gone - the backend died or broke the protocol: log
 * @why once (HUSK_LOG_ERROR), shut the socket, and if the rings are
 * started take them over. Any thread except under fs->lock; idempotent.
 */
void virtio_fs_backend_gone(struct virtio_fs *fs, const char *why);

/* virtio_fs_fallback_start - take the started queues over; fs->lock held. */
void virtio_fs_fallback_start(struct virtio_fs *fs);

/* virtio_fs_fallback_stop - stop watching the kicks; no fs lock held. */
void virtio_fs_fallback_stop(struct virtio_fs *fs);

/* virtio_fs_fallback_process - answer what queue @index holds; no q->lock held. */
void virtio_fs_fallback_process(struct virtio_fs *fs, unsigned int index);

#endif
