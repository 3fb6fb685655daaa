// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_relay_dump.c - the SIGUSR1 dump's view of husk-init's side of
 * the stdio streams: a RELAY_STATUS request, asked on a thread of its own
 * with a DUMP_RELAY_QUERY_MS deadline, whose answer is logged when it
 * comes, one line per stream (base/dump_lines.h), or one line saying that
 * husk-init did not answer; "dump: husk-init relay: end" closes it either
 * way (tests/rig/shim-dump.sh waits for it). The dump itself runs on the daemon's signal
 * thread, which also reaps children, so it only starts the query: it
 * never waits for the guest. The thread holds the agent client
 * (agent_client_hold), so a sandbox torn down meanwhile fails the request
 * instead of freeing the client under it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent-codec/agent_relay_msg.h"
#include "common/error.h"
#include "shim/agent/agent_client.h"
#include "shim/base/dump_lines.h"
#include "shim/base/shim_log.h"
#include "shim/sandbox/sandbox.h"

static void relay_log(const struct amsg_relay_status *st)
{
	char line[DUMP_LINE_MAX];
	size_t i;

	shim_info("dump: husk-init relay: %lld stream(s)%s", (long long)st->total,
		  st->truncated ? ", the first ones shown" : "");
	for (i = 0; i < st->n; i++) {
		dump_relay_line(line, sizeof(line), &st->s[i]);
		shim_info("%s", line);
	}
}

static void relay_query(struct agent_client *agent)
{
	struct amsg_relay_status *st = malloc(sizeof(*st));
	struct husk_error *err = NULL;
	char line[DUMP_LINE_MAX];
	yajl_val reply = NULL;
	int ret;

	if (!st) {
		shim_info("dump: husk-init relay: query failed: no memory");
		return;
	}
	ret = agent_call(agent, HUSK_MSG_RELAY_STATUS, "{}", DUMP_RELAY_QUERY_MS, &reply, &err);
	if (!ret)
		ret = amsg_relay_parse(reply, st, &err);
	if (ret == -ETIMEDOUT) {
		dump_relay_timeout_line(line, sizeof(line));
		shim_info("%s", line);
	} else if (ret) {
		shim_info("dump: husk-init relay: query failed: %s", husk_error_message(err));
	} else {
		relay_log(st);
	}
	if (reply)
		yajl_tree_free(reply);
	husk_error_free(err);
	free(st);
}

static void *relay_query_thread(void *arg)
{
	struct agent_client *agent = arg;

	relay_query(agent);
	agent_client_release(agent);
	shim_info("dump: husk-init relay: end");
	return NULL;
}

void sandbox_dump_relays(struct agent_client *agent)
{
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	agent_client_hold(agent);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&t, &attr, relay_query_thread, agent);
	pthread_attr_destroy(&attr);
	if (ret) {
		agent_client_release(agent);
		shim_info("dump: husk-init relay: no thread for the query: %s", strerror(ret));
		return;
	}
	shim_info("dump: husk-init relay: asked husk-init (its answer follows within %d s)",
		  DUMP_RELAY_QUERY_MS / 1000);
}
