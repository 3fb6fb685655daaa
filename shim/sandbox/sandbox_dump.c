// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_dump.c - the VM's part of the shim's SIGUSR1 dump: the agent
 * requests waiting for husk-init, each vCPU's state, each vsock
 * connection (bytes each way, credit), the vsock and virtio-fs queues'
 * indices and each stdio relay (bytes, what it waits on), as shim log
 * lines (base/dump_lines.h); husk-init's side of the relays comes later,
 * from the query sandbox_relay_dump.c starts here. It runs on the daemon's signal thread while
 * other threads may be stuck holding be->lock or be->boot_lock, so it
 * waits for neither: be->dump_lock only keeps the agent and the VM from
 * being freed under it, the relays are read under be->lock taken with a
 * deadline, and a lock held too long is said, not waited for (libhusk's
 * device and queue locks likewise).
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "common/clock.h"
#include "husk.h"
#include "husk_agent.h"
#include "shim/agent/agent_client.h"
#include "shim/base/dump_lines.h"
#include "shim/base/shim_log.h"
#include "shim/sandbox/sandbox.h"

#define DUMP_MAX_WAITS 32

static void dump_agent(struct agent_client *agent)
{
	struct agent_wait_info w[DUMP_MAX_WAITS];
	char line[DUMP_LINE_MAX];
	size_t n, i;

	n = agent_client_waits(agent, w, DUMP_MAX_WAITS);
	shim_info("dump: %zu agent request(s) waiting for husk-init", n);
	for (i = 0; i < n && i < DUMP_MAX_WAITS; i++) {
		dump_agent_line(line, sizeof(line), husk_agent_type_name(w[i].type), w[i].subject,
				w[i].age_ms, agent_deadline_ms(w[i].type));
		shim_info("%s", line);
	}
}

static void dump_vcpus(const struct husk_vm *vm)
{
	struct husk_vcpu_status st = { .struct_size = sizeof(st) };
	char line[DUMP_LINE_MAX];
	uint64_t now = husk_now_ns();
	unsigned int i;

	for (i = 0; !husk_vm_get_vcpu_status(vm, i, &st); i++) {
		dump_vcpu_line(line, sizeof(line), i, &st, now);
		shim_info("%s", line);
	}
}

#define DUMP_MAX_CONNS 64

static void dump_vsock(const struct husk_vm *vm)
{
	struct husk_vsock_conn_status st = { .struct_size = sizeof(st) };
	char line[DUMP_LINE_MAX];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < DUMP_MAX_CONNS && (ret = husk_vm_get_vsock_conn(vm, i, &st)) == 0; i++) {
		dump_vsock_line(line, sizeof(line), &st);
		shim_info("%s", line);
	}
	if (ret == -EBUSY)
		shim_info("dump: vsock: the device's lock stayed held (its loop may be stuck)");
	shim_info("dump: %u vsock connection(s)%s", i, i == DUMP_MAX_CONNS ? " shown" : "");
}

/* Every queue of @device, until there is none. */
static void dump_queues(const struct husk_vm *vm, const char *device)
{
	struct husk_queue_status st = { .struct_size = sizeof(st) };
	char line[DUMP_LINE_MAX];
	unsigned int q;
	int ret;

	for (q = 0; (ret = husk_vm_get_queue_status(vm, device, q, &st)) != -ENOENT; q++) {
		if (ret == -EBUSY)
			shim_info("dump: queue %s.%u: its lock stayed held", device, q);
		else if (ret == 0) {
			dump_queue_line(line, sizeof(line), device, q, &st);
			shim_info("%s", line);
		}
	}
}

static void dump_devices(const struct husk_vm *vm)
{
	char name[8];
	unsigned int i;

	dump_vsock(vm);
	dump_queues(vm, "vsock");
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "fs%u", i);
		dump_queues(vm, name);
	}
}

static void dump_proc_streams(const struct sandbox_proc *p, int64_t now)
{
	static const char *const phases[] = { "waiting", "reading", "writing", "done" };
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	char line[DUMP_LINE_MAX], subject[160];
	const struct sandbox_stream *s;
	int i, phase;

	snprintf(subject, sizeof(subject), "%s%s%s", p->container->id, p->exec_id ? " exec " : "",
		 p->exec_id ? p->exec_id : "");
	for (i = 0; i < 3; i++) {
		s = &p->io.s[i];
		if (!s->running)
			continue;
		phase = __atomic_load_n(&s->phase, __ATOMIC_ACQUIRE);
		dump_stream_line(line, sizeof(line), subject, names[i],
				 __atomic_load_n(&s->bytes_read, __ATOMIC_RELAXED),
				 __atomic_load_n(&s->bytes_written, __ATOMIC_RELAXED),
				 phase >= 0 && phase <= STREAM_DONE ? phases[phase] : "?",
				 now - __atomic_load_n(&s->phase_ms, __ATOMIC_RELAXED));
		shim_info("%s", line);
	}
}

/* The stdio relays, under be->lock if it comes within a second. */
static void dump_streams(struct sandbox *be)
{
	struct timespec until = husk_timespec_after_ms(CLOCK_REALTIME, 1000);
	const struct sandbox_container *c;
	const struct sandbox_proc *p;
	int64_t now = husk_now_ms();

	if (pthread_mutex_timedlock(&be->lock, &until)) {
		shim_info("dump: stdio: the sandbox's lock is busy, relays not shown");
		return;
	}
	for (c = be->containers; c; c = c->next)
		for (p = c->procs; p; p = p->next)
			dump_proc_streams(p, now);
	pthread_mutex_unlock(&be->lock);
}

void sandbox_dump(struct sandbox *be)
{
	struct timespec until = husk_timespec_after_ms(CLOCK_REALTIME, 1000);
	struct agent_client *agent = NULL;

	if (pthread_mutex_timedlock(&be->dump_lock, &until)) {
		shim_info("dump: the VM is being set up or torn down (its lock is busy)");
		return;
	}
	if (be->agent) {
		dump_agent(be->agent);
		agent = be->agent;
		agent_client_hold(agent); /* for the relay query, after the lock */
	} else {
		shim_info("dump: no connection to husk-init");
	}
	if (be->vm) {
		dump_vcpus(be->vm);
		dump_devices(be->vm);
	} else {
		shim_info("dump: no VM");
	}
	pthread_mutex_unlock(&be->dump_lock);
	dump_streams(be);
	if (agent) {
		sandbox_dump_relays(agent); /* last: its answer comes later */
		agent_client_release(agent);
	}
}
