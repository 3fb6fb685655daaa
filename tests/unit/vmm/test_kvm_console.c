// SPDX-License-Identifier: Apache-2.0
/*
 * test_kvm_console.c - a guest printing to COM1 without end, its console
 * an fd nobody reads (a pipe, a socket, a terminal): once the sink is full
 * the bytes are dropped and counted, the embedder's fd keeps its flags,
 * and pause, resume, request_stop, wait and destroy all return (a 10 s
 * deadline stands for "never"). Needs /dev/kvm, like test_kvm_boot.c;
 * without it one line "not run: hostkvm: <reason>" says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "husk.h"
#include "tests/lib/guest_code.h"
#include "tests/lib/unit.h"

#define HANG_SECONDS 10

/* Steps the lifecycle thread takes, for the message when one hangs. */
static const char *const step_names[] = { "pause", "resume",  "request_stop",
					  "wait",  "destroy", "(done)" };

struct lifecycle {
	struct husk_vm *vm;
	int step; /* atomic: the step under way */
	int rc[4];
	struct husk_exit_info exit;
	struct husk_vm_exit_stats stats; /* read between wait and destroy */
};

static void *lifecycle_thread(void *arg)
{
	struct lifecycle *l = arg;

	l->rc[0] = husk_vm_pause(l->vm);
	__atomic_store_n(&l->step, 1, __ATOMIC_SEQ_CST);
	l->rc[1] = husk_vm_resume(l->vm);
	__atomic_store_n(&l->step, 2, __ATOMIC_SEQ_CST);
	l->rc[2] = husk_vm_request_stop(l->vm);
	__atomic_store_n(&l->step, 3, __ATOMIC_SEQ_CST);
	l->rc[3] = husk_vm_wait(l->vm, &l->exit);
	l->stats.struct_size = sizeof(l->stats);
	husk_vm_get_exit_stats(l->vm, &l->stats);
	__atomic_store_n(&l->step, 4, __ATOMIC_SEQ_CST);
	husk_vm_destroy(l->vm);
	__atomic_store_n(&l->step, 5, __ATOMIC_SEQ_CST);
	return NULL;
}

static uint64_t console_dropped(struct husk_vm *vm)
{
	struct husk_vm_exit_stats s = { .struct_size = sizeof(s) };

	ck_assert_int_eq(husk_vm_get_exit_stats(vm, &s), 0);
	return s.console_dropped;
}

/* Start a guest printing 'x' forever to COM1, its console @fd. */
static struct husk_vm *start_printer(int fd)
{
	struct guest_code c = { 0 };
	struct husk_vm_config cfg;
	struct husk_error *err = NULL;
	struct husk_vm *vm = NULL;
	char kpath[] = "/tmp/husk-console-test-XXXXXX";
	int ret;

	GUEST_EMIT(&c, 0x66, 0xba, 0xf8, 0x03, 0xb0, 'x', /* mov dx, 0x3f8; mov al, 'x' */
		   0xee, 0xeb, 0xfd);			  /* 1: out dx, al; jmp 1b */
	ck_assert_int_eq(guest_write_kernel(&c, kpath), 0);
	husk_vm_config_init(&cfg);
	cfg.kernel_path = kpath;
	cfg.mem_mib = 64;
	cfg.console_out_fd = fd;
	ret = husk_vm_create(&cfg, &vm, &err);
	unlink(kpath);
	ck_assert_msg(ret == 0, "husk_vm_create: %s", husk_error_message(err));
	ck_assert_msg(husk_vm_start(vm, &err) == 0, "start: %s", husk_error_message(err));
	return vm;
}

/* Until the guest has filled the sink and a byte was dropped. */
static void wait_for_drops(struct husk_vm *vm)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < HANG_SECONDS * 100 && !console_dropped(vm); i++)
		nanosleep(&tick, NULL);
	ck_assert_msg(console_dropped(vm) > 0, "no console byte dropped within %d s", HANG_SECONDS);
}

/*
 * Pause, resume, stop, wait and destroy, each within the deadline.
 * Returns the bytes dropped in all.
 */
static uint64_t lifecycle_must_return(struct husk_vm *vm)
{
	struct lifecycle l = { .vm = vm };
	struct timespec deadline;
	pthread_t t;
	int i;

	ck_assert_int_eq(pthread_create(&t, NULL, lifecycle_thread, &l), 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += HANG_SECONDS;
	if (pthread_timedjoin_np(t, NULL, &deadline) != 0)
		ck_abort_msg("husk_vm_%s did not return within %d s",
			     step_names[__atomic_load_n(&l.step, __ATOMIC_SEQ_CST)], HANG_SECONDS);
	for (i = 0; i < 4; i++)
		ck_assert_msg(l.rc[i] == 0, "husk_vm_%s: %d", step_names[i], l.rc[i]);
	ck_assert_int_eq(l.exit.reason, HUSK_EXIT_STOPPED);
	return l.stats.console_dropped;
}

/* Read what the sink kept: all 'x'; returns how many. */
static size_t drain_all_x(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n, i;

	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			ck_assert_int_eq(buf[i], 'x');
		total += (size_t)n;
	}
	return total;
}

static int pipe_bytes(int fd)
{
	int n = -1;

	ck_assert_int_eq(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

/*
 * The pipe is watched rather than the drop count, so that a VMM whose
 * vCPU sleeps in write() fails on the hang itself.
 */
START_TEST(console_full_pipe_never_stalls)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct husk_vm *vm;
	int p[2], flags, size, kept, i;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	flags = fcntl(p[1], F_GETFL);
	size = fcntl(p[1], F_GETPIPE_SZ);
	vm = start_printer(p[1]);
	for (i = 0; i < HANG_SECONDS * 100 && pipe_bytes(p[0]) < size; i++)
		nanosleep(&tick, NULL);
	ck_assert_int_eq(pipe_bytes(p[0]), size);
	ck_assert_uint_gt(lifecycle_must_return(vm), 0);
	ck_assert_int_eq(fcntl(p[1], F_GETFL), flags); /* still blocking */
	ck_assert_uint_eq(drain_all_x(p[0]), (size_t)size);
	/* With ours closed no writer is left: destroy closed its own open. */
	close(p[1]);
	ck_assert_int_eq(read(p[0], &kept, 1), 0);
	close(p[0]);
}
END_TEST

START_TEST(console_full_socket_never_stalls)
{
	struct husk_vm *vm;
	int sv[2], flags;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	flags = fcntl(sv[1], F_GETFL);
	vm = start_printer(sv[1]);
	wait_for_drops(vm);
	ck_assert_uint_gt(lifecycle_must_return(vm), 0);
	ck_assert_int_eq(fcntl(sv[1], F_GETFL), flags);
	ck_assert_uint_gt(drain_all_x(sv[0]), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* A terminal (a pty whose master nobody reads): the poll-first way. */
START_TEST(console_full_terminal_never_stalls)
{
	struct termios tio;
	struct husk_vm *vm;
	int master, slave, flags;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(slave, 0);
	ck_assert_int_eq(tcgetattr(slave, &tio), 0);
	cfmakeraw(&tio); /* bytes pass as they are: the reader sees only 'x' */
	ck_assert_int_eq(tcsetattr(slave, TCSANOW, &tio), 0);
	flags = fcntl(slave, F_GETFL);
	vm = start_printer(slave);
	wait_for_drops(vm);
	ck_assert_uint_gt(lifecycle_must_return(vm), 0);
	ck_assert_int_eq(fcntl(slave, F_GETFL), flags);
	ck_assert_uint_gt(drain_all_x(master), 0);
	close(slave);
	close(master);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kvm_console");
	TCase *tc;

	if (!unit_host_kvm(NULL))
		return s;
	tc = tcase_create("hostkvm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, console_full_pipe_never_stalls);
	tcase_add_test(tc, console_full_socket_never_stalls);
	tcase_add_test(tc, console_full_terminal_never_stalls);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
