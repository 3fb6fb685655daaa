// SPDX-License-Identifier: Apache-2.0
/* husk.c - the husk command line: boots a kernel with libhusk. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cli_devices.h"
#include "cli/cli_profile.h"
#include "cli/cli_stats.h"
#include "common/rotating_file.h"
#include "husk.h"

/* --console FILE's cap: 1 MiB, and one older 1 MiB FILE.1. */
#define CLI_CONSOLE_MAX (1ull << 20)

#define DEFAULT_CMDLINE HUSK_LINUX_CMDLINE

/* Exit statuses: how the VM ended (documented in --help). */
enum {
	EXIT_GUEST_OK = 0, /* the guest powered off or rebooted */
	EXIT_HOST = 1,	   /* husk or the host failed */
	EXIT_USAGE = 2,
	EXIT_TRIPLE_FAULT = 3,
	EXIT_INTERNAL = 4,
	EXIT_PVM = 5,
	EXIT_STOPPED = 6, /* SIGINT/SIGTERM */
};

struct opts {
	struct husk_vm_config cfg;
	const char *console;		   /* "stdio", "none" or a file */
	struct rotating_file console_file; /* --console FILE, capped */
	uint64_t console_max;		   /* its cap, 0: none */
	int boot_time;
	int mem_stats;
	int stats;
	const char *profile; /* --profile FILE */
	uint32_t profile_us;
	struct cli_profile prof;
	struct cli_devices devs;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: husk run --kernel PATH [--initrd PATH] [--init PATH] [--cmdline STR]\n"
		"                [--mem MiB] [--cpus N] [--console stdio|FILE|none]\n"
		"                [--console-max-size SIZE]\n"
		"                [--disk PATH[,ro][,serial=S][,LIMIT]...]...\n"
		"                [--net tap=NAME[,mac=MAC][,mtu=N][,rx_LIMIT][,tx_LIMIT]...]...\n"
		"                [--fs TAG=SOCKET]... [--vsock cid=N[,uds=PATH]] [--boot-time]\n"
		"                [--mem-stats] [--stats] [--profile FILE [--profile-us N]]\n"
		"                [--no-pvm-check] [--no-seccomp] [-v]\n"
		"       husk --help | --version\n"
		"\n"
		"Boots an x86-64 Linux kernel (ELF vmlinux or bzImage) in a KVM VM.\n"
		"  --kernel PATH     kernel image (required)\n"
		"  --initrd PATH     initial ramdisk\n"
		"  --init PATH       static program to run as /init from an initramfs built in\n"
		"                    memory (appended after --initrd's archive when both given)\n"
		"  --cmdline STR     kernel command line (default: \"%s\")\n"
		"  --mem MiB         guest RAM (default 128)\n"
		"  --cpus N          vCPUs (default 1)\n"
		"  --console WHERE   guest COM1: stdio (default), a file to write, or none\n"
		"  --console-max-size SIZE\n"
		"                    cap of --console FILE: past SIZE bytes (K, M, G suffixes)\n"
		"                    FILE becomes FILE.1 and a new FILE starts, so at most\n"
		"                    2 x SIZE are kept (default 1M; 0: no cap)\n"
		"  --disk PATH[,ro][,serial=S][,LIMIT]...\n"
		"                    virtio-blk disk on an image file or block device (repeatable;\n"
		"                    the first is /dev/vda); ro: read-only; S: up to 20 bytes\n"
		"  --net tap=NAME[,mac=MAC][,mtu=N][,rx_LIMIT][,tx_LIMIT]...\n"
		"                    virtio-net interface on a tap device (repeatable); rx: to\n"
		"                    the guest, tx: from it\n"
		"  LIMIT             a rate limit: bw=RATE[:BURST] in bytes per second (frames'\n"
		"                    Ethernet bytes, a disk request's data) or ops=RATE[:BURST]\n"
		"                    in requests or frames per second; BURST: extra tokens, once;\n"
		"                    numbers take K, M, G (binary); requests over the limit wait\n"
		"  --fs TAG=SOCKET   virtio-fs share served by a vhost-user backend (virtiofsd)\n"
		"                    listening on SOCKET; the guest mounts it with\n"
		"                    mount -t virtiofs TAG DIR (repeatable; puts guest RAM in a\n"
		"                    shared memfd)\n"
		"  --vsock cid=N[,uds=PATH]\n"
		"                    virtio-vsock with guest CID N (>= 3); PATH: Firecracker-style\n"
		"                    Unix socket (CONNECT <port>) for host connections\n"
		"  --mem-stats       at exit, print the process RSS, the resident guest RAM and\n"
		"                    the difference (the VMM's overhead) on stderr\n"
		"  --boot-time       at exit, print create->first-run and create->boot-marker\n"
		"                    times on stderr\n"
		"  --stats           at exit, print a table on stderr (lines \"husk: stats: \"):\n"
		"                    boot phases in ms after create (loaded, created, started,\n"
		"                    first entry, boot marker, exit), then the vCPUs' exits to\n"
		"                    husk: total, by kind (pio, mmio, ...), by port range and\n"
		"                    by MMIO range, busiest first\n"
		"  --profile FILE    sample each vCPU's guest RIP every 1 ms (or --profile-us N,\n"
		"                    >= 100) into FILE, lines \"T_MS VCPU RIP\"; each sample is\n"
		"                    one more VM exit. scripts/husk-profile VMLINUX FILE prints\n"
		"                    the guest functions the samples fell in, busiest first\n"
		"  --no-pvm-check    run even on a PVM host (only small test guests work there)\n"
		"  --no-seccomp      run the VMM's threads without their seccomp filters (on by\n"
		"                    default: a forbidden system call kills husk with SIGSYS)\n"
		"  -v, --verbose     more library messages on stderr (repeat for debug)\n"
		"\n"
		"Exit status: 0 the guest powered off or rebooted; 1 host or husk error;\n"
		"2 usage error; 3 triple fault; 4 KVM internal error; 5 this host's KVM (PVM)\n"
		"cannot run the guest; 6 stopped by SIGINT/SIGTERM.\n",
		DEFAULT_CMDLINE);
}

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("husk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static void log_stderr(void *opaque, int level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "husk: %s%s\n", level == HUSK_LOG_ERROR ? "error: " : "", msg);
}

static int parse_u32(const char *s, const char *what, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UINT32_MAX || s[0] == '-')
		return fail(EXIT_USAGE, "%s: not a positive number: %s", what, s);
	*out = (uint32_t)v;
	return 0;
}

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "cmdline", required_argument, NULL, 'c' },
	{ "mem", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'n' },
	{ "console", required_argument, NULL, 'C' },
	{ "console-max-size", required_argument, NULL, 'X' },
	{ "boot-time", no_argument, NULL, 'b' },
	{ "init", required_argument, NULL, 'I' },
	{ "disk", required_argument, NULL, 'D' },
	{ "net", required_argument, NULL, 'N' },
	{ "vsock", required_argument, NULL, 'V' },
	{ "fs", required_argument, NULL, 'F' },
	{ "mem-stats", no_argument, NULL, 'M' },
	{ "no-pvm-check", no_argument, NULL, 'P' },
	{ "no-seccomp", no_argument, NULL, 's' }, /* clears HUSK_VM_SECCOMP */
	{ "verbose", no_argument, NULL, 'v' },
	{ "stats", no_argument, NULL, 'S' },
	{ "profile", required_argument, NULL, 'R' },
	{ "profile-us", required_argument, NULL, 'U' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case 'k':
		o->cfg.kernel_path = arg;
		return 0;
	case 'i':
		o->cfg.initrd_path = arg;
		return 0;
	case 'c':
		o->cfg.cmdline = arg;
		return 0;
	case 'm':
		return parse_u32(arg, "--mem", &o->cfg.mem_mib);
	case 'n':
		return parse_u32(arg, "--cpus", &o->cfg.nr_cpus);
	case 'C':
		o->console = arg;
		return 0;
	case 'X':
		if (rotating_file_parse_size(arg, &o->console_max))
			return fail(EXIT_USAGE, "--console-max-size: not a size: %s", arg);
		return 0;
	case 'b':
		o->boot_time = 1;
		return 0;
	case 'I':
		o->cfg.init_path = arg;
		return 0;
	case 'D':
		return cli_parse_disk(&o->devs, arg);
	case 'N':
		return cli_parse_net(&o->devs, arg);
	case 'V':
		return cli_parse_vsock(&o->devs, arg);
	case 'F':
		return cli_parse_fs(&o->devs, arg);
	case 'M':
		o->mem_stats = 1;
		return 0;
	case 'S':
		o->stats = 1;
		return 0;
	case 'R':
		o->profile = arg;
		return 0;
	case 'U':
		return parse_u32(arg, "--profile-us", &o->profile_us);
	case 'P':
		o->cfg.flags &= ~HUSK_VM_EXPECT_LINUX;
		return 0;
	case 's':
		o->cfg.flags &= ~HUSK_VM_SECCOMP;
		return 0;
	case 'v':
		o->cfg.log_level++;
		return 0;
	default:
		usage(stderr);
		return EXIT_USAGE;
	}
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	int c, ret;

	memset(o, 0, sizeof(*o));
	husk_vm_config_init(&o->cfg);
	o->cfg.cmdline = DEFAULT_CMDLINE;
	/* Least privilege by default: libhusk's threads filter their system calls. */
	o->cfg.flags = HUSK_VM_EXPECT_LINUX | HUSK_VM_SECCOMP;
	o->cfg.log_fn = log_stderr;
	o->console = "stdio";
	o->console_max = CLI_CONSOLE_MAX;
	optind = 1;
	while ((c = getopt_long(argc, argv, "v", long_opts, NULL)) != -1) {
		ret = parse_opt(o, c, optarg);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return fail(EXIT_USAGE, "unexpected argument: %s", argv[optind]);
	if (!o->cfg.kernel_path)
		return fail(EXIT_USAGE, "run: --kernel PATH is required");
	if (o->profile_us && !o->profile)
		return fail(EXIT_USAGE, "--profile-us: only with --profile FILE");
	if (o->profile_us && o->profile_us < HUSK_SAMPLE_US_MIN)
		return fail(EXIT_USAGE, "--profile-us: %u, at least %u", o->profile_us,
			    HUSK_SAMPLE_US_MIN);
	/* A vhost-user backend maps guest RAM itself: it must be a shared memfd. */
	if (o->devs.nr_fss)
		o->cfg.flags |= HUSK_VM_MEMFD;
	return 0;
}

/* On a vCPU thread with the UART's lock held: one writer at a time. */
static void console_to_file(void *opaque, const uint8_t *buf, size_t len)
{
	rotating_file_write(opaque, buf, len);
}

static int setup_console(struct opts *o)
{
	struct husk_error *err = NULL;

	if (!strcmp(o->console, "none"))
		return 0;
	if (!strcmp(o->console, "stdio")) {
		o->cfg.console_out_fd = STDOUT_FILENO;
		o->cfg.console_in_fd = STDIN_FILENO;
		return 0;
	}
	if (rotating_file_open(&o->console_file, o->console, o->console_max, true, 0644, &err) <
	    0) {
		fail(EXIT_HOST, "%s", husk_error_message(err));
		husk_error_free(err);
		return EXIT_HOST;
	}
	o->cfg.console_fn = console_to_file;
	o->cfg.console_opaque = &o->console_file;
	return 0;
}

static int exit_status(const struct husk_exit_info *e)
{
	switch (e->reason) {
	case HUSK_EXIT_POWEROFF:
	case HUSK_EXIT_RESET:
		return EXIT_GUEST_OK;
	case HUSK_EXIT_TRIPLE_FAULT:
		return fail(EXIT_TRIPLE_FAULT, "%s", e->message);
	case HUSK_EXIT_INTERNAL_ERROR:
		return fail(EXIT_INTERNAL, "%s", e->message);
	case HUSK_EXIT_PVM_UNSUPPORTED:
		return fail(EXIT_PVM, "%s", e->message);
	case HUSK_EXIT_STOPPED:
		return EXIT_STOPPED;
	default:
		return fail(EXIT_HOST, "%s", e->message);
	}
}

static void print_boot_time(struct husk_vm *vm)
{
	struct husk_vm_timing t;

	husk_vm_get_timing(vm, &t);
	if (t.first_run_ns)
		fprintf(stderr, "husk: boot time: create->first run %.3f ms\n",
			(double)(t.first_run_ns - t.create_ns) / 1e6);
	if (t.boot_marker_ns)
		fprintf(stderr, "husk: boot time: create->boot marker %.3f ms\n",
			(double)(t.boot_marker_ns - t.create_ns) / 1e6);
	else
		fprintf(stderr, "husk: boot time: the guest wrote no boot marker\n");
}

static void print_mem_stats(struct husk_vm *vm)
{
	struct husk_vm_memory m;
	uint64_t overhead;

	if (husk_vm_get_memory(vm, &m) < 0) {
		fprintf(stderr, "husk: memory: not available\n");
		return;
	}
	overhead = m.process_rss_bytes > m.guest_resident_bytes ?
			   m.process_rss_bytes - m.guest_resident_bytes :
			   0;
	fprintf(stderr, "husk: memory: rss=%llu KiB guest_resident=%llu KiB overhead=%llu KiB\n",
		(unsigned long long)(m.process_rss_bytes >> 10),
		(unsigned long long)(m.guest_resident_bytes >> 10),
		(unsigned long long)(overhead >> 10));
}

/* Wait for the VM's end while turning SIGINT/SIGTERM into a stop request. */
static void wait_for_end(struct husk_vm *vm, int sfd)
{
	struct pollfd p[2] = {
		{ .fd = husk_vm_exit_eventfd(vm), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			return;
		if (p[0].revents)
			return;
		if (sfd >= 0 && (p[1].revents & POLLIN) &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			husk_vm_request_stop(vm);
	}
}

/* Create the VM and add its devices; returns 0 or the exit status. */
static int create_vm(struct opts *o, struct husk_vm **vm)
{
	struct husk_error *err = NULL;
	int status;

	if (husk_vm_create(&o->cfg, vm, &err) < 0) {
		status = fail(husk_error_errno(err) == ENOTSUP &&
					      strstr(husk_error_message(err), "PVM") ?
				      EXIT_PVM :
				      EXIT_HOST,
			      "%s", husk_error_message(err));
		husk_error_free(err);
		return status;
	}
	if (cli_add_devices(*vm, &o->devs, &err) < 0) {
		status = fail(EXIT_HOST, "%s", husk_error_message(err));
		husk_error_free(err);
		husk_vm_destroy(*vm);
		return status;
	}
	return 0;
}

static int run_vm(struct opts *o)
{
	struct husk_error *err = NULL;
	struct husk_exit_info info;
	struct husk_vm *vm;
	sigset_t set;
	int sfd, status;

	status = create_vm(o, &vm);
	if (status)
		return status;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (husk_vm_start(vm, &err) < 0) {
		status = fail(EXIT_HOST, "%s", husk_error_message(err));
		husk_error_free(err);
	} else {
		wait_for_end(vm, sfd);
		husk_vm_wait(vm, &info);
		status = exit_status(&info);
		if (o->boot_time)
			print_boot_time(vm);
		if (o->mem_stats)
			print_mem_stats(vm);
		if (o->stats)
			cli_print_stats(stderr, vm);
	}
	husk_vm_destroy(vm);
	if (sfd >= 0)
		close(sfd);
	return status;
}

static int cmd_run(int argc, char **argv)
{
	struct opts o;
	int ret;

	ret = parse_args(&o, argc, argv);
	if (!ret)
		ret = setup_console(&o);
	if (!ret && o.profile &&
	    cli_profile_open(&o.prof, o.profile, o.profile_us ? o.profile_us : 1000, &o.cfg) < 0)
		ret = EXIT_HOST;
	if (!ret)
		ret = run_vm(&o);
	/* After run_vm: husk_vm_wait() joined every vCPU, the only writers. */
	if (cli_profile_close(&o.prof, o.profile) < 0 && !ret)
		ret = EXIT_HOST;
	rotating_file_close(&o.console_file);
	cli_devices_free(&o.devs);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("husk %s\n", husk_version());
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc > 1)
		fprintf(stderr, "husk: unknown command: %s\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
