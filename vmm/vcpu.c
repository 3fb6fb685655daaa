// SPDX-License-Identifier: Apache-2.0
/*
 * vcpu.c - vCPU creation, threads, the KVM_RUN loop (counting its exits),
 * kicking, and the profiling samples a kick can ask for.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/clock.h"
#include "vmm/seccomp/seccomp.h"
#include "vmm/vcpu.h"

int vcpu_kick_signal(void)
{
	return SIGRTMIN;
}

/* The handler only exists so the signal interrupts KVM_RUN (EINTR). */
static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

/*
 * The vCPU the calling thread runs, for device callbacks that end the VM
 * and want to say which vCPU did it (thread-local: no shared state).
 */
static __thread int vcpu_self = -1;

int vcpu_current_id(void)
{
	return vcpu_self;
}

static pthread_once_t vcpu_signal_once = PTHREAD_ONCE_INIT;
static int vcpu_signal_errno;

static void vcpu_signal_install(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	/* No SA_RESTART: KVM_RUN must return EINTR, not be restarted. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(vcpu_kick_signal(), &sa, NULL) < 0)
		vcpu_signal_errno = errno;
}

int vcpu_signal_init(struct husk_error **err)
{
	pthread_once(&vcpu_signal_once, vcpu_signal_install);
	if (vcpu_signal_errno)
		return husk_err(err, vcpu_signal_errno, "sigaction SIGRTMIN");
	return 0;
}

int vcpu_create(struct vcpu *v, const struct vcpu_host *host, unsigned int id,
		struct husk_error **err)
{
	void *p;

	v->host = host;
	v->id = id;
	vcpu_status_init(&v->status);
	v->fd = ioctl(host->kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return husk_err(err, errno, "KVM_CREATE_VCPU %u", id);
	p = mmap(NULL, (size_t)host->kvm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		 0);
	if (p == MAP_FAILED)
		return husk_err(err, errno, "mmap kvm_run of vCPU %u", id);
	v->run = p;
	return 0;
}

/* Where the guest was when a sampling kick took the vCPU out of KVM_RUN. */
static void vcpu_take_sample(struct vcpu *v)
{
	const struct vcpu_host *host = v->host;
	struct kvm_regs regs;

	if (!__atomic_exchange_n(&v->sample_req, false, __ATOMIC_ACQ_REL) || !host->sample_fn)
		return;
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return; /* a lost sample, not a reason to stop the guest */
	host->sample_fn(host->sample_opaque, v->id, husk_now_ns() - host->t_start, regs.rip);
}

static void vcpu_run_loop(struct vcpu *v)
{
	const struct vcpu_host *host = v->host;

	for (;;) {
		/*
		 * Clear immediate_exit before looking at the requests: a
		 * kicker sets its request first and immediate_exit second, so
		 * either we see the request now or KVM_RUN returns at once.
		 */
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (host->ops->should_stop(host->opaque))
			return;
		host->ops->entering(host->opaque);
		vcpu_status_set(&v->status, HUSK_VCPU_IN_GUEST);
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			exit_stats_count_error(&v->stats, errno);
			vcpu_status_interrupted(&v->status, errno);
			if (errno == EINTR || errno == EAGAIN) {
				vcpu_take_sample(v);
				continue;
			}
			vcpu_end_reason(v, HUSK_EXIT_HOST_ERROR, "vCPU %u: KVM_RUN: %m", v->id);
			return;
		}
		exit_stats_count_run(&v->stats, v->run);
		vcpu_status_exit(&v->status, v->run);
		if (vcpu_handle_exit(v) == VCPU_STOP)
			return;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	vcpu_self = (int)v->id;
	sigemptyset(&set);
	sigaddset(&set, vcpu_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	vcpu_run_loop(v);
	vcpu_status_set(&v->status, HUSK_VCPU_STOPPED);
	v->host->ops->exited(v->host->opaque);
	return NULL;
}

int vcpu_start(struct vcpu *v, struct husk_error **err)
{
	char name[16];
	int ret = seccomp_thread_create(&v->thread, vcpu_thread, v, v->host->seccomp,
					SECCOMP_THREAD_VCPU, err);

	if (ret < 0)
		return husk_err_wrap(err, "vCPU %u", v->id);
	v->thread_started = true;
	/* Named so ps/top/gdb show which thread is which vCPU. */
	snprintf(name, sizeof(name), "husk-vcpu%u", v->id);
	pthread_setname_np(v->thread, name);
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->run || !v->thread_started)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, vcpu_kick_signal());
}

void vcpu_request_sample(struct vcpu *v)
{
	__atomic_store_n(&v->sample_req, true, __ATOMIC_RELEASE);
	vcpu_kick(v);
}

void vcpu_join(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	pthread_join(v->thread, NULL);
	v->thread_started = false;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->host->kvm->vcpu_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
