/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_net.h - the input format of fuzz_net.c, shared with the seed
 * writer (mkcorpus.c). Multi-byte operands are big-endian; a short input
 * reads as zeroes.
 *
 * Input: a config byte (FUZZ_NET_CFG_* bits: what the driver acks), a
 * byte of queue sizes (log2 of RX in the low nibble, of TX in the high,
 * each % 9), a start byte (FUZZ_NET_START_* bits), then up to
 * FUZZ_NET_MAX_OPS steps, each an opcode byte
 * (% FUZZ_NET_NR_OPS; bit 7 picks the queue, TX when set, where an
 * operand names one) and its operands:
 *
 *   DESC      idx(1) addr len(2) flags(1) next(1): raw descriptor in the queue's table
 *   INDIRECT  idx(1) addr len(2) flags(1) next(1): raw entry of the indirect table
 *   PUBLISH   head(2): put a head in the queue's avail ring
 *   AVAIL_IDX idx(2): jump the queue's avail.idx
 *   NOTIFY    value(1): QueueNotify with that value
 *   HOST      len(2) n(1) n bytes: the tap hands the device a len-byte frame
 *             (header included), its first n bytes (at most len) from the input
 *   TX        flags(1) gso(1) nseg(1) then nseg x len(3): a framed TX chain
 *   RX        nbufs(1) then nbufs x (nseg(1), nseg x len(2)): receive buffers
 *   EVENT     used_event(2) avail_flags(1): the queue's suppression fields
 *   RESET     cfg(1): reset, bring up again acking cfg
 *   ATTACH    (none): husk_vm_net_attach's path, virtio_net_attach(): gives
 *             a device started without a tap its tap; refused (-EBUSY) once
 *             it has one
 *
 * addr: one byte kind, then 2 bytes (in the data window, or below the end
 * of RAM) or 8 bytes (anything).
 */
#ifndef HUSK_TESTS_FUZZ_NET_H
#define HUSK_TESTS_FUZZ_NET_H

enum fuzz_net_op {
	FUZZ_NET_DESC,
	FUZZ_NET_INDIRECT,
	FUZZ_NET_PUBLISH,
	FUZZ_NET_AVAIL_IDX,
	FUZZ_NET_NOTIFY,
	FUZZ_NET_HOST,
	FUZZ_NET_TX,
	FUZZ_NET_RX,
	FUZZ_NET_EVENT,
	FUZZ_NET_RESET,
	FUZZ_NET_ATTACH,
	FUZZ_NET_NR_OPS
};

#define FUZZ_NET_OP_TXQ 0x80 /* opcode bit: the operation is on the TX queue */

/* Config byte: features the driver acks (the device offers them all). */
#define FUZZ_NET_CFG_INDIRECT	0x01
#define FUZZ_NET_CFG_EVENT_IDX	0x02
#define FUZZ_NET_CFG_CSUM	0x04
#define FUZZ_NET_CFG_HOST_TSO4	0x08
#define FUZZ_NET_CFG_HOST_TSO6	0x10
#define FUZZ_NET_CFG_HOST_ECN	0x20
#define FUZZ_NET_CFG_GUEST_CSUM 0x40
#define FUZZ_NET_CFG_GUEST_TSO4 0x80

/* Start byte: the device is created without a tap (link down) until ATTACH. */
#define FUZZ_NET_START_NO_TAP 0x01

#define FUZZ_NET_MAX_OPS 512

/* Guest addresses: the indirect table, and the window buffers come from. */
#define FUZZ_NET_INDIRECT_GPA 0x100000ULL
#define FUZZ_NET_DATA	      0x200000ULL

#endif
