// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_stdio.c - a process's stdio: each stream containerd asked for
 * is its own vsock connection to husk-init (STDIO_BIND), copied to or from
 * containerd's FIFO or log file by a thread of its own. stdin's EOF (the
 * client closed and CloseIO released our kept writer) half-closes the
 * connection, which husk-init turns into EOF on the process's stdin. An
 * output stream ends when the guest closes it: its sink is closed (EOF for
 * the reader) and sandbox_output_done() lets a pending exit be reported,
 * so no output is lost behind TaskExit.
 * With binary:// the sinks are the pipes of a logging program
 * (stdio_logger.h), started before the process and stopped after it.
 * Each relay counts what it moved and says whether it waits, reads or
 * writes, for the SIGUSR1 dump (sandbox_dump.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/agent/agent_client.h"
#include "husk_agent.h"
#include "shim/sandbox/sandbox.h"
#include "common/clock.h"
#include "common/error.h"
#include "shim/base/shim_log.h"

static const char *const sandbox_stream_names[3] = { "stdin", "stdout", "stderr" };

int sandbox_stdio_parse(const struct shim_stdio *s, struct sandbox_stdio *io,
			struct husk_error **err)
{
	int ret, i;

	for (i = 0; i < 3; i++)
		io->s[i] = (struct sandbox_stream){ .from = -1, .to = -1, .output = i > 0 };
	io->stdin_keep = -1;
	io->stop_fd = -1;
	stdio_logger_init(&io->logger);
	ret = stdio_config_parse(s->stdin_path, s->stdout_path, s->stderr_path, s->terminal,
				 &io->cfg, err);
	if (ret)
		return ret;
	io->stop_fd = eventfd(0, EFD_CLOEXEC);
	return io->stop_fd < 0 ? husk_err(err, errno, "eventfd") : 0;
}

static bool sandbox_stream_wanted(const struct sandbox_stdio *io, int i)
{
	const struct stdio_config *c = &io->cfg;

	if (i == 0)
		return c->in.kind == STDIO_FIFO;
	if (i == 1)
		return c->out.kind != STDIO_NULL;
	return !c->terminal && (c->err.kind != STDIO_NULL || c->out.kind == STDIO_FILE ||
				c->out.kind == STDIO_BINARY);
}

void sandbox_stdio_json(const struct sandbox_stdio *io, char *buf, size_t len)
{
	snprintf(buf, len, "{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s}",
		 sandbox_stream_wanted(io, 0) ? "true" : "false",
		 sandbox_stream_wanted(io, 1) ? "true" : "false",
		 sandbox_stream_wanted(io, 2) ? "true" : "false");
}

/* The relay's phase, and since when, for the dump (sandbox_dump.c). */
static void sandbox_stream_phase(struct sandbox_stream *s, enum sandbox_stream_phase phase)
{
	__atomic_store_n(&s->phase_ms, husk_now_ms(), __ATOMIC_RELAXED);
	__atomic_store_n(&s->phase, (int)phase, __ATOMIC_RELEASE);
}

static int sandbox_write_all(struct sandbox_stream *s, const char *p, size_t n)
{
	ssize_t w;

	sandbox_stream_phase(s, STREAM_WRITING);
	while (n) {
		w = write(s->to, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		__atomic_add_fetch(&s->bytes_written, (uint64_t)w, __ATOMIC_RELAXED);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * stdin reached EOF: half-close the stream and also say CLOSE_STDIN
 * (husk-init delivers what the stream carried first), so the process sees
 * EOF even where a half-close gets lost on the way.
 */
static void sandbox_stdin_eof(struct sandbox_stream *s)
{
	char json[512];

	shutdown(s->to, SHUT_WR);
	if (s->proc->io.stop_fd < 0 || s->be->vm_dead)
		return;
	sandbox_ids_json(json, sizeof(json) - 1, s->proc->container->id, s->proc->exec_id);
	strcat(json, "}");
	if (sandbox_call(s->be, HUSK_MSG_CLOSE_STDIN, json, NULL, NULL))
		shim_debug("CLOSE_STDIN of %s failed", s->proc->container->id);
}

static void *sandbox_relay(void *arg)
{
	struct sandbox_stream *s = arg;
	struct pollfd pfd[2] = { { .fd = s->from, .events = POLLIN },
				 { .fd = s->proc->io.stop_fd, .events = POLLIN } };
	bool sink_ok = true;
	char buf[32768];
	ssize_t n;

	for (;;) {
		sandbox_stream_phase(s, STREAM_WAITING);
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!pfd[0].revents)
			continue;
		sandbox_stream_phase(s, STREAM_READING);
		n = read(s->from, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		__atomic_add_fetch(&s->bytes_read, (uint64_t)n, __ATOMIC_RELAXED);
		/* A vanished reader must not stall the guest: keep draining. */
		if (sink_ok && sandbox_write_all(s, buf, (size_t)n))
			sink_ok = false;
	}
	sandbox_stream_phase(s, STREAM_DONE);
	if (s->output) {
		/*
		 * The sink's EOF tells the reader the stream is over: the CRI
		 * plugin's ExecSync waits for it before it answers, and the
		 * process record (which would close it too) lives until then.
		 */
		close(s->to);
		s->to = -1;
		sandbox_output_done(s->be, s->proc);
	} else {
		sandbox_stdin_eof(s);
	}
	return NULL;
}

static int sandbox_open_sink(struct sandbox_stdio *io, int i, struct husk_error **err)
{
	const struct stdio_uri *u = i == 2 && io->cfg.err.kind != STDIO_NULL ? &io->cfg.err :
									       &io->cfg.out;
	int fd;

	if (i == 0)
		return stdio_open_fifo_in(io->cfg.in.path, &io->s[0].from, &io->stdin_keep, err);
	if (io->s[i].to >= 0)
		return 0; /* a logger's pipe, set up by sandbox_stdio_attach */
	fd = u->kind == STDIO_FILE ? stdio_open_file(u->path, err) :
				     stdio_open_fifo_out(u->path, err);
	if (fd < 0)
		return fd;
	io->s[i].to = fd;
	return 0;
}

/*
 * Connect stream @i and send its STDIO_BIND; sandbox_stream_bound() reads
 * the answer, after every stream's request went out, so that the streams
 * cost one round trip to husk-init rather than one each. The connection
 * is the stream's from here on: sandbox_stdio_stop() closes it.
 */
static int sandbox_stream_bind(struct sandbox *be, struct sandbox_proc *p, int i,
			       struct husk_error **err)
{
	struct sandbox_stream *s = &p->io.s[i];
	int fd, ret;

	ret = sandbox_vsock_connect(be, 10000, &fd, err);
	if (ret)
		return ret;
	if (i == 0)
		s->to = fd;
	else
		s->from = fd;
	return agent_stdio_bind_send(fd, p->container->id, p->exec_id, sandbox_stream_names[i],
				     SANDBOX_AGENT_TIMEOUT_MS, err);
}

/* Stream @i's STDIO_BIND answered: open its host end. */
static int sandbox_stream_bound(struct sandbox_proc *p, int i, struct husk_error **err)
{
	const struct sandbox_stream *s = &p->io.s[i];
	int ret;

	ret = agent_stdio_bind_reply(i == 0 ? s->to : s->from, p->container->id, p->exec_id,
				     sandbox_stream_names[i], SANDBOX_AGENT_TIMEOUT_MS, err);
	return ret ? ret : sandbox_open_sink(&p->io, i, err);
}

/* Every wanted stream's request first, then every answer; *@failed: which. */
static int sandbox_streams_bind(struct sandbox *be, struct sandbox_proc *p, int *failed,
				struct husk_error **err)
{
	int i, ret;

	for (i = 0; i < 3; i++) {
		*failed = i;
		ret = sandbox_stream_wanted(&p->io, i) ? sandbox_stream_bind(be, p, i, err) : 0;
		if (ret)
			return ret;
	}
	for (i = 0; i < 3; i++) {
		*failed = i;
		ret = sandbox_stream_wanted(&p->io, i) ? sandbox_stream_bound(p, i, err) : 0;
		if (ret)
			return ret;
	}
	return 0;
}

/* binary://: start the logger; its pipes become the output sinks. */
static int sandbox_logger_start(struct sandbox_proc *p, struct husk_error **err)
{
	struct sandbox_stdio *io = &p->io;
	const char *ns = getenv("NAMESPACE");
	int out_w, err_w, ret;

	ret = stdio_logger_spawn(&io->logger, &io->cfg.out, p->container->id, ns ? ns : "default",
				 &out_w, &err_w, err);
	if (ret)
		return ret;
	io->s[1].to = out_w;
	if (sandbox_stream_wanted(io, 2))
		io->s[2].to = err_w;
	else
		close(err_w); /* a terminal: the logger sees EOF on fd 4 */
	return 0;
}

int sandbox_stdio_attach(struct sandbox *be, struct sandbox_proc *p, struct husk_error **err)
{
	struct sandbox_stream *s;
	int i, ret;

	if (p->io.cfg.out.kind == STDIO_BINARY && sandbox_logger_start(p, err))
		return husk_err_wrap(err, "stdout of %s", p->container->id);
	ret = sandbox_streams_bind(be, p, &i, err);
	if (ret)
		return husk_err_wrap(err, "%s of %s", sandbox_stream_names[i], p->container->id);
	for (i = 0; i < 3; i++) {
		s = &p->io.s[i];
		if (s->from < 0 || s->to < 0)
			continue;
		s->be = be;
		s->proc = p;
		if (s->output) {
			pthread_mutex_lock(&be->lock);
			p->open_outputs++;
			pthread_mutex_unlock(&be->lock);
		}
		ret = -pthread_create(&s->thread, NULL, sandbox_relay, s);
		if (ret) {
			if (s->output)
				sandbox_output_done(be, p);
			return husk_err(err, -ret, "%s relay thread", sandbox_stream_names[i]);
		}
		s->running = true;
	}
	return 0;
}

void sandbox_stdio_close_in(struct sandbox_stdio *io)
{
	if (io->stdin_keep >= 0) {
		close(io->stdin_keep);
		io->stdin_keep = -1;
	}
}

void sandbox_stdio_stop(struct sandbox_stdio *io)
{
	uint64_t one = 1;
	int i;

	if (io->stop_fd >= 0 && write(io->stop_fd, &one, sizeof(one)) < 0)
		shim_warn("stdio: cannot stop relays: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		struct sandbox_stream *s = &io->s[i];

		if (s->running)
			pthread_join(s->thread, NULL);
		if (s->from >= 0)
			close(s->from);
		if (s->to >= 0)
			close(s->to);
		s->from = s->to = -1;
		s->running = false;
	}
	sandbox_stdio_close_in(io);
	if (stdio_logger_stop(&io->logger) > 0)
		shim_warn("stdio: the binary logger exited with status %d", io->logger.status);
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	io->stop_fd = -1;
	stdio_config_clear(&io->cfg);
}
