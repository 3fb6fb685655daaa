// SPDX-License-Identifier: Apache-2.0
/* suite_ops.c - request helpers for tests that keep a container running. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/agent/suite.h"

/* A request that must succeed; the reply, or NULL with @why filled. */
struct ac_msg *must(struct suite *s, uint16_t type, const char *json, char *why)
{
	struct ac_msg *m = ac_call(s->ac, type, json, 60000);

	if (m && m->hdr.type == HUSK_MSG_OK)
		return m;
	snprintf(why, 512, "%s: %s", husk_agent_type_name(type), m ? m->payload : "no reply");
	ac_msg_free(m);
	return NULL;
}

bool ok(struct suite *s, uint16_t type, const char *json, char *why)
{
	struct ac_msg *m = must(s, type, json, why);

	ac_msg_free(m);
	return m != NULL;
}

/* A container whose init sleeps, with no stdio; returns its pid or -1. */
long long start_sleeper(struct suite *s, const char *id, const struct tspec *t, char *why)
{
	struct ac_msg *m;
	char *json;
	long long pid;

	json = create_json(s, id, t, NULL);
	if (!json)
		return -1;
	m = must(s, HUSK_MSG_CREATE, json, why);
	free(json);
	if (!m)
		return -1;
	pid = ac_int(m, "pid", -1);
	ac_msg_free(m);
	if (asprintf(&json, "{\"id\":\"%s\"}", id) < 0)
		return -1;
	if (!ok(s, HUSK_MSG_START, json, why))
		pid = -1;
	free(json);
	return pid;
}

bool refused(struct suite *s, uint16_t type, const char *json, const char *needle, char *why)
{
	struct ac_msg *m = ac_call(s->ac, type, json, 60000);
	const char *msg = m ? ac_str(m, "message") : NULL;
	bool r = m && m->hdr.type == HUSK_MSG_ERROR && msg && strstr(msg, needle);

	if (!r)
		snprintf(why, 512, "%s: wanted ERROR with \"%s\", got %s %s",
			 husk_agent_type_name(type), needle,
			 m ? husk_agent_type_name(m->hdr.type) : "no reply", m ? m->payload : "");
	ac_msg_free(m);
	return r;
}

void delete_quiet(struct suite *s, const char *id)
{
	char json[256];

	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	ac_msg_free(ac_call(s->ac, HUSK_MSG_DELETE, json, 30000));
}

bool exec_create(struct suite *s, const char *id, const char *ex, const char *cmd, bool in,
		 bool out, bool tty, char *why)
{
	char *json, *q = json_quote(cmd);
	bool r;

	if (asprintf(&json,
		     "{\"id\":\"%s\",\"exec_id\":\"%s\",\"process\":{\"args\":[\"sh\",\"-c\",%s],"
		     "\"env\":[\"PATH=/bin\",\"TERM=dumb\"],\"cwd\":\"/\",\"terminal\":%s%s},"
		     "\"stdio\":{\"stdin\":%s,\"stdout\":%s,\"stderr\":%s}}",
		     id, ex, q, tty ? "true" : "false",
		     tty ? ",\"consoleSize\":{\"height\":30,\"width\":100}" : "",
		     in ? "true" : "false", out ? "true" : "false",
		     out && !tty ? "true" : "false") < 0)
		return false;
	free(q);
	r = ok(s, HUSK_MSG_EXEC, json, why);
	free(json);
	return r;
}

bool exec_start(struct suite *s, const char *id, const char *ex, char *why)
{
	char json[256];

	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"exec_id\":\"%s\"}", id, ex);
	return ok(s, HUSK_MSG_START, json, why);
}

struct ac_msg *wait_for(struct suite *s, const char *id, const char *ex, char *why)
{
	char json[256];

	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"exec_id\":\"%s\"}", id, ex);
	return must(s, HUSK_MSG_WAIT, json, why);
}

/* Exec CMD with stdout and stderr bound; its output and exit status. */
int exec_run(struct suite *s, const char *id, const char *ex, const char *cmd, struct ac_buf *out,
	     long long *status, char *why)
{
	struct ac_buf err = { 0 };
	struct ac_msg *w;
	int o, e;

	if (!exec_create(s, id, ex, cmd, false, true, false, why))
		return -1;
	o = ac_bind(s->addr, id, ex, "stdout", why, 512);
	e = o < 0 ? -1 : ac_bind(s->addr, id, ex, "stderr", why, 512);
	if (e < 0 || !exec_start(s, id, ex, why) ||
	    ac_pump(-1, NULL, 0, o, out, e, &err, 30000) < 0 || !(w = wait_for(s, id, ex, why)))
		return -1;
	*status = ac_int(w, "exit_status", -1);
	ac_msg_free(w);
	free(err.data);
	return 0;
}
