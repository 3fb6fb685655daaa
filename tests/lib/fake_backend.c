// SPDX-License-Identifier: Apache-2.0
/* fake_backend.c - in-memory processes behind the Task service (tests). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/base/phase_log.h"
#include "tests/lib/fake_backend.h"

enum fproc_state { F_CREATED, F_RUNNING, F_EXITED };

struct fproc {
	char id[80], exec_id[80]; /* exec_id "" for init */
	uint32_t pid;
	enum fproc_state state;
	int exit_on_start; /* -1: no */
};

#define FAKE_MAX 64

struct fake_backend {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct shim_tasks *tasks;
	struct fproc procs[FAKE_MAX];
	unsigned nprocs;
	uint32_t next_pid;
	char fail_op[16];
	int fail_err;
	bool hold_start;
	char exit_on_start_exec[80];
	int exit_on_start_status;
	char last_update[256];
	char create_phases[128];
	unsigned calls[16];
};

static const char *const op_names[] = {
	"create", "start",  "exec",	"kill",	      "delete", "pids",
	"pause",  "resume", "close_io", "resize_pty", "stats",	"update",
};

struct fake_backend *fake_backend_new(void)
{
	struct fake_backend *fb = calloc(1, sizeof(*fb));

	if (!fb)
		return NULL;
	pthread_mutex_init(&fb->lock, NULL);
	pthread_cond_init(&fb->cond, NULL);
	fb->next_pid = 1000;
	fb->exit_on_start_status = -1;
	return fb;
}

/* Count the call; returns -errno if this call was told to fail. Lock held. */
static int enter(struct fake_backend *fb, const char *op)
{
	size_t i;

	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op_names[i], op))
			fb->calls[i]++;
	if (fb->fail_err && !strcmp(fb->fail_op, op)) {
		int e = fb->fail_err;

		fb->fail_err = 0;
		return -e;
	}
	return 0;
}

static struct fproc *find(struct fake_backend *fb, const char *id, const char *exec_id)
{
	unsigned i;

	for (i = 0; i < fb->nprocs; i++)
		if (!strcmp(fb->procs[i].id, id) &&
		    !strcmp(fb->procs[i].exec_id, exec_id ? exec_id : ""))
			return &fb->procs[i];
	return NULL;
}

static int add(struct fake_backend *fb, const char *id, const char *exec_id)
{
	struct fproc *p;

	if (fb->nprocs == FAKE_MAX)
		return -ENOMEM;
	p = &fb->procs[fb->nprocs++];
	memset(p, 0, sizeof(*p));
	strncpy(p->id, id, sizeof(p->id) - 1);
	strncpy(p->exec_id, exec_id ? exec_id : "", sizeof(p->exec_id) - 1);
	p->state = F_CREATED;
	p->exit_on_start = -1;
	return 0;
}

static void drop(struct fake_backend *fb, struct fproc *p)
{
	*p = fb->procs[--fb->nprocs];
}

static int fb_attach(void *be, struct shim_tasks *tasks)
{
	((struct fake_backend *)be)->tasks = tasks;
	return 0;
}

/* The names of the phases the task layer marked, space-separated. Lock held. */
static void record_phases(struct fake_backend *fb, const struct phase_log *pl)
{
	size_t i, off = 0;

	fb->create_phases[0] = '\0';
	for (i = 0; pl && i < pl->n && off < sizeof(fb->create_phases); i++)
		off += (size_t)snprintf(fb->create_phases + off, sizeof(fb->create_phases) - off,
					"%s%s", i ? " " : "", pl->marks[i].name);
	if (pl && !phase_log_started(pl))
		snprintf(fb->create_phases, sizeof(fb->create_phases), "(not started)");
}

static int fb_create(void *be, const struct shim_create_req *req, uint32_t *pid,
		     struct husk_error **err)
{
	struct fake_backend *fb = be;
	int ret;

	pthread_mutex_lock(&fb->lock);
	ret = enter(fb, "create");
	record_phases(fb, req->phases);
	if (!ret)
		ret = add(fb, req->id, NULL);
	if (!ret)
		*pid = find(fb, req->id, NULL)->pid = fb->next_pid++;
	pthread_mutex_unlock(&fb->lock);
	return ret ? husk_err(err, -ret, "fake create %s", req->id) : 0;
}

/* Report an exit to the task layer, without our lock (it may call back). */
static void report(struct fake_backend *fb, const char *id, const char *exec_id, int status)
{
	shim_tasks_exited(fb->tasks, id, exec_id && *exec_id ? exec_id : NULL, (uint32_t)status,
			  NULL);
}

static int fb_start(void *be, const char *id, const char *exec_id, uint32_t *pid,
		    struct husk_error **err)
{
	struct fake_backend *fb = be;
	struct fproc *p;
	int ret, exit_now = -1;

	pthread_mutex_lock(&fb->lock);
	while (fb->hold_start)
		pthread_cond_wait(&fb->cond, &fb->lock);
	ret = enter(fb, "start");
	p = ret ? NULL : find(fb, id, exec_id);
	if (!ret && !p)
		ret = -ESRCH;
	if (p) {
		if (!p->pid)
			p->pid = fb->next_pid++;
		*pid = p->pid;
		p->state = F_RUNNING;
		if (!strcmp(fb->exit_on_start_exec, exec_id ? exec_id : "") &&
		    fb->exit_on_start_status >= 0) {
			exit_now = fb->exit_on_start_status;
			fb->exit_on_start_status = -1;
			p->state = F_EXITED;
		}
	}
	pthread_mutex_unlock(&fb->lock);
	if (exit_now >= 0)
		report(fb, id, exec_id, exit_now);
	return ret ? husk_err(err, -ret, "fake start %s", id) : 0;
}

static int fb_exec(void *be, const struct shim_exec_req *req, struct husk_error **err)
{
	struct fake_backend *fb = be;
	int ret;

	pthread_mutex_lock(&fb->lock);
	ret = enter(fb, "exec");
	if (!ret)
		ret = add(fb, req->id, req->exec_id);
	pthread_mutex_unlock(&fb->lock);
	return ret ? husk_err(err, -ret, "fake exec %s", req->exec_id) : 0;
}

struct exit_note {
	char exec_id[80];
	int status;
};

/* Lock held: end @p (and, for init, its running execs first) into @notes. */
static unsigned end_procs(struct fake_backend *fb, const char *id, struct fproc *p, int status,
			  struct exit_note *notes)
{
	unsigned i, n = 0;

	if (!p->exec_id[0]) {
		for (i = 0; i < fb->nprocs; i++) {
			struct fproc *e = &fb->procs[i];

			if (strcmp(e->id, id) || !e->exec_id[0] || e->state != F_RUNNING)
				continue;
			e->state = F_EXITED;
			strcpy(notes[n].exec_id, e->exec_id);
			notes[n++].status = 137;
		}
	}
	p->state = F_EXITED;
	strcpy(notes[n].exec_id, p->exec_id);
	notes[n++].status = status;
	return n;
}

static int fb_kill(void *be, const char *id, const char *exec_id, uint32_t sig, bool all,
		   struct husk_error **err)
{
	struct fake_backend *fb = be;
	struct exit_note notes[FAKE_MAX];
	struct fproc *p;
	unsigned i, n = 0;
	int ret;

	pthread_mutex_lock(&fb->lock);
	ret = enter(fb, "kill");
	p = ret ? NULL : find(fb, id, exec_id);
	if (!ret && (!p || p->state == F_EXITED))
		ret = -ESRCH;
	if (!ret && sig)
		n = end_procs(fb, id, p, 128 + (int)sig, notes);
	pthread_mutex_unlock(&fb->lock);
	for (i = 0; i < n; i++)
		report(fb, id, notes[i].exec_id, notes[i].status);
	return ret ? husk_err(err, -ret, "fake kill %s", id) : 0;
}

void fake_backend_exit(struct fake_backend *fb, const char *id, const char *exec_id, int status)
{
	struct exit_note notes[FAKE_MAX];
	struct fproc *p;
	unsigned i, n = 0;

	pthread_mutex_lock(&fb->lock);
	p = find(fb, id, exec_id);
	if (p && p->state == F_RUNNING)
		n = end_procs(fb, id, p, status, notes);
	pthread_mutex_unlock(&fb->lock);
	for (i = 0; i < n; i++)
		report(fb, id, notes[i].exec_id, notes[i].status);
}

static int fb_delete(void *be, const char *id, const char *exec_id, struct husk_error **err)
{
	struct fake_backend *fb = be;
	struct fproc *p;
	unsigned i;
	int ret;

	pthread_mutex_lock(&fb->lock);
	ret = enter(fb, "delete");
	if (!ret && exec_id && (p = find(fb, id, exec_id)))
		drop(fb, p);
	for (i = fb->nprocs; !ret && !exec_id && i-- > 0;)
		if (!strcmp(fb->procs[i].id, id))
			drop(fb, &fb->procs[i]);
	pthread_mutex_unlock(&fb->lock);
	return ret ? husk_err(err, -ret, "fake delete %s", id) : 0;
}

static int fb_pids(void *be, const char *id, uint32_t **pids, size_t *n, struct husk_error **err)
{
	struct fake_backend *fb = be;
	unsigned i;

	pthread_mutex_lock(&fb->lock);
	enter(fb, "pids");
	*pids = calloc(FAKE_MAX, sizeof(**pids));
	*n = 0;
	for (i = 0; *pids && i < fb->nprocs; i++)
		if (!strcmp(fb->procs[i].id, id) && fb->procs[i].state == F_RUNNING)
			(*pids)[(*n)++] = fb->procs[i].pid;
	pthread_mutex_unlock(&fb->lock);
	return *pids ? 0 : -ENOMEM;
}

static int simple_op(struct fake_backend *fb, const char *op, struct husk_error **err)
{
	int ret;

	pthread_mutex_lock(&fb->lock);
	ret = enter(fb, op);
	pthread_mutex_unlock(&fb->lock);
	return ret ? husk_err(err, -ret, "fake %s", op) : 0;
}

static int fb_pause(void *be, const char *id, struct husk_error **err)
{
	return simple_op(be, "pause", err);
}

static int fb_resume(void *be, const char *id, struct husk_error **err)
{
	return simple_op(be, "resume", err);
}

static int fb_close_io(void *be, const char *id, const char *exec_id, struct husk_error **err)
{
	return simple_op(be, "close_io", err);
}

static int fb_resize_pty(void *be, const char *id, const char *exec_id, uint32_t w, uint32_t h,
			 struct husk_error **err)
{
	return simple_op(be, "resize_pty", err);
}

static int fb_stats(void *be, const char *id, struct shim_stats *st, struct husk_error **err)
{
	st->cpu_usage_usec = 1234;
	st->mem_usage = 64u << 20;
	st->mem_limit = 256u << 20;
	st->pids_current = 3;
	st->mem_anon = 40u << 20;
	st->mem_inactive_file = 8u << 20;
	return simple_op(be, "stats", err);
}

static int fb_update(void *be, const char *id, const char *json, size_t len,
		     struct husk_error **err)
{
	struct fake_backend *fb = be;

	pthread_mutex_lock(&fb->lock);
	if (len >= sizeof(fb->last_update))
		len = sizeof(fb->last_update) - 1;
	memcpy(fb->last_update, json, len);
	fb->last_update[len] = '\0';
	pthread_mutex_unlock(&fb->lock);
	return simple_op(be, "update", err);
}

static void fb_destroy(void *be)
{
	struct fake_backend *fb = be;

	pthread_cond_destroy(&fb->cond);
	pthread_mutex_destroy(&fb->lock);
	free(fb);
}

const struct shim_backend_ops fake_backend_ops = {
	.attach = fb_attach,
	.create = fb_create,
	.start = fb_start,
	.exec = fb_exec,
	.kill = fb_kill,
	.delete = fb_delete,
	.pids = fb_pids,
	.pause = fb_pause,
	.resume = fb_resume,
	.close_io = fb_close_io,
	.resize_pty = fb_resize_pty,
	.stats = fb_stats,
	.update = fb_update,
	.destroy = fb_destroy,
};

void fake_backend_exit_on_start(struct fake_backend *fb, const char *exec_id, int status)
{
	pthread_mutex_lock(&fb->lock);
	snprintf(fb->exit_on_start_exec, sizeof(fb->exit_on_start_exec), "%s",
		 exec_id ? exec_id : "");
	fb->exit_on_start_status = status;
	pthread_mutex_unlock(&fb->lock);
}

void fake_backend_fail_next(struct fake_backend *fb, const char *op, int err)
{
	pthread_mutex_lock(&fb->lock);
	snprintf(fb->fail_op, sizeof(fb->fail_op), "%s", op);
	fb->fail_err = err;
	pthread_mutex_unlock(&fb->lock);
}

void fake_backend_hold_start(struct fake_backend *fb)
{
	pthread_mutex_lock(&fb->lock);
	fb->hold_start = true;
	pthread_mutex_unlock(&fb->lock);
}

void fake_backend_release_start(struct fake_backend *fb)
{
	pthread_mutex_lock(&fb->lock);
	fb->hold_start = false;
	pthread_cond_broadcast(&fb->cond);
	pthread_mutex_unlock(&fb->lock);
}

unsigned fake_backend_calls(struct fake_backend *fb, const char *op)
{
	unsigned i, n = 0;

	pthread_mutex_lock(&fb->lock);
	for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(op_names[i], op))
			n = fb->calls[i];
	pthread_mutex_unlock(&fb->lock);
	return n;
}

const char *fake_backend_create_phases(struct fake_backend *fb)
{
	return fb->create_phases;
}

const char *fake_backend_last_update(struct fake_backend *fb)
{
	return fb->last_update;
}
