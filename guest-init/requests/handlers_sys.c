// SPDX-License-Identifier: Apache-2.0
/* handlers_sys.c - requests about the agent and the VM, and stdio binding. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "guest-init/requests/handlers.h"
#include "guest-init/container/container.h"
#include "guest-init/replies/replies.h"
#include "guest-init/system/system.h"

#ifndef HUSK_VERSION
#define HUSK_VERSION "unknown"
#endif

int handle_hello(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	const char *p, *q;

	if (m->version && m->version != HUSK_AGENT_VERSION)
		return husk_err(e, EPROTONOSUPPORT, "protocol version %lld (husk-init speaks %d)",
				(long long)m->version, HUSK_AGENT_VERSION);
	c->hello = true;
	json_write_int(g, "version", HUSK_AGENT_VERSION);
	json_write_string(g, "agent", "husk-init " HUSK_VERSION);
	json_write_string(g, "mode", c->ag->vm ? "vm" : "test");
	json_write_bool(g, "cgroup", c->ag->cg_root[0] != '\0');
	json_write_key(g, "controllers");
	yajl_gen_array_open(g);
	for (p = c->ag->cg_ctrls; *p; p = *q ? q + 1 : q) {
		q = p + strcspn(p, " ");
		if (q > p)
			yajl_gen_string(g, (const unsigned char *)p, (size_t)(q - p));
	}
	yajl_gen_array_close(g);
	return 0;
}

int handle_network(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	return netconf_apply(c->ag->etc_dir, &m->net, e);
}

/*
 * The containers go and the file systems are synced before the reply,
 * which says so: a host that has it loses nothing if it stops the VM
 * then. (The shim still lets the guest reboot: sandbox_boot.c says why.)
 */
int handle_shutdown(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	container_delete_all(c->ag);
	json_write_bool(g, "synced", true);
	c->ag->shutdown = true; /* the loop replies first, then powers off */
	return 0;
}

/* Validate, reply OK while the connection still speaks frames, then hand
 * the socket to the stream's relay: from here on it is raw bytes. */
int handle_bind(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);
	struct proc *p = k ? container_proc(k, m->exec_id) : NULL;
	int idx = streams_index(m->stream);
	struct husk_error *ignored = NULL;

	if (!p)
		return husk_err(e, ENOENT, "process %s/%s", m->id, m->exec_id);
	if (!p->io.want[idx] || p->io.bound[idx] || p->state == PROC_EXITED)
		return husk_err(e, EBUSY, "%s of %s/%s is not waiting for a connection", m->stream,
				m->id, m->exec_id);
	reply_ok(c, id, g);
	if (c->out_len) {
		/* a fresh socket cannot be this full; refuse rather than mix */
		c->closing = true;
		return HANDLER_DONE;
	}
	if (streams_bind(c->ag->epfd, &p->io, idx, conn_take_fd(c), &ignored) < 0)
		log_err(ignored, "stdio bind");
	husk_error_free(ignored);
	return HANDLER_DONE;
}
