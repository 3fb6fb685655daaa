/* SPDX-License-Identifier: Apache-2.0 */
/*
 * i8042.h - just enough of the PS/2 keyboard controller for Linux.
 *
 * Its one real job is the reset line: Linux's `reboot=k` writes command
 * 0xfe to port 0x64, and the controller pulses CPU reset, which ends the
 * VM with reason RESET. Besides that it answers the probes Linux's i8042
 * driver makes at boot (self test, command byte, interface tests) with a
 * healthy controller that has a keyboard port and nothing plugged in that
 * ever types. No mouse port (boot Linux with i8042.noaux).
 */
#ifndef HUSK_VMM_LEGACY_I8042_H
#define HUSK_VMM_LEGACY_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT	0x64 /* status on read, command on write */
#define I8042_KBD_IRQ	1
#define I8042_IO_LEN	5

#define I8042_STR_OBF	   0x01 /* output buffer full */
#define I8042_STR_IBF	   0x02 /* input buffer full (never: we are instant) */
#define I8042_STR_SYS	   0x04 /* system flag: self test passed */
#define I8042_STR_CMD	   0x08 /* last input byte was a command */
#define I8042_STR_UNLOCKED 0x10 /* keyboard not inhibited */

#define I8042_CMD_READ_CTR	0x20
#define I8042_CMD_WRITE_CTR	0x60
#define I8042_CMD_AUX_DISABLE	0xa7
#define I8042_CMD_AUX_ENABLE	0xa8
#define I8042_CMD_AUX_TEST	0xa9
#define I8042_CMD_SELF_TEST	0xaa
#define I8042_CMD_KBD_TEST	0xab
#define I8042_CMD_KBD_DISABLE	0xad
#define I8042_CMD_KBD_ENABLE	0xae
#define I8042_CMD_READ_OUTPUT	0xd0
#define I8042_CMD_WRITE_OUTPUT	0xd1
#define I8042_CMD_WRITE_KBD_OUT 0xd2
#define I8042_CMD_WRITE_AUX_OUT 0xd3
#define I8042_CMD_WRITE_AUX	0xd4
#define I8042_CMD_PULSE_RESET	0xfe

#define I8042_CTR_KBDINT 0x01 /* IRQ 1 on keyboard data */
#define I8042_CTR_SYS	 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE	 0x40

#define I8042_OUT_RESET	 0x01 /* output port bit 0: CPU reset when low */
#define I8042_QUEUE_SIZE 8

typedef void (*i8042_irq_fn)(void *opaque, int level);
typedef void (*i8042_reset_fn)(void *opaque);

struct i8042 {
	pthread_mutex_t lock;
	i8042_irq_fn irq_fn;	 /* keyboard IRQ line; may be NULL */
	i8042_reset_fn reset_fn; /* the guest pulsed the reset line */
	void *opaque;
	uint8_t ctr;	 /* controller command byte */
	uint8_t outp;	 /* output port */
	uint8_t pending; /* command waiting for its data byte, or 0 */
	bool last_was_cmd;
	int irq_level;
	uint8_t queue[I8042_QUEUE_SIZE]; /* bytes for the guest to read */
	unsigned int q_head, q_count;
};

void i8042_init(struct i8042 *c, i8042_irq_fn irq_fn, i8042_reset_fn reset_fn, void *opaque);
void i8042_fini(struct i8042 *c);

/*
 * i8042_io - bus handler for the range 0x60..0x64 (I8042_IO_LEN); offset 0
 * is the data port, 4 the status/command port, others are ignored.
 */
void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
