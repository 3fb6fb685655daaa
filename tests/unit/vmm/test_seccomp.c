// SPDX-License-Identifier: Apache-2.0
/*
 * test_seccomp.c - vmm/seccomp/: the per-thread-kind filters and
 * HUSK_VM_SECCOMP end to end.
 *
 * Each check that expects a kill runs in a child process (fork), which
 * reports over a pipe how far it got; the parent asserts the bytes and the
 * child's wait status (killed by SIGSYS, as seccomp.h documents, or a
 * normal exit for the control cases without the filter). With /dev/kvm,
 * tiny guests (tests/lib/guest_code.h) show that a filtered VM runs, that
 * every libhusk thread carries a filter and the embedder's thread none,
 * and that a forbidden call in an embedder callback on a vCPU thread kills
 * the process. test_kvm_boot.c and test_vm_virtio.c run all their guests
 * with HUSK_VM_SECCOMP as well.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "husk.h"
#include "tests/lib/guest_code.h"
#include "tests/lib/unit.h"
#include "vmm/base/event_loop.h"
#include "vmm/seccomp/seccomp.h"

#define GUEST_TIMEOUT_MS 20000

/* ---------------------------------------------------------------- children */

struct child {
	char got[16384]; /* what the child reported, in order */
	size_t n;
	int status; /* waitpid's */
};

static int report_fd = -1;

/* From the child: one byte; write(2) is allowed on every kind of thread. */
static void report(char c)
{
	if (write(report_fd, &c, 1) != 1)
		_exit(90);
}

/* Run @fn(@arg) in a child that then exits 0; collect its bytes and status. */
static void run_child(void (*fn)(void *), void *arg, struct child *out)
{
	int p[2];
	pid_t pid;
	ssize_t r;

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	while ((r = read(p[0], out->got + out->n, sizeof(out->got) - 1 - out->n)) > 0)
		out->n += (size_t)r;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &out->status, 0), pid);
}

static void expect_sigsys(const struct child *c, const char *got)
{
	ck_assert_str_eq(c->got, got);
	ck_assert_msg(WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGSYS,
		      "child status 0x%x, expected killed by SIGSYS", c->status);
}

static void expect_exit0(const struct child *c, const char *got)
{
	ck_assert_str_eq(c->got, got);
	ck_assert_msg(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0,
		      "child status 0x%x, expected exit 0", c->status);
}

static void install(enum seccomp_thread_kind kind)
{
	if (seccomp_install(kind) < 0)
		_exit(91);
	report('I');
}

/* ---------------------------------------------------------------- kinds */

/* Calls each kind's code makes; all must succeed (or fail as the kernel would). */
static bool kind_calls_work(enum seccomp_thread_kind kind, int file_fd)
{
	char buf[16];
	struct iovec iov = { buf, sizeof(buf) };
	void *big = malloc(4 << 20); /* an mmap'ed chunk: anonymous, not executable */
	int fd;

	if (!big)
		return false;
	memset(big, 1, 4 << 20);
	free(big);
	switch (kind) {
	case SECCOMP_THREAD_VCPU:
		return ioctl(-1, KVM_RUN, 0) < 0 && errno == EBADF;
	case SECCOMP_THREAD_EVENT_LOOP:
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		return fd >= 0 && close(fd) == 0;
	case SECCOMP_THREAD_BLK_IO:
		return pwritev(file_fd, &iov, 1, 0) == sizeof(buf) && fdatasync(file_fd) == 0 &&
		       preadv(file_fd, &iov, 1, 0) == sizeof(buf);
	case SECCOMP_THREAD_CONSOLE_IN:
	default:
		return poll(NULL, 0, 0) == 0 && read(-1, buf, 1) < 0 && errno == EBADF;
	}
}

/*
 * Opening a file, as libc does on its own (malloc reads this file when a
 * thread's heap first shrinks): refused with EACCES, the thread goes on.
 * Sanitizer builds allow opens (the runtime reads its maps and binary).
 */
static bool libc_open_handled(void)
{
	int fd = open("/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC);

#ifdef HUSK_SANITIZER_RUNTIME
	return fd >= 0 && close(fd) == 0;
#else
	return fd < 0 && errno == EACCES;
#endif
}

/* Install @kind, make its calls ('A'), open a file ('O'), then a call no kind may make. */
static void child_kind(void *arg)
{
	enum seccomp_thread_kind kind = (enum seccomp_thread_kind)(long)arg;
	char path[] = "/tmp/husk-seccomp-XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	install(kind);
	if (kind_calls_work(kind, fd))
		report('A');
	if (libc_open_handled())
		report('O');
	syscall(SYS_getppid); /* in no list */
	report('X');
}

START_TEST(each_kind_allows_its_calls_and_kills_the_rest)
{
	struct child c;
	long k;

	for (k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		run_child(child_kind, (void *)k, &c);
		expect_sigsys(&c, "IAO");
	}
}
END_TEST

/* ---------------------------------------------------------------- arguments */

struct arg_case {
	enum seccomp_thread_kind kind;
	const char *what;
	long (*call)(void);
};

static long call_tun_ioctl(void)
{
	return ioctl(-1, TUNSETIFF, 0); /* not among the vCPU's requests */
}

static long call_inet_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM, 0); /* the event loop: AF_UNIX only */
}

static long call_unix_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0); /* disk I/O threads: no sockets at all */
}

static long call_exec_mapping(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? -1 : 0;
}

#ifndef HUSK_SANITIZER_RUNTIME /* the sanitizer table allows these three */
static long call_fcntl_setfd(void)
{
	return fcntl(0, F_SETFD, FD_CLOEXEC);
}

static long call_file_mapping(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 0); /* not anonymous */

	return p == MAP_FAILED ? -1 : 0;
}

static long call_other_signal(void)
{
	return syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1); /* only the kick signal */
}
#endif

static long call_x32(void)
{
	return syscall(0x40000000L | SYS_getpid); /* the x32 ABI's numbering */
}

static void child_arg(void *arg)
{
	const struct arg_case *a = arg;

	install(a->kind);
	a->call();
	report('X');
}

START_TEST(arguments_are_checked)
{
	const struct arg_case cases[] = {
		{ SECCOMP_THREAD_VCPU, "TUNSETIFF ioctl", call_tun_ioctl },
		{ SECCOMP_THREAD_EVENT_LOOP, "AF_INET socket", call_inet_socket },
		{ SECCOMP_THREAD_BLK_IO, "AF_UNIX socket", call_unix_socket },
		{ SECCOMP_THREAD_EVENT_LOOP, "PROT_EXEC mmap", call_exec_mapping },
		{ SECCOMP_THREAD_CONSOLE_IN, "x32 call", call_x32 },
#ifndef HUSK_SANITIZER_RUNTIME /* the sanitizer table allows these three */
		{ SECCOMP_THREAD_VCPU, "fcntl F_SETFD", call_fcntl_setfd },
		{ SECCOMP_THREAD_BLK_IO, "file mmap", call_file_mapping },
		{ SECCOMP_THREAD_VCPU, "tgkill SIGUSR1", call_other_signal },
#endif
	};
	struct child c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_child(child_arg, (void *)&cases[i], &c);
		ck_assert_msg(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSYS,
			      "%s: child status 0x%x, expected SIGSYS", cases[i].what, c.status);
		ck_assert_str_eq(c.got, "I");
	}
}
END_TEST

/* ---------------------------------------------------------------- thread start */

static void *thread_ran(void *arg)
{
	*(bool *)arg = true;
	return NULL;
}

/*
 * A thread that cannot install its filter must not run its work, and the
 * creator hears why: here an outer filter makes prctl() fail with EPERM.
 */
static void child_refused_filter(void *arg)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(insns) / sizeof(insns[0]), insns };
	struct husk_error *err = NULL;
	bool ran = false;
	pthread_t t;
	int ret;

	(void)arg;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		_exit(92);
	ret = seccomp_thread_create(&t, thread_ran, &ran, true, SECCOMP_THREAD_BLK_IO, &err);
	if (ret == -EPERM && !ran &&
	    !strcmp(husk_error_message(err),
		    "seccomp filter for a disk I/O thread: Operation not permitted"))
		report('E');
	husk_error_free(err);
	ret = seccomp_thread_create(&t, thread_ran, &ran, false, SECCOMP_THREAD_BLK_IO, &err);
	if (ret == 0 && pthread_join(t, NULL) == 0 && ran)
		report('U'); /* unfiltered threads need no prctl */
}

START_TEST(thread_without_its_filter_does_not_run)
{
	struct child c;

	run_child(child_refused_filter, NULL, &c);
	expect_exit0(&c, "EU");
}
END_TEST

#ifdef HUSK_SANITIZER_RUNTIME
/* ---------------------------------------------------------------- sanitizers */

static void *overflow(void *arg)
{
	volatile char *p = malloc(8);
	volatile size_t past_end = 8;

	(void)arg;
	report('O');
	return (void *)(long)p[past_end]; /* heap-buffer-overflow */
}

/* stderr into a pipe the parent reads; the report must be complete. */
static void child_sanitizer_report(void *arg)
{
	enum seccomp_thread_kind kind = (enum seccomp_thread_kind)(long)arg;
	pthread_t t;

	dup2(report_fd, STDERR_FILENO);
	if (seccomp_thread_create(&t, overflow, NULL, true, kind, NULL) == 0)
		pthread_join(t, NULL);
}

/*
 * Built with ASan: a bug on a filtered thread still gets its full report
 * (symbolized stacks, summary) and the sanitizer's exit status, not a
 * SIGSYS halfway through (policy.c's sanitizer table).
 */
START_TEST(sanitizer_report_on_filtered_thread)
{
	struct child c;
	long k;

	for (k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		run_child(child_sanitizer_report, (void *)k, &c);
		ck_assert_msg(WIFEXITED(c.status) && WEXITSTATUS(c.status) != 0,
			      "kind %ld: child status 0x%x, expected the sanitizer's exit", k,
			      c.status);
		ck_assert_int_eq(c.got[0], 'O');
		/* ASan's or UBSan's report (whichever check fires first), with its source line. */
		ck_assert_msg(strstr(c.got, "runtime error: ") ||
				      strstr(c.got, "ERROR: AddressSanitizer: "),
			      "kind %ld: no sanitizer report in: %s", k, c.got);
		ck_assert_ptr_nonnull(strstr(c.got, "test_seccomp.c:"));
	}
}
END_TEST
#endif

/* ---------------------------------------------------------------- event loop */

struct loop_child {
	struct event_loop el;
	int efd;
	bool forbidden;
	bool done; /* atomic */
};

/* On the filtered event loop thread: what devices do, then (maybe) more. */
static void loop_callback(void *opaque, uint32_t events)
{
	struct loop_child *lc = opaque;
	int sv[2];
	uint64_t v;

	(void)events;
	if (read(lc->efd, &v, sizeof(v)) == 8 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 && close(sv[0]) == 0 &&
	    close(sv[1]) == 0)
		report('C');
	if (lc->forbidden && socket(AF_INET, SOCK_DGRAM, 0) >= 0)
		report('X');
	report('D');
	__atomic_store_n(&lc->done, true, __ATOMIC_SEQ_CST);
}

static void child_event_loop(void *arg)
{
	struct loop_child lc = { .forbidden = arg != NULL };
	uint64_t one = 1;
	int i, fd;

	lc.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (event_loop_init(&lc.el, NULL) < 0)
		_exit(93);
	lc.el.seccomp = true;
	if (event_loop_add(&lc.el, lc.efd, EPOLLIN, loop_callback, &lc) < 0 ||
	    event_loop_start(&lc.el, NULL) < 0)
		_exit(94);
	report('S');
	if (write(lc.efd, &one, sizeof(one)) != 8)
		_exit(95);
	for (i = 0; i < 5000 && !__atomic_load_n(&lc.done, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	event_loop_fini(&lc.el);
	/* The main thread is not filtered: it may still make any call. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0 && close(fd) == 0)
		report('M');
}

START_TEST(event_loop_callbacks_run_filtered)
{
	struct child c;

	run_child(child_event_loop, NULL, &c);
	expect_exit0(&c, "SCDM");
	run_child(child_event_loop, (void *)1, &c);
	expect_sigsys(&c, "SC");
}
END_TEST

/* ---------------------------------------------------------------- VMs */

struct vm_child {
	uint32_t flags;
	bool bad_console; /* the console callback makes a forbidden call */
};

/* A vCPU thread: with a filter, creating an AF_INET socket kills the process. */
static void console_fn(void *opaque, const uint8_t *buf, size_t len)
{
	const struct vm_child *vc = opaque;
	int fd;

	(void)len;
	report((char)buf[0]);
	if (vc->bad_console) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd >= 0) {
			close(fd);
			report('s');
		}
	}
}

static struct husk_vm *vm_make(const struct guest_code *code, uint32_t flags, husk_console_fn fn,
			       void *opaque, int in_fd)
{
	char kpath[] = "/tmp/husk-seccomp-k-XXXXXX";
	struct husk_error *err = NULL;
	struct husk_vm_config cfg;
	struct husk_vm *vm = NULL;
	int ret;

	if (guest_write_kernel(code, kpath) < 0)
		return NULL;
	husk_vm_config_init(&cfg);
	cfg.kernel_path = kpath;
	cfg.mem_mib = 32;
	cfg.flags = flags;
	cfg.console_fn = fn;
	cfg.console_opaque = opaque;
	cfg.console_in_fd = in_fd;
	ret = husk_vm_create(&cfg, &vm, &err);
	unlink(kpath);
	if (ret < 0)
		fprintf(stderr, "husk_vm_create: %s\n", husk_error_message(err));
	husk_error_free(err);
	return vm;
}

static enum husk_exit_reason vm_run_to_end(struct husk_vm *vm)
{
	struct husk_exit_info info = { 0 };
	struct pollfd p = { .fd = husk_vm_exit_eventfd(vm), .events = POLLIN };

	if (husk_vm_start(vm, NULL) < 0)
		return HUSK_EXIT_HOST_ERROR;
	if (poll(&p, 1, GUEST_TIMEOUT_MS) == 0)
		husk_vm_request_stop(vm);
	husk_vm_wait(vm, &info);
	return info.reason;
}

/* Guest: write 'g' to COM1, then reset. */
static void child_vm_console(void *arg)
{
	struct vm_child *vc = arg;
	struct guest_code c = { 0 };
	struct husk_vm *vm;

	guest_out8(&c, 0x3f8, 'g');
	guest_reset(&c);
	vm = vm_make(&c, vc->flags, console_fn, vc, -1);
	if (!vm)
		_exit(96);
	if (vm_run_to_end(vm) == HUSK_EXIT_RESET)
		report('R');
	husk_vm_destroy(vm);
}

START_TEST(vm_forbidden_call_in_vcpu_callback_kills)
{
	struct vm_child vc = { .flags = HUSK_VM_SECCOMP, .bad_console = true };
	struct child c;

	run_child(child_vm_console, &vc, &c);
	expect_sigsys(&c, "g");
	/* Without the flag the same callback's socket works and the VM ends normally. */
	vc.flags = 0;
	run_child(child_vm_console, &vc, &c);
	expect_exit0(&c, "gsR");
	/* With it, a callback that only reports is fine. */
	vc = (struct vm_child){ .flags = HUSK_VM_SECCOMP };
	run_child(child_vm_console, &vc, &c);
	expect_exit0(&c, "gR");
}
END_TEST

/* The Seccomp: line of /proc/self/task/@tid/status (0 none, 2 filter), or -1. */
static int task_seccomp_mode(const char *tid)
{
	char path[300], line[128];
	int mode = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

struct thread_modes {
	unsigned int vcpu, events, blk, uart, unfiltered_husk, main_mode;
};

static void thread_modes(struct thread_modes *m)
{
	char path[300], comm[32];
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");
	FILE *f;
	int mode;

	memset(m, 0, sizeof(*m));
	m->main_mode = 99;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f || !fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		if (f)
			fclose(f);
		mode = task_seccomp_mode(de->d_name);
		if (atoi(de->d_name) == gettid())
			m->main_mode = (unsigned int)mode;
		else if (strncmp(comm, "husk-", 5))
			continue;
		else if (mode != 2)
			m->unfiltered_husk++;
		else if (!strncmp(comm, "husk-vcpu", 9))
			m->vcpu++;
		else if (!strncmp(comm, "husk-events", 11))
			m->events++;
		else if (!strncmp(comm, "husk-blk-io", 11))
			m->blk++;
		else if (!strncmp(comm, "husk-uart-in", 12))
			m->uart++;
	}
	if (d)
		closedir(d);
}

static void ignore_console(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

/*
 * A vCPU, a disk and console input: every thread the library starts
 * carries a filter (Seccomp: 2), the test's own thread none; the guest
 * then reads a console byte (the input thread's work) and resets.
 */
START_TEST(vm_every_library_thread_filtered)
{
	char dpath[] = "/tmp/husk-seccomp-d-XXXXXX";
	struct husk_disk_config dc;
	struct guest_code c = { 0 };
	struct husk_exit_info info;
	struct thread_modes m;
	struct husk_vm *vm;
	struct pollfd p;
	int in[2], dfd;

	GUEST_EMIT(&c, 0x66, 0xba, 0xfd, 0x03, /* mov dx, 0x3fd (LSR) */
		   0xec,		       /* 1: in al, dx */
		   0xa8, 0x01,		       /* test al, DR */
		   0x74, 0xfb);		       /* jz 1b */
	guest_reset(&c);
	ck_assert_int_eq(pipe(in), 0);
	vm = vm_make(&c, HUSK_VM_SECCOMP, ignore_console, NULL, in[0]);
	ck_assert_ptr_nonnull(vm);
	dfd = mkstemp(dpath);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(ftruncate(dfd, 1 << 20), 0);
	husk_disk_config_init(&dc);
	dc.fd = dfd;
	ck_assert_int_eq(husk_vm_add_disk(vm, &dc, NULL), 0);
	unlink(dpath);
	ck_assert_int_eq(husk_vm_start(vm, NULL), 0);
	thread_modes(&m);
	ck_assert_uint_eq(m.main_mode, 0);
	ck_assert_uint_eq(m.unfiltered_husk, 0);
	ck_assert_uint_eq(m.vcpu, 1);
	ck_assert_uint_eq(m.events, 1);
	ck_assert_uint_eq(m.blk, 2);
	ck_assert_uint_eq(m.uart, 1);
	ck_assert_int_eq(write(in[1], "x", 1), 1);
	p = (struct pollfd){ .fd = husk_vm_exit_eventfd(vm), .events = POLLIN };
	if (poll(&p, 1, GUEST_TIMEOUT_MS) == 0)
		husk_vm_request_stop(vm);
	ck_assert_int_eq(husk_vm_wait(vm, &info), 0);
	ck_assert_str_eq(husk_exit_reason_string(info.reason), "reset");
	husk_vm_destroy(vm);
	close(in[0]);
	close(in[1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("filters");

	tcase_add_test(tc, each_kind_allows_its_calls_and_kills_the_rest);
	tcase_add_test(tc, arguments_are_checked);
	tcase_add_test(tc, thread_without_its_filter_does_not_run);
	tcase_add_test(tc, event_loop_callbacks_run_filtered);
#ifdef HUSK_SANITIZER_RUNTIME
	tcase_add_test(tc, sanitizer_report_on_filtered_thread);
#endif
	suite_add_tcase(s, tc);
	if (!unit_host_kvm(NULL))
		return s;
	tc = tcase_create("hostkvm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, vm_forbidden_call_in_vcpu_callback_kills);
	tcase_add_test(tc, vm_every_library_thread_filtered);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
