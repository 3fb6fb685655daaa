// SPDX-License-Identifier: Apache-2.0
/* front.c - vhost-user handshake, ring start and ring stop (see front.h). */
#include <errno.h>
#include <string.h>

#include "vmm/vhost/front.h"

#define VHOST_F_VERSION_1 32 /* VIRTIO_F_VERSION_1 */

/* The protocol features husk understands: nothing else is ever acked. */
#define VHOST_FRONT_PROTOCOL_WANTED \
	((1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ULL << VHOST_USER_PROTOCOL_F_MQ))

static int vhost_front_set_u64(struct vhost_front *f, uint32_t req, uint64_t v, const int *fds,
			       unsigned int nr_fds, struct husk_error **err)
{
	struct vhost_user_msg m;

	vhost_user_msg_init(&m, req, 0);
	vhost_user_put_u64(&m, v);
	return vhost_conn_set(&f->conn, &m, fds, nr_fds, err);
}

static int vhost_front_set_state(struct vhost_front *f, uint32_t req, uint32_t index, uint32_t num,
				 struct husk_error **err)
{
	struct vhost_user_msg m;

	vhost_user_msg_init(&m, req, 0);
	vhost_user_put_state(&m, index, num);
	return vhost_conn_set(&f->conn, &m, NULL, 0, err);
}

static int vhost_front_protocol(struct vhost_front *f, unsigned int nr_queues,
				struct husk_error **err)
{
	struct vhost_conn *c = &f->conn;
	uint64_t offered, queues;
	int ret;

	ret = vhost_conn_get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES, &offered, err);
	if (ret < 0)
		return ret;
	f->protocol_features = offered & VHOST_FRONT_PROTOCOL_WANTED;
	/* Never NEED_REPLY here: REPLY_ACK is not in force until this is read. */
	ret = vhost_front_set_u64(f, VHOST_USER_SET_PROTOCOL_FEATURES, f->protocol_features, NULL,
				  0, err);
	if (ret < 0)
		return ret;
	c->reply_ack = f->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	if (!(f->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_MQ)))
		return 0;
	ret = vhost_conn_get_u64(c, VHOST_USER_GET_QUEUE_NUM, &queues, err);
	if (!ret && queues < nr_queues)
		ret = husk_err(err, EPROTO,
			       "%s: GET_QUEUE_NUM: the backend has %llu queues, "
			       "the device needs %u",
			       c->name, (unsigned long long)queues, nr_queues);
	return ret;
}

int vhost_front_handshake(struct vhost_front *f, unsigned int nr_queues, struct husk_error **err)
{
	struct vhost_user_msg m;
	int ret;

	ret = vhost_conn_get_u64(&f->conn, VHOST_USER_GET_FEATURES, &f->features, err);
	if (ret < 0)
		return ret;
	if (!(f->features & (1ULL << VHOST_F_VERSION_1)))
		return husk_err(err, EPROTO, "%s: GET_FEATURES: 0x%llx lacks VIRTIO_F_VERSION_1",
				f->conn.name, (unsigned long long)f->features);
	f->has_protocol = f->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
	if (f->has_protocol) {
		ret = vhost_front_protocol(f, nr_queues, err);
		if (ret < 0)
			return ret;
	}
	vhost_user_msg_init(&m, VHOST_USER_SET_OWNER, 0);
	return vhost_conn_set(&f->conn, &m, NULL, 0, err);
}

static int vhost_front_ring(struct vhost_front *f, const struct vhost_front_ring *r,
			    struct husk_error **err)
{
	struct vhost_user_vring_addr a = {
		.index = r->index,
		.desc = r->desc,
		.used = r->used,
		.avail = r->avail,
	};
	struct vhost_user_msg m;
	int ret;

	ret = vhost_front_set_state(f, VHOST_USER_SET_VRING_NUM, r->index, r->num, err);
	if (!ret)
		ret = vhost_front_set_state(f, VHOST_USER_SET_VRING_BASE, r->index, r->base, err);
	if (!ret) {
		vhost_user_msg_init(&m, VHOST_USER_SET_VRING_ADDR, 0);
		vhost_user_put_addr(&m, &a);
		ret = vhost_conn_set(&f->conn, &m, NULL, 0, err);
	}
	/* KICK starts the backend's ring thread: memory and addresses precede it. */
	if (!ret)
		ret = vhost_front_set_u64(f, VHOST_USER_SET_VRING_KICK, r->index, &r->kick_fd, 1,
					  err);
	if (!ret)
		ret = vhost_front_set_u64(f, VHOST_USER_SET_VRING_CALL, r->index, &r->call_fd, 1,
					  err);
	return ret;
}

static int vhost_front_mem_table(struct vhost_front *f, const struct vhost_front_mem *mem,
				 struct husk_error **err)
{
	struct vhost_user_msg m;

	vhost_user_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 0);
	if (vhost_user_put_mem(&m, mem->regions, mem->nr) < 0)
		return husk_err(err, E2BIG, "%s: SET_MEM_TABLE: %u regions", f->conn.name, mem->nr);
	return vhost_conn_set(&f->conn, &m, mem->fds, mem->nr, err);
}

/* Enable the rings; without REPLY_ACK, GET_FEATURES's reply proves they were read. */
static int vhost_front_enable(struct vhost_front *f, const struct vhost_front_ring *rings,
			      unsigned int nr, struct husk_error **err)
{
	uint64_t features;
	unsigned int i;
	int ret = 0;

	if (!f->has_protocol)
		return 0; /* rings are enabled at KICK without the extension */
	for (i = 0; i < nr && !ret; i++)
		ret = vhost_front_set_state(f, VHOST_USER_SET_VRING_ENABLE, rings[i].index, 1, err);
	if (!ret && !f->conn.reply_ack)
		ret = vhost_conn_get_u64(&f->conn, VHOST_USER_GET_FEATURES, &features, err);
	return ret;
}

int vhost_front_start(struct vhost_front *f, uint64_t features, const struct vhost_front_mem *mem,
		      const struct vhost_front_ring *rings, unsigned int nr,
		      struct husk_error **err)
{
	unsigned int i;
	int ret;

	if (f->has_protocol)
		features |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	ret = vhost_front_set_u64(f, VHOST_USER_SET_FEATURES, features, NULL, 0, err);
	if (!ret)
		ret = vhost_front_mem_table(f, mem, err);
	for (i = 0; i < nr && !ret; i++)
		ret = vhost_front_ring(f, &rings[i], err);
	if (!ret)
		ret = vhost_front_enable(f, rings, nr, err);
	return ret;
}

int vhost_front_stop(struct vhost_front *f, unsigned int index, uint16_t *base,
		     struct husk_error **err)
{
	uint32_t num;
	int ret = 0;

	if (f->has_protocol)
		ret = vhost_front_set_state(f, VHOST_USER_SET_VRING_ENABLE, index, 0, err);
	if (!ret)
		ret = vhost_conn_get_state(&f->conn, VHOST_USER_GET_VRING_BASE, index, &num, err);
	if (!ret && base)
		*base = (uint16_t)num;
	return ret;
}
