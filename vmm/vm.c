// SPDX-License-Identifier: Apache-2.0
/*
 * vm.c - the VM's end (the first reason wins, every vCPU is kicked out of
 * KVM_RUN) and the ops its vCPU threads call through (vcpu.h): parking
 * while paused, the first run, counting the threads out.
 */
#include <stdarg.h>
#include <unistd.h>

#include "common/clock.h"
#include "vmm/exit_info.h"
#include "vmm/vm.h"

/* Caller holds vm->lock. Once joined the threads are gone: no kicks. */
void vm_kick_all(struct husk_vm *vm)
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
		__atomic_store_n(&vm->t_exit, husk_now_ns(), __ATOMIC_SEQ_CST);
		log_info(&vm->log, "VM ended: %s: %s", husk_exit_reason_string(info->reason),
			 info->message);
	}
	__atomic_store_n(&vm->stop_req, true, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vm->cond);
	vm_kick_all(vm);
	pthread_mutex_unlock(&vm->lock);
}

void vm_end_reason(struct husk_vm *vm, enum husk_exit_reason reason, uint32_t vcpu, const char *fmt,
		   ...)
{
	struct husk_exit_info info;
	va_list ap;

	va_start(ap, fmt);
	exit_info_vformat(&info, reason, vcpu, fmt, ap);
	va_end(ap);
	vm_end(vm, &info);
}

/* Runs on the vCPU thread that wrote the reset command. */
void vm_guest_reset(void *opaque)
{
	int id = vcpu_current_id();

	vm_end_reason(opaque, HUSK_EXIT_RESET, id < 0 ? 0 : (uint32_t)id,
		      "guest reset (i8042 reset line)");
}

void vm_all_exited(struct husk_vm *vm)
{
	uint64_t one = 1;

	pthread_cond_broadcast(&vm->cond);
	if (write(vm->exit_efd, &one, sizeof(one)) < 0)
		log_warn(&vm->log, "exit eventfd: write failed");
}

/* A vCPU thread's check before KVM_RUN: parks while a pause is requested. */
/* On the parking vCPU's own thread, which alone writes its status. */
static void vm_vcpu_mark_paused(struct husk_vm *vm)
{
	int id = vcpu_current_id();

	if (id >= 0 && (unsigned int)id < vm->nr_vcpus)
		vcpu_status_set(&vm->vcpus[id].status, HUSK_VCPU_PAUSED);
}

static bool vm_vcpu_should_stop(void *opaque)
{
	struct husk_vm *vm = opaque;
	bool stop;

	if (!__atomic_load_n(&vm->stop_req, __ATOMIC_SEQ_CST) &&
	    !__atomic_load_n(&vm->pause_req, __ATOMIC_SEQ_CST))
		return false;
	pthread_mutex_lock(&vm->lock);
	if (vm->pause_req && !vm->stop_req) {
		vm_vcpu_mark_paused(vm);
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

/* Record the first KVM_RUN entry (first caller wins). */
static void vm_vcpu_entering(void *opaque)
{
	struct husk_vm *vm = opaque;
	uint64_t expected = 0;

	if (__atomic_load_n(&vm->t_first_run, __ATOMIC_RELAXED))
		return;
	__atomic_compare_exchange_n(&vm->t_first_run, &expected, husk_now_ns(), false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static void vm_vcpu_end(void *opaque, const struct husk_exit_info *info)
{
	vm_end(opaque, info);
}

/* A vCPU thread's last act: the last one signals the end. */
static void vm_vcpu_exited(void *opaque)
{
	struct husk_vm *vm = opaque;

	pthread_mutex_lock(&vm->lock);
	if (--vm->nr_running == 0)
		vm_all_exited(vm);
	pthread_mutex_unlock(&vm->lock);
}

const struct vcpu_ops vm_vcpu_ops = {
	.should_stop = vm_vcpu_should_stop,
	.entering = vm_vcpu_entering,
	.end = vm_vcpu_end,
	.exited = vm_vcpu_exited,
};

struct guest_mem *vm_guest_mem(struct husk_vm *vm)
{
	return &vm->mem;
}
