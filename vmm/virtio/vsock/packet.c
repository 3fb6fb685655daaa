// SPDX-License-Identifier: Apache-2.0
/*
 * packet.c - the vsock packet header (virtio 1.2 section 5.10.6) and the
 * single place a guest-written header is judged.
 *
 * Fields are little-endian and packed (44 bytes); they are decoded with
 * le.h into a host-order struct, never read through a packed pointer.
 */
#include "vmm/base/le.h"
#include "vmm/virtio/vsock/vsock_internal.h"

void vsock_pkt_decode(const uint8_t *raw, struct vsock_pkt *p)
{
	p->src_cid = le64_get(raw + 0);
	p->dst_cid = le64_get(raw + 8);
	p->src_port = le32_get(raw + 16);
	p->dst_port = le32_get(raw + 20);
	p->len = le32_get(raw + 24);
	p->type = le16_get(raw + 28);
	p->op = le16_get(raw + 30);
	p->flags = le32_get(raw + 32);
	p->buf_alloc = le32_get(raw + 36);
	p->fwd_cnt = le32_get(raw + 40);
}

void vsock_pkt_encode(const struct vsock_pkt *p, uint8_t *raw)
{
	le64_put(raw + 0, p->src_cid);
	le64_put(raw + 8, p->dst_cid);
	le32_put(raw + 16, p->src_port);
	le32_put(raw + 20, p->dst_port);
	le32_put(raw + 24, p->len);
	le16_put(raw + 28, p->type);
	le16_put(raw + 30, p->op);
	le32_put(raw + 32, p->flags);
	le32_put(raw + 36, p->buf_alloc);
	le32_put(raw + 40, p->fwd_cnt);
}

/* 5.10.6.2: the guest speaks as its own CID, to the host's. */
bool vsock_pkt_addr_ok(const struct virtio_vsock *v, const struct vsock_pkt *p)
{
	return p->src_cid == v->guest_cid && p->dst_cid == VSOCK_HOST_CID;
}

/* Header fields alone, whatever connection they name. */
static const char *vsock_pkt_check_hdr(const struct virtio_vsock *v, const struct vsock_pkt *p,
				       size_t avail)
{
	if (p->src_cid != v->guest_cid)
		return "src_cid is not the guest's CID";
	if (p->dst_cid != VSOCK_HOST_CID)
		return "dst_cid is not the host";
	/* 5.10.3: only stream sockets are offered. */
	if (p->type != VIRTIO_VSOCK_TYPE_STREAM)
		return "type is not STREAM";
	if (p->op < VIRTIO_VSOCK_OP_REQUEST || p->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return "unknown op";
	if (p->len > avail)
		return "len beyond the buffer";
	if (p->len > VSOCK_MAX_PAYLOAD)
		return "len above the maximum payload";
	if (p->op != VIRTIO_VSOCK_OP_RW && p->len)
		return "payload on a control packet";
	if (p->op == VIRTIO_VSOCK_OP_SHUTDOWN && (p->flags & ~VSOCK_SHUT_MASK))
		return "unknown SHUTDOWN flags";
	return NULL;
}

/*
 * The credit fields (5.10.6.3): the guest cannot have consumed more than
 * we sent, and cannot send more than our buffer holds.
 */
static const char *vsock_pkt_check_credit(const struct vsock_pkt *p, const struct vsock_conn *c)
{
	if ((uint32_t)(p->fwd_cnt - c->peer_fwd_cnt) > (uint32_t)(c->tx_cnt - c->peer_fwd_cnt))
		return "fwd_cnt beyond the bytes sent";
	if (p->op == VIRTIO_VSOCK_OP_RW && !vsock_credit_fits(c, p->len))
		return "payload beyond the credit we gave";
	return NULL;
}

/* What each op may do in each state (the state machine's guard). */
static const char *vsock_pkt_check_state(const struct vsock_pkt *p, const struct vsock_conn *c)
{
	if (!c)
		return p->op == VIRTIO_VSOCK_OP_REQUEST ? NULL : "no such connection";
	if (p->op == VIRTIO_VSOCK_OP_RST || c->state == VSOCK_DYING)
		return NULL;
	if (p->op == VIRTIO_VSOCK_OP_REQUEST)
		return "REQUEST on an existing connection";
	if ((c->state == VSOCK_CONNECTING) != (p->op == VIRTIO_VSOCK_OP_RESPONSE))
		return c->state == VSOCK_CONNECTING ? "not connected yet" :
						      "RESPONSE when not connecting";
	if (p->op == VIRTIO_VSOCK_OP_RW && (c->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND))
		return "data after SHUTDOWN(SEND)";
	return NULL;
}

/*
 * vsock_pkt_check - the choke point: every header the guest wrote passes
 * here before any state changes. @avail is the payload bytes the chain
 * holds after the header; @c the connection the ports name, if any.
 * Returns NULL when the packet is acceptable, else why not (the caller
 * answers with RST, 5.10.6.5).
 */
const char *vsock_pkt_check(const struct virtio_vsock *v, const struct vsock_pkt *p, size_t avail,
			    const struct vsock_conn *c)
{
	const char *why = vsock_pkt_check_hdr(v, p, avail);

	if (!why)
		why = vsock_pkt_check_state(p, c);
	if (!why && c && c->state != VSOCK_DYING && p->op != VIRTIO_VSOCK_OP_RST)
		why = vsock_pkt_check_credit(p, c);
	return why;
}
