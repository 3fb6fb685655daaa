// SPDX-License-Identifier: Apache-2.0
/* handlers.c - requests about containers and their processes. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "guest-init/requests/handlers.h"
#include "guest-init/container/container.h"

/* The process @m names; exec_id "" is the container's init. */
static struct proc *handle_proc(struct agent *ag, const struct amsg *m, struct husk_error **e)
{
	struct container *c = container_find(ag, m->id);
	struct proc *p;

	if (!c) {
		husk_err(e, ENOENT, "container %s", m->id);
		return NULL;
	}
	p = container_proc(c, m->exec_id);
	if (!p)
		husk_err(e, ENOENT, "process %s/%s", m->id, m->exec_id);
	return p;
}

/* "steps": where the request's time went in husk-init, for the shim's debug log. */
static void handle_steps(yajl_gen g, const struct phase_log *steps)
{
	char line[256];

	phase_log_format(steps, "husk-init", line, sizeof(line));
	json_write_string(g, "steps", line);
}

int handle_create(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct phase_log steps;
	struct container *k;

	phase_log_start(&steps, c->req_ns);
	phase_log_mark(&steps, "parse");
	if (container_create(c->ag, m, &steps, e) < 0)
		return -husk_error_errno(*e);
	k = container_find(c->ag, m->id);
	json_write_int(g, "pid", k->init->pid);
	handle_steps(g, &steps);
	return 0;
}

int handle_start(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct proc *p = handle_proc(c->ag, m, e);
	struct phase_log steps;

	phase_log_start(&steps, c->req_ns);
	phase_log_mark(&steps, "parse");
	if (!p || proc_start(p, &steps, e) < 0)
		return -husk_error_errno(*e);
	json_write_int(g, "pid", p->pid);
	handle_steps(g, &steps);
	return 0;
}

int handle_exec(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);
	struct proc *p;

	if (!k)
		return husk_err(e, ENOENT, "container %s", m->id);
	if (!k->init || k->init->state != PROC_RUNNING)
		return husk_err(e, EINVAL, "container %s is not running", m->id);
	if (container_proc(k, m->exec_id))
		return husk_err(e, EEXIST, "process %s/%s", m->id, m->exec_id);
	p = proc_new(k, m->exec_id);
	if (!p)
		return husk_err(e, ENOMEM, "process %s/%s", m->id, m->exec_id);
	if (proc_spawn(p, &m->proc, NULL, &m->stdio, NULL, e) < 0) {
		/* a failed exec is no process: no EXIT event for it */
		if (p->pid > 0)
			kill(p->pid, SIGKILL);
		proc_free(p);
		return husk_err_wrap(e, "exec %s/%s", m->id, m->exec_id);
	}
	json_write_int(g, "pid", p->pid);
	return 0;
}

int handle_signal(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);
	struct proc *p;

	if (k && m->all && !m->exec_id[0]) {
		container_kill_all(k, (int)m->signal);
		return 0;
	}
	p = handle_proc(c->ag, m, e);
	if (!p || proc_signal(p, (int)m->signal, e) < 0)
		return -husk_error_errno(*e);
	return 0;
}

int handle_wait(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct proc *p = handle_proc(c->ag, m, e);
	struct waiter *w;

	if (!p)
		return -husk_error_errno(*e);
	if (p->state == PROC_EXITED) {
		proc_exit_fields(p, g);
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return husk_err(e, ENOMEM, "wait");
	w->conn = c;
	w->req_id = id;
	list_add_tail(&p->waiters, &w->link);
	return HANDLER_DEFERRED;
}

int handle_close_stdin(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g,
		       struct husk_error **e)
{
	struct proc *p = handle_proc(c->ag, m, e);

	if (!p)
		return -husk_error_errno(*e);
	streams_close_stdin(&p->io);
	return 0;
}

int handle_resize(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct proc *p = handle_proc(c->ag, m, e);

	if (!p || streams_resize(&p->io, (unsigned int)m->rows, (unsigned int)m->cols, e) < 0)
		return -husk_error_errno(*e);
	return 0;
}

int handle_stats(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);

	if (!k)
		return husk_err(e, ENOENT, "container %s", m->id);
	return cgroup_stats(k, g, e);
}

int handle_pids(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);

	if (!k)
		return husk_err(e, ENOENT, "container %s", m->id);
	return cgroup_pids(k, g, e);
}

static int pause_resume(struct conn *c, struct amsg *m, bool pause, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);

	if (!k)
		return husk_err(e, ENOENT, "container %s", m->id);
	return cgroup_freeze(k, pause, e);
}

int handle_pause(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	return pause_resume(c, m, true, e);
}

int handle_resume(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	return pause_resume(c, m, false, e);
}

int handle_update(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);

	if (!k)
		return husk_err(e, ENOENT, "container %s", m->id);
	return cgroup_update(k, &m->spec.res, e);
}

int handle_delete(struct conn *c, uint64_t id, struct amsg *m, yajl_gen g, struct husk_error **e)
{
	struct container *k = container_find(c->ag, m->id);
	struct proc *p;

	if (!k)
		return husk_err(e, ENOENT, "container %s", m->id);
	if (!m->exec_id[0])
		return container_delete(k, e);
	p = container_proc(k, m->exec_id);
	if (!p)
		return husk_err(e, ENOENT, "process %s/%s", m->id, m->exec_id);
	if (p->state == PROC_RUNNING)
		return husk_err(e, EBUSY, "process %s/%s is running", m->id, m->exec_id);
	if (p->state == PROC_CREATED)
		kill(p->pid, SIGKILL);
	proc_free(p);
	return 0;
}
