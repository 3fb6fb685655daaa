// SPDX-License-Identifier: Apache-2.0
/* dump_lines.c - formatting the SIGUSR1 dump's lines (see dump_lines.h). */
#include <stdio.h>

#include "shim/base/dump_lines.h"

void dump_age(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	snprintf(buf, len, "%lld.%lld s", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
}

void dump_ttrpc_line(char *buf, size_t len, const char *method, uint32_t stream_id, int64_t age_ms)
{
	char age[32];

	dump_age(age, sizeof(age), age_ms);
	snprintf(buf, len, "dump: ttrpc %s (stream %u) running for %s", method, stream_id, age);
}

void dump_agent_line(char *buf, size_t len, const char *type, const char *subject, int64_t age_ms,
		     int deadline_ms)
{
	char age[32], deadline[32];

	dump_age(age, sizeof(age), age_ms);
	if (deadline_ms < 0)
		snprintf(deadline, sizeof(deadline), "no deadline");
	else
		snprintf(deadline, sizeof(deadline), "deadline %d s", (deadline_ms + 999) / 1000);
	snprintf(buf, len, "dump: agent %s%s%s waiting for husk-init for %s, %s", type,
		 *subject ? " for " : "", subject, age, deadline);
}

/* "pio com1 0x3f8-0x3ff", "mmio virtio2 0xd0002000", "hlt", "" for none. */
static void exit_name(char *buf, size_t len, const struct husk_vcpu_status *st)
{
	const char *range = "";

	if (st->exit_kind < 0) {
		buf[0] = '\0';
		return;
	}
	if (st->exit_kind == HUSK_VMEXIT_PIO && st->exit_range >= 0)
		range = husk_pio_range_string((unsigned int)st->exit_range);
	else if (st->exit_kind == HUSK_VMEXIT_MMIO && st->exit_range >= 0)
		range = husk_mmio_range_string((unsigned int)st->exit_range);
	snprintf(buf, len, "%s%s%s", husk_vmexit_kind_string((unsigned int)st->exit_kind),
		 *range ? " " : "", range);
}

void dump_vcpu_line(char *buf, size_t len, unsigned int index, const struct husk_vcpu_status *st,
		    uint64_t now_ns)
{
	const char *state = husk_vcpu_state_string(st->state);
	char age[32], exit[96];

	exit_name(exit, sizeof(exit), st);
	if (st->state == HUSK_VCPU_NOT_STARTED) {
		snprintf(buf, len, "dump: vcpu %u %s", index, state);
		return;
	}
	dump_age(age, sizeof(age),
		 now_ns > st->since_ns ? (int64_t)((now_ns - st->since_ns) / 1000000u) : 0);
	if (st->state == HUSK_VCPU_IN_EXIT)
		snprintf(buf, len, "dump: vcpu %u %s %s for %s", index, state, exit, age);
	else if (*exit)
		snprintf(buf, len, "dump: vcpu %u %s for %s (last exit: %s)", index, state, age,
			 exit);
	else
		snprintf(buf, len, "dump: vcpu %u %s for %s", index, state, age);
}

static const char *vsock_state_name(uint32_t state)
{
	static const char *const names[] = { "handshake", "connecting", "established", "dying" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

/* Names of the set bits of @bits, comma-separated; "none" when none is set. */
static void bit_names(char *buf, size_t len, uint32_t bits, const char *const *names,
		      unsigned int nr)
{
	size_t at = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < nr && at < len; i++)
		if (bits & (1u << i))
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "", names[i]);
	if (!at)
		snprintf(buf, len, "none");
}

void dump_vsock_line(char *buf, size_t len, const struct husk_vsock_conn_status *st)
{
	static const char *const flags[] = { "readable", "host-eof",   "host-hup",
					     "wr-shut",	 "waiting-rx", "from-guest" };
	static const char *const owed[] = { "request", "response", "shutdown", "credit", "rst" };
	uint32_t told = st->from_guest - st->fwd_cnt_sent;
	char f[96], o[64];

	bit_names(f, sizeof(f), st->flags, flags, 6);
	bit_names(o, sizeof(o), st->pending, owed, 5);
	snprintf(buf, len,
		 "dump: vsock %u->%u %s, flags %s, shut guest %u host %u: "
		 "guest->host %u B (to the host socket %u, told %u, queued %u of %u: guest sees %u "
		 "free); host->guest %u B (guest credit %u = buf %u, fwd %u); owed: %s",
		 st->host_port, st->guest_port, vsock_state_name(st->state), f, st->guest_shut,
		 st->host_shut, st->from_guest, st->fwd_cnt, st->fwd_cnt_sent, st->queued,
		 st->buf_alloc, told >= st->buf_alloc ? 0 : st->buf_alloc - told, st->to_guest,
		 st->guest_credit, st->guest_buf_alloc, st->guest_fwd_cnt, o);
}

void dump_queue_line(char *buf, size_t len, const char *device, unsigned int queue,
		     const struct husk_queue_status *st)
{
	char ev[64], own[128];

	if (!st->active) {
		snprintf(buf, len, "dump: queue %s.%u: not active", device, queue);
		return;
	}
	if (st->event_idx)
		snprintf(ev, sizeof(ev), " (event_idx: used_event %u, avail_event %u)",
			 st->used_event, st->avail_event);
	else
		snprintf(ev, sizeof(ev), " (flags: avail 0x%x, used 0x%x)", st->avail_flags,
			 st->used_flags);
	/* A vhost-user backend keeps its next index and takes the kicks itself. */
	if (st->external)
		snprintf(own, sizeof(own), " (vhost-user)%s", ev);
	else
		snprintf(own, sizeof(own), " next %u%s, %llu kicks", st->last_avail, ev,
			 (unsigned long long)st->kicks);
	snprintf(buf, len, "dump: queue %s.%u: avail %u used %u%s", device, queue, st->avail_idx,
		 st->used_idx, own);
}

void dump_stream_line(char *buf, size_t len, const char *subject, const char *stream, uint64_t read,
		      uint64_t written, const char *phase, int64_t age_ms)
{
	char age[32];

	dump_age(age, sizeof(age), age_ms);
	snprintf(buf, len, "dump: stdio %s %s: %llu B read, %llu B written, %s for %s", subject,
		 stream, (unsigned long long)read, (unsigned long long)written, phase, age);
}

/* What the stream waits on, in words; stdin flows the other way. */
static const char *relay_waits(const struct amsg_relay_stream *s)
{
	bool in = s->stream == 0;

	switch (s->state) {
	case AMSG_RELAY_UNBOUND:
		return "not bound yet (no STDIO_BIND)";
	case AMSG_RELAY_WAIT_SRC:
		return in ? "waiting for stdin bytes from the host" :
			    "waiting for the process to write";
	case AMSG_RELAY_WAIT_DST:
		return in ? "waiting for the process to read its stdin" :
			    "waiting for vsock credit (the host does not read)";
	case AMSG_RELAY_DRAINING:
		return "dropping output (the host's end is gone)";
	case AMSG_RELAY_CLOSED:
		return "closed";
	default:
		return "in an unknown state";
	}
}

void dump_relay_line(char *buf, size_t len, const struct amsg_relay_stream *s)
{
	snprintf(buf, len,
		 "dump: husk-init relay: %s%s%s pid %lld %s: moved %llu bytes, buffered %llu, "
		 "%s%s, last progress %lld ms ago",
		 s->id, s->exec_id[0] ? " exec " : "", s->exec_id, (long long)s->pid,
		 amsg_relay_stream_name(s->stream), (unsigned long long)s->moved,
		 (unsigned long long)s->buffered, relay_waits(s),
		 s->eof && s->state != AMSG_RELAY_CLOSED ? ", source at EOF" : "",
		 (long long)s->idle_ms);
}

void dump_relay_timeout_line(char *buf, size_t len)
{
	snprintf(buf, len,
		 "dump: husk-init relay: husk-init did not answer the relay query within %d s: "
		 "its control channel is blocked or the guest is stuck",
		 DUMP_RELAY_QUERY_MS / 1000);
}
