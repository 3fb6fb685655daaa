// SPDX-License-Identifier: Apache-2.0
/* i8042.c - PS/2 controller: boot probes, command byte, pulse reset. */
#include <string.h>

#include "vmm/legacy/i8042.h"

#define I8042_ACK	   0xfa
#define I8042_SELF_TEST_OK 0x55
#define I8042_PORT_TEST_OK 0x00
#define I8042_KBD_RESET	   0xff
#define I8042_KBD_BAT_OK   0xaa
#define I8042_KBD_GET_ID   0xf2

void i8042_init(struct i8042 *c, i8042_irq_fn irq_fn, i8042_reset_fn reset_fn, void *opaque)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->irq_fn = irq_fn;
	c->reset_fn = reset_fn;
	c->opaque = opaque;
	/* Firmware hands over with the keyboard interrupt and translation on. */
	c->ctr = I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE;
	c->outp = I8042_OUT_RESET;
}

void i8042_fini(struct i8042 *c)
{
	pthread_mutex_destroy(&c->lock);
}

static void i8042_push(struct i8042 *c, uint8_t b)
{
	if (c->q_count == I8042_QUEUE_SIZE)
		return; /* the guest is not reading; drop like a full buffer */
	c->queue[(c->q_head + c->q_count) % I8042_QUEUE_SIZE] = b;
	c->q_count++;
}

static uint8_t i8042_pop(struct i8042 *c)
{
	uint8_t b;

	if (!c->q_count)
		return 0;
	b = c->queue[c->q_head];
	c->q_head = (c->q_head + 1) % I8042_QUEUE_SIZE;
	c->q_count--;
	return b;
}

static void i8042_update_irq(struct i8042 *c)
{
	int level = c->q_count && (c->ctr & I8042_CTR_KBDINT);

	if (level == c->irq_level)
		return;
	c->irq_level = level;
	if (c->irq_fn)
		c->irq_fn(c->opaque, level);
}

static uint8_t i8042_status(const struct i8042 *c)
{
	uint8_t s = I8042_STR_UNLOCKED;

	if (c->q_count)
		s |= I8042_STR_OBF;
	if (c->ctr & I8042_CTR_SYS)
		s |= I8042_STR_SYS;
	if (c->last_was_cmd)
		s |= I8042_STR_CMD;
	return s;
}

/* A write to the output port: bit 0 low asserts CPU reset. */
static void i8042_write_output(struct i8042 *c, uint8_t val)
{
	c->outp = val;
	if (!(val & I8042_OUT_RESET) && c->reset_fn)
		c->reset_fn(c->opaque);
}

static void i8042_command(struct i8042 *c, uint8_t cmd)
{
	switch (cmd) {
	case I8042_CMD_READ_CTR:
		i8042_push(c, c->ctr);
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTPUT:
	case I8042_CMD_WRITE_KBD_OUT:
	case I8042_CMD_WRITE_AUX_OUT:
	case I8042_CMD_WRITE_AUX:
		c->pending = cmd;
		break;
	case I8042_CMD_SELF_TEST:
		i8042_push(c, I8042_SELF_TEST_OK);
		break;
	case I8042_CMD_KBD_TEST:
	case I8042_CMD_AUX_TEST:
		i8042_push(c, I8042_PORT_TEST_OK);
		break;
	case I8042_CMD_KBD_DISABLE:
		c->ctr |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		c->ctr &= ~I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_AUX_DISABLE:
		c->ctr |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		c->ctr &= ~I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_READ_OUTPUT:
		i8042_push(c, c->outp);
		break;
	default:
		/* 0xf0-0xff pulse output lines whose bit is clear for ~6 us;
		 * line 0 is reset. 0xfe is the common one. */
		if ((cmd & 0xf0) == 0xf0 && !(cmd & I8042_OUT_RESET) && c->reset_fn)
			c->reset_fn(c->opaque);
		break;
	}
}

/* A byte to the keyboard itself: acknowledge, answer reset and identify. */
static void i8042_kbd_write(struct i8042 *c, uint8_t val)
{
	i8042_push(c, I8042_ACK);
	if (val == I8042_KBD_RESET) {
		i8042_push(c, I8042_KBD_BAT_OK);
	} else if (val == I8042_KBD_GET_ID) {
		i8042_push(c, 0xab); /* MF2 keyboard, translated */
		i8042_push(c, 0x41);
	}
}

static void i8042_data_write(struct i8042 *c, uint8_t val)
{
	uint8_t cmd = c->pending;

	c->pending = 0;
	switch (cmd) {
	case I8042_CMD_WRITE_CTR:
		c->ctr = val;
		break;
	case I8042_CMD_WRITE_OUTPUT:
		i8042_write_output(c, val);
		break;
	case I8042_CMD_WRITE_KBD_OUT:
		i8042_push(c, val);
		break;
	case I8042_CMD_WRITE_AUX_OUT:
	case I8042_CMD_WRITE_AUX:
		break; /* no mouse port: the byte goes nowhere */
	default:
		i8042_kbd_write(c, val);
		break;
	}
}

void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct i8042 *c = opaque;
	bool cmd_port = offset == I8042_CMD_PORT - I8042_DATA_PORT;

	if (!len)
		return;
	if (!is_write)
		memset(data, 0, len);
	/* The range spans 0x60-0x64; 0x61-0x63 are not ours (0x61 is the
	 * in-kernel PIT's speaker port and never reaches user space). */
	if (offset != 0 && !cmd_port)
		return;
	pthread_mutex_lock(&c->lock);
	if (is_write && cmd_port)
		i8042_command(c, data[0]);
	else if (is_write)
		i8042_data_write(c, data[0]);
	else if (cmd_port)
		data[0] = i8042_status(c);
	else
		data[0] = i8042_pop(c);
	if (is_write)
		c->last_was_cmd = cmd_port;
	i8042_update_irq(c);
	pthread_mutex_unlock(&c->lock);
}
