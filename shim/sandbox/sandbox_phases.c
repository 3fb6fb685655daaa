// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_phases.c - where the time of a container's start and teardown
 * goes: the two phase logs of each container (base/phase_log.h) and the
 * lines they become, at debug level (containerd passes -debug to the shim
 * when its own level is debug, and copies the shim's log FIFO into its
 * log as it is). ARCHITECTURE.md lists the phase names and their order.
 *
 *   start phases of ID (ms): spec 1, share 0, ...; total 2100
 *	from the task Create request to Start answered, logged by Start;
 *   stop phases of ID (ms): exit 0, drain 0, delete 35, ...; total 190
 *	from the first kill or exit (or Delete) to Delete's end, logged by
 *	Delete; when that Delete took the VM down, kept and logged as the
 *	shim begins to exit, with "shim-exit" last (cmd_daemon.c, before
 *	the ttrpc connection closes: containerd closes the log FIFO then).
 *
 * The other sandbox files mark their own steps; this file holds what
 * the marks need beyond a name: libhusk's boot timestamps, the lock of
 * the teardown logs and the lines' titles. It calls no other sandbox file.
 */
#include <stdio.h>

#include "common/clock.h"
#include "husk.h"
#include "shim/sandbox/sandbox.h"

void sandbox_phases_begin(struct sandbox_container *c, const struct shim_create_req *req)
{
	if (req->phases)
		c->start = *req->phases;
	else
		phase_log_start(&c->start, husk_now_ns());
}

void sandbox_phases_boot(struct sandbox *be, struct phase_log *pl)
{
	struct husk_vm_timing t;

	husk_vm_get_timing(be->vm, &t);
	/* Taken on the vCPU thread, maybe before husk_vm_start returned: then a 0 ms phase. */
	phase_log_mark_at(pl, "kernel", t.first_run_ns);
	phase_log_mark_at(pl, "marker", t.boot_marker_ns);
}

void sandbox_phases_started(struct sandbox_container *c)
{
	char title[160];

	phase_log_mark(&c->start, "start");
	snprintf(title, sizeof(title), "start phases of %s", c->id);
	phase_log_debug(&c->start, title);
}

void sandbox_phase_stop(struct sandbox *be, struct phase_log *pl, const char *name)
{
	if (!pl)
		return;
	pthread_mutex_lock(&be->lock);
	phase_log_mark(pl, name);
	pthread_mutex_unlock(&be->lock);
}

/* Lock held: log be->stop, if it holds a teardown, and forget it. */
static void sandbox_phases_flush(struct sandbox *be)
{
	char title[160];

	if (!phase_log_started(&be->stop))
		return;
	snprintf(title, sizeof(title), "stop phases of %s", be->stop_of);
	phase_log_debug(&be->stop, title);
	be->stop.t0_ns = 0;
}

struct phase_log *sandbox_phases_destroy(struct sandbox *be)
{
	if (!be->vm)
		return NULL;
	pthread_mutex_lock(&be->lock);
	sandbox_phases_flush(be); /* the last Delete's, kept for the exit */
	phase_log_start(&be->stop, husk_now_ns());
	snprintf(be->stop_of, sizeof(be->stop_of), "the VM");
	pthread_mutex_unlock(&be->lock);
	return &be->stop;
}

void sandbox_phases_deleted(struct sandbox *be, struct sandbox_container *c, bool vm_gone)
{
	char title[160];

	pthread_mutex_lock(&be->lock);
	phase_log_mark(&c->stop, "hooks");
	if (vm_gone) {
		sandbox_phases_flush(be); /* an earlier VM's, never logged: a new Create came */
		be->stop = c->stop;
		snprintf(be->stop_of, sizeof(be->stop_of), "%s", c->id);
	} else {
		snprintf(title, sizeof(title), "stop phases of %s", c->id);
		phase_log_debug(&c->stop, title);
	}
	pthread_mutex_unlock(&be->lock);
}

void sandbox_phases_exit(struct sandbox *be)
{
	pthread_mutex_lock(&be->lock);
	if (phase_log_started(&be->stop)) {
		phase_log_mark(&be->stop, "shim-exit");
		sandbox_phases_flush(be);
	}
	pthread_mutex_unlock(&be->lock);
}
