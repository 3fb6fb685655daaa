/* SPDX-License-Identifier: Apache-2.0 */
/* handlers.h - request handlers, one per message type (handlers*.c). */
#ifndef HUSK_INIT_HANDLERS_H
#define HUSK_INIT_HANDLERS_H

#include "guest-init/state/agent.h"

#define HANDLER_DEFERRED 1 /* the reply is sent later (WAIT, PORT_CONNECT) */
#define HANDLER_DONE	 2 /* the handler replied itself (STDIO_BIND) */

typedef int handler_fn(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g,
		       struct husk_error **e);

handler_fn handle_hello, handle_create, handle_start, handle_exec, handle_signal, handle_wait,
	handle_close_stdin, handle_resize, handle_stats, handle_pids, handle_delete, handle_network,
	handle_shutdown, handle_bind, handle_pause, handle_resume, handle_update,
	handle_port_connect, handle_relay_status;

#endif
