// SPDX-License-Identifier: Apache-2.0
/*
 * vm_add_device.c - the public device API: virtio-blk disks, virtio-net
 * interfaces, virtio-fs shares and the virtio-vsock device; a disk's
 * media change, an interface's late tap, and the vsock host calls.
 * The wiring itself is vm_virtio_devices.c's.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "vmm/vhost/conn.h"
#include "vmm/virtio/blk/blk.h"
#include "vmm/virtio/fs/fs.h"
#include "vmm/virtio/net/net.h"
#include "vmm/virtio/vsock/vsock.h"
#include "vmm/vm.h"
#include "vmm/vm_virtio_devices.h"

#define VM_BLK_WORKERS 2  /* a disk's I/O threads */
#define VM_SERIAL_MAX  20 /* virtio-blk GET_ID string (5.2.6) */
#define VM_NET_MIN_MTU 68 /* RFC 791: the smallest IPv4 link */

/*
 * Copy a caller's config struct whose first field is struct_size into
 * @dst (already holding defaults): older, smaller structs keep defaults
 * for what they lack; newer ones only with an all-zero tail.
 */
static int vm_dev_cfg_copy(void *dst, size_t dst_size, const void *src, const char *what,
			   struct husk_error **err)
{
	size_t n, i;

	if (!src)
		return husk_err(err, 0, "%s: no config", what);
	n = *(const size_t *)src;
	if (n < sizeof(size_t) * 2)
		return husk_err(err, 0, "%s: struct_size %zu too small", what, n);
	for (i = dst_size; i < n; i++) {
		if (((const uint8_t *)src)[i])
			return husk_err(err, E2BIG, "%s: fields unknown to libhusk %s", what,
					husk_version());
	}
	memcpy(dst, src, n < dst_size ? n : dst_size);
	*(size_t *)dst = dst_size;
	return 0;
}

/* Lock the device table; -EBUSY once the VM has started. */
static int vm_dev_lock(struct husk_vm *vm, const char *what, struct husk_error **err)
{
	pthread_mutex_lock(&vm->dev_lock);
	if (!vm->started)
		return 0;
	pthread_mutex_unlock(&vm->dev_lock);
	return husk_err(err, EBUSY, "%s: the VM has already started", what);
}

static void vm_dev_blk_destroy(void *b)
{
	virtio_blk_destroy(b);
}

static void vm_dev_net_destroy(void *n)
{
	virtio_net_destroy(n);
}

static void vm_dev_vsock_destroy(void *v)
{
	virtio_vsock_destroy(v);
}

void husk_disk_config_init(struct husk_disk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
	cfg->fd = -1;
}

static int vm_disk_check(const struct husk_disk_config *c, struct husk_error **err)
{
	if (c->serial && strlen(c->serial) > VM_SERIAL_MAX)
		return husk_err(err, 0, "disk: serial longer than %d bytes", VM_SERIAL_MAX);
	return rate_limit_check(&c->rate_limit, "disk: rate limit", err);
}

/* Under dev_lock: create the backend and give it a slot. */
static int vm_disk_add(struct husk_vm *vm, const struct husk_disk_config *c,
		       struct husk_error **err)
{
	struct virtio_blk_params p = {
		.path = c->path,
		.fd = c->fd,
		.read_only = c->read_only != 0,
		.serial = c->serial,
		.nr_workers = VM_BLK_WORKERS,
		.rate_limit = c->rate_limit,
		.loop = &vm->loop,
		.seccomp = (vm->cfg.flags & HUSK_VM_SECCOMP) != 0,
	};
	struct vm_vdev_backend b = { .destroy = vm_dev_blk_destroy };
	struct virtio_blk *blk;
	sigset_t all, old;
	char name[16];
	int ret;

	/*
	 * The I/O workers start here; like the vCPU threads they must never
	 * take the embedder's signals (a SIGINT meant for the main thread
	 * would kill the process), so they start with every signal blocked.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = virtio_blk_create(&blk, &p, &vm->mem, &vm->log, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0)
		return ret;
	snprintf(name, sizeof(name), "blk%u", vm->nr_disks);
	b.name = name;
	b.dev = virtio_blk_dev(blk);
	b.backend = blk;
	ret = vm_vdev_add(vm, &b, NULL, err);
	if (!ret)
		vm->disks[vm->nr_disks++] = blk;
	return ret;
}

int husk_vm_add_disk(struct husk_vm *vm, const struct husk_disk_config *cfg,
		     struct husk_error **err)
{
	struct husk_disk_config c;
	int ret;

	husk_disk_config_init(&c);
	ret = vm_dev_cfg_copy(&c, sizeof(c), cfg, "disk", err);
	if (!ret)
		ret = vm_disk_check(&c, err);
	if (!ret)
		ret = vm_dev_lock(vm, "disk", err);
	if (ret < 0)
		return ret;
	ret = vm_disk_add(vm, &c, err);
	pthread_mutex_unlock(&vm->dev_lock);
	if (ret < 0)
		return husk_err_wrap(err, "disk %s",
				     c.path    ? c.path :
				     c.fd >= 0 ? "(fd)" :
						 "(empty)");
	/* The backend holds its own dup: the VM now owns the caller's fd. */
	if (c.fd >= 0)
		close(c.fd);
	return 0;
}

/* The disk behind @index, or NULL with *@err set. */
static struct virtio_blk *vm_disk_get(struct husk_vm *vm, unsigned int index,
				      struct husk_error **err)
{
	struct virtio_blk *b = NULL;

	pthread_mutex_lock(&vm->dev_lock);
	if (index < vm->nr_disks)
		b = vm->disks[index];
	pthread_mutex_unlock(&vm->dev_lock);
	if (!b)
		husk_err(err, ENOENT, "disk %u: no such disk (%u added)", index, vm->nr_disks);
	return b;
}

int husk_vm_disk_attach(struct husk_vm *vm, unsigned int index, const struct husk_disk_config *cfg,
			struct husk_error **err)
{
	struct husk_disk_config c;
	struct virtio_blk *b;
	int ret;

	husk_disk_config_init(&c);
	ret = vm_dev_cfg_copy(&c, sizeof(c), cfg, "disk", err);
	if (ret < 0)
		return ret;
	if (!c.path && c.fd < 0)
		return husk_err(err, 0, "disk %u: attach: neither a path nor an fd", index);
	b = vm_disk_get(vm, index, err);
	if (!b)
		return -ENOENT;
	ret = virtio_blk_attach(b, c.path, c.fd, c.read_only != 0, err);
	if (ret < 0)
		return husk_err_wrap(err, "disk %u: attach %s", index, c.path ? c.path : "(fd)");
	if (c.fd >= 0) /* as husk_vm_add_disk: the backend holds its own dup */
		close(c.fd);
	return 0;
}

int husk_vm_disk_detach(struct husk_vm *vm, unsigned int index, struct husk_error **err)
{
	struct virtio_blk *b = vm_disk_get(vm, index, err);
	int ret;

	if (!b)
		return -ENOENT;
	ret = virtio_blk_detach(b, err);
	return ret < 0 ? husk_err_wrap(err, "disk %u: detach", index) : 0;
}

void husk_net_config_init(struct husk_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
	cfg->tap_fd = -1;
}

/* All zero: a random unicast, locally administered address (IEEE 802). */
static int vm_net_mac(uint8_t mac[6], struct husk_error **err)
{
	static const uint8_t zero[6];

	if (memcmp(mac, zero, 6))
		return mac[0] & 1 ? husk_err(err, 0, "net: multicast MAC") : 0;
	if (getrandom(mac, 6, 0) != 6)
		return husk_err(err, errno, "net: random MAC");
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
	return 0;
}

static int vm_net_add(struct husk_vm *vm, const struct husk_net_config *c, struct husk_error **err)
{
	struct virtio_net_params p = {
		.ifname = c->tap_name,
		.tap_fd = c->tap_fd,
		.has_mac = true,
		.mtu = (uint16_t)c->mtu,
		.loop = &vm->loop,
		.rx_rate_limit = c->rx_rate_limit,
		.tx_rate_limit = c->tx_rate_limit,
	};
	struct vm_vdev_backend b = { .destroy = vm_dev_net_destroy };
	struct virtio_net *net;
	char name[16];
	int ret;

	memcpy(p.mac, c->mac, sizeof(p.mac));
	ret = virtio_net_create(&net, &p, &vm->mem, &vm->log, err);
	if (ret < 0)
		return ret;
	snprintf(name, sizeof(name), "net%u", vm->nr_nets);
	b.name = name;
	b.dev = virtio_net_dev(net);
	b.backend = net;
	ret = vm_vdev_add(vm, &b, NULL, err);
	if (!ret)
		vm->nets[vm->nr_nets++] = net;
	return ret;
}

int husk_vm_add_net(struct husk_vm *vm, const struct husk_net_config *cfg, struct husk_error **err)
{
	struct husk_net_config c;
	int ret;

	husk_net_config_init(&c);
	ret = vm_dev_cfg_copy(&c, sizeof(c), cfg, "net", err);
	if (!ret && c.mtu && (c.mtu < VM_NET_MIN_MTU || c.mtu > UINT16_MAX))
		ret = husk_err(err, 0, "net: MTU %u out of range %d..%d", c.mtu, VM_NET_MIN_MTU,
			       UINT16_MAX);
	if (!ret)
		ret = rate_limit_check(&c.rx_rate_limit, "net: rx rate limit", err);
	if (!ret)
		ret = rate_limit_check(&c.tx_rate_limit, "net: tx rate limit", err);
	if (!ret)
		ret = vm_net_mac(c.mac, err);
	if (!ret)
		ret = vm_dev_lock(vm, "net", err);
	if (ret < 0)
		return ret;
	ret = vm_net_add(vm, &c, err);
	pthread_mutex_unlock(&vm->dev_lock);
	if (ret < 0)
		return husk_err_wrap(err, "net %s",
				     c.tap_name	   ? c.tap_name :
				     c.tap_fd >= 0 ? "(fd)" :
						     "(no tap)");
	if (c.tap_fd >= 0)
		close(c.tap_fd);
	return 0;
}

int husk_vm_net_attach(struct husk_vm *vm, unsigned int index, int tap_fd, struct husk_error **err)
{
	struct virtio_net *n = NULL;
	int ret;

	pthread_mutex_lock(&vm->dev_lock);
	if (index < vm->nr_nets)
		n = vm->nets[index];
	pthread_mutex_unlock(&vm->dev_lock);
	if (!n)
		return husk_err(err, ENOENT, "net %u: no such interface (%u added)", index,
				vm->nr_nets);
	ret = virtio_net_attach(n, tap_fd, err);
	if (ret < 0)
		return husk_err_wrap(err, "net %u", index);
	close(tap_fd); /* as husk_vm_add_net: the device holds its own dup */
	return 0;
}

void husk_vsock_config_init(struct husk_vsock_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
}

static int vm_vsock_add(struct husk_vm *vm, const struct husk_vsock_config *c,
			struct husk_error **err)
{
	struct virtio_vsock_params p = {
		.guest_cid = c->guest_cid,
		.uds_path = c->uds_path,
		.loop = &vm->loop,
	};
	struct vm_vdev_backend b = { .name = "vsock", .destroy = vm_dev_vsock_destroy };
	struct virtio_vsock *v;
	int ret;

	if (vm->vsock)
		return husk_err(err, EEXIST, "the VM already has a vsock device");
	ret = virtio_vsock_create(&v, &p, &vm->mem, &vm->log, err);
	if (ret < 0)
		return ret;
	b.dev = virtio_vsock_dev(v);
	b.backend = v;
	ret = vm_vdev_add(vm, &b, NULL, err);
	if (!ret)
		vm->vsock = v;
	return ret;
}

int husk_vm_add_vsock(struct husk_vm *vm, const struct husk_vsock_config *cfg,
		      struct husk_error **err)
{
	struct husk_vsock_config c;
	int ret;

	husk_vsock_config_init(&c);
	ret = vm_dev_cfg_copy(&c, sizeof(c), cfg, "vsock", err);
	if (!ret && (c.guest_cid < 3 || c.guest_cid == UINT32_MAX))
		ret = husk_err(err, 0, "vsock: guest CID %u, must be 3..%u", c.guest_cid,
			       UINT32_MAX - 1);
	if (!ret)
		ret = vm_dev_lock(vm, "vsock", err);
	if (ret < 0)
		return ret;
	ret = vm_vsock_add(vm, &c, err);
	pthread_mutex_unlock(&vm->dev_lock);
	return ret < 0 ? husk_err_wrap(err, "vsock") : 0;
}

/* The vsock device; it only changes before start, so no lock after. */
static struct virtio_vsock *vm_vsock(struct husk_vm *vm)
{
	struct virtio_vsock *v;

	pthread_mutex_lock(&vm->dev_lock);
	v = vm->vsock;
	pthread_mutex_unlock(&vm->dev_lock);
	return v;
}

int husk_vm_vsock_connect(struct husk_vm *vm, uint32_t port, int timeout_ms, int *fd,
			  struct husk_error **err)
{
	struct virtio_vsock *v = vm_vsock(vm);

	if (!v)
		return husk_err(err, ENODEV, "vsock connect to port %u", port);
	return virtio_vsock_connect(v, port, timeout_ms, fd, err);
}

int husk_vm_vsock_listen(struct husk_vm *vm, uint32_t port, husk_vsock_accept_fn fn, void *opaque,
			 struct husk_error **err)
{
	struct virtio_vsock *v = vm_vsock(vm);

	if (!v)
		return husk_err(err, ENODEV, "vsock listen on port %u", port);
	if (!fn)
		return husk_err(err, 0, "vsock listen on port %u: no callback", port);
	return virtio_vsock_listen(v, port, fn, opaque, err);
}

static void vm_dev_fs_destroy(void *fs)
{
	virtio_fs_destroy(fs);
}

void husk_fs_config_init(struct husk_fs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
	cfg->socket_fd = -1;
	cfg->queue_size = VIRTIO_FS_DEFAULT_QUEUE_SIZE;
	cfg->reply_timeout_ms = VHOST_CONN_DEFAULT_TIMEOUT_MS;
}

/* Under dev_lock: the checks that need the VM, then the device and its slot. */
static int vm_fs_add(struct husk_vm *vm, const struct husk_fs_config *c, struct husk_error **err)
{
	struct virtio_fs_params p = {
		.tag = c->tag,
		.socket_path = c->socket_fd >= 0 ? NULL : c->socket_path,
		.socket_fd = c->socket_fd,
		.queue_size = c->queue_size,
		.reply_timeout_ms = c->reply_timeout_ms,
		.loop = &vm->loop,
	};
	struct vm_vdev_backend b = { .destroy = vm_dev_fs_destroy };
	struct virtio_fs *fs;
	unsigned int i;
	char name[16];
	int ret;

	if (!(vm->cfg.flags & HUSK_VM_MEMFD))
		return husk_err(err, 0,
				"the VM was created without HUSK_VM_MEMFD: the backend "
				"needs guest RAM in a shared memfd");
	for (i = 0; i < vm->nr_fs; i++)
		if (!strcmp(virtio_fs_tag(vm->fs[i]), c->tag))
			return husk_err(err, 0, "tag already used by fs%u", i);
	snprintf(name, sizeof(name), "fs%u", vm->nr_fs);
	p.name = name;
	ret = virtio_fs_create(&fs, &p, &vm->mem, &vm->log, err);
	if (ret < 0)
		return ret;
	b.name = name;
	b.dev = virtio_fs_dev(fs);
	b.backend = fs;
	ret = vm_vdev_add(vm, &b, NULL, err);
	if (!ret)
		vm->fs[vm->nr_fs++] = fs;
	return ret;
}

int husk_vm_add_fs(struct husk_vm *vm, const struct husk_fs_config *cfg, struct husk_error **err)
{
	struct husk_fs_config c;
	int ret;

	husk_fs_config_init(&c);
	ret = vm_dev_cfg_copy(&c, sizeof(c), cfg, "fs", err);
	if (ret < 0)
		return ret;
	if (!c.queue_size)
		c.queue_size = VIRTIO_FS_DEFAULT_QUEUE_SIZE;
	if (!c.tag || !c.tag[0] || strlen(c.tag) > VIRTIO_FS_TAG_MAX)
		return husk_err(err, 0, "fs: tag must be 1..%d bytes", VIRTIO_FS_TAG_MAX);
	if (!c.socket_path && c.socket_fd < 0)
		return husk_err(err, 0, "fs %s: neither a socket path nor a socket fd", c.tag);
	ret = vm_dev_lock(vm, "fs", err);
	if (ret < 0)
		return ret;
	ret = vm_fs_add(vm, &c, err);
	pthread_mutex_unlock(&vm->dev_lock);
	if (ret < 0)
		return husk_err_wrap(err, "fs %s", c.tag);
	/* The connection holds its own dup: the VM now owns the caller's fd. */
	if (c.socket_fd >= 0)
		close(c.socket_fd);
	return 0;
}
