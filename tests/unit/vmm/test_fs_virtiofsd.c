// SPDX-License-Identifier: Apache-2.0
/*
 * test_fs_virtiofsd.c - the virtio-fs device against the real backend,
 * Debian 12's /usr/lib/qemu/virtiofsd 7.2, without a Linux guest: guest
 * RAM is a memfd, the test plays the virtio driver (tests/lib/mock_vq.c)
 * and stands in for KVM by writing the kick eventfds and polling the call
 * eventfd. virtiofsd reads the rings and buffers from the shared memfd
 * exactly as it would a guest's.
 *   - handshake, DRIVER_OK, and FUSE_INIT, LOOKUP, OPEN, READ round trips
 *     through guest memory (the host file's size and content come back);
 *   - a driver reset and a second DRIVER_OK on the same connection, and
 *     FUSE_INIT again;
 *   - SIGKILL to virtiofsd: the device notices the hang-up and a FUSE
 *     request gets ENOTCONN;
 *   - destroying the device makes virtiofsd exit with status 0.
 * Needs root and the binary (package qemu-system-common); otherwise it
 * prints "not run: ..." and runs nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/mock_vq.h"
#include "tests/lib/unit.h"
#include "vmm/virtio/fs/fs.h"

#define VIRTIOFSD "/usr/lib/qemu/virtiofsd"
#define QSIZE	  128
#define CONTENT	  "hello from the host\n"

struct vfs {
	char dir[64], src[96], sock[96], log[96];
	pid_t pid;
	struct mock_guest g;
	struct event_loop loop;
	struct virtio_fs *fs;
	struct virtio_dev *dev;
	struct virtio_mmio mmio;
	struct mock_vq mq[2];
	int kick[2], call;
	uint64_t unique;
};

static void vfs_irq(void *opaque, uint32_t cause)
{
	(void)opaque;
	(void)cause;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Start virtiofsd and wait for its socket; its output goes to a log file. */
static void vfs_spawn(struct vfs *v)
{
	char src_opt[128], sock_opt[128];
	int i, st, fd;

	snprintf(src_opt, sizeof(src_opt), "source=%s", v->src);
	snprintf(sock_opt, sizeof(sock_opt), "--socket-path=%s", v->sock);
	v->pid = fork();
	ck_assert_int_ge(v->pid, 0);
	if (v->pid == 0) {
		fd = open(v->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(VIRTIOFSD, VIRTIOFSD, sock_opt, "-o", src_opt, "-o", "cache=none",
		      "--thread-pool-size=0", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && access(v->sock, F_OK) < 0; i++) {
		ck_assert_msg(waitpid(v->pid, &st, WNOHANG) == 0, "virtiofsd exited (status 0x%x)",
			      st);
		usleep(10000);
	}
	ck_assert_msg(access(v->sock, F_OK) == 0, "virtiofsd made no socket in 5 s");
}

static void vfs_up(struct vfs *v)
{
	struct virtio_fs_params p = {
		.name = "fs0",
		.tag = "hostshare",
		.socket_fd = -1,
		.queue_size = QSIZE,
		.reply_timeout_ms = 5000,
		.loop = &v->loop,
	};
	struct virtio_irq irq = { vfs_irq, v };
	struct husk_error *err = NULL;
	unsigned int i;

	memset(v, 0, sizeof(*v));
	signal(SIGPIPE, SIG_DFL);
	snprintf(v->dir, sizeof(v->dir), "/tmp/husk-vfsd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(v->dir));
	snprintf(v->src, sizeof(v->src), "%s/src", v->dir);
	snprintf(v->sock, sizeof(v->sock), "%s/sock", v->dir);
	snprintf(v->log, sizeof(v->log), "%s/virtiofsd.log", v->dir);
	ck_assert_int_eq(mkdir(v->src, 0755), 0);
	{
		char f[128];

		snprintf(f, sizeof(f), "%s/hello.txt", v->src);
		write_file(f, CONTENT);
	}
	vfs_spawn(v);
	ck_assert_int_eq(guest_mem_init(&v->g.gm, MOCK_RAM, GUEST_MEM_MEMFD, NULL), 0);
	v->g.data_next = MOCK_DATA_BASE;
	ck_assert_int_eq(event_loop_init(&v->loop, NULL), 0);
	p.socket_path = v->sock;
	ck_assert_msg(virtio_fs_create(&v->fs, &p, &v->g.gm, NULL, &err) == 0, "%s",
		      husk_error_message(err));
	v->dev = virtio_fs_dev(v->fs);
	virtio_dev_set_irq(v->dev, &irq);
	v->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (i = 0; i < 2; i++) {
		v->kick[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->dev->ops->set_notify_fds(v->dev, i, v->kick[i], v->call);
	}
	virtio_mmio_init(&v->mmio, v->dev);
}

static void vfs_show_log(const struct vfs *v)
{
	char buf[2048] = "";
	int fd = open(v->log, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	fprintf(stderr, "virtiofsd log:\n%s\n", buf);
}

/* Wait for virtiofsd to exit; its status, or -1 after @ms. */
static int vfs_wait_exit(struct vfs *v, int ms)
{
	int st, i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(v->pid, &st, WNOHANG) == v->pid) {
			v->pid = 0;
			return st;
		}
		usleep(10000);
	}
	return -1;
}

static void vfs_down(struct vfs *v)
{
	char cmd[160];

	virtio_fs_destroy(v->fs);
	if (v->pid > 0 && vfs_wait_exit(v, 5000) == -1) {
		kill(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
	}
	event_loop_fini(&v->loop);
	close(v->kick[0]);
	close(v->kick[1]);
	close(v->call);
	mock_guest_fini(&v->g);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", v->dir);
	(void)!system(cmd);
}

static void vfs_driver_ok(struct vfs *v)
{
	uint64_t n;

	memset(mock_ptr(&v->g, MOCK_RING_BASE, 2 * MOCK_RING_STRIDE), 0, 2 * MOCK_RING_STRIDE);
	mock_vq_init(&v->mq[0], &v->g.gm, 0, QSIZE);
	mock_vq_init(&v->mq[1], &v->g.gm, 1, QSIZE);
	ck_assert_uint_eq(mock_mmio_bring_up(&v->mmio, 1ULL << 32, v->mq, 2) &
				  VIRTIO_CONFIG_S_NEEDS_RESET,
			  0);
	ck_assert(!virtio_fs_backend_dead(v->fs));
	/* libvhost-user signals each new call fd once at SET_VRING_CALL. */
	eventfd_read(v->call, &n);
}

/*
 * One FUSE request on the request queue: header + @arg readable, @out_len
 * writable; kick as KVM would and wait for the backend's interrupt.
 * Returns the used length; the reply (header included) is copied to @out.
 */
static uint32_t fuse_call(struct vfs *v, uint32_t opcode, uint64_t nodeid, const void *arg,
			  uint32_t arg_len, void *out, uint32_t out_len)
{
	struct fuse_in_header h = { .len = (uint32_t)sizeof(h) + arg_len,
				    .opcode = opcode,
				    .unique = ++v->unique,
				    .nodeid = nodeid };
	gpa_t in = mock_alloc(&v->g, h.len), reply = mock_alloc(&v->g, out_len);
	struct mock_buf b[2] = { { in, h.len, false }, { reply, out_len, true } };
	struct pollfd p = { .fd = v->call, .events = POLLIN };
	uint32_t id = 0, len = 0;
	uint16_t head;
	int i;

	memcpy(mock_ptr(&v->g, in, sizeof(h)), &h, sizeof(h));
	if (arg_len)
		memcpy(mock_ptr(&v->g, in + sizeof(h), arg_len), arg, arg_len);
	head = mock_vq_add_chain(&v->mq[1], b, 2);
	ck_assert_int_eq(eventfd_write(v->kick[1], 1), 0);
	for (i = 0; i < 50 && !mock_vq_get_used(&v->mq[1], &id, &len); i++) {
		uint64_t n;

		if (poll(&p, 1, 100) > 0)
			eventfd_read(v->call, &n);
		event_loop_run_once(&v->loop, 0);
	}
	if (i == 50)
		vfs_show_log(v);
	ck_assert_msg(i < 50, "opcode %u: no answer within 5 s", opcode);
	ck_assert_uint_eq(id, head);
	ck_assert_uint_le(len, out_len);
	memcpy(out, mock_ptr(&v->g, reply, out_len), out_len);
	ck_assert_uint_eq(((struct fuse_out_header *)out)->unique, v->unique);
	return len;
}

static void fuse_init(struct vfs *v)
{
	struct fuse_init_in in = { .major = FUSE_KERNEL_VERSION,
				   .minor = 31,
				   .max_readahead = 65536 };
	struct {
		struct fuse_out_header h;
		struct fuse_init_out o;
	} r;
	uint32_t len = fuse_call(v, FUSE_INIT, 0, &in, sizeof(in), &r, sizeof(r));

	ck_assert_int_eq(r.h.error, 0);
	ck_assert_uint_ge(len, sizeof(r.h) + 24);
	ck_assert_uint_eq(r.o.major, 7);
}

START_TEST(vfs_fuse_round_trips)
{
	struct {
		struct fuse_out_header h;
		struct fuse_entry_out e;
	} look;
	struct {
		struct fuse_out_header h;
		struct fuse_open_out o;
	} opn;
	struct {
		struct fuse_out_header h;
		char data[256];
	} rd;
	struct fuse_open_in oi = { .flags = O_RDONLY };
	struct fuse_read_in ri = { 0 };
	struct vfs v;
	uint32_t len;

	vfs_up(&v);
	vfs_driver_ok(&v);
	fuse_init(&v);
	fuse_call(&v, FUSE_LOOKUP, FUSE_ROOT_ID, "hello.txt", 10, &look, sizeof(look));
	ck_assert_int_eq(look.h.error, 0);
	ck_assert_uint_eq(look.e.attr.size, strlen(CONTENT));
	fuse_call(&v, FUSE_OPEN, look.e.nodeid, &oi, sizeof(oi), &opn, sizeof(opn));
	ck_assert_int_eq(opn.h.error, 0);
	ri.fh = opn.o.fh;
	ri.size = sizeof(rd.data);
	len = fuse_call(&v, FUSE_READ, look.e.nodeid, &ri, sizeof(ri), &rd, sizeof(rd));
	ck_assert_int_eq(rd.h.error, 0);
	ck_assert_uint_eq(len, sizeof(rd.h) + strlen(CONTENT));
	ck_assert_mem_eq(rd.data, CONTENT, strlen(CONTENT));
	/* A missing name: the backend's own error comes through. */
	fuse_call(&v, FUSE_LOOKUP, FUSE_ROOT_ID, "nope", 5, &look, sizeof(look));
	ck_assert_int_eq(look.h.error, -ENOENT);
	vfs_down(&v);
}
END_TEST

/* Guest reboot: the rings stop, the socket stays, DRIVER_OK starts them again. */
START_TEST(vfs_reset_and_restart)
{
	struct vfs v;

	vfs_up(&v);
	vfs_driver_ok(&v);
	fuse_init(&v);
	mock_mmio_write(&v.mmio, VIRTIO_MMIO_STATUS, 0);
	ck_assert(!virtio_fs_backend_dead(v.fs));
	ck_assert_int_eq(waitpid(v.pid, NULL, WNOHANG), 0);
	vfs_driver_ok(&v);
	fuse_init(&v);
	vfs_down(&v);
}
END_TEST

START_TEST(vfs_sigkill_gives_enotconn)
{
	struct fuse_init_in in = { .major = 7, .minor = 31 };
	struct {
		struct fuse_out_header h;
		char rest[128];
	} r;
	struct vfs v;
	int i;

	vfs_up(&v);
	vfs_driver_ok(&v);
	fuse_init(&v);
	kill(v.pid, SIGKILL);
	ck_assert_int_ne(vfs_wait_exit(&v, 5000), -1);
	for (i = 0; i < 50 && !virtio_fs_backend_dead(v.fs); i++)
		event_loop_run_once(&v.loop, 100);
	ck_assert_msg(virtio_fs_backend_dead(v.fs), "the hang-up was not noticed");
	fuse_call(&v, FUSE_INIT, 0, &in, sizeof(in), &r, sizeof(r));
	ck_assert_int_eq(r.h.error, -ENOTCONN);
	vfs_down(&v);
}
END_TEST

/* Teardown closes the socket, and virtiofsd exits on its own, status 0. */
START_TEST(vfs_destroy_ends_virtiofsd)
{
	struct vfs v;
	int st;

	vfs_up(&v);
	vfs_driver_ok(&v);
	fuse_init(&v);
	virtio_fs_destroy(v.fs);
	v.fs = NULL;
	st = vfs_wait_exit(&v, 5000);
	ck_assert_msg(st != -1, "virtiofsd still runs 5 s after the socket closed");
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "virtiofsd status 0x%x", st);
	vfs_down(&v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fs_virtiofsd");
	TCase *tc = tcase_create("virtiofsd");

	suite_add_tcase(s, tc);
	if (geteuid() != 0) {
		printf("not run: virtiofsd: needs root (virtiofsd 7.2 refuses to run otherwise)\n");
		return s;
	}
	if (access(VIRTIOFSD, X_OK) < 0) {
		printf("not run: virtiofsd: %s: %s (package qemu-system-common)\n", VIRTIOFSD,
		       strerror(errno));
		return s;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vfs_fuse_round_trips);
	tcase_add_test(tc, vfs_reset_and_restart);
	tcase_add_test(tc, vfs_sigkill_gives_enotconn);
	tcase_add_test(tc, vfs_destroy_ends_virtiofsd);
	return s;
}

UNIT_MAIN()
