// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_proc.c - process ops of the VM backend, each one request to
 * husk-init: Start, Exec (the OCI Process JSON as containerd sent it),
 * Kill, Pids, CloseIO and ResizePty (Stats: sandbox_stats.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/agent/agent_client.h"
#include "shim/sandbox/sandbox.h"
#include "common/error.h"
#include "agent-codec/json.h"
#include "shim/base/config_file.h"
#include "shim/base/shim_log.h"

static struct sandbox_proc *sandbox_lookup(struct sandbox *be, const char *id, const char *exec_id)
{
	struct sandbox_proc *p;

	pthread_mutex_lock(&be->lock);
	p = sandbox_find(be, id, exec_id);
	pthread_mutex_unlock(&be->lock);
	return p;
}

int sandbox_start(void *opaque, const char *id, const char *exec_id, uint32_t *pid,
		  struct husk_error **err)
{
	struct sandbox *be = opaque;
	struct sandbox_proc *p = sandbox_lookup(be, id, exec_id);
	uint32_t gpid;
	char json[512];
	int ret;

	if (!p)
		return husk_err(err, ENOENT, "start %s/%s: no such process", id,
				exec_id ? exec_id : "init");
	if (!exec_id) /* the time containerd took between Create's answer and Start */
		phase_log_mark(&p->container->start, "containerd");
	sandbox_ids_json(json, sizeof(json) - 1, id, exec_id);
	strcat(json, "}");
	ret = sandbox_call_pid(be, HUSK_MSG_START, json, &gpid, err);
	if (ret)
		return ret;
	pthread_mutex_lock(&be->lock);
	p->started = true;
	if (gpid)
		p->pid = gpid;
	*pid = p->pid;
	pthread_mutex_unlock(&be->lock);
	/* Start succeeded; a failing poststart hook is only a warning (the spec). */
	if (!exec_id) {
		oci_hooks_run(&p->container->hooks, OCI_HOOK_POSTSTART, "running", *pid, NULL);
		sandbox_phases_started(p->container);
	}
	return 0;
}

static struct sandbox_proc *sandbox_exec_proc(struct sandbox *be, const struct shim_exec_req *req,
					      struct husk_error **err)
{
	struct sandbox_proc *init = sandbox_lookup(be, req->id, NULL), *p;

	if (!init) {
		husk_err(err, ENOENT, "exec in %s: no such container", req->id);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->exec_id = strdup(req->exec_id))) {
		free(p);
		husk_err(err, ENOMEM, "exec %s", req->exec_id);
		return NULL;
	}
	p->container = init->container;
	if (sandbox_stdio_parse(&req->stdio, &p->io, err)) {
		sandbox_proc_free(p);
		return NULL;
	}
	return p;
}

int sandbox_exec(void *opaque, const struct shim_exec_req *req, struct husk_error **err)
{
	struct sandbox *be = opaque;
	struct sandbox_proc *p = sandbox_exec_proc(be, req, err);
	char ids[512], stdio[128], *json;
	int ret;

	if (!p)
		return err && *err ? -husk_error_errno(*err) : -EINVAL;
	sandbox_ids_json(ids, sizeof(ids), req->id, req->exec_id);
	sandbox_stdio_json(&p->io, stdio, sizeof(stdio));
	if (asprintf(&json, "%s,\"process\":%.*s,\"stdio\":%s}", ids, (int)req->spec_len,
		     req->spec_json, stdio) < 0) {
		sandbox_proc_free(p);
		return husk_err(err, ENOMEM, "EXEC request");
	}
	ret = sandbox_call_pid(be, HUSK_MSG_EXEC, json, &p->pid, err);
	free(json);
	if (ret) {
		sandbox_proc_free(p);
		return ret;
	}
	pthread_mutex_lock(&be->lock);
	p->next = p->container->procs->next;
	p->container->procs->next = p;
	pthread_mutex_unlock(&be->lock);
	/* On failure the exec stays listed: its Delete frees it. */
	return sandbox_stdio_attach(be, p, err);
}

int sandbox_kill(void *opaque, const char *id, const char *exec_id, uint32_t signal, bool all,
		 struct husk_error **err)
{
	struct sandbox *be = opaque;
	struct sandbox_proc *p;
	char json[600];
	size_t n;

	pthread_mutex_lock(&be->lock);
	p = sandbox_find(be, id, exec_id);
	/* A container's teardown starts with the first Kill of its init (or its exit). */
	if (p && !exec_id && !phase_log_started(&p->container->stop))
		phase_log_mark(&p->container->stop, "kill");
	pthread_mutex_unlock(&be->lock);
	if (!p)
		return husk_err(err, ENOENT, "kill %s/%s: no such process", id,
				exec_id ? exec_id : "init");
	if (be->vm_dead)
		return husk_err(err, ESRCH, "kill %s: the VM has ended", id);
	sandbox_ids_json(json, sizeof(json), id, exec_id);
	n = strlen(json);
	snprintf(json + n, sizeof(json) - n, ",\"signal\":%u,\"all\":%s}", signal,
		 all ? "true" : "false");
	return sandbox_call(be, HUSK_MSG_SIGNAL, json, NULL, err);
}

int sandbox_pids(void *opaque, const char *id, uint32_t **pids, size_t *n, struct husk_error **err)
{
	struct sandbox *be = opaque;
	yajl_val reply = NULL, arr = NULL;
	char json[256];
	size_t i, k = 0;
	int ret;

	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	ret = sandbox_call(be, HUSK_MSG_PIDS, json, &reply, err);
	if (!ret)
		ret = json_array(json_member(reply, "pids"), "pids", &arr, err);
	*n = 0;
	*pids = NULL;
	if (!ret && arr && arr->u.array.len) {
		*pids = calloc(arr->u.array.len, sizeof(**pids));
		if (!*pids)
			ret = husk_err(err, ENOMEM, "pids");
		for (i = 0; !ret && i < arr->u.array.len; i++)
			if (YAJL_IS_INTEGER(arr->u.array.values[i]))
				(*pids)[k++] = (uint32_t)YAJL_GET_INTEGER(arr->u.array.values[i]);
		*n = k;
	}
	if (reply)
		yajl_tree_free(reply);
	return ret;
}

int sandbox_close_io(void *opaque, const char *id, const char *exec_id, struct husk_error **err)
{
	struct sandbox *be = opaque;
	struct sandbox_proc *p;

	pthread_mutex_lock(&be->lock);
	p = sandbox_find(be, id, exec_id);
	if (p)
		sandbox_stdio_close_in(&p->io);
	pthread_mutex_unlock(&be->lock);
	return p ? 0 : husk_err(err, ENOENT, "close stdin of %s: no such process", id);
}

int sandbox_resize_pty(void *opaque, const char *id, const char *exec_id, uint32_t width,
		       uint32_t height, struct husk_error **err)
{
	struct sandbox *be = opaque;
	char json[600];
	size_t n;

	sandbox_ids_json(json, sizeof(json), id, exec_id);
	n = strlen(json);
	snprintf(json + n, sizeof(json) - n, ",\"rows\":%u,\"cols\":%u}", height & 0xffff,
		 width & 0xffff);
	return sandbox_call(be, HUSK_MSG_RESIZE_PTY, json, NULL, err);
}

/* Pause and Resume freeze and thaw the container's cgroup in the guest;
 * the VM itself keeps running, as other containers of a pod may. */
static int sandbox_freeze(struct sandbox *be, const char *id, uint16_t type,
			  struct husk_error **err)
{
	char json[256];

	snprintf(json, sizeof(json), "{\"id\":\"%s\"}", id);
	return sandbox_call(be, type, json, NULL, err);
}

int sandbox_pause(void *opaque, const char *id, struct husk_error **err)
{
	return sandbox_freeze(opaque, id, HUSK_MSG_PAUSE, err);
}

int sandbox_resume(void *opaque, const char *id, struct husk_error **err)
{
	return sandbox_freeze(opaque, id, HUSK_MSG_RESUME, err);
}

/* Update: containerd's LinuxResources JSON, checked to be an object
 * before it is embedded in the UPDATE request. */
int sandbox_update(void *opaque, const char *id, const char *resources, size_t len,
		   struct husk_error **err)
{
	yajl_val v = NULL;
	char *json;
	int ret;

	ret = json_parse(resources, len, "resources", CONFIG_JSON_MAX_DEPTH, &v, err);
	if (!ret && !YAJL_IS_OBJECT(v))
		ret = husk_err(err, EINVAL, "resources are not a JSON object");
	if (v)
		yajl_tree_free(v);
	if (ret)
		return ret;
	if (asprintf(&json, "{\"id\":\"%s\",\"resources\":%.*s}", id, (int)len, resources) < 0)
		return husk_err(err, ENOMEM, "update");
	ret = sandbox_call(opaque, HUSK_MSG_UPDATE, json, NULL, err);
	free(json);
	return ret;
}
