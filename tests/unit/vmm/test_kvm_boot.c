// SPDX-License-Identifier: Apache-2.0
/*
 * test_kvm_boot.c - boot tiny 64-bit guests on the host's /dev/kvm through
 * the public API (vm*.c, vcpu*.c, kvm.c, legacy/ end to end).
 *
 * Guests are machine code assembled here byte by byte, wrapped as ELF
 * vmlinux or bzImage by tests/lib/images.c. They report through COM1 (the
 * test captures the console) and end by pulsing the i8042 reset line, since
 * with an in-kernel irqchip HLT never reaches user space. When /dev/kvm
 * cannot be opened the KVM cases are not registered and one line
 * "not run: hostkvm: <reason>" says so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "tests/lib/guest_code.h"
#include "vmm/base/guest_mem.h"
#include "husk.h"
#include "tests/lib/images.h"
#include "tests/lib/unit.h"
#include "vmm/vm.h"
#include "vmm/base/layout.h"
#include "vmm/x86/zeropage.h"

#define LOAD_ADDR	 0x100000ull
#define GUEST_TIMEOUT_MS 20000

struct capture {
	pthread_mutex_t lock;
	uint8_t out[4096];
	size_t n;
	unsigned long total;
};

static void capture_fn(void *opaque, const uint8_t *buf, size_t len)
{
	struct capture *cap = opaque;

	pthread_mutex_lock(&cap->lock);
	if (cap->n + len <= sizeof(cap->out)) {
		memcpy(cap->out + cap->n, buf, len);
		cap->n += len;
	}
	cap->total += len;
	pthread_mutex_unlock(&cap->lock);
}

static unsigned long capture_total(struct capture *cap)
{
	unsigned long t;

	pthread_mutex_lock(&cap->lock);
	t = cap->total;
	pthread_mutex_unlock(&cap->lock);
	return t;
}

static uint64_t capture_u64(const struct capture *cap, size_t idx)
{
	uint64_t v;

	ck_assert_uint_ge(cap->n, (idx + 1) * 8);
	memcpy(&v, cap->out + idx * 8, 8);
	return v;
}

enum kind { K_ELF, K_BZIMAGE, K_BZIMAGE_RAW };

static void write_file(char *path, const void *buf, size_t len)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

struct guest {
	struct husk_vm_config cfg;
	struct husk_vm *vm;
	struct capture cap;
	struct husk_exit_info exit;
	char kpath[64];
};

static void guest_create(struct guest *g, const struct guest_code *c, enum kind k,
			 unsigned int cpus)
{
	struct husk_error *err = NULL;
	uint8_t *img;
	size_t len;
	int ret;

	if (k == K_ELF)
		img = image_elf(c->b, c->n, LOAD_ADDR, &len);
	else if (k == K_BZIMAGE)
		img = image_bzimage(c->b, c->n, LOAD_ADDR, &len);
	else
		img = image_bzimage_raw(c->b, c->n, &len);
	strcpy(g->kpath, "/tmp/husk-kvm-test-XXXXXX");
	write_file(g->kpath, img, len);
	free(img);
	pthread_mutex_init(&g->cap.lock, NULL);
	if (!g->cfg.struct_size)
		husk_vm_config_init(&g->cfg);
	g->cfg.kernel_path = g->kpath;
	g->cfg.mem_mib = 64;
	g->cfg.nr_cpus = cpus;
	/* Every guest here runs with libhusk's threads filtered (test_seccomp.c). */
	g->cfg.flags |= HUSK_VM_SECCOMP;
	if (g->cfg.console_out_fd < 0) {
		g->cfg.console_fn = capture_fn;
		g->cfg.console_opaque = &g->cap;
	}
	ret = husk_vm_create(&g->cfg, &g->vm, &err);
	unlink(g->kpath);
	ck_assert_msg(ret == 0, "husk_vm_create: %s", husk_error_message(err));
}

/* Start, wait up to GUEST_TIMEOUT_MS for the end (else stop it). */
static void guest_run(struct guest *g)
{
	struct husk_error *err = NULL;
	struct pollfd p;

	ck_assert_msg(husk_vm_start(g->vm, &err) == 0, "start: %s", husk_error_message(err));
	p = (struct pollfd){ .fd = husk_vm_exit_eventfd(g->vm), .events = POLLIN };
	if (poll(&p, 1, GUEST_TIMEOUT_MS) == 0)
		husk_vm_request_stop(g->vm);
	ck_assert_int_eq(husk_vm_wait(g->vm, &g->exit), 0);
}

static void guest_expect(struct guest *g, enum husk_exit_reason want)
{
	ck_assert_msg(g->exit.reason == want, "VM ended with %s (%s), expected %s",
		      husk_exit_reason_string(g->exit.reason), g->exit.message,
		      husk_exit_reason_string(want));
}

static void guest_boot_regs(enum kind k)
{
	struct guest g = { 0 };
	struct guest_code c = { 0 };

	GUEST_EMIT(&c, 0x48, 0x89, 0xf0); /* mov rax, rsi */
	guest_dump_rax(&c);
	GUEST_EMIT(&c, 0xb9); /* mov ecx, EFER */
	guest_emit_imm32(&c, 0xc0000080);
	GUEST_EMIT(&c, 0x0f, 0x32); /* rdmsr */
	guest_dump_rax(&c);
	GUEST_EMIT(&c, 0x0f, 0x20, 0xc0); /* mov rax, cr0 */
	guest_dump_rax(&c);
	GUEST_EMIT(&c, 0x0f, 0x20, 0xe0); /* mov rax, cr4 */
	guest_dump_rax(&c);
	GUEST_EMIT(&c, 0x0f, 0x20, 0xd8); /* mov rax, cr3 */
	guest_dump_rax(&c);
	guest_reset(&c);
	guest_create(&g, &c, k, 1);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_uint_eq(g.cap.n, 5 * 8);
	ck_assert_uint_eq(capture_u64(&g.cap, 0), X86_ZERO_PAGE);
	ck_assert_uint_eq(capture_u64(&g.cap, 1) & 0x500, 0x500);	    /* LME|LMA */
	ck_assert_uint_eq(capture_u64(&g.cap, 2) & 0x80000001, 0x80000001); /* PG|PE */
	ck_assert_uint_eq(capture_u64(&g.cap, 3) & 0x20, 0x20);		    /* PAE */
	ck_assert_uint_eq(capture_u64(&g.cap, 4), X86_BOOT_PML4);
	husk_vm_destroy(g.vm);
}

START_TEST(kvm_elf_enters_long_mode_with_zero_page)
{
	guest_boot_regs(K_ELF);
}
END_TEST

START_TEST(kvm_bzimage_enters_long_mode_with_zero_page)
{
	guest_boot_regs(K_BZIMAGE);
}
END_TEST

START_TEST(kvm_bzimage_raw_enters_long_mode_with_zero_page)
{
	guest_boot_regs(K_BZIMAGE_RAW);
}
END_TEST

START_TEST(kvm_uart_output_byte_for_byte)
{
	const char msg[] = "Hello from the guest\r\n\x01\xfe";
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		guest_out8(&c, 0x3f8, (uint8_t)msg[i]);
	guest_reset(&c);
	guest_create(&g, &c, K_ELF, 1);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_uint_eq(g.cap.n, sizeof(msg));
	ck_assert_mem_eq(g.cap.out, msg, sizeof(msg));
	husk_vm_destroy(g.vm);
}
END_TEST

START_TEST(kvm_uart_output_to_fd)
{
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	char buf[8] = { 0 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	guest_out8(&c, 0x3f8, 'f');
	guest_out8(&c, 0x3f8, 'd');
	guest_reset(&c);
	husk_vm_config_init(&g.cfg);
	g.cfg.console_out_fd = p[1];
	guest_create(&g, &c, K_ELF, 1);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_int_eq(read(p[0], buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "fd");
	husk_vm_destroy(g.vm);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The guest follows hdr.cmd_line_ptr from its zero page and echoes it. */
START_TEST(kvm_guest_sees_boot_params)
{
	const char *cmdline = "console=ttyS0 husk.test=1";
	struct guest g = { 0 };
	struct guest_code c = { 0 };

	GUEST_EMIT(&c, 0x8b, 0x86, 0x28, 0x02, 0, 0);	    /* mov eax, [rsi + 0x228] */
	GUEST_EMIT(&c, 0x48, 0x89, 0xc3);		    /* mov rbx, rax */
	GUEST_EMIT(&c, 0x66, 0xba, 0xf8, 0x03);		    /* mov dx, 0x3f8 */
	GUEST_EMIT(&c, 0x8a, 0x03,			    /* 1: mov al, [rbx] */
		   0x84, 0xc0,				    /* test al, al */
		   0x74, 0x06,				    /* jz 2f */
		   0xee,				    /* out dx, al */
		   0x48, 0xff, 0xc3,			    /* inc rbx */
		   0xeb, 0xf4);				    /* jmp 1b; 2: */
	GUEST_EMIT(&c, 0x0f, 0xb6, 0x86, 0xe8, 0x01, 0, 0); /* movzx eax, byte [rsi + 0x1e8] */
	GUEST_EMIT(&c, 0xee);				    /* out dx, al: e820_entries */
	guest_reset(&c);
	husk_vm_config_init(&g.cfg);
	g.cfg.cmdline = cmdline;
	guest_create(&g, &c, K_ELF, 1);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_uint_eq(g.cap.n, strlen(cmdline) + 1);
	ck_assert_mem_eq(g.cap.out, cmdline, strlen(cmdline));
	ck_assert_uint_ge(g.cap.out[strlen(cmdline)], 2); /* low RAM + RAM above 1 MiB */
	husk_vm_destroy(g.vm);
}
END_TEST

START_TEST(kvm_guest_memory_writes_visible)
{
	const uint64_t pattern = 0x1122334455667788ull;
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	uint64_t got = 0;

	GUEST_EMIT(&c, 0xbf); /* mov edi, 0x200000 */
	guest_emit_imm32(&c, 0x200000);
	GUEST_EMIT(&c, 0x48, 0xb8); /* mov rax, pattern */
	guest_emit_imm32(&c, (uint32_t)pattern);
	guest_emit_imm32(&c, (uint32_t)(pattern >> 32));
	GUEST_EMIT(&c, 0x48, 0x89, 0x07); /* mov [rdi], rax */
	guest_reset(&c);
	guest_create(&g, &c, K_ELF, 1);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_int_eq(guest_mem_read(vm_guest_mem(g.vm), 0x200000, &got, 8), 0);
	ck_assert_uint_eq(got, pattern);
	husk_vm_destroy(g.vm);
}
END_TEST

START_TEST(kvm_initrd_visible_to_guest)
{
	static const char initrd[] = "INITRDDATA-0123456789";
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	char ipath[] = "/tmp/husk-kvm-initrd-XXXXXX";

	GUEST_EMIT(&c, 0x8b, 0x86, 0x1c, 0x02, 0, 0); /* mov eax, [rsi + 0x21c] ramdisk_size */
	guest_dump_rax(&c);
	GUEST_EMIT(&c, 0x8b, 0x86, 0x18, 0x02, 0, 0); /* mov eax, [rsi + 0x218] ramdisk_image */
	GUEST_EMIT(&c, 0x48, 0x8b, 0x00);	      /* mov rax, [rax] */
	guest_dump_rax(&c);
	guest_reset(&c);
	write_file(ipath, initrd, sizeof(initrd));
	husk_vm_config_init(&g.cfg);
	g.cfg.initrd_path = ipath;
	guest_create(&g, &c, K_ELF, 1);
	unlink(ipath);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_uint_eq(capture_u64(&g.cap, 0), sizeof(initrd));
	ck_assert_mem_eq(g.cap.out + 8, initrd, 8);
	husk_vm_destroy(g.vm);
}
END_TEST

/*
 * Create a VM of guest @c with @initrd_path and @init_path (either NULL)
 * and return the ramdisk its zero page describes (ramdisk_size), its first
 * bytes (up to @cap) copied into @buf from where ramdisk_image points.
 */
static uint32_t ramdisk_of(const struct guest_code *c, const char *initrd_path,
			   const char *init_path, uint8_t *buf, size_t cap)
{
	const struct guest_mem *gm;
	uint32_t image, size;
	struct guest g;

	memset(&g, 0, sizeof(g));
	husk_vm_config_init(&g.cfg);
	g.cfg.initrd_path = initrd_path;
	g.cfg.init_path = init_path;
	guest_create(&g, c, K_ELF, 1);
	gm = vm_guest_mem(g.vm);
	ck_assert_int_eq(guest_mem_read(gm, X86_ZERO_PAGE + SH_RAMDISK_IMAGE, &image, 4), 0);
	ck_assert_int_eq(guest_mem_read(gm, X86_ZERO_PAGE + SH_RAMDISK_SIZE, &size, 4), 0);
	if (size)
		ck_assert_int_eq(guest_mem_read(gm, image, buf, size < cap ? size : cap), 0);
	husk_vm_destroy(g.vm);
	return size;
}

/*
 * --initrd and --init together: the initrd's bytes, zeros up to a 4-byte
 * boundary, then the archive around the init program, all in guest RAM
 * where the zero page says. An empty initrd adds nothing before the
 * archive, and alone gives no ramdisk at all.
 */
START_TEST(kvm_initrd_then_init_archive)
{
	static const char initrd[] = "INITRD-22-BYTES-LONG!"; /* 22 with its NUL */
	static const char init[] = "INIT-PROGRAM-BYTES";
	char ipath[] = "/tmp/husk-kvm-initrd-XXXXXX", epath[] = "/tmp/husk-kvm-empty-XXXXXX";
	char xpath[] = "/tmp/husk-kvm-init-XXXXXX";
	struct guest_code c = { 0 };
	uint8_t buf[1024];
	uint32_t size;

	guest_reset(&c);
	write_file(ipath, initrd, sizeof(initrd));
	write_file(epath, "", 0);
	write_file(xpath, init, sizeof(init));

	size = ramdisk_of(&c, ipath, xpath, buf, sizeof(buf));
	ck_assert_uint_gt(size, 24 + 110 * 6);
	ck_assert_uint_le(size, sizeof(buf));
	ck_assert_mem_eq(buf, initrd, sizeof(initrd));
	ck_assert_mem_eq(buf + 22, "\0\0", 2);
	ck_assert_mem_eq(buf + 24, "070701", 6);
	ck_assert_ptr_nonnull(memmem(buf, size, init, sizeof(init)));
	ck_assert_ptr_nonnull(memmem(buf, size, "TRAILER!!!", 10));

	memset(buf, 0, sizeof(buf));
	ck_assert_uint_gt(ramdisk_of(&c, epath, xpath, buf, sizeof(buf)), 110 * 6);
	ck_assert_mem_eq(buf, "070701", 6);

	ck_assert_uint_eq(ramdisk_of(&c, epath, NULL, buf, sizeof(buf)), 0);
	unlink(ipath);
	unlink(epath);
	unlink(xpath);
}
END_TEST

START_TEST(kvm_triple_fault)
{
	struct guest g = { 0 };
	struct guest_code c = { 0 };

	/* No IDT (limit 0): #UD cannot be delivered, #DF neither. */
	GUEST_EMIT(&c, 0x0f, 0x0b); /* ud2 */
	guest_create(&g, &c, K_ELF, 1);
	guest_run(&g);
	if (g.exit.reason == HUSK_EXIT_PVM_UNSUPPORTED && kvm_host_is_pvm()) {
		/* PVM emulates the failed delivery and gives up instead. */
		ck_assert_ptr_nonnull(strstr(g.exit.message, "PVM"));
	} else {
		guest_expect(&g, HUSK_EXIT_TRIPLE_FAULT);
		/* AMD's KVM reinitialises the VMCB on shutdown: RIP reads as
		 * the reset vector's 0xfff0 there, the faulting RIP elsewhere. */
		ck_assert_msg(g.exit.rip == LOAD_ADDR || g.exit.rip == 0xfff0, "rip 0x%llx",
			      (unsigned long long)g.exit.rip);
	}
	husk_vm_destroy(g.vm);
}
END_TEST

START_TEST(kvm_boot_marker_timing)
{
	struct husk_vm_timing t;
	struct guest g = { 0 };
	struct guest_code c = { 0 };

	guest_out8(&c, HUSK_BOOT_MARKER_PORT, 1);
	guest_out8(&c, HUSK_BOOT_MARKER_PORT, 2);
	guest_reset(&c);
	guest_create(&g, &c, K_ELF, 1);
	husk_vm_get_timing(g.vm, &t);
	ck_assert_uint_ne(t.create_ns, 0);
	ck_assert_uint_ge(t.load_done_ns, t.create_ns);
	ck_assert_uint_ge(t.created_ns, t.load_done_ns);
	ck_assert_uint_eq(t.start_ns, 0);
	ck_assert_uint_eq(t.first_run_ns, 0);
	ck_assert_uint_eq(t.boot_marker_ns, 0);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	husk_vm_get_timing(g.vm, &t);
	ck_assert_uint_ge(t.start_ns, t.created_ns);
	ck_assert_uint_ge(t.first_run_ns, t.start_ns);
	ck_assert_uint_ge(t.boot_marker_ns, t.first_run_ns);
	ck_assert_uint_ge(t.exit_ns, t.boot_marker_ns);
	husk_vm_destroy(g.vm);
}
END_TEST

/*
 * A caller built against the four-field struct calls the function
 * husk_vm_get_timing() (no macro): it must write those four fields and
 * nothing after them.
 */
START_TEST(kvm_timing_old_callers_get_four_fields)
{
	struct {
		uint64_t f[4];
		uint64_t canary;
	} old;
	struct guest g = { 0 };
	struct guest_code c = { 0 };

	guest_reset(&c);
	guest_create(&g, &c, K_ELF, 1);
	guest_run(&g);
	memset(&old, 0xa5, sizeof(old));
	(husk_vm_get_timing)(g.vm, (struct husk_vm_timing *)&old);
	ck_assert_uint_eq(old.canary, 0xa5a5a5a5a5a5a5a5ull);
	ck_assert_uint_ne(old.f[0], 0);	       /* create */
	ck_assert_uint_ge(old.f[1], old.f[0]); /* first run */
	ck_assert_uint_eq(old.f[2], 0);	       /* no boot marker */
	ck_assert_uint_ge(old.f[3], old.f[1]); /* exit */
	husk_vm_destroy(g.vm);
}
END_TEST

/* mov edi, @addr; mov dword [rdi], 0: a write where no RAM is. */
static void guest_mmio_write32(struct guest_code *c, uint32_t addr)
{
	GUEST_EMIT(c, 0xbf);
	guest_emit_imm32(c, addr);
	GUEST_EMIT(c, 0xc7, 0x07);
	guest_emit_imm32(c, 0);
}

static void exit_stats_get(struct husk_vm *vm, struct husk_vm_exit_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->struct_size = sizeof(*s);
	ck_assert_int_eq(husk_vm_get_exit_stats(vm, s), 0);
}

static uint64_t exit_stats_kinds_sum(const struct husk_vm_exit_stats *s)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < HUSK_VMEXIT_KINDS_MAX; i++)
		sum += s->kinds[i];
	return sum;
}

/*
 * The guest exits to known places - COM1, the boot marker, virtio slot
 * 2 (no device there), an MMIO address nothing claims - and ends with the
 * i8042 reset: each counted exactly, by kind and by range.
 */
START_TEST(kvm_exit_stats_count_guest_exits)
{
	const unsigned int n_com1 = 7, n_marker = 3, n_slot = 5, n_other = 2;
	const uint32_t slot2 = (uint32_t)(X86_VIRTIO_MMIO_BASE + 2 * X86_VIRTIO_MMIO_SLOT);
	struct husk_vm_exit_stats s;
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	unsigned int i;

	for (i = 0; i < n_slot; i++)
		guest_mmio_write32(&c, slot2 + 0x70);
	for (i = 0; i < n_other; i++)
		guest_mmio_write32(&c, 0xe0000000u);
	for (i = 0; i < n_marker; i++)
		guest_out8(&c, HUSK_BOOT_MARKER_PORT, (uint8_t)i);
	for (i = 0; i < n_com1; i++)
		guest_out8(&c, 0x3f8, 'a');
	guest_reset(&c);
	guest_create(&g, &c, K_ELF, 1);
	exit_stats_get(g.vm, &s);
	ck_assert_uint_eq(s.nr_vcpus, 1);
	ck_assert_uint_eq(s.runs, 0);
	guest_run(&g);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_uint_eq(g.cap.n, n_com1);
	exit_stats_get(g.vm, &s);
	ck_assert_uint_eq(s.pio[HUSK_PIO_COM1], n_com1);
	ck_assert_uint_eq(s.pio[HUSK_PIO_BOOT_MARKER], n_marker);
	ck_assert_uint_eq(s.pio[HUSK_PIO_I8042], 1); /* the reset */
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_PIO], n_com1 + n_marker + 1);
	ck_assert_uint_eq(s.mmio[HUSK_MMIO_VIRTIO0 + 2], n_slot);
	ck_assert_uint_eq(s.mmio[HUSK_MMIO_OTHER], n_other);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_MMIO], n_slot + n_other);
	/* Every KVM_RUN return is counted under exactly one kind. */
	ck_assert_uint_eq(s.runs, exit_stats_kinds_sum(&s));
	ck_assert_uint_ge(s.runs, n_com1 + n_marker + 1 + n_slot + n_other);
	husk_vm_destroy(g.vm);
}
END_TEST

/* struct_size: a short struct gets its first fields only; too short is refused. */
START_TEST(kvm_exit_stats_struct_size)
{
	struct {
		struct husk_vm_exit_stats s;
		uint64_t canary;
	} big;
	struct husk_vm_exit_stats s;
	struct guest g = { 0 };
	struct guest_code c = { 0 };

	guest_out8(&c, 0x3f8, 'x');
	guest_reset(&c);
	guest_create(&g, &c, K_ELF, 1);
	guest_run(&g);
	memset(&s, 0xa5, sizeof(s));
	s.struct_size = offsetof(struct husk_vm_exit_stats, kinds) + sizeof(s.kinds[0]);
	ck_assert_int_eq(husk_vm_get_exit_stats(g.vm, &s), 0);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_PIO], 2);
	ck_assert_uint_eq(s.kinds[HUSK_VMEXIT_MMIO], 0xa5a5a5a5a5a5a5a5ull);
	ck_assert_uint_eq(s.struct_size, offsetof(struct husk_vm_exit_stats, kinds) + 8);
	s.struct_size = sizeof(size_t);
	ck_assert_int_eq(husk_vm_get_exit_stats(g.vm, &s), -EINVAL);
	/* A newer caller's extra bytes are zeroed. */
	memset(&big, 0xa5, sizeof(big));
	big.s.struct_size = sizeof(big);
	ck_assert_int_eq(husk_vm_get_exit_stats(g.vm, &big.s), 0);
	ck_assert_uint_eq(big.s.pio[HUSK_PIO_COM1], 1);
	ck_assert_uint_eq(big.canary, 0);
	ck_assert_uint_eq(big.s.struct_size, sizeof(big));
	husk_vm_destroy(g.vm);
}
END_TEST

/* vCPU threads alive in this process, by the name vcpu.c gives them. */
static int count_vcpu_threads(void)
{
	char path[300], comm[32];
	struct dirent *d;
	int n = 0, fd;
	ssize_t len;
	DIR *dir = opendir("/proc/self/task");

	ck_assert_ptr_nonnull(dir);
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", d->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		comm[len > 0 ? len : 0] = 0;
		n += !strncmp(comm, "husk-vcpu", 9);
	}
	closedir(dir);
	return n;
}

/* Count processor entries (type 0, 20 bytes) in the MP config table. */
static unsigned int mptable_cpus(struct guest_mem *gm)
{
	uint8_t fp[16], hdr[44], type;
	uint32_t table;
	uint16_t count, i;
	uint64_t at;
	unsigned int cpus = 0;

	ck_assert_int_eq(guest_mem_read(gm, X86_MPTABLE_START, fp, sizeof(fp)), 0);
	ck_assert_mem_eq(fp, "_MP_", 4);
	memcpy(&table, fp + 4, 4);
	ck_assert_int_eq(guest_mem_read(gm, table, hdr, sizeof(hdr)), 0);
	ck_assert_mem_eq(hdr, "PCMP", 4);
	memcpy(&count, hdr + 34, 2);
	at = table + sizeof(hdr);
	for (i = 0; i < count; i++) {
		ck_assert_int_eq(guest_mem_read(gm, at, &type, 1), 0);
		cpus += type == 0;
		at += type == 0 ? 20 : 8;
	}
	return cpus;
}

/*
 * The BSP starts the APs itself, without interrupts: INIT and SIPI to "all
 * but self" through its LAPIC's ICR. Each AP runs 16-bit code the test put
 * at 0x10000 that counts itself in a byte at 0x600 and halts. The BSP waits
 * for a console input byte (so the test can count threads meanwhile), then
 * for the AP count, and reports it.
 */
START_TEST(kvm_smp_aps_start)
{
	static const uint8_t ap_code[] = {
		0xf0, 0xfe, 0x06, 0x00, 0x06, /* lock inc byte [0x600] */
		0xfa, 0xf4, 0xeb, 0xfd,	      /* cli; 1: hlt; jmp 1b */
	};
	const unsigned int ncpu = 4;
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	struct pollfd p;
	int in[2];

	GUEST_EMIT(&c, 0xbf); /* mov edi, LAPIC ICR low */
	guest_emit_imm32(&c, (uint32_t)X86_LAPIC_BASE + 0x300);
	GUEST_EMIT(&c, 0xc7, 0x07); /* mov dword [rdi], INIT all-but-self */
	guest_emit_imm32(&c, 0x000c4500);
	GUEST_EMIT(&c, 0xc7, 0x07); /* mov dword [rdi], SIPI vector 0x10 */
	guest_emit_imm32(&c, 0x000c4610);
	GUEST_EMIT(&c, 0x66, 0xba, 0xfd, 0x03,		   /* mov dx, 0x3fd (LSR) */
		   0xec,				   /* 1: in al, dx */
		   0xa8, 0x01,				   /* test al, DR */
		   0x74, 0xfb);				   /* jz 1b */
	GUEST_EMIT(&c, 0x8a, 0x04, 0x25, 0x00, 0x06, 0, 0, /* 2: mov al, [0x600] */
		   0x3c, ncpu - 1,			   /* cmp al, ncpu - 1 */
		   0x75, 0xf5);				   /* jne 2b */
	GUEST_EMIT(&c, 0x66, 0xba, 0xf8, 0x03, 0xee);	   /* out 0x3f8, al */
	guest_reset(&c);
	ck_assert_int_eq(pipe(in), 0);
	husk_vm_config_init(&g.cfg);
	g.cfg.console_in_fd = in[0];
	guest_create(&g, &c, K_ELF, ncpu);
	ck_assert_uint_eq(mptable_cpus(vm_guest_mem(g.vm)), ncpu);
	ck_assert_int_eq(guest_mem_write(vm_guest_mem(g.vm), 0x10000, ap_code, sizeof(ap_code)), 0);
	ck_assert_int_eq(count_vcpu_threads(), 0);
	ck_assert_int_eq(husk_vm_start(g.vm, NULL), 0);
	ck_assert_int_eq(count_vcpu_threads(), (int)ncpu);
	ck_assert_int_eq(write(in[1], "go", 2), 2);
	p = (struct pollfd){ .fd = husk_vm_exit_eventfd(g.vm), .events = POLLIN };
	if (poll(&p, 1, GUEST_TIMEOUT_MS) == 0)
		husk_vm_request_stop(g.vm);
	ck_assert_int_eq(husk_vm_wait(g.vm, &g.exit), 0);
	guest_expect(&g, HUSK_EXIT_RESET);
	ck_assert_uint_eq(g.cap.n, 1);
	ck_assert_uint_eq(g.cap.out[0], ncpu - 1);
	husk_vm_destroy(g.vm);
	ck_assert_int_eq(count_vcpu_threads(), 0);
	close(in[0]);
	close(in[1]);
}
END_TEST

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A guest printing forever: pause freezes it, resume and stop work. */
START_TEST(kvm_pause_resume_stop)
{
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	struct husk_vm_exit_stats s1, s2;
	unsigned long a, b;

	GUEST_EMIT(&c, 0x66, 0xba, 0xf8, 0x03, 0xb0, 'x', /* mov dx, 0x3f8; mov al, 'x' */
		   0xee, 0xeb, 0xfd);			  /* 1: out dx, al; jmp 1b */
	guest_create(&g, &c, K_ELF, 2);			  /* the AP never leaves wait-for-SIPI */
	ck_assert_int_eq(husk_vm_start(g.vm, NULL), 0);
	ck_assert_int_eq(husk_vm_start(g.vm, NULL), -EINVAL);
	sleep_ms(50);
	ck_assert_int_eq(husk_vm_pause(g.vm), 0);
	a = capture_total(&g.cap);
	ck_assert_uint_gt(a, 0);
	exit_stats_get(g.vm, &s1);
	sleep_ms(50);
	b = capture_total(&g.cap);
	ck_assert_uint_eq(a, b);
	/* Read while the vCPU threads live: paused, the counts stand still. */
	exit_stats_get(g.vm, &s2);
	ck_assert_uint_eq(s1.pio[HUSK_PIO_COM1], s2.pio[HUSK_PIO_COM1]);
	ck_assert_uint_ge(s1.pio[HUSK_PIO_COM1], a);
	ck_assert_uint_eq(s1.nr_vcpus, 2);
	ck_assert_int_eq(husk_vm_resume(g.vm), 0);
	sleep_ms(50);
	ck_assert_uint_gt(capture_total(&g.cap), b);
	exit_stats_get(g.vm, &s2);
	ck_assert_uint_gt(s2.pio[HUSK_PIO_COM1], s1.pio[HUSK_PIO_COM1]);
	ck_assert_int_eq(husk_vm_request_stop(g.vm), 0);
	ck_assert_int_eq(husk_vm_wait(g.vm, &g.exit), 0);
	guest_expect(&g, HUSK_EXIT_STOPPED);
	husk_vm_destroy(g.vm);
}
END_TEST

static struct husk_vcpu_status vcpu_status(struct husk_vm *vm, unsigned int i)
{
	struct husk_vcpu_status st = { .struct_size = sizeof(st) };

	ck_assert_int_eq(husk_vm_get_vcpu_status(vm, i, &st), 0);
	return st;
}

/*
 * Each vCPU's status: not started, then in the guest or in its exits (the
 * guest writes COM1 in a loop), parked while paused, stopped at the end;
 * no vCPU 2 of two; a struct too small for the state is refused.
 */
START_TEST(kvm_vcpu_status)
{
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	struct husk_vcpu_status st, tiny = { .struct_size = sizeof(size_t) };
	uint64_t before;
	unsigned int i;

	GUEST_EMIT(&c, 0x66, 0xba, 0xf8, 0x03, 0xb0, 'x', /* mov dx, 0x3f8; mov al, 'x' */
		   0xee, 0xeb, 0xfd);			  /* 1: out dx, al; jmp 1b */
	guest_create(&g, &c, K_ELF, 2);
	st = vcpu_status(g.vm, 0);
	ck_assert_uint_eq(st.state, HUSK_VCPU_NOT_STARTED);
	ck_assert_int_eq(st.exit_kind, -1);
	ck_assert_uint_eq(st.since_ns, 0);
	ck_assert_int_eq(husk_vm_get_vcpu_status(g.vm, 2, &st), -ERANGE);
	ck_assert_int_eq(husk_vm_get_vcpu_status(g.vm, 0, &tiny), -EINVAL);
	before = husk_now_ns();
	ck_assert_int_eq(husk_vm_start(g.vm, NULL), 0);
	sleep_ms(50);
	st = vcpu_status(g.vm, 0);
	ck_assert(st.state == HUSK_VCPU_IN_GUEST || st.state == HUSK_VCPU_IN_EXIT);
	ck_assert_int_eq(st.exit_kind, HUSK_VMEXIT_PIO);
	ck_assert_int_eq(st.exit_range, HUSK_PIO_COM1);
	/* The coarse clock may lag the fine one by a tick: 50 ms of slack. */
	ck_assert_uint_ge(st.since_ns + 50000000u, before);
	ck_assert_int_eq(husk_vm_pause(g.vm), 0);
	for (i = 0; i < 2; i++) {
		st = vcpu_status(g.vm, i);
		ck_assert_str_eq(husk_vcpu_state_string(st.state), "paused");
		ck_assert_uint_ge(st.since_ns + 50000000u, before);
	}
	ck_assert_int_eq(husk_vm_resume(g.vm), 0);
	ck_assert_int_eq(husk_vm_request_stop(g.vm), 0);
	ck_assert_int_eq(husk_vm_wait(g.vm, &g.exit), 0);
	for (i = 0; i < 2; i++)
		ck_assert_uint_eq(vcpu_status(g.vm, i).state, HUSK_VCPU_STOPPED);
	ck_assert_str_eq(husk_vcpu_state_string(99), "unknown");
	husk_vm_destroy(g.vm);
}
END_TEST

START_TEST(kvm_destroy_running_vm)
{
	struct guest g = { 0 };
	struct guest_code c = { 0 };

	GUEST_EMIT(&c, 0xeb, 0xfe); /* jmp $ */
	guest_create(&g, &c, K_ELF, 1);
	ck_assert_int_eq(husk_vm_start(g.vm, NULL), 0);
	sleep_ms(20);
	husk_vm_destroy(g.vm);
}
END_TEST

struct samples {
	pthread_mutex_t lock;
	unsigned int n, other_rip, other_vcpu, backwards;
	uint64_t last_t;
};

static void sample_fn(void *opaque, unsigned int vcpu, uint64_t t_ns, uint64_t rip)
{
	struct samples *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->n++;
	s->other_rip += rip != LOAD_ADDR; /* the guest is one `jmp $` there */
	s->other_vcpu += vcpu != 0;
	s->backwards += t_ns < s->last_t;
	s->last_t = t_ns;
	pthread_mutex_unlock(&s->lock);
}

static unsigned int samples_count(struct samples *s)
{
	unsigned int n;

	pthread_mutex_lock(&s->lock);
	n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Profiling: every sample is where the guest is, in time order. */
START_TEST(kvm_samples_guest_rip)
{
	struct samples smp = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	struct husk_vm_exit_stats st = { .struct_size = sizeof(st) };
	int64_t deadline = husk_now_ms() + GUEST_TIMEOUT_MS;

	GUEST_EMIT(&c, 0xeb, 0xfe); /* jmp $ */
	husk_vm_config_init(&g.cfg);
	g.cfg.sample_fn = sample_fn;
	g.cfg.sample_opaque = &smp;
	g.cfg.sample_us = HUSK_SAMPLE_US_MIN;
	guest_create(&g, &c, K_ELF, 1);
	ck_assert_int_eq(husk_vm_start(g.vm, NULL), 0);
	while (samples_count(&smp) < 20 && husk_now_ms() < deadline)
		sleep_ms(5);
	husk_vm_request_stop(g.vm);
	ck_assert_int_eq(husk_vm_wait(g.vm, &g.exit), 0);
	guest_expect(&g, HUSK_EXIT_STOPPED);
	ck_assert_uint_ge(smp.n, 20);
	ck_assert_uint_eq(smp.other_rip, 0);
	ck_assert_uint_eq(smp.other_vcpu, 0);
	ck_assert_uint_eq(smp.backwards, 0);
	ck_assert_uint_gt(smp.last_t, 0);
	/* Each sample was a KVM_RUN return of its own. */
	ck_assert_int_eq(husk_vm_get_exit_stats(g.vm, &st), 0);
	ck_assert_uint_ge(st.kinds[HUSK_VMEXIT_INTERRUPTED], smp.n);
	/* No sample after the end: the sampler stopped before the join. */
	sleep_ms(20);
	ck_assert_uint_eq(samples_count(&smp), smp.n);
	husk_vm_destroy(g.vm);
}
END_TEST

/* A sample_fn with sample_us 0 takes no sample; too short a period is refused. */
START_TEST(kvm_samples_off_and_too_fast)
{
	struct samples smp = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct guest g = { 0 };
	struct guest_code c = { 0 };
	struct husk_error *err = NULL;
	struct husk_vm *vm = NULL;

	GUEST_EMIT(&c, 0xeb, 0xfe); /* jmp $ */
	husk_vm_config_init(&g.cfg);
	g.cfg.sample_fn = sample_fn;
	g.cfg.sample_opaque = &smp;
	guest_create(&g, &c, K_ELF, 1);
	ck_assert_int_eq(husk_vm_start(g.vm, NULL), 0);
	sleep_ms(50);
	husk_vm_destroy(g.vm);
	ck_assert_uint_eq(smp.n, 0);
	g.cfg.kernel_path = "k";
	g.cfg.sample_us = HUSK_SAMPLE_US_MIN - 1;
	ck_assert_int_eq(husk_vm_create(&g.cfg, &vm, &err), -EINVAL);
	ck_assert_str_eq(husk_error_message(err), "config: sample_us 99, at least 100");
	ck_assert_ptr_null(vm);
	husk_error_free(err);
}
END_TEST

START_TEST(kvm_missing_kernel_file)
{
	char empty[] = "/tmp/husk-kvm-empty-XXXXXX";
	struct husk_vm_config cfg;
	struct husk_error *err = NULL;
	struct husk_vm *vm = NULL;

	husk_vm_config_init(&cfg);
	cfg.kernel_path = "/nonexistent/vmlinux";
	ck_assert_int_eq(husk_vm_create(&cfg, &vm, &err), -ENOENT);
	ck_assert_str_eq(husk_error_message(err),
			 "open /nonexistent/vmlinux: No such file or directory");
	ck_assert_ptr_null(vm);
	husk_error_free(err);
	/* A NULL error sink is allowed on every failure path. */
	ck_assert_int_eq(husk_vm_create(&cfg, &vm, NULL), -ENOENT);
	/* Not a file, or an empty one: said so, nothing mapped. */
	err = NULL;
	cfg.kernel_path = "/dev/null";
	ck_assert_int_lt(husk_vm_create(&cfg, &vm, &err), 0);
	ck_assert_str_eq(husk_error_message(err), "/dev/null: not a regular file");
	husk_error_free(err);
	err = NULL;
	write_file(empty, "", 0);
	cfg.kernel_path = empty;
	ck_assert_int_lt(husk_vm_create(&cfg, &vm, &err), 0);
	unlink(empty);
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), "husk-kvm-empty-"));
	ck_assert_ptr_nonnull(strstr(husk_error_message(err), ": empty file"));
	ck_assert_ptr_null(vm);
	husk_error_free(err);
}
END_TEST

START_TEST(api_config_checks)
{
	struct husk_vm_config cfg;
	struct husk_error *err = NULL;
	struct husk_vm *vm = NULL;
	struct {
		struct husk_vm_config c;
		uint64_t extra;
	} big;

	husk_vm_config_init(&cfg);
	ck_assert_int_eq(husk_vm_create(&cfg, &vm, &err), -EINVAL);
	ck_assert_str_eq(husk_error_message(err), "config: no kernel");
	cfg.kernel_path = "k";
	cfg.nr_cpus = 1000;
	ck_assert_int_eq(husk_vm_create(&cfg, &vm, &err), -EINVAL);
	cfg.nr_cpus = 1;
	cfg.mem_mib = 1;
	ck_assert_int_eq(husk_vm_create(&cfg, &vm, &err), -EINVAL);
	cfg.struct_size = 4;
	ck_assert_int_eq(husk_vm_create(&cfg, &vm, &err), -EINVAL);
	memset(&big, 0, sizeof(big));
	husk_vm_config_init(&big.c);
	big.c.struct_size = sizeof(big);
	big.extra = 1;
	ck_assert_int_eq(husk_vm_create(&big.c, &vm, &err), -E2BIG);
	ck_assert_ptr_null(vm);
	ck_assert_str_eq(husk_exit_reason_string(HUSK_EXIT_TRIPLE_FAULT), "triple fault");
	ck_assert_str_eq(husk_exit_reason_string(HUSK_EXIT_PVM_UNSUPPORTED), "PVM unsupported");
	husk_error_free(err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kvm_boot");
	TCase *api = tcase_create("api");
	TCase *tc;

	tcase_add_test(api, api_config_checks);
	suite_add_tcase(s, api);
	if (!unit_host_kvm(NULL))
		return s;
	tc = tcase_create("hostkvm");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kvm_elf_enters_long_mode_with_zero_page);
	tcase_add_test(tc, kvm_bzimage_enters_long_mode_with_zero_page);
	tcase_add_test(tc, kvm_bzimage_raw_enters_long_mode_with_zero_page);
	tcase_add_test(tc, kvm_uart_output_byte_for_byte);
	tcase_add_test(tc, kvm_uart_output_to_fd);
	tcase_add_test(tc, kvm_guest_sees_boot_params);
	tcase_add_test(tc, kvm_guest_memory_writes_visible);
	tcase_add_test(tc, kvm_initrd_visible_to_guest);
	tcase_add_test(tc, kvm_triple_fault);
	tcase_add_test(tc, kvm_boot_marker_timing);
	tcase_add_test(tc, kvm_timing_old_callers_get_four_fields);
	tcase_add_test(tc, kvm_exit_stats_count_guest_exits);
	tcase_add_test(tc, kvm_exit_stats_struct_size);
	tcase_add_test(tc, kvm_smp_aps_start);
	tcase_add_test(tc, kvm_pause_resume_stop);
	tcase_add_test(tc, kvm_vcpu_status);
	tcase_add_test(tc, kvm_destroy_running_vm);
	tcase_add_test(tc, kvm_samples_guest_rip);
	tcase_add_test(tc, kvm_samples_off_and_too_fast);
	tcase_add_test(tc, kvm_missing_kernel_file);
	tcase_add_test(tc, kvm_initrd_then_init_archive);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
