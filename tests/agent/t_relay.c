// SPDX-License-Identifier: Apache-2.0
/*
 * t_relay.c - RELAY_STATUS: husk-init's counts of each stdio stream match
 * the bytes the host read back and sent; a stream whose reader stops is
 * reported waiting for its destination with bytes buffered; a process
 * that ended shows its streams closed at EOF with their final counts.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent-codec/agent_relay_msg.h"
#include "common/clock.h"
#include "tests/agent/suite.h"

#define OUT_BYTES   100000
#define ERR_BYTES   777
#define IN_BYTES    5000
#define STALL_BYTES 4000000

/* RELAY_STATUS, decoded into @st; false with @why filled. */
static bool relay_status(struct suite *s, struct amsg_relay_status *st, char *why)
{
	struct husk_error *e = NULL;
	struct ac_msg *m = must(s, HUSK_MSG_RELAY_STATUS, "{}", why);
	int ret;

	if (!m)
		return false;
	ret = amsg_relay_decode(m->payload, strlen(m->payload), st, &e);
	if (ret < 0)
		snprintf(why, 512, "%s", husk_error_message(e));
	husk_error_free(e);
	ac_msg_free(m);
	return ret == 0;
}

static const struct amsg_relay_stream *relay_find(const struct amsg_relay_status *st,
						  const char *ex, int stream)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->s[i].id, "r-main") && !strcmp(st->s[i].exec_id, ex) &&
		    st->s[i].stream == stream)
			return &st->s[i];
	return NULL;
}

/* Read exactly @n bytes of @fd (within 30 s); false on EOF or timeout. */
static bool read_exact(int fd, size_t n)
{
	int64_t end = husk_now_ms() + 30000;
	char buf[65536];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t got;

	while (n > 0 && husk_now_ms() < end) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		got = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (got <= 0)
			return false;
		n -= (size_t)got;
	}
	return n == 0;
}

static bool write_all(int fd, size_t n)
{
	char buf[IN_BYTES];
	ssize_t put;

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		put = write(fd, buf, n < sizeof(buf) ? n : sizeof(buf));
		if (put <= 0)
			return false;
		n -= (size_t)put;
	}
	return true;
}

/* Whether stream @stream of @ex reads @state with @moved bytes (-1: any). */
static bool relay_is(const struct amsg_relay_status *st, const char *ex, int stream,
		     enum amsg_relay_state state, long long moved)
{
	const struct amsg_relay_stream *r = relay_find(st, ex, stream);

	return r && r->state == state && (moved < 0 || r->moved == (uint64_t)moved);
}

/* Poll RELAY_STATUS until @pred holds (up to 30 s: the rig runs this in a
 * nested VM); the last status in @st. */
static bool relay_until(struct suite *s, struct amsg_relay_status *st,
			bool (*pred)(const struct amsg_relay_status *), char *why)
{
	int64_t end = husk_now_ms() + 30000;

	do {
		if (!relay_status(s, st, why))
			return false;
		if (pred(st))
			return true;
		usleep(50000);
	} while (husk_now_ms() < end);
	return false;
}

/* e1 wrote all it writes, and cat took all of stdin. */
static bool e1_moved_all(const struct amsg_relay_status *st)
{
	return relay_is(st, "e1", 0, AMSG_RELAY_WAIT_SRC, IN_BYTES) &&
	       relay_is(st, "e1", 1, AMSG_RELAY_WAIT_SRC, OUT_BYTES) &&
	       relay_is(st, "e1", 2, AMSG_RELAY_WAIT_SRC, ERR_BYTES);
}

static bool e1_closed(const struct amsg_relay_status *st)
{
	const struct amsg_relay_stream *r = relay_find(st, "e1", 1);

	return relay_is(st, "e1", 1, AMSG_RELAY_CLOSED, OUT_BYTES) && r->eof &&
	       relay_is(st, "e1", 2, AMSG_RELAY_CLOSED, ERR_BYTES);
}

static bool e2_stalled(const struct amsg_relay_status *st)
{
	const struct amsg_relay_stream *r = relay_find(st, "e2", 1);

	return r && r->state == AMSG_RELAY_WAIT_DST;
}

static bool e2_closed(const struct amsg_relay_status *st)
{
	return relay_is(st, "e2", 1, AMSG_RELAY_CLOSED, STALL_BYTES);
}

/* Bind @ex's streams (stdin when @in) into fd[0..2]; false on failure. */
static bool bind_all(struct suite *s, const char *ex, bool in, int fd[3], char *why)
{
	fd[0] = in ? ac_bind(s->addr, "r-main", ex, "stdin", why, 512) : -1;
	fd[1] = ac_bind(s->addr, "r-main", ex, "stdout", why, 512);
	fd[2] = ac_bind(s->addr, "r-main", ex, "stderr", why, 512);
	return (!in || fd[0] >= 0) && fd[1] >= 0 && fd[2] >= 0;
}

static void close_all(int fd[3])
{
	int i;

	for (i = 0; i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
}

/* The counts match what was read back and sent, then the end. */
static void t_relay_counts(struct suite *s, struct amsg_relay_status *st)
{
	char why[512] = "", cmd[160];
	int fd[3] = { -1, -1, -1 };
	struct ac_msg *w = NULL;

	snprintf(cmd, sizeof(cmd), "yes | head -c %d; yes | head -c %d >&2; exec cat >/dev/null",
		 OUT_BYTES, ERR_BYTES);
	if (!exec_create(s, "r-main", "e1", cmd, true, true, false, why) ||
	    !bind_all(s, "e1", true, fd, why) || !exec_start(s, "r-main", "e1", why))
		goto fail;
	if (!read_exact(fd[1], OUT_BYTES) || !read_exact(fd[2], ERR_BYTES) ||
	    !write_all(fd[0], IN_BYTES)) {
		snprintf(why, sizeof(why), "stdio: short read or write");
		goto fail;
	}
	if (!relay_until(s, st, e1_moved_all, why))
		goto fail_status;
	suite_pass(s, "relay-status-counts");
	shutdown(fd[0], SHUT_WR); /* cat ends, and with it e1 */
	if (!(w = wait_for(s, "r-main", "e1", why)) || !relay_until(s, st, e1_closed, why))
		goto fail_end;
	ac_msg_free(w);
	close_all(fd);
	suite_pass(s, "relay-status-closed");
	return;
fail_status:
	if (!why[0])
		snprintf(why, sizeof(why),
			 "RELAY_STATUS never showed stdin %d, stdout %d, "
			 "stderr %d bytes moved",
			 IN_BYTES, OUT_BYTES, ERR_BYTES);
fail:
	suite_fail(s, "relay-status-counts", "%s", why);
	close_all(fd);
	return;
fail_end:
	ac_msg_free(w);
	suite_fail(s, "relay-status-closed", "%s", why[0] ? why : "e1's streams never closed");
	close_all(fd);
}

/* A reader that stops: waiting for the destination, bytes buffered. */
static void t_relay_stall(struct suite *s, struct amsg_relay_status *st)
{
	char why[512] = "", cmd[160];
	int fd[3] = { -1, -1, -1 };
	const struct amsg_relay_stream *r;
	struct ac_buf out = { 0 };
	struct ac_msg *w;

	snprintf(cmd, sizeof(cmd), "yes | head -c %d", STALL_BYTES);
	if (!exec_create(s, "r-main", "e2", cmd, false, true, false, why) ||
	    !bind_all(s, "e2", false, fd, why) || !exec_start(s, "r-main", "e2", why) ||
	    !relay_until(s, st, e2_stalled, why)) {
		suite_fail(s, "relay-status-stalled", "%s",
			   why[0] ? why :
				    "never waited for "
				    "the host");
		close_all(fd);
		return;
	}
	r = relay_find(st, "e2", 1);
	if (r->buffered == 0 || r->moved >= STALL_BYTES || r->eof)
		suite_fail(s, "relay-status-stalled", "buffered %llu, moved %llu, eof %d",
			   (unsigned long long)r->buffered, (unsigned long long)r->moved, r->eof);
	else
		suite_pass(s, "relay-status-stalled");
	if (ac_pump(-1, NULL, 0, fd[1], &out, fd[2], &out, 60000) < 0 ||
	    !(w = wait_for(s, "r-main", "e2", why)) || out.len != STALL_BYTES ||
	    !relay_until(s, st, e2_closed, why))
		suite_fail(s, "relay-status-drained", "read back %zu of %d bytes %s", out.len,
			   STALL_BYTES, why);
	else
		suite_pass(s, "relay-status-drained");
	free(out.data);
}

void tests_relay(struct suite *s)
{
	struct amsg_relay_status *st = malloc(sizeof(*st));
	struct tspec t = { .sh = "exec sleep 1000" };
	char why[512] = "";

	if (!st || start_sleeper(s, "r-main", &t, why) < 0) {
		suite_fail(s, "relay-status-counts", "container: %s", why);
		free(st);
		return;
	}
	t_relay_counts(s, st);
	t_relay_stall(s, st);
	delete_quiet(s, "r-main");
	free(st);
}
