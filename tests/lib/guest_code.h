/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest_code.h - tiny 64-bit test guests, assembled byte by byte.
 *
 * Enough of an x86-64 emitter for host-KVM tests: port writes, a loop that
 * sends RAX to COM1, and the i8042 reset that ends a guest (with an
 * in-kernel irqchip HLT never exits to user space). Wrap the bytes with
 * tests/lib/images.h to get a kernel image.
 */
#ifndef HUSK_TESTS_GUEST_CODE_H
#define HUSK_TESTS_GUEST_CODE_H

#include <stddef.h>
#include <stdint.h>

/* Where guest_write_kernel() loads the code: its first byte's address. */
#define GUEST_LOAD_ADDR 0x100000ull

struct guest_code {
	uint8_t b[1024];
	size_t n;
};

/* guest_emit - append @n bytes; aborts when the buffer is full. */
void guest_emit(struct guest_code *c, const uint8_t *p, size_t n);

#define GUEST_EMIT(c, ...) \
	guest_emit(c, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

void guest_emit_imm32(struct guest_code *c, uint32_t v);

/* mov dx, @port; mov al, @val; out dx, al */
void guest_out8(struct guest_code *c, uint16_t port, uint8_t val);

/* Pulse the i8042 reset line (the VM ends with RESET), then jmp $. */
void guest_reset(struct guest_code *c);

/* Send RAX's 8 bytes, low first, to COM1 (clobbers rcx, rdx, rax). */
void guest_dump_rax(struct guest_code *c);

/* guest_write_kernel - write @c as an ELF vmlinux loaded at 1 MiB to a new
 * temporary file named from @tmpl (mkstemp); returns 0 or -1. */
int guest_write_kernel(const struct guest_code *c, char *tmpl);

#endif
