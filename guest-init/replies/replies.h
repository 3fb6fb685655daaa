/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replies.h - what husk-init sends the host: OK and ERROR replies and events
 * (reply.c), queued on a connection's bounded output (conn.c). Used by the
 * request handlers and by the container code (WAIT replies, EXIT and OOM
 * events); calls nothing above it.
 */
#ifndef HUSK_INIT_REPLIES_H
#define HUSK_INIT_REPLIES_H

#include "guest-init/state/agent.h"

/* conn.c */
void conn_send(struct conn *c, unsigned int type, uint64_t id, const void *p, size_t len);
void conn_close(struct conn *c);
/* conn_take_fd - hand the socket to a stdio relay; the conn is freed later. */
int conn_take_fd(struct conn *c);
void conn_watch(struct conn *c);
void conn_flush(struct conn *c);

/* reply.c */
void reply_ok(struct conn *c, uint64_t id, yajl_gen g);
void reply_err(struct conn *c, uint64_t id, const struct husk_error *e);
void event_broadcast(struct agent *ag, unsigned int type, yajl_gen g);
yajl_gen reply_gen(void);

#endif
