// SPDX-License-Identifier: Apache-2.0
/* test_mptable.c - vmm/x86/mptable.c: parse the tables back per MP spec 1.4. */
#include <errno.h>
#include <string.h>

#include "vmm/base/le.h"
#include "tests/lib/unit.h"
#include "vmm/base/layout.h"
#include "vmm/x86/mptable.h"

#define MiB (1ULL << 20)

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

struct counts {
	unsigned int cpus, bsp, bus, ioapic, ioint, lint;
};

/* Walk the configuration table and check each entry as it goes. */
static void walk(const uint8_t *p, const uint8_t *end, unsigned int nr_cpus, struct counts *c)
{
	while (p < end) {
		switch (p[0]) {
		case 0:
			ck_assert_uint_eq(p[1], c->cpus); /* APIC IDs 0..N-1 */
			ck_assert(p[3] & 1);		  /* enabled */
			c->bsp += !!(p[3] & 2);
			ck_assert_uint_eq(!!(p[3] & 2), c->cpus == 0);
			c->cpus++;
			p += 20;
			continue;
		case 1:
			ck_assert_mem_eq(p + 2, "ISA   ", 6);
			c->bus++;
			break;
		case 2:
			ck_assert_uint_eq(p[1], nr_cpus); /* IOAPIC ID N */
			ck_assert_uint_eq(p[2], 0x11);
			ck_assert_uint_eq(p[3], 1);
			ck_assert_uint_eq(le32_get(p + 4), 0xfec00000);
			c->ioapic++;
			break;
		case 3:
			ck_assert_uint_eq(p[5], c->ioint); /* bus IRQ */
			ck_assert_uint_eq(p[6], nr_cpus);  /* to the IOAPIC */
			ck_assert_uint_eq(p[7], c->ioint); /* same pin */
			c->ioint++;
			break;
		case 4:
			ck_assert_uint_eq(p[1], c->lint == 0 ? 3 : 1); /* ExtINT, then NMI */
			ck_assert_uint_eq(p[6], 0xff);
			ck_assert_uint_eq(p[7], c->lint); /* LINT0, LINT1 */
			c->lint++;
			break;
		default:
			ck_abort_msg("unknown entry type %u", p[0]);
		}
		p += 8;
	}
	ck_assert_ptr_eq(p, end);
}

static void check_tables(unsigned int nr_cpus)
{
	struct guest_mem gm;
	struct counts c = { 0 };
	const uint8_t *fps, *hdr;
	uint16_t blen;

	ck_assert_int_eq(guest_mem_init(&gm, 16 * MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_mptable_write(&gm, nr_cpus, NULL), 0);
	fps = gm.base + X86_MPTABLE_START;
	ck_assert_mem_eq(fps, "_MP_", 4);
	ck_assert_uint_eq(fps[8], 1);
	ck_assert_uint_eq(fps[9], 4);
	ck_assert_uint_eq(sum(fps, 16), 0);
	ck_assert_uint_eq(le32_get(fps + 4), X86_MPTABLE_START + 16);
	hdr = gm.base + le32_get(fps + 4);
	ck_assert_mem_eq(hdr, "PCMP", 4);
	blen = le16_get(hdr + 4);
	ck_assert_uint_eq(sum(hdr, blen), 0);
	ck_assert_uint_eq(16 + blen, x86_mptable_size(nr_cpus));
	ck_assert_uint_eq(le32_get(hdr + 36), 0xfee00000);
	walk(hdr + 44, hdr + blen, nr_cpus, &c);
	ck_assert_uint_eq(c.cpus, nr_cpus);
	ck_assert_uint_eq(c.bsp, 1);
	ck_assert_uint_eq(c.bus, 1);
	ck_assert_uint_eq(c.ioapic, 1);
	ck_assert_uint_eq(c.ioint, 24);
	ck_assert_uint_eq(c.lint, 2);
	ck_assert_uint_eq(le16_get(hdr + 34), nr_cpus + 1 + 1 + 24 + 2);
	guest_mem_fini(&gm);
}

START_TEST(mp_one_cpu)
{
	check_tables(1);
}
END_TEST

START_TEST(mp_four_cpus)
{
	check_tables(4);
}
END_TEST

START_TEST(mp_max_cpus)
{
	check_tables(X86_MAX_CPUS);
	ck_assert_uint_le(X86_MPTABLE_START + x86_mptable_size(X86_MAX_CPUS), X86_MPTABLE_END);
}
END_TEST

START_TEST(mp_bad_counts)
{
	struct guest_mem gm;
	struct husk_error *e = NULL;

	ck_assert_int_eq(guest_mem_init(&gm, 16 * MiB, 0, NULL), 0);
	ck_assert_int_eq(x86_mptable_write(&gm, 0, &e), -EINVAL);
	ck_assert_str_eq(husk_error_message(e), "mptable: 0 CPUs, must be 1..254");
	ck_assert_int_eq(x86_mptable_write(&gm, 255, &e), -EINVAL);
	ck_assert_int_eq(x86_mptable_write(&gm, ~0u, &e), -EINVAL);
	ck_assert_uint_eq(gm.base[X86_MPTABLE_START], 0);
	husk_error_free(e);
	guest_mem_fini(&gm);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, mp_one_cpu);
	tcase_add_test(tc, mp_four_cpus);
	tcase_add_test(tc, mp_max_cpus);
	tcase_add_test(tc, mp_bad_counts);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
