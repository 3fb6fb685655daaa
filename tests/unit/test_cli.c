// SPDX-License-Identifier: Apache-2.0
/*
 * test_cli.c - cli/husk.c, run as a program: options, messages and exit
 * statuses; with /dev/kvm also tiny guests through `husk run`.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli_devices.h"
#include "cli/cli_stats.h"
#include "tests/lib/guest_code.h"
#include "vmm/base/kvm.h"
#include "tests/lib/unit.h"

static char husk_bin[PATH_MAX];

struct result {
	int status;
	char out[4096];
	char err[4096];
};

static void slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
}

/* Run husk with @argv (NULL-terminated, without argv[0]); stdin is empty. */
static void run(struct result *r, const char *const *argv)
{
	const char *args[32] = { husk_bin };
	char outp[] = "/tmp/husk-cli-out-XXXXXX", errp[] = "/tmp/husk-cli-err-XXXXXX";
	int out = mkstemp(outp), err = mkstemp(errp), st, i;
	pid_t pid;

	ck_assert_int_ge(out, 0);
	ck_assert_int_ge(err, 0);
	for (i = 0; argv[i]; i++)
		args[i + 1] = argv[i];
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv(husk_bin, (char *const *)args);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	r->status = WEXITSTATUS(st);
	lseek(out, 0, SEEK_SET);
	lseek(err, 0, SEEK_SET);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	close(out);
	close(err);
	unlink(outp);
	unlink(errp);
}

START_TEST(cli_version_and_help)
{
	struct result r;
	char want[64];

	run(&r, (const char *[]){ "--version", NULL });
	ck_assert_int_eq(r.status, 0);
	snprintf(want, sizeof(want), "husk %s\n", HUSK_VERSION);
	ck_assert_str_eq(r.out, want);
	run(&r, (const char *[]){ "--help", NULL });
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "husk run --kernel PATH"));
	ck_assert_ptr_nonnull(strstr(r.out, "Exit status: 0 the guest powered off"));
	ck_assert_str_eq(r.err, "");
}
END_TEST

START_TEST(cli_usage_errors)
{
	struct result r;

	run(&r, (const char *[]){ NULL });
	ck_assert_int_eq(r.status, 2);
	run(&r, (const char *[]){ "frobnicate", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "husk: unknown command: frobnicate\n"));
	run(&r, (const char *[]){ "run", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "husk: run: --kernel PATH is required\n");
	run(&r, (const char *[]){ "run", "--kernel", "k", "--cpus", "-1", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "husk: --cpus: not a positive number: -1\n");
	run(&r, (const char *[]){ "run", "--kernel", "k", "extra", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "husk: unexpected argument: extra\n");
	run(&r, (const char *[]){ "run", "--kernel", "k", "--console-max-size", "1MB", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "husk: --console-max-size: not a size: 1MB\n");
}
END_TEST

/* Each malformed device option: status 2 and one line naming the option. */
START_TEST(cli_device_option_errors)
{
	static const struct {
		const char *opt, *val, *msg;
	} cases[] = {
		{ "--disk", ",ro", "husk: --disk: no path: ',ro'\n" },
		{ "--disk", "img,rw",
		  "husk: --disk: unknown option 'rw' (ro, serial=S, bw=RATE[:BURST], "
		  "ops=RATE[:BURST])\n" },
		{ "--disk", "img,serial=123456789012345678901",
		  "husk: --disk: serial: longer than 20 bytes: 123456789012345678901\n" },
		{ "--net", "mac=02:00:00:00:00:01", "husk: --net: tap=NAME is required\n" },
		{ "--net", "tap=t0,mac=02:00:00:00:00",
		  "husk: --net: mac: not XX:XX:XX:XX:XX:XX: "
		  "02:00:00:00:00\n" },
		{ "--net", "tap=t0,mtu=big", "husk: --net: mtu: not a number: big\n" },
		{ "--net", "tap=t0,queues=2",
		  "husk: --net: unknown option 'queues=2' (tap=NAME, mac=MAC, mtu=N, rx_bw=, "
		  "rx_ops=, tx_bw=, tx_ops=RATE[:BURST])\n" },
		{ "--disk", "img,bw=fast",
		  "husk: --disk: bw: not a number up to 2^48 (with K, M or G): fast\n" },
		{ "--disk", "img,bw=262145G",
		  "husk: --disk: bw: not a number up to 2^48 (with K, M or G): 262145G\n" },
		{ "--disk", "img,ops=10:1T",
		  "husk: --disk: ops: not a number up to 2^48 (with K, M or G): 1T\n" },
		{ "--disk", "img,ops=0:5", "husk: --disk: ops: a burst needs a rate\n" },
		{ "--disk", "img,iops=5",
		  "husk: --disk: unknown option 'iops=5' (ro, serial=S, bw=RATE[:BURST], "
		  "ops=RATE[:BURST])\n" },
		{ "--net", "tap=t0,rx_bw=-1",
		  "husk: --net: rx_bw: not a number up to 2^48 (with K, M or G): -1\n" },
		{ "--net", "tap=t0,tx_ops=",
		  "husk: --net: tx_ops: not a number up to 2^48 (with K, M "
		  "or G): \n" },
		{ "--vsock", "cid=2", "husk: --vsock: cid=N with N >= 3 is required\n" },
		{ "--vsock", "uds=/tmp/v.sock", "husk: --vsock: cid=N with N >= 3 is required\n" },
		{ "--vsock", "cid=-3", "husk: --vsock: cid: not a number: -3\n" },
		{ "--fs", "share", "husk: --fs: not TAG=SOCKET: 'share'\n" },
		{ "--fs", "=/tmp/s", "husk: --fs: not TAG=SOCKET: '=/tmp/s'\n" },
		{ "--fs", "share=", "husk: --fs: not TAG=SOCKET: 'share='\n" },
		{ "--fs", "0123456789012345678901234567890123456=/s",
		  "husk: --fs: tag longer than 36 bytes: 0123456789012345678901234567890123456\n" },
	};
	struct result r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&r,
		    (const char *[]){ "run", "--kernel", "k", cases[i].opt, cases[i].val, NULL });
		ck_assert_msg(r.status == 2, "%s %s: status %d", cases[i].opt, cases[i].val,
			      r.status);
		ck_assert_str_eq(r.err, cases[i].msg);
	}
	run(&r, (const char *[]){ "run", "--kernel", "k", "--vsock", "cid=3", "--vsock", "cid=4",
				  NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "husk: --vsock: given twice (a VM has one vsock device)\n");
	run(&r, (const char *[]){ "--help", NULL });
	ck_assert_ptr_nonnull(strstr(r.out, "--disk PATH[,ro][,serial=S]"));
	ck_assert_ptr_nonnull(strstr(r.out, "--net tap=NAME[,mac=MAC][,mtu=N]"));
	ck_assert_ptr_nonnull(strstr(r.out, "--vsock cid=N[,uds=PATH]"));
	ck_assert_ptr_nonnull(strstr(r.out, "--fs TAG=SOCKET"));
	ck_assert_ptr_nonnull(strstr(r.out, "--init PATH"));
	ck_assert_ptr_nonnull(strstr(r.out, "--mem-stats"));
	ck_assert_ptr_nonnull(strstr(r.out, "--stats"));
}
END_TEST

/* Rate limit options land in the library's config fields, exactly. */
START_TEST(cli_rate_limit_options)
{
	struct cli_devices d = { 0 };
	const struct husk_rate_limit *l;

	ck_assert_int_eq(cli_parse_disk(&d, "img,bw=1M:4M,ro,ops=100"), 0);
	l = &d.disks[0].rate_limit;
	ck_assert_uint_eq(l->bandwidth.rate, 1048576);
	ck_assert_uint_eq(l->bandwidth.one_time_burst, 4194304);
	ck_assert_uint_eq(l->ops.rate, 100);
	ck_assert_uint_eq(l->ops.one_time_burst, 0);
	ck_assert_int_eq(d.disks[0].read_only, 1);
	ck_assert_int_eq(cli_parse_disk(&d, "img2,bw=262144G"), 0);
	ck_assert_uint_eq(d.disks[1].rate_limit.bandwidth.rate, HUSK_RATE_LIMIT_MAX);
	ck_assert_int_eq(cli_parse_net(&d, "rx_bw=10K,tap=t0,tx_ops=50:7,tx_bw=3G,rx_ops=9"), 0);
	ck_assert_str_eq(d.nets[0].tap_name, "t0");
	ck_assert_uint_eq(d.nets[0].rx_rate_limit.bandwidth.rate, 10240);
	ck_assert_uint_eq(d.nets[0].rx_rate_limit.ops.rate, 9);
	ck_assert_uint_eq(d.nets[0].tx_rate_limit.ops.rate, 50);
	ck_assert_uint_eq(d.nets[0].tx_rate_limit.ops.one_time_burst, 7);
	ck_assert_uint_eq(d.nets[0].tx_rate_limit.bandwidth.rate, 3ULL << 30);
	ck_assert_uint_eq(d.nets[0].rx_rate_limit.bandwidth.one_time_burst, 0);
	cli_devices_free(&d);
}
END_TEST

/* One clear line, whatever fails first on this host (/dev/kvm or the file). */
START_TEST(cli_missing_kernel_is_one_line)
{
	struct result r;

	run(&r,
	    (const char *[]){ "run", "--no-pvm-check", "--kernel", "/nonexistent/vmlinux", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "husk: open /"));
	ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
}
END_TEST

static void kernel_file(struct guest_code *c, char *path)
{
	ck_assert_int_eq(guest_write_kernel(c, path), 0);
}

START_TEST(cli_run_console_file_and_boot_time)
{
	char kpath[] = "/tmp/husk-cli-k-XXXXXX", cpath[] = "/tmp/husk-cli-c-XXXXXX";
	struct guest_code c = { 0 };
	struct result r;
	char con[64] = { 0 };
	int fd;

	guest_out8(&c, 0x3f8, 'h');
	guest_out8(&c, 0x3f8, 'i');
	guest_out8(&c, 0x440, 1);
	guest_reset(&c);
	kernel_file(&c, kpath);
	fd = mkstemp(cpath);
	close(fd);
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--mem", "32",
				  "--cpus", "2", "--console", cpath, "--boot-time", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	fd = open(cpath, O_RDONLY);
	slurp(fd, con, sizeof(con));
	close(fd);
	ck_assert_str_eq(con, "hi");
	ck_assert_ptr_nonnull(strstr(r.err, "husk: boot time: create->first run "));
	ck_assert_ptr_nonnull(strstr(r.err, "husk: boot time: create->boot marker "));
	/* Console on stdout by default. */
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, NULL });
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "hi");
	ck_assert_str_eq(r.err, ""); /* quiet without --boot-time or -v */
	/* libhusk's threads are filtered by default; --no-seccomp turns it off. */
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "-v", NULL });
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "hi");
	ck_assert_ptr_nonnull(strstr(r.err, "husk: seccomp: vCPU, device, disk I/O and console "
					    "threads filtered\n"));
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--no-seccomp", "--kernel", kpath, "-v",
				  NULL });
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "hi");
	ck_assert_ptr_null(strstr(r.err, "seccomp"));
	unlink(kpath);
	unlink(cpath);
}
END_TEST

/* Byte @i of what the console-loop guest prints: ECX counting down from @n. */
static uint8_t countdown_byte(unsigned int n, unsigned int i)
{
	return (uint8_t)(n - i);
}

/*
 * --console FILE with --console-max-size 4K and a guest printing 10000
 * bytes: FILE.1 holds bytes 4096..8191, FILE the last 1808, in order.
 */
START_TEST(cli_run_console_file_rotates)
{
	char kpath[] = "/tmp/husk-cli-k-XXXXXX", dir[] = "/tmp/husk-cli-r-XXXXXX";
	char cpath[64], old[68];
	struct guest_code c = { 0 };
	struct result r;
	uint8_t con[8192];
	size_t n, i;
	int fd;

	GUEST_EMIT(&c, 0xb9); /* mov ecx, 10000 */
	guest_emit_imm32(&c, 10000);
	GUEST_EMIT(&c, 0x66, 0xba, 0xf8, 0x03,	  /* mov dx, 0x3f8 */
		   0x88, 0xc8, 0xee, 0xe2, 0xfb); /* 1: mov al, cl; out dx, al; loop 1b */
	guest_reset(&c);
	kernel_file(&c, kpath);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cpath, sizeof(cpath), "%s/console", dir);
	snprintf(old, sizeof(old), "%s.1", cpath);
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--console", cpath,
				  "--console-max-size", "4K", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	fd = open(old, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = (size_t)read(fd, con, sizeof(con));
	close(fd);
	ck_assert_uint_eq(n, 4096);
	fd = open(cpath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n += (size_t)read(fd, con + n, sizeof(con) - n);
	close(fd);
	ck_assert_uint_eq(n, 4096 + 1808);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(con[i], countdown_byte(10000, 4096 + (unsigned int)i));
	unlink(kpath);
	unlink(cpath);
	unlink(old);
	rmdir(dir);
}
END_TEST

/*
 * --stats: the table's rows for a guest whose exits are known - 5 bytes to
 * COM1, 2 boot marker writes, 3 reads of virtio slot 0 (a disk there), the
 * i8042 reset - busiest range first, zero rows left out.
 */
START_TEST(cli_run_stats_table)
{
	char kpath[] = "/tmp/husk-cli-k-XXXXXX", dpath[] = "/tmp/husk-cli-d-XXXXXX";
	struct guest_code c = { 0 };
	struct result r;
	const char *p;
	int i, fd;

	for (i = 0; i < 3; i++) {
		GUEST_EMIT(&c, 0xbf); /* mov edi, slot 0 */
		guest_emit_imm32(&c, 0xd0000000u);
		GUEST_EMIT(&c, 0x8b, 0x47, 0x08); /* mov eax, [rdi + 8] */
	}
	guest_out8(&c, 0x440, 1);
	guest_out8(&c, 0x440, 2);
	for (i = 0; i < 5; i++)
		guest_out8(&c, 0x3f8, 's');
	guest_reset(&c);
	kernel_file(&c, kpath);
	fd = mkstemp(dpath);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	close(fd);
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--mem", "32",
				  "--disk", dpath, "--stats", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "sssss");
	p = strstr(r.err, "husk: stats: boot phase, ms after create\n"
			  "husk: stats:   loaded ");
	ck_assert_msg(p != NULL, "stderr: %s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "\nhusk: stats:   boot marker "));
	ck_assert_ptr_nonnull(strstr(r.err, "husk: stats: exits to husk (KVM_RUN returns), 1 vCPU\n"
					    "husk: stats:   total "));
	ck_assert_ptr_nonnull(strstr(r.err,
				     "\nhusk: stats:   pio                                 8\n"
				     "husk: stats:   mmio                                3\n"));
	ck_assert_ptr_nonnull(strstr(r.err,
				     "husk: stats: pio exits by port range\n"
				     "husk: stats:   com1 0x3f8-0x3ff                    5\n"
				     "husk: stats:   boot-marker 0x440                   2\n"
				     "husk: stats:   i8042 0x60-0x64                     1\n"
				     "husk: stats: mmio exits by range\n"
				     "husk: stats:   virtio0 0xd0000000                  3\n"));
	ck_assert_ptr_null(strstr(r.err, "other"));	/* zero rows are left out */
	ck_assert_ptr_null(strstr(r.err, "held back")); /* as is a disk never throttled */
	unlink(kpath);
	unlink(dpath);
}
END_TEST

/* Every sample line of a --profile file: "T_MS 0 RIP", RIP inside the guest's code. */
static unsigned int profile_lines(const char *path, uint64_t lo, uint64_t hi)
{
	FILE *f = fopen(path, "r");
	unsigned int n = 0, vcpu;
	unsigned long long rip;
	char line[128];
	double t;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "# husk profile: t_ms vcpu rip, a sample every 200 us\n");
	while (fgets(line, sizeof(line), f)) {
		ck_assert_msg(sscanf(line, "%lf %u %llx", &t, &vcpu, &rip) == 3, "line: %s", line);
		ck_assert_uint_eq(vcpu, 0);
		ck_assert_msg(rip >= lo && rip < hi, "rip %llx outside the guest's code", rip);
		n++;
	}
	fclose(f);
	return n;
}

/* --profile: samples of a guest that spins a while, then its option errors. */
START_TEST(cli_run_profile)
{
	char kpath[] = "/tmp/husk-cli-k-XXXXXX", ppath[] = "/tmp/husk-cli-p-XXXXXX";
	struct guest_code c = { 0 };
	struct result r;
	int fd = mkstemp(ppath);

	close(fd);
	/* Spin for 100M TSC cycles (tens of ms): time, not a count, on any host. */
	GUEST_EMIT(&c, 0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20); /* rdtsc; shl rdx, 32 */
	GUEST_EMIT(&c, 0x48, 0x09, 0xd0, 0x48, 0x89, 0xc3); /* or rax, rdx; mov rbx, rax */
	GUEST_EMIT(&c, 0x48, 0xc7, 0xc1);		    /* mov rcx, 100000000 */
	guest_emit_imm32(&c, 100000000u);
	GUEST_EMIT(&c, 0x48, 0x01, 0xcb);		    /* add rbx, rcx */
	GUEST_EMIT(&c, 0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20); /* 1: rdtsc; shl rdx, 32 */
	GUEST_EMIT(&c, 0x48, 0x09, 0xd0, 0x48, 0x39, 0xd8); /* or rax, rdx; cmp rax, rbx */
	GUEST_EMIT(&c, 0x72, 0xf2);			    /* jb 1b */
	guest_reset(&c);
	kernel_file(&c, kpath);
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--mem", "32",
				  "--profile", ppath, "--profile-us", "200", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_uint_gt(profile_lines(ppath, GUEST_LOAD_ADDR, GUEST_LOAD_ADDR + c.n), 0);
	run(&r, (const char *[]){ "run", "--kernel", kpath, "--profile-us", "500", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "husk: --profile-us: only with --profile FILE\n");
	run(&r, (const char *[]){ "run", "--kernel", kpath, "--profile", ppath, "--profile-us",
				  "99", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_str_eq(r.err, "husk: --profile-us: 99, at least 100\n");
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--profile",
				  "/nonexistent/p", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err,
			 "husk: --profile: create /nonexistent/p: No such file or directory\n");
	unlink(kpath);
	unlink(ppath);
}
END_TEST

/* The --stats rows of a device's counters, as cli_print_stats() prints them. */
static const char *device_rows(const struct husk_net_stats *n, const struct husk_disk_stats *d)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	ck_assert_ptr_nonnull(f);
	if (n)
		cli_print_net_counts(f, 1, n);
	if (d)
		cli_print_disk_counts(f, 2, d);
	fclose(f);
	return buf;
}

/*
 * --stats, per network interface and disk: a heading and the counters
 * that are not zero; nothing for a device whose counters all are.
 */
START_TEST(cli_stats_device_rows)
{
	struct husk_net_stats n = { .struct_size = sizeof(n) };
	struct husk_disk_stats d = { .struct_size = sizeof(d) };

	ck_assert_str_eq(device_rows(&n, &d), "");
	n.tx_oversize = 3;
	n.tx_bad_hdr = 2;
	n.tx_throttled = 41;
	d.throttled = 7;
	ck_assert_str_eq(device_rows(&n, &d),
			 "husk: stats: net1 frames dropped or held back\n"
			 "husk: stats:   tx oversize (dropped)               3\n"
			 "husk: stats:   tx bad header (dropped)             2\n"
			 "husk: stats:   tx throttled                       41\n"
			 "husk: stats: disk2 requests held back\n"
			 "husk: stats:   throttled                           7\n");
	n = (struct husk_net_stats){ .tx_dropped = 1, .rx_dropped = 5, .rx_throttled = 9 };
	ck_assert_str_eq(device_rows(&n, NULL),
			 "husk: stats: net1 frames dropped or held back\n"
			 "husk: stats:   tx tap full (dropped)               1\n"
			 "husk: stats:   rx bad size (dropped)               5\n"
			 "husk: stats:   rx throttled                        9\n");
}
END_TEST

/*
 * Devices from the command line reach the guest's MMIO bus in order:
 * the guest sends each slot's device id byte to COM1.
 */
START_TEST(cli_run_with_devices_and_mem_stats)
{
	char kpath[] = "/tmp/husk-cli-k-XXXXXX", cpath[] = "/tmp/husk-cli-c-XXXXXX";
	char dpath[] = "/tmp/husk-cli-d-XXXXXX", ipath[] = "/tmp/husk-cli-i-XXXXXX";
	char disk_ro[64], disk_lim[64], con[16] = { 0 };
	unsigned long rss, res, ovh;
	struct guest_code c = { 0 };
	const char *m;
	struct result r;
	uint32_t slot;
	int fd;

	for (slot = 0; slot < 3; slot++) {
		GUEST_EMIT(&c, 0xbf); /* mov edi, slot base */
		guest_emit_imm32(&c, 0xd0000000u + slot * 0x1000u);
		GUEST_EMIT(&c, 0x8b, 0x47, 0x08);	      /* mov eax, [rdi + 8] */
		GUEST_EMIT(&c, 0x66, 0xba, 0xf8, 0x03, 0xee); /* mov dx, 0x3f8; out dx, al */
	}
	guest_reset(&c);
	kernel_file(&c, kpath);
	fd = mkstemp(dpath);
	ck_assert_int_eq(ftruncate(fd, 65536), 0);
	close(fd);
	fd = mkstemp(ipath);
	ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	fd = mkstemp(cpath);
	close(fd);
	snprintf(disk_ro, sizeof(disk_ro), "%s,ro,serial=husk-test", dpath);
	snprintf(disk_lim, sizeof(disk_lim), "%s,bw=1M:2M,ops=100", dpath);
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--mem", "32",
				  "--console", cpath, "--disk", disk_ro, "--disk", disk_lim,
				  "--vsock", "cid=3", "--init", ipath, "--mem-stats", NULL });
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	fd = open(cpath, O_RDONLY);
	slurp(fd, con, sizeof(con));
	close(fd);
	ck_assert_int_eq(con[0], 2); /* virtio-blk */
	ck_assert_int_eq(con[1], 2);
	ck_assert_int_eq(con[2], 19); /* virtio-vsock */
	m = strstr(r.err, "husk: memory: rss=");
	ck_assert_msg(m != NULL, "stderr: %s", r.err);
	ck_assert_int_eq(sscanf(m,
				"husk: memory: rss=%lu KiB guest_resident=%lu KiB "
				"overhead=%lu KiB",
				&rss, &res, &ovh),
			 3);
	ck_assert_uint_gt(res, 0);
	ck_assert_uint_eq(rss - res, ovh);
	/* A disk that cannot be opened: status 1, one line naming it. */
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--disk",
				  "/nonexistent/disk.img", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "husk: disk /nonexistent/disk.img: "));
	ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
	/* A virtio-fs socket nobody listens on: the same, naming the share. */
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--fs",
				  "share=/nonexistent/vfs.sock", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.err, "husk: fs share: vhost-user fs0: connect /nonexistent/vfs.sock: "
				"No such file or directory\n");
	unlink(kpath);
	unlink(cpath);
	unlink(dpath);
	unlink(ipath);
}
END_TEST

START_TEST(cli_triple_fault_status)
{
	char kpath[] = "/tmp/husk-cli-k-XXXXXX";
	struct guest_code c = { 0 };
	struct result r;

	GUEST_EMIT(&c, 0x0f, 0x0b); /* ud2 without an IDT */
	kernel_file(&c, kpath);
	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", kpath, "--console", "none",
				  NULL });
	unlink(kpath);
	if (r.status == 5 && kvm_host_is_pvm()) {
		/* PVM may emulate the failed delivery and give up instead: husk
		 * then says what this host is, as test_kvm_boot's triple fault. */
		ck_assert_ptr_nonnull(strstr(r.err, "husk: this host's KVM is PVM"));
		ck_assert_ptr_nonnull(strstr(r.err, "KVM internal error"));
	} else {
		/* One line; the faulting RIP, or 0xfff0 where AMD's KVM resets
		 * the VMCB on shutdown (see test_kvm_boot). */
		ck_assert_msg(r.status == 3, "status %d: %s", r.status, r.err);
		ck_assert_msg(!strcmp(r.err, "husk: vCPU 0: triple fault at rip 0x100000\n") ||
				      !strcmp(r.err,
					      "husk: vCPU 0: triple fault (where is not known: "
					      "KVM reset the vCPU, rip 0xfff0)\n"),
			      "stderr: %s", r.err);
	}
}
END_TEST

START_TEST(cli_pvm_host_refuses_linux_up_front)
{
	char kpath[] = "/tmp/husk-cli-k-XXXXXX";
	struct guest_code c = { 0 };
	struct result r;

	guest_reset(&c);
	kernel_file(&c, kpath);
	run(&r, (const char *[]){ "run", "--kernel", kpath, NULL });
	unlink(kpath);
	ck_assert_int_eq(r.status, 5);
	ck_assert_ptr_nonnull(strstr(r.err, "husk: this host's KVM is PVM"));
	ck_assert_ptr_nonnull(strstr(r.err, "tests/rig/run"));
}
END_TEST

static char guest_kernel[PATH_MAX];

/*
 * On PVM a real Linux guest ends in a KVM internal error; husk must say
 * what that means (status 5, the PVM sentence) rather than a bare suberror.
 */
START_TEST(cli_pvm_linux_internal_error_explained)
{
	struct result r;

	run(&r, (const char *[]){ "run", "--no-pvm-check", "--kernel", guest_kernel, "--console",
				  "none", NULL });
	ck_assert_msg(r.status == 5, "status %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "husk: this host's KVM is PVM"));
	ck_assert_ptr_nonnull(strstr(r.err, "KVM internal error"));
}
END_TEST

/* The project's guest kernel, when scripts/guest-kernel has built it. */
static bool find_guest_kernel(void)
{
	FILE *p = popen("scripts/guest-kernel --print-path 2>/dev/null", "r");
	char dir[PATH_MAX] = "";

	if (!p)
		return false;
	if (!fgets(dir, sizeof(dir), p))
		dir[0] = 0;
	pclose(p);
	dir[strcspn(dir, "\n")] = 0;
	snprintf(guest_kernel, sizeof(guest_kernel), "%s/vmlinux", dir);
	return dir[0] && access(guest_kernel, R_OK) == 0;
}

static void find_husk(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		abort();
	self[n] = 0;
	/* O/tests/unit/test_cli -> O/husk */
	snprintf(husk_bin, sizeof(husk_bin), "%s/../../husk", dirname(self));
}

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("args");

	find_husk();
	tcase_add_test(tc, cli_version_and_help);
	tcase_add_test(tc, cli_usage_errors);
	tcase_add_test(tc, cli_device_option_errors);
	tcase_add_test(tc, cli_rate_limit_options);
	tcase_add_test(tc, cli_missing_kernel_is_one_line);
	tcase_add_test(tc, cli_stats_device_rows);
	suite_add_tcase(s, tc);
	if (!unit_host_kvm("husk run tests"))
		return s;
	tc = tcase_create("hostkvm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cli_run_console_file_and_boot_time);
	tcase_add_test(tc, cli_run_console_file_rotates);
	tcase_add_test(tc, cli_triple_fault_status);
	tcase_add_test(tc, cli_run_with_devices_and_mem_stats);
	tcase_add_test(tc, cli_run_stats_table);
	tcase_add_test(tc, cli_run_profile);
	if (kvm_host_is_pvm()) {
		tcase_add_test(tc, cli_pvm_host_refuses_linux_up_front);
		if (find_guest_kernel())
			tcase_add_test(tc, cli_pvm_linux_internal_error_explained);
		else
			printf("not run: pvm-linux: no guest kernel (make guest-kernel)\n");
		fflush(stdout);
	}
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
