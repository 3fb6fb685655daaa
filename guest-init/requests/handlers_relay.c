// SPDX-License-Identifier: Apache-2.0
/*
 * handlers_relay.c - RELAY_STATUS: every stdio stream of every process
 * husk-init keeps, from the counters its relays keep (stdio/streams.h).
 * Nothing here touches a stream's fds, so a stalled stream cannot delay
 * the answer; at most HUSK_AGENT_MAX_RELAY_STREAMS entries, "total" and
 * "truncated" say when there were more.
 */
#include <string.h>

#include "common/clock.h"
#include "guest-init/requests/handlers.h"

/* @p's streams into @g while entries are left; returns how many it has. */
static int relay_proc(const struct proc *p, int64_t now, yajl_gen g, int room)
{
	struct amsg_relay_stream st;
	int idx, n = 0;

	for (idx = 0; idx < STREAM_N; idx++) {
		memset(&st, 0, sizeof(st));
		if (!streams_status(&p->io, idx, now, &st))
			continue;
		if (n++ >= room)
			continue;
		memcpy(st.id, p->c->id, sizeof(st.id));
		memcpy(st.exec_id, p->exec_id, sizeof(st.exec_id));
		st.pid = p->pid;
		amsg_relay_write_stream(g, &st);
	}
	return n;
}

int handle_relay_status(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g,
			struct husk_error **e)
{
	int64_t now = husk_now_ms();
	struct list *kpos, *ktmp, *ppos, *ptmp;
	int total = 0, room;

	json_write_key(g, "streams");
	yajl_gen_array_open(g);
	list_for_each_safe(kpos, ktmp, &c->ag->containers) {
		struct container *k = container_of(kpos, struct container, link);

		list_for_each_safe(ppos, ptmp, &k->procs) {
			room = HUSK_AGENT_MAX_RELAY_STREAMS - total;
			total += relay_proc(container_of(ppos, struct proc, link), now, g,
					    room < 0 ? 0 : room);
		}
	}
	yajl_gen_array_close(g);
	json_write_int(g, "total", total);
	json_write_bool(g, "truncated", total > HUSK_AGENT_MAX_RELAY_STREAMS);
	return 0;
}
