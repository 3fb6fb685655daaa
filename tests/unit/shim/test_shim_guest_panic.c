// SPDX-License-Identifier: Apache-2.0
/* test_shim_guest_panic.c - shim/sandbox/guest_panic.c: the panic line of a
 * guest console, whatever chunks it arrives in. */
#include <string.h>

#include "shim/sandbox/guest_panic.h"
#include "tests/lib/unit.h"

static const char console[] =
	"[    1.20] husk-init: ready\r\n"
	"[    9.87] Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is "
	"enabled\r\n"
	"[    9.88] Kernel panic - not syncing: a second one\r\n"
	"[    9.89] ---[ end Kernel panic ]---\r\n";

static void feed_in_chunks(struct guest_panic *gp, size_t chunk)
{
	size_t off, n;

	for (off = 0; off < strlen(console); off += n) {
		n = strlen(console) - off < chunk ? strlen(console) - off : chunk;
		guest_panic_feed(gp, (const uint8_t *)console + off, n);
	}
}

START_TEST(panic_line_in_any_chunks)
{
	size_t chunk;

	for (chunk = 1; chunk <= sizeof(console); chunk++) {
		struct guest_panic gp = { 0 };

		feed_in_chunks(&gp, chunk);
		ck_assert_msg(gp.seen, "chunks of %zu", chunk);
		ck_assert_str_eq(gp.reason, "Out of memory: compulsory panic_on_oom is enabled");
	}
}
END_TEST

START_TEST(no_panic_no_reason)
{
	static const char text[] = "Kernel panic - not syncing\r\nno panic here: not syncing: x\n"
				   "partial Kernel panic - not syncing: never ended";
	struct guest_panic gp = { 0 };

	guest_panic_feed(&gp, (const uint8_t *)text, strlen(text));
	ck_assert(!gp.seen);
	ck_assert_str_eq(gp.reason, "");
}
END_TEST

START_TEST(long_and_binary_lines_are_bounded)
{
	struct guest_panic gp = { 0 };
	uint8_t junk[4096];
	static const char tail[] = "\nKernel panic - not syncing: \x01\x1b[0m bad\n";

	memset(junk, 'A', sizeof(junk));
	guest_panic_feed(&gp, junk, sizeof(junk));
	guest_panic_feed(&gp, (const uint8_t *)tail, strlen(tail));
	ck_assert(gp.seen);
	ck_assert_str_eq(gp.reason, "??[0m bad");
	ck_assert_uint_lt(strlen(gp.reason), GUEST_PANIC_LINE_MAX);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_guest_panic");
	TCase *tc = tcase_create("console");

	tcase_add_test(tc, panic_line_in_any_chunks);
	tcase_add_test(tc, no_panic_no_reason);
	tcase_add_test(tc, long_and_binary_lines_are_bounded);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
