// SPDX-License-Identifier: Apache-2.0
/*
 * dispatch.c - one decoded request to its handler, and the reply. Every
 * handler returns 0 (OK, with the fields it put in @g), DEFERRED (the
 * reply comes later: WAIT), or -errno with @e filled (ERROR).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "guest-init/replies/replies.h"
#include "guest-init/requests/requests.h"
#include "guest-init/requests/handlers.h"

static handler_fn *const handlers[] = {
	[HUSK_MSG_HELLO] = handle_hello,
	[HUSK_MSG_CREATE] = handle_create,
	[HUSK_MSG_START] = handle_start,
	[HUSK_MSG_EXEC] = handle_exec,
	[HUSK_MSG_SIGNAL] = handle_signal,
	[HUSK_MSG_WAIT] = handle_wait,
	[HUSK_MSG_CLOSE_STDIN] = handle_close_stdin,
	[HUSK_MSG_RESIZE_PTY] = handle_resize,
	[HUSK_MSG_STATS] = handle_stats,
	[HUSK_MSG_PIDS] = handle_pids,
	[HUSK_MSG_DELETE] = handle_delete,
	[HUSK_MSG_CONFIGURE_NETWORK] = handle_network,
	[HUSK_MSG_SHUTDOWN] = handle_shutdown,
	[HUSK_MSG_STDIO_BIND] = handle_bind,
	[HUSK_MSG_PAUSE] = handle_pause,
	[HUSK_MSG_RESUME] = handle_resume,
	[HUSK_MSG_UPDATE] = handle_update,
	[HUSK_MSG_PORT_CONNECT] = handle_port_connect,
	[HUSK_MSG_RELAY_STATUS] = handle_relay_status,
};

void dispatch(struct conn *c, const struct husk_agent_hdr *h, const uint8_t *payload)
{
	struct husk_error *e = NULL;
	struct amsg m;
	yajl_gen g;
	int ret;

	if (h->type >= sizeof(handlers) / sizeof(handlers[0]) || !handlers[h->type]) {
		husk_err(&e, EOPNOTSUPP, "message type %u (%s) is not a request", h->type,
			 husk_agent_type_name(h->type));
		reply_err(c, h->id, e);
		husk_error_free(e);
		return;
	}
	c->req_ns = husk_now_ns();
	ret = amsg_parse(h->type, payload, h->length, &m, &e);
	g = ret < 0 ? NULL : reply_gen();
	if (ret == 0 && !g)
		ret = husk_err(&e, ENOMEM, "reply");
	if (ret == 0)
		ret = handlers[h->type](c, h->id, &m, g, &e);
	amsg_free(&m);
	if (ret < 0) {
		reply_err(c, h->id, e);
		if (g)
			yajl_gen_free(g);
	} else if (ret == HANDLER_DEFERRED) {
		yajl_gen_free(g);
	} else if (ret != HANDLER_DONE) { /* HANDLER_DONE: it replied, and freed @g */
		reply_ok(c, h->id, g);
	}
	husk_error_free(e);
}
