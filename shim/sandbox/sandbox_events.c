// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_events.c - what the guest tells us: EXIT and OOM events from
 * husk-init, and the end of the VM itself. An exit is handed to the task
 * layer only once the process's output relays have drained (or after
 * SANDBOX_DRAIN_TIMEOUT_MS, for a stream a leftover process holds open), since
 * containerd's client stops reading as soon as Wait returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "shim/sandbox/sandbox.h"
#include "husk_agent.h"
#include "agent-codec/json.h"
#include "shim/base/shim_log.h"

static void sandbox_report(struct sandbox *be, const char *id, const char *exec_id, uint32_t status,
			   const struct timespec *at)
{
	shim_debug("exit of %s/%s: %u", id, exec_id ? exec_id : "init", status);
	shim_tasks_exited(be->tasks, id, exec_id, status, at);
}

/*
 * Take the report out of @p if it is due: called with be->lock held;
 * returns true when the caller must report (after unlocking) with the
 * copies it got. The ids are copied because a delete may free @p as soon
 * as the task layer has the exit.
 */
static bool sandbox_take_report(struct sandbox_proc *p, char **id, char **exec_id)
{
	if (p->reported || !p->exited || p->open_outputs > 0)
		return false;
	p->reported = true;
	if (!p->exec_id) /* the output drained: containerd is told of the exit */
		phase_log_mark(&p->container->stop, "drain");
	*id = strdup(p->container->id);
	*exec_id = p->exec_id ? strdup(p->exec_id) : NULL;
	return *id != NULL;
}

static void sandbox_report_due(struct sandbox *be, struct sandbox_proc *p)
{
	char *id = NULL, *exec_id = NULL;
	struct timespec at = p->at;
	uint32_t status = p->status;
	bool due = sandbox_take_report(p, &id, &exec_id);

	pthread_mutex_unlock(&be->lock);
	if (due)
		sandbox_report(be, id, exec_id, status, &at);
	free(id);
	free(exec_id);
}

struct sandbox_drain {
	struct sandbox *be;
	struct sandbox_proc *p;
};

/* Waits for the output of an exited process, then reports it anyway. */
static void *sandbox_drain_thread(void *arg)
{
	struct sandbox_drain *d = arg;
	struct sandbox *be = d->be;
	struct timespec ts = husk_timespec_after_ms(CLOCK_MONOTONIC, SANDBOX_DRAIN_TIMEOUT_MS);

	pthread_mutex_lock(&be->lock);
	while (!d->p->reported && d->p->open_outputs > 0)
		if (pthread_cond_timedwait(&be->cond, &be->lock, &ts) == ETIMEDOUT)
			break;
	if (!d->p->reported && d->p->open_outputs > 0) {
		shim_warn("%s: output still open %d s after the exit; reporting it",
			  d->p->container->id, SANDBOX_DRAIN_TIMEOUT_MS / 1000);
		d->p->open_outputs = 0;
	}
	d->p->drainers--;
	pthread_cond_broadcast(&be->cond);
	sandbox_report_due(be, d->p); /* reported already, or due now: p stays */
	free(d);
	return NULL;
}

static void sandbox_exit_event(struct sandbox *be, yajl_val v)
{
	const char *id = NULL, *exec_id = NULL;
	int64_t status = 255, at = 0;
	struct sandbox_drain *d;
	struct sandbox_proc *p;
	pthread_t t;

	json_string(json_member(v, "id"), "id", &id, NULL);
	json_string(json_member(v, "exec_id"), "exec_id", &exec_id, NULL);
	json_int64(json_member(v, "exit_status"), "exit_status", &status, NULL);
	json_int64(json_member(v, "exited_at"), "exited_at", &at, NULL);
	if (!id)
		return;
	pthread_mutex_lock(&be->lock);
	p = sandbox_find(be, id, exec_id && *exec_id ? exec_id : NULL);
	if (!p || p->exited) {
		pthread_mutex_unlock(&be->lock);
		return;
	}
	p->exited = true;
	if (!p->exec_id) /* as husk-init reported it: a teardown starts here, or after a Kill */
		phase_log_mark(&p->container->stop, "exit");
	p->status = (uint32_t)(status & 0xff);
	if (at > 0)
		p->at = (struct timespec){ at / 1000000000, at % 1000000000 };
	else
		clock_gettime(CLOCK_REALTIME, &p->at);
	d = p->open_outputs > 0 ? malloc(sizeof(*d)) : NULL;
	if (d) {
		*d = (struct sandbox_drain){ be, p };
		p->drainers++;
		pthread_mutex_unlock(&be->lock);
		if (!pthread_create(&t, NULL, sandbox_drain_thread, d)) {
			pthread_detach(t);
			return;
		}
		free(d);
		pthread_mutex_lock(&be->lock);
		p->drainers--;
		p->open_outputs = 0;
	}
	sandbox_report_due(be, p);
}

void sandbox_on_event(void *opaque, uint16_t type, yajl_val v)
{
	struct sandbox *be = opaque;
	const char *id = NULL;

	if (type == HUSK_MSG_EVENT_EXIT) {
		sandbox_exit_event(be, v);
	} else if (type == HUSK_MSG_EVENT_OOM) {
		json_string(json_member(v, "id"), "id", &id, NULL);
		if (id)
			shim_tasks_oom(be->tasks, id);
	} else if (type == 0) {
		shim_debug("agent connection closed");
	}
}

void sandbox_output_done(struct sandbox *be, struct sandbox_proc *p)
{
	pthread_mutex_lock(&be->lock);
	if (p->open_outputs > 0)
		p->open_outputs--;
	pthread_cond_broadcast(&be->cond);
	sandbox_report_due(be, p);
}

/* The VM is gone: every process not yet reported ends now. */
void sandbox_vm_ended(struct sandbox *be)
{
	struct sandbox_container *c;
	struct sandbox_proc *p;
	bool again = true;

	while (again) {
		again = false;
		pthread_mutex_lock(&be->lock);
		be->vm_dead = true;
		for (c = be->containers; c && !again; c = c->next) {
			for (p = c->procs; p && !again; p = p->next) {
				if (p->reported)
					continue;
				if (!p->exited) {
					p->exited = true;
					p->status = SANDBOX_VM_EXIT_STATUS;
					clock_gettime(CLOCK_REALTIME, &p->at);
				}
				p->open_outputs = 0;
				again = true;
				sandbox_report_due(be, p); /* unlocks */
			}
		}
		if (!again)
			pthread_mutex_unlock(&be->lock);
	}
}
