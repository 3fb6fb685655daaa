// SPDX-License-Identifier: Apache-2.0
/*
 * vm_sample.c - guest profiling (husk_vm_config.sample_us): a periodic
 * timerfd on the VM's event loop asks every vCPU for a sample of its
 * guest RIP (vcpu_request_sample()); the vCPU hands it to sample_fn.
 *
 * The device thread does the asking so no thread is added for it, and a
 * timerfd counts the periods a busy loop missed instead of queueing them:
 * a late tick asks once.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/vm.h"

static void vm_sample_tick(void *opaque, uint32_t events)
{
	struct husk_vm *vm = opaque;
	uint64_t missed;
	unsigned int i;

	(void)events;
	if (read(vm->sample_fd, &missed, sizeof(missed)) != sizeof(missed))
		return; /* a spurious wakeup: nothing expired */
	for (i = 0; i < vm->nr_vcpus; i++)
		vcpu_request_sample(&vm->vcpus[i]);
}

int vm_sample_start(struct husk_vm *vm, struct husk_error **err)
{
	uint32_t us = vm->cfg.sample_us;
	struct itimerspec its = {
		.it_interval = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 },
	};
	int ret;

	if (!vm->cfg.sample_fn || !us)
		return 0;
	its.it_value = its.it_interval;
	vm->sample_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->sample_fd < 0)
		return husk_err(err, errno, "profiling: timerfd_create");
	ret = event_loop_add(&vm->loop, vm->sample_fd, EPOLLIN, vm_sample_tick, vm);
	if (ret < 0) {
		close(vm->sample_fd);
		vm->sample_fd = -1;
		return husk_err(err, -ret, "profiling: watch the timer");
	}
	if (timerfd_settime(vm->sample_fd, 0, &its, NULL) < 0) {
		ret = husk_err(err, errno, "profiling: timerfd_settime %u us", us);
		vm_sample_stop(vm);
		return ret;
	}
	log_info(&vm->log, "profiling: a sample of each vCPU every %u us", us);
	return 0;
}

void vm_sample_stop(struct husk_vm *vm)
{
	if (vm->sample_fd < 0)
		return;
	/* After the del the tick is not running: no kick follows a join. */
	event_loop_del(&vm->loop, vm->sample_fd);
	close(vm->sample_fd);
	vm->sample_fd = -1;
}
