// SPDX-License-Identifier: Apache-2.0
/*
 * vm_run.c - a VM's running life: start, pause/resume, stop, the end of
 * the VM and waiting for it, timing, destroy.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/vm.h"
#include "vmm/vm_virtio.h"

const char *husk_exit_reason_string(enum husk_exit_reason reason)
{
	switch (reason) {
	case HUSK_EXIT_NONE:
		return "running";
	case HUSK_EXIT_POWEROFF:
		return "poweroff";
	case HUSK_EXIT_RESET:
		return "reset";
	case HUSK_EXIT_TRIPLE_FAULT:
		return "triple fault";
	case HUSK_EXIT_INTERNAL_ERROR:
		return "internal error";
	case HUSK_EXIT_HOST_ERROR:
		return "host error";
	case HUSK_EXIT_STOPPED:
		return "stopped";
	case HUSK_EXIT_PVM_UNSUPPORTED:
		return "PVM unsupported";
	}
	return "unknown";
}

/* Caller holds vm->lock. Once joined the threads are gone: no kicks. */
static void vm_kick_all(struct husk_vm *vm)
{
	unsigned int i;

	if (vm->joined)
		return;
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

void vm_end(struct husk_vm *vm, const struct husk_exit_info *info)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->ended) {
		vm->ended = true;
		vm->exit = *info;
		__atomic_store_n(&vm->t_exit, vm_now_ns(), __ATOMIC_SEQ_CST);
		log_info(&vm->log, "VM ended: %s: %s",
			 husk_exit_reason_string(info->reason), info->message);
	}
	__atomic_store_n(&vm->stop_req, true, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->cond);
	vm_kick_all(vm);
	pthread_mutex_unlock(&vm->lock);
}

void vm_end_reason(struct husk_vm *vm, enum husk_exit_reason reason,
		   uint32_t vcpu, const char *fmt, ...)
{
	struct husk_exit_info info = { .reason = reason, .vcpu = vcpu };
	int saved = errno;
	va_list ap;

	if (reason == HUSK_EXIT_HOST_ERROR)
		info.host_errno = saved;
	va_start(ap, fmt);
	vsnprintf(info.message, sizeof(info.message), fmt, ap);
	va_end(ap);
	vm_end(vm, &info);
}

bool vm_vcpu_should_stop(struct husk_vm *vm)
{
	bool stop;

	if (!__atomic_load_n(&vm->stop_req, __ATOMIC_SEQ_CST) &&
	    !__atomic_load_n(&vm->pause_req, __ATOMIC_SEQ_CST))
		return false;
	pthread_mutex_lock(&vm->lock);
	if (vm->pause_req && !vm->stop_req) {
		vm->nr_paused++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->pause_req && !vm->stop_req)
			pthread_cond_wait(&vm->cond, &vm->lock);
		vm->nr_paused--;
	}
	stop = vm->stop_req;
	pthread_mutex_unlock(&vm->lock);
	return stop;
}

/* Caller holds vm->lock: no vCPU thread runs any more. */
static void vm_all_exited(struct husk_vm *vm)
{
	uint64_t one = 1;

	pthread_cond_broadcast(&vm->cond);
	if (write(vm->exit_efd, &one, sizeof(one)) < 0)
		log_warn(&vm->log, "exit eventfd: write failed");
}

void vm_vcpu_exited(struct husk_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (--vm->nr_running == 0)
		vm_all_exited(vm);
	pthread_mutex_unlock(&vm->lock);
}

void vm_note_first_run(struct husk_vm *vm)
{
	uint64_t expected = 0;

	if (__atomic_load_n(&vm->t_first_run, __ATOMIC_RELAXED))
		return;
	__atomic_compare_exchange_n(&vm->t_first_run, &expected, vm_now_ns(), false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

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
	/* Devices first: a vCPU's first notification must find the loop. */
	ret = event_loop_start(&vm->loop, err);
	for (i = 0; i < vm->nr_vcpus && !ret; i++) {
		pthread_mutex_lock(&vm->lock);
		vm->nr_running++;
		pthread_mutex_unlock(&vm->lock);
		ret = vcpu_start(&vm->vcpus[i], err);
		if (ret < 0) {
			pthread_mutex_lock(&vm->lock);
			vm->nr_running--;
			pthread_mutex_unlock(&vm->lock);
		}
	}
	if (!ret)
		ret = uart_start_input(&vm->uart, err);
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
	for (i = 0; join && i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	return 0;
}

int husk_vm_exit_eventfd(const struct husk_vm *vm)
{
	return vm->exit_efd;
}

void husk_vm_get_timing(const struct husk_vm *vm, struct husk_vm_timing *t)
{
	t->create_ns = vm->t_create;
	t->first_run_ns = __atomic_load_n(&vm->t_first_run, __ATOMIC_SEQ_CST);
	t->boot_marker_ns = __atomic_load_n(&vm->t_marker, __ATOMIC_SEQ_CST);
	t->exit_ns = __atomic_load_n(&vm->t_exit, __ATOMIC_SEQ_CST);
}

void husk_vm_destroy(struct husk_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	if (vm->started) {
		husk_vm_request_stop(vm);
		husk_vm_wait(vm, NULL);
	}
	/*
	 * Virtio devices while the event loop still runs (their teardown
	 * unregisters from it), then the loop, all before guest RAM goes.
	 */
	vm_vdevs_fini(vm);
	event_loop_fini(&vm->loop);
	vm_devices_fini(vm);
	for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	free(vm->cpuid);
	kvm_close(&vm->kvm);
	guest_mem_fini(&vm->mem);
	bus_fini(&vm->pio);
	bus_fini(&vm->mmio);
	if (vm->exit_efd >= 0)
		close(vm->exit_efd);
	free(vm->cmdline);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->dev_lock);
	free(vm);
}
