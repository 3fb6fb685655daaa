// SPDX-License-Identifier: Apache-2.0
/* reply.c - OK and ERROR replies and events, as JSON payloads. */
#include <errno.h>
#include <string.h>

#include "guest-init/replies/replies.h"

/* A generator with the payload's top-level map already open. */
yajl_gen reply_gen(void)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g)
		yajl_gen_map_open(g);
	return g;
}

static void reply_send(struct conn *c, unsigned int type, uint64_t id, yajl_gen g)
{
	const unsigned char *buf;
	size_t len;

	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		conn_send(c, type, id, buf, len);
	yajl_gen_free(g);
}

void reply_ok(struct conn *c, uint64_t id, yajl_gen g)
{
	reply_send(c, HUSK_MSG_OK, id, g);
}

void reply_err(struct conn *c, uint64_t id, const struct husk_error *e)
{
	yajl_gen g = reply_gen();

	if (!g) {
		/* no memory for JSON: a bare ERROR still tells the host */
		conn_send(c, HUSK_MSG_ERROR, id, NULL, 0);
		return;
	}
	json_write_int(g, "errno", husk_error_errno(e) ? husk_error_errno(e) : EINVAL);
	json_write_string(g, "message", e ? husk_error_message(e) : "");
	reply_send(c, HUSK_MSG_ERROR, id, g);
}

void event_broadcast(struct agent *ag, unsigned int type, yajl_gen g)
{
	const unsigned char *buf;
	struct list *pos, *tmp;
	size_t len;

	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
		list_for_each_safe(pos, tmp, &ag->conns) {
			struct conn *c = container_of(pos, struct conn, link);

			if (c->hello && !c->closing)
				conn_send(c, type, 0, buf, len);
		}
	}
	yajl_gen_free(g);
}
