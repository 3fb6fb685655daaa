/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_relay_msg.h - the RELAY_STATUS reply of include/husk_agent.h:
 * husk-init's stdio relays, one entry per stream of a process. husk-init
 * writes each entry with amsg_relay_write_stream(); the shim decodes the
 * whole reply with amsg_relay_parse() (the fuzz harness drives
 * amsg_relay_decode(), the same checks from raw bytes). This part knows
 * nothing of the requests.
 */
#ifndef HUSK_AGENT_CODEC_RELAY_MSG_H
#define HUSK_AGENT_CODEC_RELAY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent-codec/json.h"
#include "common/error.h"
#include "husk_agent.h"

/* What a stream waits on, as "state" names it on the wire. */
enum amsg_relay_state {
	AMSG_RELAY_UNBOUND,  /* no STDIO_BIND yet */
	AMSG_RELAY_WAIT_SRC, /* buffer empty: waits for its source */
	AMSG_RELAY_WAIT_DST, /* destination said EAGAIN (no credit, full pipe) */
	AMSG_RELAY_DRAINING, /* destination gone: output read and dropped */
	AMSG_RELAY_CLOSED,   /* the relay ended */
	AMSG_RELAY_NSTATES
};

struct amsg_relay_stream {
	char id[HUSK_AGENT_MAX_ID + 1];
	char exec_id[HUSK_AGENT_MAX_ID + 1]; /* "" = the container's init */
	int64_t pid;
	int stream; /* 0 stdin, 1 stdout, 2 stderr */
	enum amsg_relay_state state;
	bool eof;	   /* the source ended */
	uint64_t moved;	   /* bytes written to the destination */
	uint64_t buffered; /* bytes read and not yet written */
	int64_t idle_ms;   /* since the last byte moved (or the set-up) */
};

struct amsg_relay_status {
	struct amsg_relay_stream s[HUSK_AGENT_MAX_RELAY_STREAMS];
	size_t n;
	int64_t total;	/* streams husk-init has, n of them above */
	bool truncated; /* total > n */
};

/* amsg_relay_state_name - "unbound", "waiting_source", ...; "?" if none. */
const char *amsg_relay_state_name(enum amsg_relay_state st);
/* amsg_relay_stream_name - "stdin", "stdout", "stderr"; "?" if none. */
const char *amsg_relay_stream_name(int stream);

/* amsg_relay_write_stream - @s as one JSON object, into the open array of @g. */
void amsg_relay_write_stream(yajl_gen g, const struct amsg_relay_stream *s);

/*
 * amsg_relay_parse - the reply tree @v into @out (self-contained: no
 * pointer into @v). 0, or -EINVAL with @e naming the bad entry and field
 * ("streams[2]: \"state\" \"stuck\" is not a relay state").
 */
int amsg_relay_parse(yajl_val v, struct amsg_relay_status *out, struct husk_error **e);

/* amsg_relay_decode - the same from @len bytes of JSON @payload ("" = {}). */
int amsg_relay_decode(const char *payload, size_t len, struct amsg_relay_status *out,
		      struct husk_error **e);

#endif
