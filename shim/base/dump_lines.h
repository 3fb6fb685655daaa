/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dump_lines.h - the lines of the shim's SIGUSR1 dump (what it is waiting
 * on: see cmd_daemon.c), formatted here without touching any live object
 * so the format is tested on its own. Every line starts with "dump: ",
 * so `grep 'msg="dump: '` finds a dump in containerd's log.
 */
#ifndef HUSK_SHIM_BASE_DUMP_LINES_H
#define HUSK_SHIM_BASE_DUMP_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "agent-codec/agent_relay_msg.h"
#include "husk.h"

#define DUMP_LINE_MAX 512

/* dump_age - @ms as seconds with one decimal, "612.3 s" (negative: 0). */
void dump_age(char *buf, size_t len, int64_t ms);

/* dump_ttrpc_line - "dump: ttrpc Pause (stream 7) running for 612.3 s". */
void dump_ttrpc_line(char *buf, size_t len, const char *method, uint32_t stream_id, int64_t age_ms);

/*
 * dump_agent_line - "dump: agent PAUSE for c4 waiting for husk-init for
 * 612.3 s, deadline 30 s" (@subject "" leaves out " for ..."; @deadline_ms
 * < 0 says "no deadline").
 */
void dump_agent_line(char *buf, size_t len, const char *type, const char *subject, int64_t age_ms,
		     int deadline_ms);

/*
 * dump_vcpu_line - vCPU @index's @st as seen at @now_ns (CLOCK_MONOTONIC):
 * "dump: vcpu 0 paused for 3.2 s (last exit: interrupted)",
 * "dump: vcpu 0 in exit pio com1 0x3f8-0x3ff for 612.0 s",
 * "dump: vcpu 1 in guest for 0.1 s (last exit: hlt)", "dump: vcpu 2 not started".
 */
void dump_vcpu_line(char *buf, size_t len, unsigned int index, const struct husk_vcpu_status *st,
		    uint64_t now_ns);

/*
 * dump_vsock_line - one vsock connection, the bytes each way with the
 * credit the two sides were told (virtio 1.2 5.10.6.3):
 * "dump: vsock 1073741824->1024 established, flags readable:
 *  guest->host 1048576 B (to the host socket 786432, told 786432, queued
 *  262144 of 262144: guest sees 0 free); host->guest 0 B (guest credit
 *  262144 = buf 262144, fwd 0); owed: credit".
 */
void dump_vsock_line(char *buf, size_t len, const struct husk_vsock_conn_status *st);

/*
 * dump_queue_line - queue @queue of @device: "dump: queue vsock.1: avail
 * 5120 used 5118 next 5118 (event_idx: used_event 5117, avail_event 5118),
 * 2200 kicks"; a vhost-user ring says "(vhost-user)" instead of next and
 * kicks; an inactive one "dump: queue fs0.0: not active".
 */
void dump_queue_line(char *buf, size_t len, const char *device, unsigned int queue,
		     const struct husk_queue_status *st);

/*
 * dump_stream_line - a stdio relay of the shim: "dump: stdio c1 stdout:
 * 1048576 B read, 1015808 B written, writing for 12.0 s" (@phase
 * "waiting", "reading", "writing", "done"; @subject is the container and
 * exec).
 */
void dump_stream_line(char *buf, size_t len, const char *subject, const char *stream, uint64_t read,
		      uint64_t written, const char *phase, int64_t age_ms);

/*
 * dump_relay_line - a stream of husk-init's stdio relay, from RELAY_STATUS:
 * "dump: husk-init relay: c1 exec e1 pid 42 stdout: moved 1048576 bytes,
 * buffered 16384, waiting for vsock credit (the host does not read),
 * last progress 1234 ms ago" (", source at EOF" before the age once the
 * process closed its end; the container's init has no " exec ...").
 */
void dump_relay_line(char *buf, size_t len, const struct amsg_relay_stream *s);

/* The RELAY_STATUS query's deadline, which its timeout line names. */
#define DUMP_RELAY_QUERY_MS 2000

/*
 * dump_relay_timeout_line - "dump: husk-init relay: husk-init did not answer
 * the relay query within 2 s: its control channel is blocked or the guest
 * is stuck".
 */
void dump_relay_timeout_line(char *buf, size_t len);

#endif
