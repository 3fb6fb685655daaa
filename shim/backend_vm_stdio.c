// SPDX-License-Identifier: Apache-2.0
/*
 * backend_vm_stdio.c - a process's stdio: each stream containerd asked for
 * is its own vsock connection to husk-init (STDIO_BIND), copied to or from
 * containerd's FIFO or log file by a thread of its own. stdin's EOF (the
 * client closed and CloseIO released our kept writer) half-closes the
 * connection, which husk-init turns into EOF on the process's stdin. An
 * output stream ends when the guest closes it; bvm_output_done() then lets
 * a pending exit be reported, so no output is lost behind TaskExit.
 * With binary:// the sinks are the pipes of a logging program
 * (stdio_logger.h), started before the process and stopped after it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/agent_client.h"
#include "husk_agent.h"
#include "shim/backend_vm.h"
#include "common/error.h"
#include "shim/shim_log.h"

static const char *const bvm_stream_names[3] = { "stdin", "stdout", "stderr" };

int bvm_stdio_parse(const struct shim_stdio *s, struct bvm_stdio *io, struct husk_error **err)
{
	int ret, i;

	for (i = 0; i < 3; i++)
		io->s[i] = (struct bvm_stream){ .from = -1, .to = -1, .output = i > 0 };
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

static bool bvm_stream_wanted(const struct bvm_stdio *io, int i)
{
	const struct stdio_config *c = &io->cfg;

	if (i == 0)
		return c->in.kind == STDIO_FIFO;
	if (i == 1)
		return c->out.kind != STDIO_NULL;
	return !c->terminal && (c->err.kind != STDIO_NULL || c->out.kind == STDIO_FILE ||
				c->out.kind == STDIO_BINARY);
}

void bvm_stdio_json(const struct bvm_stdio *io, char *buf, size_t len)
{
	snprintf(buf, len, "{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s}",
		 bvm_stream_wanted(io, 0) ? "true" : "false",
		 bvm_stream_wanted(io, 1) ? "true" : "false",
		 bvm_stream_wanted(io, 2) ? "true" : "false");
}

static int bvm_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
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
static void bvm_stdin_eof(struct bvm_stream *s)
{
	char json[512];

	shutdown(s->to, SHUT_WR);
	if (s->proc->io.stop_fd < 0 || s->be->vm_dead)
		return;
	bvm_ids_json(json, sizeof(json) - 1, s->proc->ctr->id, s->proc->exec_id);
	strcat(json, "}");
	if (bvm_call(s->be, HUSK_MSG_CLOSE_STDIN, json, NULL, NULL))
		shim_debug("CLOSE_STDIN of %s failed", s->proc->ctr->id);
}

static void *bvm_relay(void *arg)
{
	struct bvm_stream *s = arg;
	struct pollfd pfd[2] = { { .fd = s->from, .events = POLLIN },
				 { .fd = s->proc->io.stop_fd, .events = POLLIN } };
	bool sink_ok = true;
	char buf[32768];
	ssize_t n;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!pfd[0].revents)
			continue;
		n = read(s->from, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		/* A vanished reader must not stall the guest: keep draining. */
		if (sink_ok && bvm_write_all(s->to, buf, (size_t)n))
			sink_ok = false;
	}
	if (s->output)
		bvm_output_done(s->be, s->proc);
	else
		bvm_stdin_eof(s);
	return NULL;
}

static int bvm_open_sink(struct bvm_stdio *io, int i, struct husk_error **err)
{
	const struct stdio_uri *u = i == 2 && io->cfg.err.kind != STDIO_NULL ? &io->cfg.err
									: &io->cfg.out;
	int fd;

	if (i == 0)
		return stdio_open_fifo_in(io->cfg.in.path, &io->s[0].from, &io->stdin_keep, err);
	if (io->s[i].to >= 0)
		return 0;	/* a logger's pipe, set up by bvm_stdio_attach */
	fd = u->kind == STDIO_FILE ? stdio_open_file(u->path, err)
				   : stdio_open_fifo_out(u->path, err);
	if (fd < 0)
		return fd;
	io->s[i].to = fd;
	return 0;
}

/* Connect and bind stream @i, open its host end. */
static int bvm_stream_open(struct bvm *be, struct bvm_proc *p, int i, struct husk_error **err)
{
	struct bvm_stream *s = &p->io.s[i];
	int fd, ret;

	ret = bvm_vsock_connect(be, 10000, &fd, err);
	if (ret)
		return ret;
	ret = agent_stdio_bind(fd, p->ctr->id, p->exec_id, bvm_stream_names[i],
			       BVM_AGENT_TIMEOUT_MS, err);
	if (ret) {
		close(fd);
		return ret;
	}
	if (i == 0)
		s->to = fd;
	else
		s->from = fd;
	return bvm_open_sink(&p->io, i, err);
}

/* binary://: start the logger; its pipes become the output sinks. */
static int bvm_logger_start(struct bvm_proc *p, struct husk_error **err)
{
	struct bvm_stdio *io = &p->io;
	const char *ns = getenv("NAMESPACE");
	int out_w, err_w, ret;

	ret = stdio_logger_spawn(&io->logger, &io->cfg.out, p->ctr->id, ns ? ns : "default",
				 &out_w, &err_w, err);
	if (ret)
		return ret;
	io->s[1].to = out_w;
	if (bvm_stream_wanted(io, 2))
		io->s[2].to = err_w;
	else
		close(err_w);	/* a terminal: the logger sees EOF on fd 4 */
	return 0;
}

int bvm_stdio_attach(struct bvm *be, struct bvm_proc *p, struct husk_error **err)
{
	struct bvm_stream *s;
	int i, ret;

	if (p->io.cfg.out.kind == STDIO_BINARY && bvm_logger_start(p, err))
		return husk_err_wrap(err, "stdout of %s", p->ctr->id);
	for (i = 0; i < 3; i++) {
		if (!bvm_stream_wanted(&p->io, i))
			continue;
		ret = bvm_stream_open(be, p, i, err);
		if (ret)
			return husk_err_wrap(err, "%s of %s", bvm_stream_names[i], p->ctr->id);
	}
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
		ret = -pthread_create(&s->thread, NULL, bvm_relay, s);
		if (ret) {
			if (s->output)
				bvm_output_done(be, p);
			return husk_err(err, -ret, "%s relay thread", bvm_stream_names[i]);
		}
		s->running = true;
	}
	return 0;
}

void bvm_stdio_close_in(struct bvm_stdio *io)
{
	if (io->stdin_keep >= 0) {
		close(io->stdin_keep);
		io->stdin_keep = -1;
	}
}

void bvm_stdio_stop(struct bvm_stdio *io)
{
	uint64_t one = 1;
	int i;

	if (io->stop_fd >= 0 && write(io->stop_fd, &one, sizeof(one)) < 0)
		shim_warn("stdio: cannot stop relays: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		struct bvm_stream *s = &io->s[i];

		if (s->running)
			pthread_join(s->thread, NULL);
		if (s->from >= 0)
			close(s->from);
		if (s->to >= 0)
			close(s->to);
		s->from = s->to = -1;
		s->running = false;
	}
	bvm_stdio_close_in(io);
	if (stdio_logger_stop(&io->logger) > 0)
		shim_warn("stdio: the binary logger exited with status %d", io->logger.status);
	if (io->stop_fd >= 0)
		close(io->stop_fd);
	io->stop_fd = -1;
	stdio_config_clear(&io->cfg);
}
