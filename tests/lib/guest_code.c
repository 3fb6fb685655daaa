// SPDX-License-Identifier: Apache-2.0
/* guest_code.c - byte-level x86-64 emitter for host-KVM test guests. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/guest_code.h"
#include "tests/lib/images.h"

#define GUEST_COM1	  0x3f8
#define GUEST_I8042_CMD	  0x64
#define GUEST_I8042_RESET 0xfe

void guest_emit(struct guest_code *c, const uint8_t *p, size_t n)
{
	if (c->n + n > sizeof(c->b))
		abort();
	memcpy(c->b + c->n, p, n);
	c->n += n;
}

void guest_emit_imm32(struct guest_code *c, uint32_t v)
{
	GUEST_EMIT(c, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24);
}

void guest_out8(struct guest_code *c, uint16_t port, uint8_t val)
{
	GUEST_EMIT(c, 0x66, 0xba, port & 0xff, port >> 8, 0xb0, val, 0xee);
}

void guest_reset(struct guest_code *c)
{
	guest_out8(c, GUEST_I8042_CMD, GUEST_I8042_RESET);
	GUEST_EMIT(c, 0xeb, 0xfe);
}

void guest_dump_rax(struct guest_code *c)
{
	GUEST_EMIT(c, 0x66, 0xba, GUEST_COM1 & 0xff, GUEST_COM1 >> 8, /* mov dx, COM1 */
		   0xb9, 8, 0, 0, 0,				      /* mov ecx, 8 */
		   0xee,					      /* 1: out dx, al */
		   0x48, 0xc1, 0xe8, 0x08,			      /* shr rax, 8 */
		   0xff, 0xc9,					      /* dec ecx */
		   0x75, 0xf7);					      /* jnz 1b */
}

int guest_write_kernel(const struct guest_code *c, char *tmpl)
{
	size_t len;
	uint8_t *img = image_elf(c->b, c->n, GUEST_LOAD_ADDR, &len);
	int fd = mkstemp(tmpl);
	ssize_t n = -1;

	if (fd >= 0) {
		n = write(fd, img, len);
		close(fd);
	}
	free(img);
	return n == (ssize_t)len ? 0 : -1;
}
