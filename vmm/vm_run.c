// SPDX-License-Identifier: Apache-2.0
/*
 * vm_run.c - a VM's running life: start, pause/resume, stop, waiting for
 * the end, the exit eventfd, timing and exit counts (summed over the
 * vCPUs' struct exit_stats). The end itself is vm.c's; profiling's
 * sampler, started and stopped here, is vm_sample.c's.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "common/clock.h"

#include "vmm/vm.h"

/*
 * vCPU threads start with every signal blocked (they unblock only the kick
 * signal): the embedder's signals go to its own threads.
 */
static int vm_start_threads(struct husk_vm *vm, struct husk_error **err)
{
	sigset_t all, old;
	unsigned int i;
	int ret = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	vm->loop.seccomp = vm->legacy.uart.seccomp = (vm->cfg.flags & HUSK_VM_SECCOMP) != 0;
	if (vm->loop.seccomp)
		log_info(&vm->log, "seccomp: vCPU, device, disk I/O and console threads filtered");
	/* Devices first: a vCPU's first notification must find the loop. */
	ret = event_loop_start(&vm->loop, err);
	/*
	 * Under vm->lock, which vm_end() kicks under: an end that comes
	 * while a thread is being made (a vCPU already running can reset
	 * the VM) either precedes it, and the new thread sees stop_req
	 * before its first KVM_RUN, or follows vcpu_start(), and its kick
	 * finds the thread. Unlocked, the kick skipped a thread not yet
	 * marked started that had already looked, and it never left KVM_RUN.
	 */
	for (i = 0; i < vm->nr_vcpus && !ret; i++) {
		pthread_mutex_lock(&vm->lock);
		vm->nr_running++;
		ret = vcpu_start(&vm->vcpus[i], err);
		if (ret < 0)
			vm->nr_running--;
		pthread_mutex_unlock(&vm->lock);
	}
	if (!ret)
		ret = uart_start_input(&vm->legacy.uart, err);
	if (!ret)
		ret = vm_sample_start(vm, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int husk_vm_start(struct husk_vm *vm, struct husk_error **err)
{
	int ret;

	/* dev_lock too: from here on the device set and command line are fixed. */
	pthread_mutex_lock(&vm->dev_lock);
	pthread_mutex_lock(&vm->lock);
	if (vm->started) {
		pthread_mutex_unlock(&vm->lock);
		pthread_mutex_unlock(&vm->dev_lock);
		return husk_err(err, 0, "husk_vm_start: already started");
	}
	vm->started = true;
	__atomic_store_n(&vm->t_start, husk_now_ns(), __ATOMIC_SEQ_CST);
	vm->vcpu_host.t_start = vm->t_start; /* before any vCPU thread reads it */
	pthread_mutex_unlock(&vm->lock);
	pthread_mutex_unlock(&vm->dev_lock);
	ret = vcpu_signal_init(err);
	if (!ret)
		ret = vm_start_threads(vm, err);
	if (ret < 0) {
		vm_end_reason(vm, HUSK_EXIT_HOST_ERROR, 0, "start: %s",
			      husk_error_message(err ? *err : NULL));
		/* With no thread left to say so, the end is signalled here. */
		pthread_mutex_lock(&vm->lock);
		if (!vm->nr_running)
			vm_all_exited(vm);
		pthread_mutex_unlock(&vm->lock);
	}
	return ret;
}

int husk_vm_pause(struct husk_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->started) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	__atomic_store_n(&vm->pause_req, true, __ATOMIC_SEQ_CST);
	vm_kick_all(vm);
	while (!vm->ended && vm->nr_paused < vm->nr_running)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int husk_vm_resume(struct husk_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->started) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	__atomic_store_n(&vm->pause_req, false, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int husk_vm_request_stop(struct husk_vm *vm)
{
	bool started;

	pthread_mutex_lock(&vm->lock);
	started = vm->started;
	pthread_mutex_unlock(&vm->lock);
	if (!started)
		return -EINVAL;
	vm_end_reason(vm, HUSK_EXIT_STOPPED, 0, "stopped by request");
	return 0;
}

int husk_vm_wait(struct husk_vm *vm, struct husk_exit_info *info)
{
	unsigned int i;
	bool join;

	pthread_mutex_lock(&vm->lock);
	if (!vm->started) {
		pthread_mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	while (vm->nr_running > 0)
		pthread_cond_wait(&vm->cond, &vm->lock);
	/* Every thread has left its loop; from here on nobody kicks them. */
	join = !vm->joined;
	vm->joined = true;
	if (info)
		*info = vm->exit;
	pthread_mutex_unlock(&vm->lock);
	if (join)
		vm_sample_stop(vm); /* its kicks must not reach a joined thread */
	for (i = 0; join && i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	return 0;
}

int husk_vm_exit_eventfd(const struct husk_vm *vm)
{
	return vm->exit_efd;
}

void husk_vm_get_timing_sized(const struct husk_vm *vm, struct husk_vm_timing *t, size_t size)
{
	struct husk_vm_timing all = {
		.create_ns = vm->t_create,
		.first_run_ns = __atomic_load_n(&vm->t_first_run, __ATOMIC_SEQ_CST),
		.boot_marker_ns = __atomic_load_n(&vm->legacy.t_marker, __ATOMIC_SEQ_CST),
		.exit_ns = __atomic_load_n(&vm->t_exit, __ATOMIC_SEQ_CST),
		.load_done_ns = vm->t_load_done,
		.created_ns = vm->t_created,
		.start_ns = __atomic_load_n(&vm->t_start, __ATOMIC_SEQ_CST),
	};

	/* A caller's struct from an older husk.h is shorter: fill what it has. */
	memcpy(t, &all, size < sizeof(all) ? size : sizeof(all));
	if (size > sizeof(all))
		memset((uint8_t *)t + sizeof(all), 0, size - sizeof(all));
}

/* The function behind the macro's name, for callers built before it. */
void(husk_vm_get_timing)(const struct husk_vm *vm, struct husk_vm_timing *t)
{
	husk_vm_get_timing_sized(vm, t, offsetof(struct husk_vm_timing, load_done_ns));
}

int husk_vm_get_exit_stats(const struct husk_vm *vm, struct husk_vm_exit_stats *s)
{
	struct husk_vm_exit_stats sum = { .struct_size = sizeof(sum) };
	size_t size = s->struct_size;
	unsigned int i;

	if (size < offsetof(struct husk_vm_exit_stats, kinds))
		return -EINVAL;
	for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		exit_stats_sum(&vm->vcpus[i].stats, &sum);
	sum.nr_vcpus = vm->vcpus ? vm->nr_vcpus : 0;
	sum.console_dropped = console_out_dropped(&vm->legacy.uart.out);
	memcpy(s, &sum, size < sizeof(sum) ? size : sizeof(sum));
	if (size > sizeof(sum))
		memset((uint8_t *)s + sizeof(sum), 0, size - sizeof(sum));
	s->struct_size = size;
	return 0;
}

int husk_vm_get_vcpu_status(const struct husk_vm *vm, unsigned int vcpu,
			    struct husk_vcpu_status *st)
{
	struct husk_vcpu_status all = { .struct_size = sizeof(all) };
	size_t size = st->struct_size;

	if (size < offsetof(struct husk_vcpu_status, exit_kind))
		return -EINVAL;
	if (!vm->vcpus || vcpu >= vm->nr_vcpus)
		return -ERANGE;
	vcpu_status_read(&vm->vcpus[vcpu].status, &all);
	memcpy(st, &all, size < sizeof(all) ? size : sizeof(all));
	if (size > sizeof(all))
		memset((uint8_t *)st + sizeof(all), 0, size - sizeof(all));
	st->struct_size = size;
	return 0;
}
