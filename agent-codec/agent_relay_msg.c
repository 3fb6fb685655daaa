// SPDX-License-Identifier: Apache-2.0
/* agent_relay_msg.c - the RELAY_STATUS reply, written and read (see agent_relay_msg.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent-codec/agent_msg.h"
#include "agent-codec/agent_relay_msg.h"

static const char *const state_names[AMSG_RELAY_NSTATES] = {
	[AMSG_RELAY_UNBOUND] = "unbound",
	[AMSG_RELAY_WAIT_SRC] = "waiting_source",
	[AMSG_RELAY_WAIT_DST] = "waiting_destination",
	[AMSG_RELAY_DRAINING] = "draining",
	[AMSG_RELAY_CLOSED] = "closed",
};

static const char *const stream_names[] = { "stdin", "stdout", "stderr" };

const char *amsg_relay_state_name(enum amsg_relay_state st)
{
	return (unsigned int)st < AMSG_RELAY_NSTATES ? state_names[st] : "?";
}

const char *amsg_relay_stream_name(int stream)
{
	return stream >= 0 && stream < 3 ? stream_names[stream] : "?";
}

void amsg_relay_write_stream(yajl_gen g, const struct amsg_relay_stream *s)
{
	yajl_gen_map_open(g);
	json_write_string(g, "id", s->id);
	json_write_string(g, "exec_id", s->exec_id);
	json_write_int(g, "pid", s->pid);
	json_write_string(g, "stream", amsg_relay_stream_name(s->stream));
	json_write_string(g, "state", amsg_relay_state_name(s->state));
	json_write_bool(g, "eof", s->eof);
	json_write_int(g, "moved", (long long)s->moved);
	json_write_int(g, "buffered", (long long)s->buffered);
	json_write_int(g, "idle_ms", s->idle_ms);
	yajl_gen_map_close(g);
}

/* @name's index in @names (of @n), or -1. */
static int name_index(const char *name, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

static int relay_ids(yajl_val v, struct amsg_relay_stream *s, struct husk_error **e)
{
	const char *id, *exec_id = "";

	if (json_member_string(v, "id", true, &id, e) < 0 ||
	    json_member_string(v, "exec_id", false, &exec_id, e) < 0)
		return -EINVAL;
	if (!amsg_id_valid(id))
		return husk_err(e, 0, "container id \"%.40s\" is not valid", id);
	if (exec_id[0] && !amsg_id_valid(exec_id))
		return husk_err(e, 0, "exec id \"%.40s\" is not valid", exec_id);
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->exec_id, sizeof(s->exec_id), "%s", exec_id);
	return 0;
}

static int relay_names(yajl_val v, struct amsg_relay_stream *s, struct husk_error **e)
{
	const char *stream, *state;
	int st;

	if (json_member_string(v, "stream", true, &stream, e) < 0 ||
	    json_member_string(v, "state", true, &state, e) < 0)
		return -EINVAL;
	s->stream = name_index(stream, stream_names, 3);
	if (s->stream < 0)
		return husk_err(e, 0, "\"stream\" \"%.40s\" is not stdin, stdout or stderr",
				stream);
	st = name_index(state, state_names, AMSG_RELAY_NSTATES);
	if (st < 0)
		return husk_err(e, 0, "\"state\" \"%.40s\" is not a relay state", state);
	s->state = (enum amsg_relay_state)st;
	return 0;
}

/* The counters: each present, none negative. */
static int relay_counts(yajl_val v, struct amsg_relay_stream *s, struct husk_error **e)
{
	static const char *const keys[] = { "pid", "moved", "buffered", "idle_ms" };
	int64_t val[4];
	int i;

	for (i = 0; i < 4; i++) {
		val[i] = -1;
		if (json_member_int64(v, keys[i], &val[i], e) < 0)
			return -EINVAL;
		if (val[i] < 0)
			return husk_err(e, 0, "\"%s\" is missing or negative", keys[i]);
	}
	s->pid = val[0];
	s->moved = (uint64_t)val[1];
	s->buffered = (uint64_t)val[2];
	s->idle_ms = val[3];
	return json_member_bool(v, "eof", &s->eof, e) < 0 ? -EINVAL : 0;
}

static int relay_stream(yajl_val v, struct amsg_relay_stream *s, struct husk_error **e)
{
	memset(s, 0, sizeof(*s));
	if (!YAJL_IS_OBJECT(v))
		return husk_err(e, 0, "not an object");
	if (relay_ids(v, s, e) < 0 || relay_names(v, s, e) < 0 || relay_counts(v, s, e) < 0)
		return -EINVAL;
	return 0;
}

int amsg_relay_parse(yajl_val v, struct amsg_relay_status *out, struct husk_error **e)
{
	yajl_val arr = json_member(v, "streams");
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!YAJL_IS_OBJECT(v))
		return husk_err(e, 0, "RELAY_STATUS reply: not a JSON object");
	if (!YAJL_IS_ARRAY(arr))
		return husk_err(e, 0, "RELAY_STATUS reply: \"streams\" is missing or no array");
	n = arr->u.array.len;
	if (n > HUSK_AGENT_MAX_RELAY_STREAMS)
		return husk_err(e, 0, "RELAY_STATUS reply: %zu streams, more than %d", n,
				HUSK_AGENT_MAX_RELAY_STREAMS);
	for (i = 0; i < n; i++, out->n++)
		if (relay_stream(arr->u.array.values[i], &out->s[i], e) < 0)
			return husk_err_wrap(e, "RELAY_STATUS reply: streams[%zu]", i);
	out->total = -1;
	if (json_member_int64(v, "total", &out->total, e) < 0 ||
	    json_member_bool(v, "truncated", &out->truncated, e) < 0)
		return husk_err_wrap(e, "RELAY_STATUS reply");
	if (out->total < (int64_t)n || (out->total > (int64_t)n) != out->truncated)
		return husk_err(e, EINVAL,
				"RELAY_STATUS reply: \"total\" %lld does not fit %zu entries%s",
				(long long)out->total, n, out->truncated ? ", truncated" : "");
	return 0;
}

int amsg_relay_decode(const char *payload, size_t len, struct amsg_relay_status *out,
		      struct husk_error **e)
{
	yajl_val v = NULL;
	int ret;

	if (len == 0)
		payload = "{}", len = 2;
	ret = json_parse(payload, len, NULL, HUSK_AGENT_MAX_DEPTH, &v, e);
	if (ret < 0) {
		memset(out, 0, sizeof(*out));
		return husk_err_wrap(e, "RELAY_STATUS reply");
	}
	ret = amsg_relay_parse(v, out, e);
	yajl_tree_free(v);
	return ret;
}
