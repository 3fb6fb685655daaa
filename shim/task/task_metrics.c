// SPDX-License-Identifier: Apache-2.0
/*
 * task_metrics.c - struct shim_stats encoded as io.containerd.cgroups.v2
 * Metrics. containerd 1.6's CRI reads memory.usage - inactive_file as the
 * kubelet's working set, anon as its RSS, pgfault/pgmajfault as page
 * faults and cpu.usage_usec as CPU time, so every field must be there.
 */
#include <errno.h>

#include "cgroups_v2.pb-c.h"
#include "shim/task/task_metrics.h"

static void metrics_cpu(const struct shim_stats *st, Io__Containerd__Cgroups__V2__CPUStat *cpu)
{
	cpu->usage_usec = st->cpu_usage_usec, cpu->user_usec = st->cpu_user_usec;
	cpu->system_usec = st->cpu_system_usec, cpu->nr_periods = st->cpu_nr_periods;
	cpu->nr_throttled = st->cpu_nr_throttled, cpu->throttled_usec = st->cpu_throttled_usec;
}

static void metrics_memory(const struct shim_stats *st,
			   Io__Containerd__Cgroups__V2__MemoryStat *mem)
{
	mem->usage = st->mem_usage, mem->usage_limit = st->mem_limit;
	mem->swap_usage = st->mem_swap_usage, mem->swap_limit = st->mem_swap_limit;
	mem->anon = st->mem_anon, mem->file = st->mem_file;
	mem->kernel_stack = st->mem_kernel_stack, mem->slab = st->mem_slab;
	mem->sock = st->mem_sock, mem->shmem = st->mem_shmem;
	mem->file_mapped = st->mem_file_mapped, mem->file_dirty = st->mem_file_dirty;
	mem->file_writeback = st->mem_file_writeback, mem->anon_thp = st->mem_anon_thp;
	mem->inactive_anon = st->mem_inactive_anon, mem->active_anon = st->mem_active_anon;
	mem->inactive_file = st->mem_inactive_file, mem->active_file = st->mem_active_file;
	mem->unevictable = st->mem_unevictable;
	mem->pgfault = st->mem_pgfault, mem->pgmajfault = st->mem_pgmajfault;
}

int task_metrics_pack(const struct shim_stats *st, Google__Protobuf__Any *any)
{
	Io__Containerd__Cgroups__V2__Metrics m = IO__CONTAINERD__CGROUPS__V2__METRICS__INIT;
	Io__Containerd__Cgroups__V2__PidsStat pids = IO__CONTAINERD__CGROUPS__V2__PIDS_STAT__INIT;
	Io__Containerd__Cgroups__V2__CPUStat cpu = IO__CONTAINERD__CGROUPS__V2__CPUSTAT__INIT;
	Io__Containerd__Cgroups__V2__MemoryStat mem =
		IO__CONTAINERD__CGROUPS__V2__MEMORY_STAT__INIT;
	Io__Containerd__Cgroups__V2__IOStat io = IO__CONTAINERD__CGROUPS__V2__IOSTAT__INIT;
	Io__Containerd__Cgroups__V2__IOEntry ioe = IO__CONTAINERD__CGROUPS__V2__IOENTRY__INIT;
	Io__Containerd__Cgroups__V2__IOEntry *ioes[1] = { &ioe };
	Io__Containerd__Cgroups__V2__MemoryEvents mev =
		IO__CONTAINERD__CGROUPS__V2__MEMORY_EVENTS__INIT;

	pids.current = st->pids_current, pids.limit = st->pids_limit;
	metrics_cpu(st, &cpu);
	metrics_memory(st, &mem);
	/* one entry, device 0:0: the guest's sum over its disks */
	ioe.rbytes = st->io_rbytes, ioe.wbytes = st->io_wbytes;
	ioe.rios = st->io_rios, ioe.wios = st->io_wios;
	io.usage = ioes, io.n_usage = 1;
	mev.oom = st->oom, mev.oom_kill = st->oom_kill;
	m.pids = &pids, m.cpu = &cpu, m.memory = &mem, m.io = &io, m.memory_events = &mev;
	return pb_any_pack(any, &m.base) ? -ENOMEM : 0;
}
