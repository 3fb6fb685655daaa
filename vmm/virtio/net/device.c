// SPDX-License-Identifier: Apache-2.0
/*
 * device.c - virtio-net device (virtio 1.2 section 5.1) with a TAP backend:
 * set-up, feature negotiation, a tap attached to a running device, and
 * the TX path (header checks, size cap, budgeted turns, rate limit). The
 * RX path is in rx.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/virtio/net/net_internal.h"
#include "vmm/virtio/lifecycle.h"

#define NET_GUEST_OFFLOADS \
	((1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) | \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN))
#define NET_HOST_OFFLOADS \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) | \
	 (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN))

struct virtio_net *net_of(struct virtio_dev *dev)
{
	return (struct virtio_net *)((char *)dev - offsetof(struct virtio_net, dev));
}

struct virtio_dev *virtio_net_dev(struct virtio_net *n)
{
	return &n->dev;
}

static void net_config_read(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)&net_of(dev)->config + off, len);
}

static bool net_has(uint64_t f, unsigned int bit)
{
	return (f >> bit) & 1;
}

/* 5.1.3.1: offload features that depend on others. */
static bool net_features_ok(struct virtio_dev *dev)
{
	uint64_t f = dev->acked;

	if ((net_has(f, VIRTIO_NET_F_GUEST_TSO4) || net_has(f, VIRTIO_NET_F_GUEST_TSO6)) &&
	    !net_has(f, VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if (net_has(f, VIRTIO_NET_F_GUEST_ECN) && !net_has(f, VIRTIO_NET_F_GUEST_TSO4) &&
	    !net_has(f, VIRTIO_NET_F_GUEST_TSO6))
		return false;
	if ((net_has(f, VIRTIO_NET_F_HOST_TSO4) || net_has(f, VIRTIO_NET_F_HOST_TSO6)) &&
	    !net_has(f, VIRTIO_NET_F_CSUM))
		return false;
	return !net_has(f, VIRTIO_NET_F_HOST_ECN) || net_has(f, VIRTIO_NET_F_HOST_TSO4) ||
	       net_has(f, VIRTIO_NET_F_HOST_TSO6);
}

/* What the tap may hand us, from what the guest said it can take. */
static unsigned int net_tun_offloads(uint64_t f)
{
	unsigned int t = 0;

	if (net_has(f, VIRTIO_NET_F_GUEST_CSUM))
		t |= TUN_F_CSUM;
	if (net_has(f, VIRTIO_NET_F_GUEST_TSO4))
		t |= TUN_F_TSO4;
	if (net_has(f, VIRTIO_NET_F_GUEST_TSO6))
		t |= TUN_F_TSO6;
	if (net_has(f, VIRTIO_NET_F_GUEST_ECN))
		t |= TUN_F_TSO_ECN;
	return t;
}

static int net_activate(struct virtio_dev *dev)
{
	struct virtio_net *n = net_of(dev);

	if (n->fd < 0) /* no tap yet: virtio_net_attach() starts it */
		return 0;
	if (n->is_tap && ioctl(n->fd, TUNSETOFFLOAD, net_tun_offloads(dev->acked)) < 0)
		return -errno;
	return net_rx_start(n);
}

static void net_reset(struct virtio_dev *dev)
{
	struct virtio_net *n = net_of(dev);

	net_rx_stop(n);
	virtq_lock(&n->queues[VIRTIO_NET_TXQ]);
	n->tx_held = false; /* forgotten with the rest of the queue */
	virtq_unlock(&n->queues[VIRTIO_NET_TXQ]);
}

static void net_queue_notify(struct virtio_dev *dev, unsigned int index)
{
	if (index == VIRTIO_NET_RXQ)
		net_rx_kick(net_of(dev));
	else
		net_tx(net_of(dev));
}

static const struct virtio_dev_ops net_ops = {
	.config_read = net_config_read,
	.features_ok = net_features_ok,
	.activate = net_activate,
	.reset = net_reset,
	.queue_notify = net_queue_notify,
};

/* A frame's Ethernet bytes for the rate limit: the vnet header aside. */
static uint64_t net_tx_bytes(const struct virtq_chain *c)
{
	return c->out_len > sizeof(struct virtio_net_hdr_v1) ?
		       c->out_len - sizeof(struct virtio_net_hdr_v1) :
		       0;
}

/*
 * The next frame in n->tx_chain: the one the rate limit held back, else a
 * fresh pop. False when there is none, or it waits for the limiter's timer.
 */
static bool net_tx_next(struct virtio_net *n)
{
	if (!n->tx_held && virtq_pop(&n->queues[VIRTIO_NET_TXQ], &n->tx_chain) != 1)
		return false;
	n->tx_held = !rate_limiter_admit(&n->tx_limiter, net_tx_bytes(&n->tx_chain));
	return !n->tx_held;
}

void net_tx_resume(void *opaque)
{
	net_tx(opaque);
}

/*
 * 5.1.6.2: what a TX header may ask for depends on what the driver acked.
 * Flags other than NEEDS_CSUM are cleared (the device ignores flags it
 * does not recognise, and DATA_VALID / RSC_INFO are receive-only: passed
 * on, DATA_VALID would have the host trust an unverified checksum). A
 * checksum or segmentation offload the driver never negotiated breaks a
 * driver MUST: the frame is dropped rather than handed to the host kernel.
 */
static bool net_tx_hdr_ok(const struct virtio_dev *dev, struct virtio_net_hdr_v1 *h)
{
	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (h->flags && !virtio_dev_has(dev, VIRTIO_NET_F_CSUM))
		return false;
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return true;
	/* A GSO frame needs a partial checksum (5.1.6.2.1). */
	if (!h->flags)
		return false;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !virtio_dev_has(dev, VIRTIO_NET_F_HOST_ECN))
		return false;
	switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return virtio_dev_has(dev, VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return virtio_dev_has(dev, VIRTIO_NET_F_HOST_TSO6);
	}
	return false; /* UFO and USO are not offered; anything else is unknown */
}

/*
 * One TX chain: the header is checked on a copy (the guest could rewrite
 * its own after the check), then copy and frame go to the tap as one
 * write. Malformed, oversize and refused frames are dropped and counted.
 */
static void net_tx_frame(struct virtio_net *n)
{
	struct chain_reader r;
	int cnt;

	chain_reader_init(&r, &n->tx_chain);
	if (n->fd < 0) { /* no tap attached: the link is down, the frame goes nowhere */
		net_count(&n->tx_dropped);
		return;
	}
	if (n->tx_chain.out_len > NET_TX_MAX_LEN) {
		net_count(&n->tx_oversize);
		return;
	}
	if (chain_read(&r, &n->tx_hdr, sizeof(n->tx_hdr)) < 0 ||
	    !net_tx_hdr_ok(&n->dev, &n->tx_hdr)) {
		net_count(&n->tx_bad_hdr);
		return;
	}
	n->tx_iov[0] = (struct iovec){ &n->tx_hdr, sizeof(n->tx_hdr) };
	cnt = chain_reader_export(&r, chain_reader_remaining(&r), n->tx_iov + 1,
				  VIRTQ_CHAIN_MAX_IOV);
	/* A full tap drops, as a NIC would. */
	if (cnt < 0 || writev(n->fd, n->tx_iov, cnt + 1) < 0)
		net_count(&n->tx_dropped);
}

/* TX (5.1.6.2), a budgeted turn (queue.h): frames go out, chains come back empty. */
void net_tx(struct virtio_net *n)
{
	struct virtq *q = &n->queues[VIRTIO_NET_TXQ];
	unsigned int left = VIRTQ_TURN_BUDGET;

	virtq_lock(q);
	while (virtq_turn_next(q, &left) && net_tx_next(n)) {
		net_tx_frame(n);
		virtq_push(q, n->tx_chain.head, 0);
	}
	virtq_notify(q);
	virtq_unlock(q);
}

static int net_open_tap(struct virtio_net *n, const char *ifname, struct husk_error **err)
{
	struct ifreq ifr;

	if (!ifname || strlen(ifname) >= IFNAMSIZ)
		return husk_err(err, 0, "virtio-net: no usable tap name");
	n->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (n->fd < 0)
		return husk_err(err, errno, "virtio-net: open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(n->fd, TUNSETIFF, &ifr) < 0)
		return husk_err(err, errno, "virtio-net: TUNSETIFF %s", ifname);
	return 0;
}

/* Our own non-blocking duplicate of the caller's @fd into *@out. */
static int net_dup(int fd, int *out, struct husk_error **err)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0), e;

	if (d < 0 || fcntl(d, F_SETFL, fcntl(d, F_GETFL) | O_NONBLOCK) < 0) {
		e = errno;
		if (d >= 0)
			close(d);
		return husk_err(err, e, "virtio-net: tap fd %d", fd);
	}
	*out = d;
	return 0;
}

/* Only a tap takes these; a stand-in fd must frame with 12 bytes itself. */
static bool net_tap_setup(int fd)
{
	int hdr = sizeof(struct virtio_net_hdr_v1);

	return ioctl(fd, TUNSETVNETHDRSZ, &hdr) == 0 && ioctl(fd, TUNSETOFFLOAD, 0) == 0;
}

static int net_backend(struct virtio_net *n, const struct virtio_net_params *p,
		       struct husk_error **err)
{
	int ret;

	if (p->tap_fd < 0 && !p->ifname) /* attached later (virtio_net_attach) */
		return 0;
	if (p->tap_fd >= 0)
		ret = net_dup(p->tap_fd, &n->fd, err);
	else
		ret = net_open_tap(n, p->ifname, err);
	if (ret < 0)
		return ret;
	n->is_tap = net_tap_setup(n->fd);
	if (!n->is_tap && p->tap_fd < 0)
		return husk_err(err, errno, "virtio-net: TUNSETVNETHDRSZ");
	return 0;
}

static uint64_t net_setup_config(struct virtio_net *n, const struct virtio_net_params *p)
{
	uint64_t f = 1ULL << VIRTIO_NET_F_STATUS;

	memset(&n->config, 0, sizeof(n->config));
	/* No tap yet: link down until one is attached. */
	n->config.status = htole16(n->fd >= 0 ? VIRTIO_NET_S_LINK_UP : 0);
	if (p->has_mac) {
		memcpy(n->config.mac, p->mac, sizeof(n->config.mac));
		f |= 1ULL << VIRTIO_NET_F_MAC;
	}
	if (p->mtu) {
		n->config.mtu = htole16(p->mtu);
		f |= 1ULL << VIRTIO_NET_F_MTU;
	}
	/* A tap to come is offered as a tap: the features cannot change later. */
	if (n->is_tap || n->fd < 0)
		f |= NET_GUEST_OFFLOADS | NET_HOST_OFFLOADS;
	return f;
}

static int net_limiters_init(struct virtio_net *n, const struct virtio_net_params *p,
			     struct husk_error **err)
{
	int ret = rate_limiter_init(&n->rx_limiter, &p->rx_rate_limit, p->loop, net_rx_resume, n,
				    p->clock, p->clock_opaque, err);

	if (ret < 0)
		return husk_err_wrap(err, "virtio-net: rx");
	ret = rate_limiter_init(&n->tx_limiter, &p->tx_rate_limit, p->loop, net_tx_resume, n,
				p->clock, p->clock_opaque, err);
	return ret < 0 ? husk_err_wrap(err, "virtio-net: tx") : 0;
}

int virtio_net_create(struct virtio_net **out, const struct virtio_net_params *p,
		      struct guest_mem *mem, const struct log_sink *log, struct husk_error **err)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	uint64_t features;
	int ret;

	if (!n)
		return husk_err(err, ENOMEM, "virtio-net");
	n->fd = -1;
	n->loop = p->loop;
	n->rx_limiter.timer_fd = -1;
	n->tx_limiter.timer_fd = -1;
	ret = net_backend(n, p, err);
	if (ret < 0)
		goto fail;
	ret = net_limiters_init(n, p, err);
	if (ret < 0)
		goto fail;
	features = net_setup_config(n, p);
	ret = virtio_dev_init(&n->dev, "net", VIRTIO_ID_NET, features,
			      offsetof(struct virtio_net_config, speed), n->queues, 2,
			      VIRTIO_NET_QUEUE_SIZE, &net_ops, mem, log);
	if (ret < 0) {
		husk_err(err, -ret, "virtio-net: device init");
		goto fail;
	}
	n->dev_inited = true;
	*out = n;
	return 0;
fail:
	virtio_net_destroy(n);
	return ret;
}

void virtio_net_get_stats(const struct virtio_net *n, struct husk_net_stats *s)
{
	s->tx_oversize = __atomic_load_n(&n->tx_oversize, __ATOMIC_RELAXED);
	s->tx_bad_hdr = __atomic_load_n(&n->tx_bad_hdr, __ATOMIC_RELAXED);
	s->tx_dropped = __atomic_load_n(&n->tx_dropped, __ATOMIC_RELAXED);
	s->rx_dropped = __atomic_load_n(&n->rx_dropped, __ATOMIC_RELAXED);
	s->rx_throttled = rate_limiter_throttled(&n->rx_limiter);
	s->tx_throttled = rate_limiter_throttled(&n->tx_limiter);
}

/* Under dev.lock. */
static void net_link_locked(struct virtio_net *n, bool up)
{
	n->config.status = htole16(up ? VIRTIO_NET_S_LINK_UP : 0);
	virtio_dev_config_changed(&n->dev);
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
	pthread_mutex_lock(&n->dev.lock);
	net_link_locked(n, up);
	pthread_mutex_unlock(&n->dev.lock);
}

/* Under dev.lock: @fd (-1: none) for both directions, each reading it under its queue lock. */
static void net_publish_fd(struct virtio_net *n, int fd, bool is_tap)
{
	virtq_lock(&n->queues[VIRTIO_NET_RXQ]);
	virtq_lock(&n->queues[VIRTIO_NET_TXQ]);
	n->fd = fd;
	n->is_tap = is_tap;
	virtq_unlock(&n->queues[VIRTIO_NET_TXQ]);
	virtq_unlock(&n->queues[VIRTIO_NET_RXQ]);
}

/*
 * Under dev.lock: on an active device, what net_activate() would have
 * done (the acked offloads to the tap, the tap to the event loop) around
 * publishing @fd. On failure nothing stays published.
 */
static int net_attach_locked(struct virtio_net *n, int fd, bool is_tap, struct husk_error **err)
{
	int ret;

	if (n->dev.active && is_tap && ioctl(fd, TUNSETOFFLOAD, net_tun_offloads(n->dev.acked)) < 0)
		return husk_err(err, errno, "virtio-net: TUNSETOFFLOAD");
	net_publish_fd(n, fd, is_tap);
	ret = n->dev.active ? net_rx_start(n) : 0;
	if (ret < 0) {
		net_publish_fd(n, -1, false);
		return husk_err(err, -ret, "virtio-net: watch the tap");
	}
	return 0;
}

int virtio_net_attach(struct virtio_net *n, int tap_fd, struct husk_error **err)
{
	int fd, ret;

	if (tap_fd < 0)
		return husk_err(err, EBADF, "virtio-net: attach: no tap fd");
	ret = net_dup(tap_fd, &fd, err);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&n->dev.lock);
	if (n->fd >= 0)
		ret = husk_err(err, EBUSY, "virtio-net: attach: a tap is already attached");
	else
		ret = net_attach_locked(n, fd, net_tap_setup(fd), err);
	if (!ret)
		net_link_locked(n, true);
	pthread_mutex_unlock(&n->dev.lock);
	if (ret < 0)
		close(fd);
	return ret;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	if (n->dev_inited) {
		pthread_mutex_lock(&n->dev.lock);
		virtio_dev_reset(&n->dev);
		pthread_mutex_unlock(&n->dev.lock);
	}
	rate_limiter_fini(&n->rx_limiter);
	rate_limiter_fini(&n->tx_limiter);
	if (n->dev_inited)
		virtio_dev_fini(&n->dev);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
}
