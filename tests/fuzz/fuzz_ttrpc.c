// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_ttrpc.c - libFuzzer harness for everything containerd's bytes
 * reach: ttrpc frames (read from a socket, so partial and oversized frames
 * take the real path), the Request envelope, and every Task method's
 * request decoding and handling, run against the fake backend so a frame
 * sequence drives the real state machine (Create, Start, Exec, Kill,
 * Delete, ...). Waits are cancelled up front, so Wait never blocks.
 *
 * Seeds: tests/fuzz/corpus/ttrpc/ (made by tests/fuzz/mkcorpus_ttrpc.py);
 * Create requests there use the bundle FUZZ_BUNDLE, made on first use.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/fake_backend.h"
#include "shim/ttrpc/pb.h"
#include "shim/task/task_internal.h"
#include "shim/ttrpc/ttrpc.h"

#define FUZZ_BUNDLE    "/tmp/husk-fuzz-bundle"
#define FUZZ_MAX_INPUT (64 * 1024) /* stays within a socketpair's buffer */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void make_bundle(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	mkdir(FUZZ_BUNDLE, 0700);
	write_file(FUZZ_BUNDLE "/config.json",
		   "{\"process\":{\"terminal\":false},\"linux\":{\"resources\":"
		   "{\"memory\":{\"limit\":268435456}}}}");
	write_file(FUZZ_BUNDLE "/husk.json", "{\"vcpus\":1}");
}

static void handle(struct shim_tasks *t, const uint8_t *data, size_t len, uint32_t stream)
{
	struct ttrpc_reply reply = { 0, NULL, NULL, 0 };
	Ttrpc__Request *rq = ttrpc__request__unpack(NULL, len, data);
	size_t i;

	if (!rq)
		return;
	for (i = 0; i < task_n_methods; i++) {
		struct ttrpc_call call = {
			rq->service,	  rq->method, rq->payload.data, rq->payload.len,
			rq->timeout_nano, "",	      stream,
		};

		if (strcmp(rq->method, task_methods[i].name))
			continue;
		task_methods[i].fn(t, &call, &reply);
		break;
	}
	free(reply.message);
	free(reply.payload);
	ttrpc__request__free_unpacked(rq, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shim_tasks_config cfg = { FUZZ_BUNDLE "/husk.json", NULL, NULL, NULL };
	struct shim_tasks *t = NULL;
	struct fake_backend *fb;
	struct ttrpc_hdr h;
	uint8_t *frame;
	int sv[2], r;

	make_bundle();
	if (size > FUZZ_MAX_INPUT || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return 0;
	if (size && write(sv[1], data, size) != (ssize_t)size)
		goto out;
	shutdown(sv[1], SHUT_WR);
	fb = fake_backend_new();
	if (!fb || shim_tasks_new(&fake_backend_ops, fb, NULL, &cfg, &t, NULL))
		goto out;
	shim_tasks_cancel_waits(t);
	while ((r = ttrpc_read_frame(sv[0], &h, &frame)) != 0) {
		if (r == -EMSGSIZE)
			continue;
		if (r < 0)
			break;
		if (h.type == TTRPC_TYPE_REQUEST)
			handle(t, frame, h.length, h.stream_id);
		free(frame);
	}
	shim_tasks_free(t);
out:
	close(sv[0]);
	close(sv[1]);
	return 0;
}
