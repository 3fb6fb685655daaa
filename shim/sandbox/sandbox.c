// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox.c - what every file of the VM backend uses: the backend object,
 * finding a process, requests to husk-init over the agent connection, and
 * new vsock connections to husk-init (the agent's, stdio's, forwards').
 * It calls no other sandbox_*.c file (see sandbox.h for the layout).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "husk.h"
#include "husk_agent.h"
#include "shim/agent/agent_client.h"
#include "agent-codec/json.h"
#include "shim/base/shim_log.h"
#include "shim/share/fs_daemon_cache.h"
#include "shim/sandbox/sandbox.h"

struct sandbox_proc *sandbox_find(struct sandbox *be, const char *id, const char *exec_id)
{
	struct sandbox_container *c;
	struct sandbox_proc *p;

	for (c = be->containers; c; c = c->next) {
		if (strcmp(c->id, id))
			continue;
		for (p = c->procs; p; p = p->next)
			if ((!exec_id && !p->exec_id) ||
			    (exec_id && p->exec_id && !strcmp(exec_id, p->exec_id)))
				return p;
	}
	return NULL;
}

int sandbox_call(struct sandbox *be, uint16_t type, const char *json, yajl_val *reply,
		 struct husk_error **err)
{
	if (!be->agent)
		return husk_err(err, ESRCH, "%s: no VM is running", husk_agent_type_name(type));
	return agent_call(be->agent, type, json, agent_deadline_ms(type), reply, err);
}

/*
 * husk-init's "steps" of a request, where its time went in the guest:
 * debug. The id is read off the request's start, which is always
 * {"id":"..." here (a parse of a CREATE's whole spec would cost more).
 */
static void sandbox_log_steps(uint16_t type, const char *json, yajl_val reply)
{
	const char *steps = NULL;
	char id[128] = "?";

	if (shim_log_get_level() < SHIM_LOG_DEBUG ||
	    json_string(json_member(reply, "steps"), "steps", &steps, NULL) || !steps)
		return;
	if (sscanf(json, "{\"id\":\"%127[^\"]\"", id) != 1)
		snprintf(id, sizeof(id), "?");
	shim_debug("%s of %s: %.300s", husk_agent_type_name(type), id, steps);
}

int sandbox_call_pid(struct sandbox *be, uint16_t type, const char *json, uint32_t *pid,
		     struct husk_error **err)
{
	yajl_val reply = NULL;
	int64_t gpid = 0;
	int ret = sandbox_call(be, type, json, &reply, err);

	if (!ret) {
		json_int64(json_member(reply, "pid"), "pid", &gpid, NULL);
		sandbox_log_steps(type, json, reply);
	}
	if (reply)
		yajl_tree_free(reply);
	*pid = gpid > 0 && gpid <= UINT32_MAX ? (uint32_t)gpid : 0;
	return ret;
}

void sandbox_ids_json(char *buf, size_t len, const char *id, const char *exec_id)
{
	/* Ids are [A-Za-z0-9._-] (checked by the task layer): no escaping. */
	snprintf(buf, len, "{\"id\":\"%s\",\"exec_id\":\"%s\"", id, exec_id ? exec_id : "");
}

int sandbox_backend_new(struct sandbox **out)
{
	struct sandbox *be = calloc(1, sizeof(*be));
	pthread_condattr_t ca;

	if (!be)
		return -ENOMEM;
	pthread_mutex_init(&be->lock, NULL);
	pthread_mutex_init(&be->boot_lock, NULL);
	pthread_mutex_init(&be->dump_lock, NULL);
	/* Timed waits on it (the output drain) use CLOCK_MONOTONIC deadlines. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&be->cond, &ca);
	pthread_condattr_destroy(&ca);
	be->watch_stop_fd = -1;
	be->vm_dead = true;
	fs_daemon_init(&be->fsd);
	be->fsd.flavour_cache = FS_DAEMON_FLAVOUR_CACHE; /* no `--version` run per sandbox */
	*out = be;
	return 0;
}

int sandbox_vsock_connect(struct sandbox *be, int timeout_ms, int *fd, struct husk_error **err)
{
	long long deadline = husk_now_ms() + timeout_ms;
	int ret;

	for (;;) {
		if (be->vm_dead)
			return husk_err(err, ESRCH, "connect to husk-init: the VM has ended");
		ret = husk_vm_vsock_connect(be->vm, HUSK_AGENT_VSOCK_PORT, 2000, fd, NULL);
		if (!ret)
			return 0;
		if ((ret != -ENOTCONN && ret != -ECONNREFUSED && ret != -ETIMEDOUT &&
		     ret != -ECONNRESET) ||
		    husk_now_ms() > deadline)
			return husk_err(err, -ret, "connect to husk-init on vsock port %d",
					HUSK_AGENT_VSOCK_PORT);
		/* The guest is still booting: husk-init listens once it is up,
		 * and each 10 ms of this wait is 10 ms of every container start. */
		usleep(10000);
	}
}
