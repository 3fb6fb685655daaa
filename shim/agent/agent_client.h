/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_client.h - the shim's side of include/husk_agent.h: one control
 * connection to husk-init with a reader thread, so requests from several
 * ttrpc threads share it and events (EXIT, OOM) arrive while no request
 * is waiting; plus the one-shot handshakes of a stream connection
 * (STDIO_BIND, PORT_CONNECT).
 *
 * The caller makes the connected socket (vsock through libhusk, or a Unix
 * socket in tests) and hands it over; the client owns it from then on.
 */
#ifndef HUSK_SHIM_AGENT_AGENT_CLIENT_H
#define HUSK_SHIM_AGENT_AGENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "agent-codec/agent_socket.h"
#include "husk_agent.h"

struct husk_error;
struct agent_client;

/*
 * agent_event_fn - an event (HUSK_MSG_EVENT_*) with its parsed payload
 * (valid during the call only), or type 0 and NULL once the connection
 * ended. Runs on the reader thread; it may call agent_call() (the reader
 * does not wait for it) but must not free the client.
 */
typedef void agent_event_fn(void *opaque, uint16_t type, yajl_val payload);

/*
 * agent_client_new - take @fd, say HELLO (within @timeout_ms) and start
 * the reader. Returns 0, or -errno with *err set (@fd is closed then).
 */
int agent_client_new(int fd, agent_event_fn *fn, void *opaque, int timeout_ms,
		     struct agent_client **out, struct husk_error **err);

/*
 * agent_call - send request @type with @json ("" or NULL: {}) and wait for
 * its reply, both within @timeout_ms (< 0: the reply for ever, sending up
 * to 30 s). On OK returns 0 and, when @reply is not NULL, the parsed reply
 * (free with yajl_tree_free; may be NULL for {}). An ERROR reply returns
 * -errno of the reply with its message in *err; a dead connection
 * -ECONNRESET; no reply in time -ETIMEDOUT with "husk-init did not answer
 * PAUSE for c1 within 30 s" (the request's "id" and "exec_id" name it). A
 * guest that reads nothing fails it with -ETIMEDOUT and "send CREATE for
 * c1 to husk-init: timed out after 60000 ms"; when part of the frame went
 * out the connection is closed as well (the stream is broken). A reply
 * that comes after the deadline is dropped with a warning: the guest may
 * have done what was asked although the caller was told it failed.
 */
int agent_call(struct agent_client *c, uint16_t type, const char *json, int timeout_ms,
	       yajl_val *reply, struct husk_error **err);

/*
 * agent_deadline_ms - how long a request of @type may wait for its answer
 * (agent_call's @timeout_ms), -1 for none: WAIT answers only when its
 * process exits. Other requests answer at once, or after mounts (CREATE,
 * DELETE) and links (CONFIGURE_NETWORK); the table in agent_client.c
 * says why each value.
 */
int agent_deadline_ms(uint16_t type);

/* agent_subject - whom request @json is about, from its "id" and
 * "exec_id": "c1", "c1 exec e1", or "" (into @buf of @len). */
void agent_subject(const char *json, char *buf, size_t len);

#define AGENT_SUBJECT_MAX 160

/* One request waiting for its answer (agent_client_waits). */
struct agent_wait_info {
	uint16_t type;			 /* HUSK_MSG_* */
	char subject[AGENT_SUBJECT_MAX]; /* as agent_subject() */
	int64_t age_ms;			 /* since it was sent */
};

/*
 * agent_client_waits - the requests waiting for husk-init's answer now,
 * newest first: up to @max into @out. Returns how many there are (may be
 * more than @max). Takes only the client's own lock, which nobody holds
 * while waiting: safe while requests are stuck.
 */
size_t agent_client_waits(struct agent_client *c, struct agent_wait_info *out, size_t max);

/*
 * agent_client_hangup - close both directions of the connection, keeping
 * the object for agent_client_free(); later calls fail with ECONNRESET.
 * After SHUTDOWN's reply: husk-init waits (up to 1 s) for the host to
 * close before it powers off, so that its reply is not lost in the vsock
 * queues; hanging up at once ends that wait.
 */
void agent_client_hangup(struct agent_client *c);

/*
 * agent_client_free - the owner's end: close the connection, join the
 * reader, fail waiters. The memory (and the fd) goes when the last
 * agent_client_hold() is released as well.
 */
void agent_client_free(struct agent_client *c);

/*
 * agent_client_hold - keep @c's memory for a thread that calls agent_call()
 * while the owner may free it (the SIGUSR1 dump's relay query); after the
 * owner's agent_client_free() such calls fail with ECONNRESET. Each hold
 * ends with agent_client_release().
 */
void agent_client_hold(struct agent_client *c);
void agent_client_release(struct agent_client *c);

/*
 * agent_stdio_bind - make connected socket @fd the @stream ("stdin",
 * "stdout", "stderr") of process @id/@exec_id (NULL: init). Returns 0
 * once husk-init said OK (from then on @fd carries raw bytes), or -errno.
 */
int agent_stdio_bind(int fd, const char *id, const char *exec_id, const char *stream,
		     int timeout_ms, struct husk_error **err);

/*
 * agent_stdio_bind_send, agent_stdio_bind_reply - agent_stdio_bind in two
 * halves, each within its own @timeout_ms, so that a process's streams
 * are bound in one round trip: every request sent, then every reply read.
 */
int agent_stdio_bind_send(int fd, const char *id, const char *exec_id, const char *stream,
			  int timeout_ms, struct husk_error **err);
int agent_stdio_bind_reply(int fd, const char *id, const char *exec_id, const char *stream,
			   int timeout_ms, struct husk_error **err);

/*
 * agent_port_connect - make connected socket @fd a TCP relay to port @port
 * of the guest's loopback (PORT_CONNECT). Returns 0 once husk-init said OK
 * (from then on @fd carries raw bytes both ways), or -errno; an ERROR
 * reply gives its errno with the guest's message in *err.
 */
int agent_port_connect(int fd, unsigned int port, int timeout_ms, struct husk_error **err);

/*
 * agent_request_once - send request @type with @json on @fd and read its
 * reply, both within @timeout_ms (< 0: for ever): the one request of a
 * handshake (HELLO, STDIO_BIND, PORT_CONNECT). Returns 0 on OK with the
 * reply's payload in *@payload (free it), or -errno with *err naming
 * @what: "send HELLO to husk-init: timed out after 5000 ms" when husk-init
 * reads nothing, an ERROR reply's errno and message.
 */
int agent_request_once(int fd, uint16_t type, const char *json, int timeout_ms, const char *what,
		       char **payload, struct husk_error **err);

/*
 * agent_request_send, agent_request_reply - agent_request_once in two
 * halves, each within its own @timeout_ms (< 0: for ever), with its errors.
 */
int agent_request_send(int fd, uint16_t type, const char *json, int timeout_ms, const char *what,
		       struct husk_error **err);
int agent_request_reply(int fd, int timeout_ms, const char *what, char **payload,
			struct husk_error **err);

/* agent_reply_error - the errno and message of an ERROR payload, as *err. */
int agent_reply_error(const char *what, const char *payload, struct husk_error **err);

#endif
