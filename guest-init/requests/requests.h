/* SPDX-License-Identifier: Apache-2.0 */
/*
 * requests.h - the host's requests: listening and reading frames
 * (conn_read.c), decoding and handing each to its handler (dispatch.c).
 * main() calls conn_listen(); the rest runs from the event loop.
 */
#ifndef HUSK_INIT_REQUESTS_H
#define HUSK_INIT_REQUESTS_H

#include "guest-init/state/agent.h"

/* conn_read.c */
int conn_listen(struct agent *ag, struct husk_error **e);

/* dispatch.c */
void dispatch(struct conn *c, const struct husk_agent_hdr *h, const uint8_t *payload);

#endif
