// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_dump.c - the VM's part of the shim's SIGUSR1 dump: the agent
 * requests waiting for husk-init, and each vCPU's state, as shim log lines
 * (base/dump_lines.h). It runs on the daemon's signal thread while other
 * threads may be stuck holding be->lock or be->boot_lock, so it takes
 * neither: be->dump_lock only keeps the agent and the VM from being freed
 * under it, and a teardown holding that too long is said, not waited for.
 */
#include <errno.h>
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

void sandbox_dump(struct sandbox *be)
{
	struct timespec until = husk_timespec_after_ms(CLOCK_REALTIME, 1000);

	if (pthread_mutex_timedlock(&be->dump_lock, &until)) {
		shim_info("dump: the VM is being set up or torn down (its lock is busy)");
		return;
	}
	if (be->agent)
		dump_agent(be->agent);
	else
		shim_info("dump: no connection to husk-init");
	if (be->vm)
		dump_vcpus(be->vm);
	else
		shim_info("dump: no VM");
	pthread_mutex_unlock(&be->dump_lock);
}
