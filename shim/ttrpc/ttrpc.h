/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc.h - ttrpc over Unix stream sockets: frames, a concurrent server
 * and a client. This is the transport containerd uses to call the shim
 * (Task service) and the shim uses to call containerd (Events.Forward).
 *
 * Frame: a TTRPC_HDR_SIZE-byte big-endian header (data length u32, stream
 * id u32, type u8, flags u8) and then `length` bytes of data. Data is a
 * protobuf ttrpc.Request (type 1) or ttrpc.Response (type 2), at most
 * TTRPC_MAX_DATA bytes; the length is checked before anything is
 * allocated. Only unary calls exist (ttrpc 1.1, containerd 1.6): frames
 * of other types are skipped, as ttrpc 1.1 does.
 *
 * Threads. The server runs one accept thread, one reader thread per
 * connection and one thread per request, so a handler that blocks (Task
 * Wait) never delays another request, on the same connection or not.
 * Replies go out in completion order, each with its request's stream id,
 * and a per-connection lock keeps each frame whole. Handlers run on their
 * request's thread and must be thread-safe.
 */
#ifndef HUSK_SHIM_TTRPC_TTRPC_H
#define HUSK_SHIM_TTRPC_TTRPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct husk_error;

#define TTRPC_HDR_SIZE	   10
#define TTRPC_MAX_DATA	   (4u << 20) /* 4 MiB, ttrpc's messageLengthMax */
#define TTRPC_MAX_INFLIGHT 256	      /* requests in progress per connection */
#define TTRPC_NS_KEY	   "containerd-namespace-ttrpc"

enum ttrpc_frame_type {
	TTRPC_TYPE_REQUEST = 1,
	TTRPC_TYPE_RESPONSE = 2,
	TTRPC_TYPE_DATA = 3, /* ttrpc >= 1.2 streams; skipped */
};

/* gRPC status codes, as google.rpc.Status.code carries them. */
enum ttrpc_code {
	TTRPC_OK = 0,
	TTRPC_CANCELLED = 1,
	TTRPC_UNKNOWN = 2,
	TTRPC_INVALID_ARGUMENT = 3,
	TTRPC_DEADLINE_EXCEEDED = 4,
	TTRPC_NOT_FOUND = 5,
	TTRPC_ALREADY_EXISTS = 6,
	TTRPC_PERMISSION_DENIED = 7,
	TTRPC_RESOURCE_EXHAUSTED = 8,
	TTRPC_FAILED_PRECONDITION = 9,
	TTRPC_ABORTED = 10,
	TTRPC_OUT_OF_RANGE = 11,
	TTRPC_UNIMPLEMENTED = 12,
	TTRPC_INTERNAL = 13,
	TTRPC_UNAVAILABLE = 14,
	TTRPC_DATA_LOSS = 15,
	TTRPC_UNAUTHENTICATED = 16,
};

struct ttrpc_hdr {
	uint32_t length;
	uint32_t stream_id;
	uint8_t type;
	uint8_t flags;
};

/* ---- frames (ttrpc_frame.c) ---- */

void ttrpc_hdr_pack(const struct ttrpc_hdr *h, uint8_t buf[TTRPC_HDR_SIZE]);
void ttrpc_hdr_unpack(const uint8_t buf[TTRPC_HDR_SIZE], struct ttrpc_hdr *h);

/*
 * ttrpc_read_frame - read one frame from @fd into *@h and *@data (malloc'd,
 * NULL when the length is 0; the caller frees it).
 * Returns 1 for a frame, 0 for end of stream at a frame boundary,
 * -EMSGSIZE when the length exceeds TTRPC_MAX_DATA (the data has been read
 * and dropped, so the stream is still in step and *@h says which stream to
 * answer), -EPROTO for end of stream inside a frame, or another -errno.
 */
int ttrpc_read_frame(int fd, struct ttrpc_hdr *h, uint8_t **data);

/*
 * ttrpc_write_frame - write header and @len bytes of @data in full (the
 * header's length field is set from @len). The caller serialises writers
 * of one socket. Never raises SIGPIPE. Returns 0 or -errno.
 */
int ttrpc_write_frame(int fd, uint32_t stream_id, uint8_t type, const void *data, size_t len);

/* ---- status codes (ttrpc_status.c) ---- */

/* ttrpc_code_name - "NOT_FOUND" etc.; "CODE_<n>" style text for others. */
const char *ttrpc_code_name(int code);

/*
 * ttrpc_code_from_errno - the status a handler returns for a negative (or
 * positive) errno from lower layers: ENOENT/ESRCH -> NOT_FOUND, EEXIST ->
 * ALREADY_EXISTS, EINVAL -> INVALID_ARGUMENT, EBUSY/EPERM/EALREADY ->
 * FAILED_PRECONDITION, ENOSYS/ENOTSUP -> UNIMPLEMENTED, ETIMEDOUT ->
 * DEADLINE_EXCEEDED, ECANCELED -> CANCELLED, EAGAIN/ECONNRESET/EPIPE ->
 * UNAVAILABLE, ENOSPC/EDQUOT -> RESOURCE_EXHAUSTED, other -> INTERNAL.
 */
int ttrpc_code_from_errno(int err);

/*
 * ttrpc_pack - protobuf-encode @msg into a malloc'd buffer (*@buf is never
 * NULL on success, even for an empty message). Returns 0 or -ENOMEM.
 */
int ttrpc_pack(const ProtobufCMessage *msg, uint8_t **buf, size_t *len);

/* ---- server (ttrpc_server.c) ---- */

struct ttrpc_call {
	const char *service;
	const char *method;
	const uint8_t *payload;
	size_t payload_len;
	int64_t timeout_nano; /* caller's deadline; 0 = none */
	const char *ns;	      /* TTRPC_NS_KEY metadata, "" if absent */
	uint32_t stream_id;
};

/* What a handler fills in; the server frees message and payload. */
struct ttrpc_reply {
	int code;	  /* enum ttrpc_code */
	char *message;	  /* malloc'd, or NULL */
	uint8_t *payload; /* malloc'd, or NULL; ignored on error */
	size_t payload_len;
};

typedef void ttrpc_handler_fn(void *opaque, const struct ttrpc_call *call,
			      struct ttrpc_reply *reply);

struct ttrpc_method {
	const char *name; /* "Create" */
	ttrpc_handler_fn *fn;
};

/* ttrpc_reply_msg - success with @msg as payload (INTERNAL if packing fails). */
void ttrpc_reply_msg(struct ttrpc_reply *reply, const ProtobufCMessage *msg);

/* ttrpc_reply_error - fail with @code and a printf-style message. */
void ttrpc_reply_error(struct ttrpc_reply *reply, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct ttrpc_server;

int ttrpc_server_new(struct ttrpc_server **out, struct husk_error **err);

/*
 * ttrpc_server_register - serve @service ("containerd.task.v2.Task") with
 * @methods (the array must outlive the server). @opaque goes to every
 * handler. Register before ttrpc_server_start(). Returns 0 or -ENOMEM.
 */
int ttrpc_server_register(struct ttrpc_server *srv, const char *service,
			  const struct ttrpc_method *methods, size_t n, void *opaque);

/*
 * ttrpc_server_start - serve connections accepted on @listen_fd (a
 * listening AF_UNIX stream socket; ownership passes to the server, which
 * closes it in ttrpc_server_shutdown()). Peers must have the server's
 * euid and egid (SO_PEERCRED), as containerd's own ttrpc servers demand.
 */
int ttrpc_server_start(struct ttrpc_server *srv, int listen_fd, struct husk_error **err);

#define TTRPC_METHOD_MAX 64

/* A request whose handler runs (ttrpc_server_inflight). */
struct ttrpc_inflight {
	char method[TTRPC_METHOD_MAX]; /* "Pause" (cut to fit) */
	uint32_t stream_id;
	int64_t age_ms; /* since its handler started */
};

/*
 * ttrpc_server_inflight - the requests whose handlers run now, newest
 * first: up to @max into @out. Returns how many there are (may be more
 * than @max). Takes only the server's lock, which no handler holds:
 * safe while handlers are stuck.
 */
size_t ttrpc_server_inflight(struct ttrpc_server *srv, struct ttrpc_inflight *out, size_t max);

/*
 * ttrpc_server_drain - stop accepting new connections and wait up to
 * @timeout_ms until no request is in progress, so replies already being
 * made (Shutdown's own) reach the peer. Returns 0 or -ETIMEDOUT.
 */
int ttrpc_server_drain(struct ttrpc_server *srv, int timeout_ms);

/*
 * ttrpc_server_shutdown - stop accepting, close the listener and shut down
 * every connection. Handlers still running finish and their replies are
 * dropped. Does not wait; idempotent.
 */
void ttrpc_server_shutdown(struct ttrpc_server *srv);

/*
 * ttrpc_server_free - shut down (if not yet) and wait until every
 * connection and request thread has ended, then free. A handler blocked
 * forever (a Wait nobody releases) blocks this too: release such
 * handlers first (shim_tasks_cancel_waits()).
 */
void ttrpc_server_free(struct ttrpc_server *srv);

/* ---- client (ttrpc_client.c) ---- */

struct ttrpc_client;

/* Outcome of one call; free with ttrpc_result_clear(). */
struct ttrpc_result {
	int code;      /* status code from the server */
	char *message; /* status message, or NULL */
	uint8_t *payload;
	size_t payload_len;
};

/*
 * ttrpc_client_connect - connect to the Unix socket at @path ("unix://"
 * prefix allowed). @ns, if not NULL, is sent as TTRPC_NS_KEY metadata on
 * every call. The client runs one reader thread; calls may be made from
 * many threads at once and are matched to replies by stream id.
 */
int ttrpc_client_connect(const char *path, const char *ns, struct ttrpc_client **out,
			 struct husk_error **err);

/*
 * ttrpc_client_call - one unary call. @timeout_ms < 0 waits forever.
 * Returns 0 when a reply arrived (look at res->code), -ETIMEDOUT,
 * -EPIPE when the connection is gone, or another -errno.
 */
int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
		      const ProtobufCMessage *req, int timeout_ms, struct ttrpc_result *res);

/* ttrpc_client_call_raw - as above with an already encoded payload. */
int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
			  const uint8_t *payload, size_t len, int timeout_ms,
			  struct ttrpc_result *res);

/* ttrpc_client_alive - false once the server closed the connection. */
int ttrpc_client_alive(struct ttrpc_client *c);

void ttrpc_result_clear(struct ttrpc_result *res);
void ttrpc_client_free(struct ttrpc_client *c);

/* ttrpc_unix_path - @addr without a "unix://" prefix (a pointer into @addr). */
const char *ttrpc_unix_path(const char *addr);

#endif
