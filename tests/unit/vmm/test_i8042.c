// SPDX-License-Identifier: Apache-2.0
/* test_i8042.c - vmm/legacy/i8042.c: reset line, self test, command byte. */
#include "vmm/legacy/i8042.h"
#include "tests/lib/unit.h"

struct obs {
	int resets;
	int irq;
};

static void obs_irq(void *opaque, int level)
{
	((struct obs *)opaque)->irq = level;
}

static void obs_reset(void *opaque)
{
	((struct obs *)opaque)->resets++;
}

static uint8_t rd(struct i8042 *c, uint16_t port)
{
	uint8_t d = 0xee;

	i8042_io(c, port - I8042_DATA_PORT, &d, 1, false);
	return d;
}

static void wr(struct i8042 *c, uint16_t port, uint8_t v)
{
	i8042_io(c, port - I8042_DATA_PORT, &v, 1, true);
}

START_TEST(i8042_pulse_reset_command)
{
	struct obs o = { 0 };
	struct i8042 c;

	i8042_init(&c, obs_irq, obs_reset, &o);
	/* Linux's reboot=k waits for IBF clear, then writes 0xfe. */
	ck_assert_uint_eq(rd(&c, I8042_CMD_PORT) & I8042_STR_IBF, 0);
	wr(&c, I8042_CMD_PORT, I8042_CMD_PULSE_RESET);
	ck_assert_int_eq(o.resets, 1);
	/* 0xff pulses no line; 0xfd pulses line 1 only: no reset. */
	wr(&c, I8042_CMD_PORT, 0xff);
	wr(&c, I8042_CMD_PORT, 0xfd);
	ck_assert_int_eq(o.resets, 1);
	i8042_fini(&c);
}
END_TEST

START_TEST(i8042_output_port_reset_bit)
{
	struct obs o = { 0 };
	struct i8042 c;

	i8042_init(&c, obs_irq, obs_reset, &o);
	wr(&c, I8042_CMD_PORT, I8042_CMD_WRITE_OUTPUT);
	wr(&c, I8042_DATA_PORT, I8042_OUT_RESET);
	ck_assert_int_eq(o.resets, 0);
	wr(&c, I8042_CMD_PORT, I8042_CMD_WRITE_OUTPUT);
	wr(&c, I8042_DATA_PORT, 0x00);
	ck_assert_int_eq(o.resets, 1);
	i8042_fini(&c);
}
END_TEST

START_TEST(i8042_self_test_and_command_byte)
{
	struct obs o = { 0 };
	struct i8042 c;

	i8042_init(&c, obs_irq, obs_reset, &o);
	ck_assert_uint_eq(rd(&c, I8042_CMD_PORT) & I8042_STR_OBF, 0);
	wr(&c, I8042_CMD_PORT, I8042_CMD_SELF_TEST);
	ck_assert_uint_eq(rd(&c, I8042_CMD_PORT) & (I8042_STR_OBF | I8042_STR_CMD),
			  I8042_STR_OBF | I8042_STR_CMD);
	ck_assert_int_eq(o.irq, 1); /* KBDINT is on after init */
	ck_assert_uint_eq(rd(&c, I8042_DATA_PORT), 0x55);
	ck_assert_int_eq(o.irq, 0);
	ck_assert_uint_eq(rd(&c, I8042_CMD_PORT) & I8042_STR_OBF, 0);

	wr(&c, I8042_CMD_PORT, I8042_CMD_WRITE_CTR);
	wr(&c, I8042_DATA_PORT, I8042_CTR_SYS | I8042_CTR_XLATE);
	wr(&c, I8042_CMD_PORT, I8042_CMD_READ_CTR);
	ck_assert_int_eq(o.irq, 0); /* KBDINT now off */
	ck_assert_uint_eq(rd(&c, I8042_DATA_PORT), I8042_CTR_SYS | I8042_CTR_XLATE);
	wr(&c, I8042_CMD_PORT, I8042_CMD_KBD_TEST);
	ck_assert_uint_eq(rd(&c, I8042_DATA_PORT), 0x00);
	ck_assert_uint_eq(rd(&c, I8042_CMD_PORT) & I8042_STR_SYS, I8042_STR_SYS);
	i8042_fini(&c);
}
END_TEST

START_TEST(i8042_keyboard_acks_and_ignores_other_ports)
{
	struct obs o = { 0 };
	struct i8042 c;
	uint8_t d = 0;

	i8042_init(&c, NULL, obs_reset, &o);
	wr(&c, I8042_DATA_PORT, 0xff); /* keyboard reset */
	ck_assert_uint_eq(rd(&c, I8042_DATA_PORT), 0xfa);
	ck_assert_uint_eq(rd(&c, I8042_DATA_PORT), 0xaa);
	wr(&c, I8042_DATA_PORT, 0xed); /* set LEDs */
	ck_assert_uint_eq(rd(&c, I8042_DATA_PORT), 0xfa);
	i8042_io(&c, 1, &d, 1, true); /* 0x61 is not ours */
	i8042_io(&c, 2, &d, 1, false);
	ck_assert_uint_eq(d, 0);
	ck_assert_int_eq(o.resets, 0);
	i8042_fini(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("i8042");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, i8042_pulse_reset_command);
	tcase_add_test(tc, i8042_output_port_reset_bit);
	tcase_add_test(tc, i8042_self_test_and_command_byte);
	tcase_add_test(tc, i8042_keyboard_acks_and_ignores_other_ports);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN()
