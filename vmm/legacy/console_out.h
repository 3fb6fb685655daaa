/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_out.h - writing guest console bytes to the embedder's fd without
 * ever waiting on it.
 *
 * The bytes are written on a vCPU thread with the UART's lock held, and a
 * blocked write there would freeze the VM's pause, stop, wait and destroy
 * (the vCPU kick cannot reach a thread asleep in write()). So a byte the
 * sink cannot take at once is dropped and counted. The embedder's fd keeps
 * its flags; how the write is made non-blocking depends on what it is:
 *
 *   regular file, block device   write() (it never waits on a reader)
 *   socket                       send(MSG_DONTWAIT | MSG_NOSIGNAL)
 *   fd already O_NONBLOCK        write()
 *   pipe or FIFO                 write() through a private O_NONBLOCK open
 *                                of the same pipe (/proc/self/fd/N)
 *   anything else (a terminal),  poll() with zero timeout, then write()
 *   or a pipe that cannot be     one byte: a terminal or pipe with room
 *   opened again                 for one byte takes it without waiting
 *
 * The last way has one gap: another writer on the same terminal or pipe
 * filling it between the poll and the write. A pipe only lands there when
 * /proc is missing or the pipe belongs to another user.
 */
#ifndef HUSK_VMM_LEGACY_CONSOLE_OUT_H
#define HUSK_VMM_LEGACY_CONSOLE_OUT_H

#include <stddef.h>
#include <stdint.h>

enum console_out_way {
	CONSOLE_OUT_NONE,  /* no fd: output is discarded, not counted */
	CONSOLE_OUT_WRITE, /* plain write() never waits on this fd */
	CONSOLE_OUT_SEND,  /* a socket */
	CONSOLE_OUT_POLL,  /* poll for room first */
};

struct console_out {
	enum console_out_way way;
	int fd;		  /* the fd written: the embedder's or own_fd */
	int own_fd;	  /* our non-blocking open of a pipe, or -1 */
	uint64_t dropped; /* bytes the sink could not take; atomic */
};

/* console_out_init - pick the way for @fd (borrowed; -1 discards). */
void console_out_init(struct console_out *co, int fd);

/* console_out_write - write @len bytes or drop the rest; never waits on a reader. */
void console_out_write(struct console_out *co, const uint8_t *buf, size_t len);

/* console_out_dropped - bytes dropped so far (any thread). */
uint64_t console_out_dropped(const struct console_out *co);

/* console_out_fini - close what console_out_init() opened. */
void console_out_fini(struct console_out *co);

#endif
