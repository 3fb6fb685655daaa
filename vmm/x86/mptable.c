// SPDX-License-Identifier: Apache-2.0
/*
 * mptable.c - MP floating pointer and configuration table (Intel MP spec
 * 1.4, chapter 4). Built in a host buffer, checksummed, then copied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/base/layout.h"
#include "vmm/x86/mptable.h"
#include "vmm/base/le.h"

#define MP_FPS_SIZE   16 /* floating pointer structure, table 4-1 */
#define MP_HDR_SIZE   44 /* configuration table header, table 4-2 */
#define MP_CPU_SIZE   20 /* processor entry, table 4-4 */
#define MP_ENTRY_SIZE 8	 /* bus, I/O APIC, I/O and local interrupt entries */
#define MP_SPEC_REV   4	 /* 1.4 */

enum { MP_CPU = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 }; /* interrupt types, table 4-8 */

#define MP_CPU_EN	  0x01
#define MP_CPU_BP	  0x02
#define MP_LAPIC_VERSION  0x14 /* an integrated (xAPIC) local APIC */
#define MP_IOAPIC_VERSION 0x11
/* CPU signature family 6 and feature flags FPU (bit 0) | APIC (bit 9). */
#define MP_CPU_SIGNATURE  0x600
#define MP_CPU_FEATURES	  0x201
#define MP_ISA_IRQS	  16
#define MP_LINT_ALL	  0xff /* destination: every local APIC */

static const char mp_oem[8] = { 'H', 'U', 'S', 'K', ' ', ' ', ' ', ' ' };
static const char mp_product[12] = { 'H', 'U', 'S', 'K', 'V', 'M', ' ', ' ', ' ', ' ', ' ', ' ' };

/* I/O interrupt entries: ISA IRQs and the device GSIs, pin n = IRQ n. */
#define MP_NR_IOINT (X86_GSI_MAX + 1)

size_t x86_mptable_size(unsigned int nr_cpus)
{
	return MP_FPS_SIZE + MP_HDR_SIZE + (size_t)nr_cpus * MP_CPU_SIZE +
	       (1 + 1 + MP_NR_IOINT + 2) * MP_ENTRY_SIZE;
}

/* The checksum byte makes all bytes of the structure sum to 0 (mod 256). */
static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static uint8_t *mp_cpus(uint8_t *p, unsigned int nr_cpus)
{
	unsigned int i;

	for (i = 0; i < nr_cpus; i++, p += MP_CPU_SIZE) {
		p[0] = MP_CPU;
		p[1] = (uint8_t)i; /* local APIC ID */
		p[2] = MP_LAPIC_VERSION;
		p[3] = MP_CPU_EN | (i == 0 ? MP_CPU_BP : 0);
		le32_put(p + 4, MP_CPU_SIGNATURE);
		le32_put(p + 8, MP_CPU_FEATURES);
	}
	return p;
}

static uint8_t *mp_entry(uint8_t *p, uint8_t type, uint8_t itype, uint8_t bus_irq, uint8_t dst_id,
			 uint8_t dst_pin)
{
	p[0] = type;
	p[1] = itype;
	le16_put(p + 2, 0); /* polarity/trigger: conform to the bus (ISA: edge, high) */
	p[4] = 0;	    /* source bus ID: the ISA bus */
	p[5] = bus_irq;
	p[6] = dst_id;
	p[7] = dst_pin;
	return p + MP_ENTRY_SIZE;
}

static uint8_t *mp_devices(uint8_t *p, unsigned int ioapic_id)
{
	unsigned int irq;

	memcpy(p, (const uint8_t[]){ MP_BUS, 0, 'I', 'S', 'A', ' ', ' ', ' ' }, MP_ENTRY_SIZE);
	p += MP_ENTRY_SIZE;
	p[0] = MP_IOAPIC;
	p[1] = (uint8_t)ioapic_id;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = 1; /* enabled */
	le32_put(p + 4, (uint32_t)X86_IOAPIC_BASE);
	p += MP_ENTRY_SIZE;
	for (irq = 0; irq < MP_NR_IOINT; irq++)
		p = mp_entry(p, MP_IOINT, MP_INT, (uint8_t)irq, (uint8_t)ioapic_id, (uint8_t)irq);
	/* Virtual wire: the 8259 on LINT0 of every CPU, NMI on LINT1. */
	p = mp_entry(p, MP_LINT, MP_EXTINT, 0, MP_LINT_ALL, 0);
	return mp_entry(p, MP_LINT, MP_NMI, 0, MP_LINT_ALL, 1);
}

static void mp_build(uint8_t *buf, unsigned int nr_cpus)
{
	uint8_t *fps = buf, *hdr = buf + MP_FPS_SIZE, *end;
	unsigned int count = nr_cpus + 2 + MP_NR_IOINT + 2;

	memcpy(fps, "_MP_", 4);
	le32_put(fps + 4, (uint32_t)(X86_MPTABLE_START + MP_FPS_SIZE));
	fps[8] = 1; /* length in 16-byte paragraphs */
	fps[9] = MP_SPEC_REV;
	/* feature bytes 1-5 zero: a configuration table is present, no IMCR */
	fps[10] = mp_checksum(fps, MP_FPS_SIZE);

	end = mp_devices(mp_cpus(hdr + MP_HDR_SIZE, nr_cpus), nr_cpus);
	memcpy(hdr, "PCMP", 4);
	le16_put(hdr + 4, (uint16_t)(end - hdr)); /* base table length */
	hdr[6] = MP_SPEC_REV;
	memcpy(hdr + 8, mp_oem, sizeof(mp_oem));
	memcpy(hdr + 16, mp_product, sizeof(mp_product));
	le16_put(hdr + 34, (uint16_t)count);
	le32_put(hdr + 36, (uint32_t)X86_LAPIC_BASE);
	hdr[7] = mp_checksum(hdr, (size_t)(end - hdr));
}

int x86_mptable_write(struct guest_mem *gm, unsigned int nr_cpus, struct husk_error **err)
{
	size_t size;
	uint8_t *buf;
	int ret;

	if (nr_cpus == 0 || nr_cpus > X86_MAX_CPUS)
		return husk_err(err, 0, "mptable: %u CPUs, must be 1..%u", nr_cpus, X86_MAX_CPUS);
	size = x86_mptable_size(nr_cpus);
	if (size > X86_MPTABLE_END - X86_MPTABLE_START)
		return husk_err(err, 0,
				"mptable: %zu bytes for %u CPUs exceed the "
				"%llu-byte window",
				size, nr_cpus,
				(unsigned long long)(X86_MPTABLE_END - X86_MPTABLE_START));
	buf = calloc(1, size);
	if (!buf)
		return husk_err(err, ENOMEM, "mptable: allocating %zu bytes", size);
	mp_build(buf, nr_cpus);
	ret = guest_mem_write(gm, X86_MPTABLE_START, buf, size);
	free(buf);
	if (ret < 0)
		return husk_err(err, 0, "mptable: [0x%llx, +%zu) not in guest RAM",
				(unsigned long long)X86_MPTABLE_START, size);
	return 0;
}
