// SPDX-License-Identifier: Apache-2.0
/* vcpu_exit.c - what a vCPU does with each KVM_RUN exit reason. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "vmm/exit_info.h"
#include "vmm/vcpu.h"

/* Where an x86 CPU starts after a reset (CS base 0xffff0000 + 0xfff0). */
#define VCPU_RESET_RIP 0xfff0

void vcpu_end_reason(struct vcpu *v, enum husk_exit_reason reason, const char *fmt, ...)
{
	struct husk_exit_info info;
	va_list ap;

	va_start(ap, fmt);
	exit_info_vformat(&info, reason, v->id, fmt, ap);
	va_end(ap);
	v->host->ops->end(v->host->opaque, &info);
}

static uint64_t vcpu_rip(struct vcpu *v)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return 0;
	return regs.rip;
}

/* String I/O (rep ins/outs) arrives as @count items back to back. */
static enum vcpu_exit_action vcpu_exit_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	if (run->io.data_offset + (uint64_t)run->io.size * run->io.count >
	    (uint64_t)v->host->kvm->vcpu_mmap_size) {
		vcpu_end_reason(v, HUSK_EXIT_HOST_ERROR,
				"vCPU %u: KVM_EXIT_IO data outside the kvm_run page", v->id);
		return VCPU_STOP;
	}
	for (i = 0; i < run->io.count; i++) {
		if (bus_dispatch(v->host->pio, run->io.port, data, run->io.size, is_write))
			log_debug(v->host->log, "vCPU %u: unclaimed port %s 0x%x/%u", v->id,
				  is_write ? "write" : "read", run->io.port, run->io.size);
		data += run->io.size;
	}
	return VCPU_CONTINUE;
}

static enum vcpu_exit_action vcpu_exit_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->mmio.len > sizeof(run->mmio.data))
		return VCPU_CONTINUE;
	if (bus_dispatch(v->host->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			 run->mmio.is_write))
		log_debug(v->host->log, "vCPU %u: unclaimed MMIO %s 0x%llx/%u", v->id,
			  run->mmio.is_write ? "write" : "read",
			  (unsigned long long)run->mmio.phys_addr, run->mmio.len);
	return VCPU_CONTINUE;
}

static enum vcpu_exit_action vcpu_exit_system_event(struct vcpu *v)
{
	uint32_t type = v->run->system_event.type;

	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vcpu_end_reason(v, HUSK_EXIT_POWEROFF, "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vcpu_end_reason(v, HUSK_EXIT_RESET, "guest reset");
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vcpu_end_reason(v, HUSK_EXIT_INTERNAL_ERROR, "vCPU %u: guest crash event", v->id);
		break;
	default:
		vcpu_end_reason(v, HUSK_EXIT_HOST_ERROR, "vCPU %u: unhandled KVM system event %u",
				v->id, type);
		break;
	}
	return VCPU_STOP;
}

/*
 * On PVM an internal error is what an unmodified Linux guest runs into
 * (the host emulates supervisor code and gives up on some instructions):
 * say that plainly instead of leaving a suberror to decode.
 */
static enum vcpu_exit_action vcpu_exit_internal(struct vcpu *v)
{
	struct husk_exit_info info = {
		.reason = HUSK_EXIT_INTERNAL_ERROR,
		.vcpu = v->id,
		.suberror = v->run->internal.suberror,
		.rip = vcpu_rip(v),
	};

	if (v->host->kvm->pvm) {
		info.reason = HUSK_EXIT_PVM_UNSUPPORTED;
		snprintf(info.message, sizeof(info.message),
			 "%s (KVM internal error %u at rip 0x%llx)", KVM_PVM_MESSAGE, info.suberror,
			 (unsigned long long)info.rip);
	} else {
		snprintf(info.message, sizeof(info.message),
			 "vCPU %u: KVM internal error, suberror %u, rip 0x%llx", v->id,
			 info.suberror, (unsigned long long)info.rip);
	}
	v->host->ops->end(v->host->opaque, &info);
	return VCPU_STOP;
}

static enum vcpu_exit_action vcpu_exit_terminal(struct vcpu *v, uint32_t reason)
{
	struct husk_exit_info info = { .vcpu = v->id, .rip = vcpu_rip(v) };

	switch (reason) {
	case KVM_EXIT_SHUTDOWN:
		info.reason = HUSK_EXIT_TRIPLE_FAULT;
		/* AMD's KVM reinitialises the vCPU on a shutdown before it
		 * returns: RIP then reads as the reset vector's, not the fault's. */
		if (info.rip == VCPU_RESET_RIP)
			snprintf(info.message, sizeof(info.message),
				 "vCPU %u: triple fault (where is not known: KVM reset the vCPU, "
				 "rip 0x%llx)",
				 v->id, (unsigned long long)info.rip);
		else
			snprintf(info.message, sizeof(info.message),
				 "vCPU %u: triple fault at rip 0x%llx", v->id,
				 (unsigned long long)info.rip);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		info.reason = HUSK_EXIT_INTERNAL_ERROR;
		snprintf(info.message, sizeof(info.message),
			 "vCPU %u: KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx, rip 0x%llx", v->id,
			 (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason,
			 (unsigned long long)info.rip);
		break;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC: nothing could wake it. */
		info.reason = HUSK_EXIT_POWEROFF;
		snprintf(info.message, sizeof(info.message), "vCPU %u: halted", v->id);
		break;
	default:
		info.reason = HUSK_EXIT_HOST_ERROR;
		info.host_errno = ENOTSUP;
		snprintf(info.message, sizeof(info.message),
			 "vCPU %u: unhandled KVM exit reason %u at rip 0x%llx", v->id, reason,
			 (unsigned long long)info.rip);
		break;
	}
	v->host->ops->end(v->host->opaque, &info);
	return VCPU_STOP;
}

enum vcpu_exit_action vcpu_handle_exit(struct vcpu *v)
{
	uint32_t reason = v->run->exit_reason;

	switch (reason) {
	case KVM_EXIT_IO:
		return vcpu_exit_io(v);
	case KVM_EXIT_MMIO:
		return vcpu_exit_mmio(v);
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return VCPU_CONTINUE;
	case KVM_EXIT_SYSTEM_EVENT:
		return vcpu_exit_system_event(v);
	case KVM_EXIT_INTERNAL_ERROR:
		return vcpu_exit_internal(v);
	default:
		return vcpu_exit_terminal(v, reason);
	}
}
