// SPDX-License-Identifier: Apache-2.0
/*
 * test_shim_ttrpc.c - shim/ttrpc_*.c: frame encoding, partial reads,
 * the 4 MiB limit, stream ids, envelope errors, status codes, concurrent
 * out-of-order replies, and a server that survives malformed input.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/lib/shim_harness.h"
#include "tests/lib/unit.h"

#define SVC "test.Svc"

static char dir[64], sock[128];
static struct ttrpc_server *srv;

static void echo(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;

	any.type_url = (char *)call->ns;
	any.value.data = (uint8_t *)call->payload;
	any.value.len = call->payload_len;
	ttrpc_reply_msg(reply, &any.base);
}

static void slow(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	usleep(400 * 1000);
	ttrpc_reply_error(reply, TTRPC_NOT_FOUND, "slow %s", "reply");
}

static int unblock[2]; /* a byte on the pipe releases one Block */

static void block(void *opaque, const struct ttrpc_call *call, struct ttrpc_reply *reply)
{
	char b;

	ck_assert_int_eq(read(unblock[0], &b, 1), 1);
	ttrpc_reply_error(reply, TTRPC_ABORTED, "released");
}

static const struct ttrpc_method methods[] = { { "Echo", echo },
					       { "Slow", slow },
					       { "Block", block } };

static void setup(void)
{
	int fd;

	strcpy(dir, "/tmp/husk-ttrpc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	ck_assert_int_eq(ttrpc_server_new(&srv, NULL), 0);
	ck_assert_int_eq(ttrpc_server_register(srv, SVC, methods, 3, NULL), 0);
	ck_assert_int_eq(pipe(unblock), 0);
	fd = harness_listen(sock);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ttrpc_server_start(srv, fd, NULL), 0);
}

static void teardown(void)
{
	ttrpc_server_free(srv);
	close(unblock[0]);
	close(unblock[1]);
	unlink(sock);
	rmdir(dir);
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, sock);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* A packed ttrpc.Request for SVC/@method with @payload. */
static uint8_t *request(const char *method, const char *payload, size_t *len)
{
	Ttrpc__Request rq = TTRPC__REQUEST__INIT;
	uint8_t *buf;

	rq.service = (char *)SVC;
	rq.method = (char *)method;
	rq.payload.data = (uint8_t *)payload;
	rq.payload.len = payload ? strlen(payload) : 0;
	ck_assert_int_eq(ttrpc_pack(&rq.base, &buf, len), 0);
	return buf;
}

/* Read one Response frame from @fd; returns its status code. */
static int read_response(int fd, uint32_t *stream)
{
	Ttrpc__Response *r;
	struct ttrpc_hdr h;
	uint8_t *data;
	int code;

	ck_assert_int_eq(ttrpc_read_frame(fd, &h, &data), 1);
	ck_assert_int_eq(h.type, TTRPC_TYPE_RESPONSE);
	*stream = h.stream_id;
	r = ttrpc__response__unpack(NULL, h.length, data);
	ck_assert_ptr_nonnull(r);
	code = r->status ? r->status->code : 0;
	ttrpc__response__free_unpacked(r, NULL);
	free(data);
	return code;
}

START_TEST(header_round_trip)
{
	struct ttrpc_hdr h = { 0x00123456, 0x89abcdef, 2, 0x04 }, g;
	uint8_t raw[TTRPC_HDR_SIZE];
	static const uint8_t want[] = { 0x00, 0x12, 0x34, 0x56, 0x89, 0xab, 0xcd, 0xef, 2, 4 };

	ttrpc_hdr_pack(&h, raw);
	ck_assert_mem_eq(raw, want, sizeof(want));
	ttrpc_hdr_unpack(raw, &g);
	ck_assert_uint_eq(g.length, h.length);
	ck_assert_uint_eq(g.stream_id, h.stream_id);
	ck_assert_uint_eq(g.type, 2);
	ck_assert_uint_eq(g.flags, 4);
}
END_TEST

struct dribble {
	int fd;
	const uint8_t *buf;
	size_t len;
};

static void *dribble_thread(void *arg)
{
	struct dribble *d = arg;
	size_t i;

	for (i = 0; i < d->len; i++) {
		ck_assert_int_eq(write(d->fd, d->buf + i, 1), 1);
		usleep(200);
	}
	return NULL;
}

START_TEST(partial_reads_assemble_frames)
{
	uint8_t frame[TTRPC_HDR_SIZE + 5] = {
		0, 0, 0, 5, 0, 0, 0, 7, 1, 0, 'h', 'e', 'l', 'l', 'o'
	};
	struct dribble d = { 0, frame, sizeof(frame) };
	struct ttrpc_hdr h;
	pthread_t thr;
	uint8_t *data;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	d.fd = sv[1];
	pthread_create(&thr, NULL, dribble_thread, &d);
	ck_assert_int_eq(ttrpc_read_frame(sv[0], &h, &data), 1);
	pthread_join(thr, NULL);
	ck_assert_uint_eq(h.stream_id, 7);
	ck_assert_uint_eq(h.length, 5);
	ck_assert_mem_eq(data, "hello", 5);
	free(data);
	/* EOF inside a frame is a protocol error; at a boundary, plain EOF. */
	ck_assert_int_eq(write(sv[1], frame, 7), 7);
	shutdown(sv[1], SHUT_WR);
	ck_assert_int_eq(ttrpc_read_frame(sv[0], &h, &data), -EPROTO);
	ck_assert_int_eq(ttrpc_read_frame(sv[0], &h, &data), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(oversized_frame_is_skipped_in_step)
{
	size_t big = TTRPC_MAX_DATA + 1;
	uint8_t hdr[TTRPC_HDR_SIZE];
	struct ttrpc_hdr h = { (uint32_t)big, 3, 1, 0 };
	uint8_t *junk = calloc(1, big), *data;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ttrpc_hdr_pack(&h, hdr);
	if (fork() == 0) {
		/* A writer of its own: the frame is bigger than the socket buffer. */
		if (write(sv[1], hdr, sizeof(hdr)) < 0 || write(sv[1], junk, big) < 0 ||
		    ttrpc_write_frame(sv[1], 5, 1, "ok", 2))
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(ttrpc_read_frame(sv[0], &h, &data), -EMSGSIZE);
	ck_assert_uint_eq(h.stream_id, 3);
	ck_assert_ptr_null(data);
	ck_assert_int_eq(ttrpc_read_frame(sv[0], &h, &data), 1);
	ck_assert_uint_eq(h.stream_id, 5);
	ck_assert_mem_eq(data, "ok", 2);
	free(data);
	ck_assert_int_eq(ttrpc_write_frame(sv[0], 1, 1, junk, big), -EMSGSIZE);
	free(junk);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(status_codes_and_errno_map)
{
	ck_assert_int_eq(TTRPC_NOT_FOUND, 5);
	ck_assert_int_eq(TTRPC_ALREADY_EXISTS, 6);
	ck_assert_int_eq(TTRPC_FAILED_PRECONDITION, 9);
	ck_assert_int_eq(TTRPC_UNIMPLEMENTED, 12);
	ck_assert_str_eq(ttrpc_code_name(TTRPC_INVALID_ARGUMENT), "INVALID_ARGUMENT");
	ck_assert_str_eq(ttrpc_code_name(99), "UNKNOWN_CODE");
	ck_assert_int_eq(ttrpc_code_from_errno(-ESRCH), TTRPC_NOT_FOUND);
	ck_assert_int_eq(ttrpc_code_from_errno(-ETIMEDOUT), TTRPC_DEADLINE_EXCEEDED);
	ck_assert_int_eq(ttrpc_code_from_errno(-ECONNRESET), TTRPC_UNAVAILABLE);
	ck_assert_int_eq(ttrpc_code_from_errno(-ENOENT), TTRPC_NOT_FOUND);
	ck_assert_int_eq(ttrpc_code_from_errno(-EEXIST), TTRPC_ALREADY_EXISTS);
	ck_assert_int_eq(ttrpc_code_from_errno(-EINVAL), TTRPC_INVALID_ARGUMENT);
	ck_assert_int_eq(ttrpc_code_from_errno(-EBUSY), TTRPC_FAILED_PRECONDITION);
	ck_assert_int_eq(ttrpc_code_from_errno(-ENOSYS), TTRPC_UNIMPLEMENTED);
	ck_assert_int_eq(ttrpc_code_from_errno(-ENOSPC), TTRPC_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(ttrpc_code_from_errno(-EIO), TTRPC_INTERNAL);
	ck_assert_str_eq(ttrpc_unix_path("unix:///run/x.sock"), "/run/x.sock");
	ck_assert_str_eq(ttrpc_unix_path("/run/x.sock"), "/run/x.sock");
}
END_TEST

START_TEST(unknown_service_and_method)
{
	struct ttrpc_client *c;
	struct ttrpc_result res;

	ck_assert_int_eq(ttrpc_client_connect(sock, "k8s.io", &c, NULL), 0);
	ck_assert_int_eq(ttrpc_client_call_raw(c, "no.Such", "Echo", NULL, 0, 2000, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_UNIMPLEMENTED);
	ck_assert_str_eq(res.message, "service no.Such");
	ttrpc_result_clear(&res);
	ck_assert_int_eq(ttrpc_client_call_raw(c, SVC, "Nope", NULL, 0, 2000, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_UNIMPLEMENTED);
	ck_assert_str_eq(res.message, "method Nope");
	ttrpc_result_clear(&res);
	ck_assert_int_eq(ttrpc_client_call_raw(c, SVC, "Echo", (const uint8_t *)"abc", 3, 2000,
					       &res),
			 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	{
		Google__Protobuf__Any *a = google__protobuf__any__unpack(NULL, res.payload_len,
									 res.payload);

		ck_assert_ptr_nonnull(a);
		ck_assert_str_eq(a->type_url, "k8s.io"); /* the namespace metadata */
		ck_assert_mem_eq(a->value.data, "abc", 3);
		google__protobuf__any__free_unpacked(a, NULL);
	}
	ttrpc_result_clear(&res);
	ttrpc_client_free(c);
}
END_TEST

START_TEST(bad_frames_are_answered_not_fatal)
{
	static const uint8_t garbage[] = { 0x0a, 0x7f, 0x01 };
	uint8_t big_hdr[TTRPC_HDR_SIZE];
	struct ttrpc_hdr bh = { TTRPC_MAX_DATA + 10, 9, 1, 0 };
	uint8_t *req, *junk;
	uint32_t stream;
	size_t len;
	int fd = raw_connect();

	/* An undecodable Request: INVALID_ARGUMENT on its stream. */
	ck_assert_int_eq(ttrpc_write_frame(fd, 1, TTRPC_TYPE_REQUEST, garbage, sizeof(garbage)), 0);
	ck_assert_int_eq(read_response(fd, &stream), TTRPC_INVALID_ARGUMENT);
	ck_assert_uint_eq(stream, 1);
	/* An even (server-side) stream id. */
	req = request("Echo", "x", &len);
	ck_assert_int_eq(ttrpc_write_frame(fd, 2, TTRPC_TYPE_REQUEST, req, len), 0);
	ck_assert_int_eq(read_response(fd, &stream), TTRPC_INVALID_ARGUMENT);
	ck_assert_uint_eq(stream, 2);
	/* A frame type a 1.1 server does not know: skipped, no reply. */
	ck_assert_int_eq(ttrpc_write_frame(fd, 3, TTRPC_TYPE_DATA, "zz", 2), 0);
	/* Oversized: RESOURCE_EXHAUSTED, and the stream stays in step. */
	ttrpc_hdr_pack(&bh, big_hdr);
	junk = calloc(1, bh.length);
	ck_assert_int_eq(write(fd, big_hdr, sizeof(big_hdr)), sizeof(big_hdr));
	if (fork() == 0)
		_exit(write(fd, junk, bh.length) == (ssize_t)bh.length ? 0 : 1);
	ck_assert_int_eq(read_response(fd, &stream), TTRPC_RESOURCE_EXHAUSTED);
	ck_assert_uint_eq(stream, 9);
	ck_assert_int_eq(ttrpc_write_frame(fd, 11, TTRPC_TYPE_REQUEST, req, len), 0);
	ck_assert_int_eq(read_response(fd, &stream), TTRPC_OK);
	ck_assert_uint_eq(stream, 11);
	free(junk);
	free(req);
	close(fd);
}
END_TEST

START_TEST(truncated_frame_then_new_connection)
{
	static const uint8_t half[] = { 0, 0, 0, 50, 0, 0, 0, 1, 1, 0, 0x0a };
	struct ttrpc_client *c;
	struct ttrpc_result res;
	int fd = raw_connect();

	ck_assert_int_eq(write(fd, half, sizeof(half)), sizeof(half));
	close(fd);
	fd = raw_connect();
	ck_assert_int_eq(write(fd, half, 5), 5); /* half a header */
	close(fd);
	usleep(50 * 1000);
	ck_assert_int_eq(ttrpc_client_connect(sock, NULL, &c, NULL), 0);
	ck_assert_int_eq(ttrpc_client_call_raw(c, SVC, "Echo", NULL, 0, 2000, &res), 0);
	ck_assert_int_eq(res.code, TTRPC_OK);
	ttrpc_result_clear(&res);
	ttrpc_client_free(c);
}
END_TEST

START_TEST(replies_out_of_order_on_one_connection)
{
	uint8_t *slow_rq, *echo_rq;
	size_t slen, elen;
	uint32_t first, second;
	int fd = raw_connect();

	slow_rq = request("Slow", NULL, &slen);
	echo_rq = request("Echo", "e", &elen);
	ck_assert_int_eq(ttrpc_write_frame(fd, 1, TTRPC_TYPE_REQUEST, slow_rq, slen), 0);
	ck_assert_int_eq(ttrpc_write_frame(fd, 3, TTRPC_TYPE_REQUEST, echo_rq, elen), 0);
	ck_assert_int_eq(read_response(fd, &first), TTRPC_OK);
	ck_assert_int_eq(read_response(fd, &second), TTRPC_NOT_FOUND);
	ck_assert_uint_eq(first, 3);
	ck_assert_uint_eq(second, 1);
	free(slow_rq);
	free(echo_rq);
	close(fd);
}
END_TEST

/* A handler that does not return is listed with method, stream and age
 * (what the shim's SIGUSR1 dump shows), and no longer once it returned. */
START_TEST(inflight_lists_running_handlers)
{
	struct ttrpc_inflight in[2];
	uint8_t *rq;
	size_t len, n = 0;
	uint32_t stream;
	int i, fd = raw_connect();

	ck_assert_uint_eq(ttrpc_server_inflight(srv, in, 2), 0);
	rq = request("Block", NULL, &len);
	ck_assert_int_eq(ttrpc_write_frame(fd, 7, TTRPC_TYPE_REQUEST, rq, len), 0);
	for (i = 0; i < 500 && (n = ttrpc_server_inflight(srv, in, 2)) == 0; i++)
		usleep(10 * 1000);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(in[0].method, "Block");
	ck_assert_uint_eq(in[0].stream_id, 7);
	ck_assert_int_ge(in[0].age_ms, 0);
	/* More than fit: the count says so, nothing is written past @max. */
	ck_assert_uint_eq(ttrpc_server_inflight(srv, in, 0), 1);
	ck_assert_int_eq(write(unblock[1], "x", 1), 1);
	ck_assert_int_eq(read_response(fd, &stream), TTRPC_ABORTED);
	ck_assert_uint_eq(stream, 7);
	ck_assert_uint_eq(ttrpc_server_inflight(srv, in, 2), 0);
	free(rq);
	close(fd);
}
END_TEST

struct caller {
	struct ttrpc_client *c;
	const char *method;
	int code;
	pthread_t thr;
};

static void *caller_thread(void *arg)
{
	struct caller *k = arg;
	struct ttrpc_result res;

	ck_assert_int_eq(ttrpc_client_call_raw(k->c, SVC, k->method, NULL, 0, 5000, &res), 0);
	k->code = res.code;
	ttrpc_result_clear(&res);
	return NULL;
}

START_TEST(client_multiplexes_calls)
{
	struct caller slow_call, echo_call;
	struct ttrpc_client *c;
	struct ttrpc_result res;

	ck_assert_int_eq(ttrpc_client_connect(sock, NULL, &c, NULL), 0);
	slow_call = (struct caller){ c, "Slow", -1, 0 };
	echo_call = (struct caller){ c, "Echo", -1, 0 };
	pthread_create(&slow_call.thr, NULL, caller_thread, &slow_call);
	usleep(20 * 1000);
	pthread_create(&echo_call.thr, NULL, caller_thread, &echo_call);
	pthread_join(echo_call.thr, NULL);
	ck_assert_int_eq(echo_call.code, TTRPC_OK);
	ck_assert_int_eq(slow_call.code, -1); /* still waiting */
	pthread_join(slow_call.thr, NULL);
	ck_assert_int_eq(slow_call.code, TTRPC_NOT_FOUND);
	/* A short timeout gives up; the late reply is dropped. */
	ck_assert_int_eq(ttrpc_client_call_raw(c, SVC, "Slow", NULL, 0, 50, &res), -ETIMEDOUT);
	ttrpc_client_free(c);
}
END_TEST

START_TEST(server_shutdown_closes_clients)
{
	struct ttrpc_client *c;
	struct ttrpc_result res;
	int i;

	ck_assert_int_eq(ttrpc_client_connect(sock, NULL, &c, NULL), 0);
	ttrpc_server_shutdown(srv);
	ck_assert_int_eq(ttrpc_client_call_raw(c, SVC, "Echo", NULL, 0, 2000, &res), -EPIPE);
	/* The write may fail before the reader thread has seen EOF. */
	for (i = 0; i < 100 && ttrpc_client_alive(c); i++)
		usleep(10 * 1000);
	ck_assert(!ttrpc_client_alive(c));
	ttrpc_client_free(c);
	ck_assert_int_ne(ttrpc_client_connect(sock, NULL, &c, NULL), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_ttrpc");
	TCase *frames = tcase_create("frames");
	TCase *server = tcase_create("server");

	tcase_add_test(frames, header_round_trip);
	tcase_add_test(frames, partial_reads_assemble_frames);
	tcase_add_test(frames, oversized_frame_is_skipped_in_step);
	tcase_add_test(frames, status_codes_and_errno_map);
	tcase_add_checked_fixture(server, setup, teardown);
	tcase_set_timeout(server, 20);
	tcase_add_test(server, unknown_service_and_method);
	tcase_add_test(server, bad_frames_are_answered_not_fatal);
	tcase_add_test(server, truncated_frame_then_new_connection);
	tcase_add_test(server, replies_out_of_order_on_one_connection);
	tcase_add_test(server, inflight_lists_running_handlers);
	tcase_add_test(server, client_multiplexes_calls);
	tcase_add_test(server, server_shutdown_closes_clients);
	suite_add_tcase(s, frames);
	suite_add_tcase(s, server);
	return s;
}

UNIT_MAIN()
