// SPDX-License-Identifier: Apache-2.0
/*
 * vm_create.c - a VM's making and unmaking: husk_vm_config_init(),
 * husk_vm_create() (config, KVM, RAM, boot files, vCPUs, legacy devices)
 * and husk_vm_destroy(). Running it is vm_run.c's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "vmm/vm.h"
#include "vmm/vm_virtio_devices.h"
#include "vmm/x86/cpuid.h"
#include "vmm/base/layout.h"
#include "vmm/x86/vcpu_setup.h"

#define VM_KNOWN_FLAGS (HUSK_VM_MEMFD | HUSK_VM_HUGEPAGES | HUSK_VM_EXPECT_LINUX | HUSK_VM_SECCOMP)

void husk_vm_config_init(struct husk_vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->struct_size = sizeof(*cfg);
	cfg->mem_mib = VM_DEFAULT_MEM_MIB;
	cfg->nr_cpus = 1;
	cfg->console_out_fd = -1;
	cfg->console_in_fd = -1;
	cfg->log_level = HUSK_LOG_WARN;
}

/* Accept older (smaller) structs; a newer one only if its tail is zero. */
static int vm_config_copy(struct husk_vm_config *dst, const struct husk_vm_config *src,
			  struct husk_error **err)
{
	size_t n, i;

	husk_vm_config_init(dst);
	if (!src || src->struct_size < offsetof(struct husk_vm_config, console_fn))
		return husk_err(err, 0, "config: missing or struct_size too small");
	n = src->struct_size;
	for (i = sizeof(*dst); i < n; i++) {
		if (((const uint8_t *)src)[i])
			return husk_err(err, E2BIG, "config: fields unknown to libhusk %s",
					husk_version());
	}
	memcpy(dst, src, n < sizeof(*dst) ? n : sizeof(*dst));
	dst->struct_size = sizeof(*dst);
	if (!dst->mem_mib)
		dst->mem_mib = VM_DEFAULT_MEM_MIB;
	if (!dst->nr_cpus)
		dst->nr_cpus = 1;
	return 0;
}

static int vm_config_check(const struct husk_vm_config *c, struct husk_error **err)
{
	if (!c->kernel_path)
		return husk_err(err, 0, "config: no kernel");
	if ((uint64_t)c->mem_mib * X86_MiB < X86_MIN_RAM ||
	    (uint64_t)c->mem_mib * X86_MiB > X86_MAX_RAM)
		return husk_err(err, 0, "config: memory %u MiB out of range %llu..%llu", c->mem_mib,
				X86_MIN_RAM / X86_MiB, X86_MAX_RAM / X86_MiB);
	if (c->nr_cpus > VM_MAX_CPUS)
		return husk_err(err, 0, "config: %u vCPUs, at most %d", c->nr_cpus, VM_MAX_CPUS);
	if (c->sample_fn && c->sample_us && c->sample_us < HUSK_SAMPLE_US_MIN)
		return husk_err(err, 0, "config: sample_us %u, at least %u", c->sample_us,
				HUSK_SAMPLE_US_MIN);
	if (c->flags & ~VM_KNOWN_FLAGS)
		return husk_err(err, 0, "config: unknown flags 0x%x", c->flags & ~VM_KNOWN_FLAGS);
	return 0;
}

static int vm_create_vcpus(struct husk_vm *vm, struct husk_error **err)
{
	unsigned int i;
	int ret;

	ret = cpuid_get_supported(vm->kvm.sys_fd, &vm->cpuid, err);
	if (ret < 0)
		return ret;
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return husk_err(err, ENOMEM, "vCPUs");
	for (i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	vm->vcpu_host = (struct vcpu_host){
		.kvm = &vm->kvm,
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.log = &vm->log,
		.ops = &vm_vcpu_ops,
		.opaque = vm,
		.seccomp = (vm->cfg.flags & HUSK_VM_SECCOMP) != 0,
		.sample_fn = vm->cfg.sample_fn,
		.sample_opaque = vm->cfg.sample_opaque,
	};
	for (i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_create(&vm->vcpus[i], &vm->vcpu_host, i, err);
		if (!ret)
			ret = vcpu_setup(vm->vcpus[i].fd, i, vm->cpuid, vm->nr_vcpus,
					 i == 0 ? &vm->boot : NULL, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int vm_legacy_init(struct husk_vm *vm, struct husk_error **err)
{
	struct pc_devices_cfg pc = {
		.kvm = &vm->kvm,
		.reset_fn = vm_guest_reset,
		.reset_opaque = vm,
		.console_fn = vm->cfg.console_fn,
		.console_opaque = vm->cfg.console_opaque,
		.console_out_fd = vm->cfg.console_out_fd,
		.console_in_fd = vm->cfg.console_in_fd,
	};

	return pc_devices_init(&vm->legacy, &vm->pio, &pc, err);
}

static int vm_setup(struct husk_vm *vm, const struct husk_vm_config *c, struct husk_error **err)
{
	unsigned int mflags = 0;
	int ret;

	if ((c->flags & HUSK_VM_EXPECT_LINUX) && kvm_host_is_pvm())
		return husk_err(err, ENOTSUP, "%s", KVM_PVM_MESSAGE);
	ret = kvm_open(&vm->kvm, err);
	if (!ret)
		ret = kvm_vm_create(&vm->kvm, X86_KVM_TSS, X86_KVM_IDENTITY_MAP, err);
	if (ret < 0)
		return ret;
	vm->cmdline = strdup(c->cmdline ? c->cmdline : "");
	if (!vm->cmdline)
		return husk_err(err, ENOMEM, "cmdline");
	ret = event_loop_init(&vm->loop, err);
	if (ret < 0)
		return ret;
	if (c->flags & HUSK_VM_MEMFD)
		mflags |= GUEST_MEM_MEMFD;
	if (c->flags & HUSK_VM_HUGEPAGES)
		mflags |= GUEST_MEM_HUGEPAGES;
	ret = guest_mem_init(&vm->mem, (uint64_t)c->mem_mib * X86_MiB, mflags, err);
	if (!ret)
		ret = kvm_add_guest_mem(&vm->kvm, &vm->mem, err);
	if (!ret)
		ret = vm_boot_load(vm, c, err);
	vm->t_load_done = husk_now_ns();
	if (!ret)
		ret = vm_create_vcpus(vm, err);
	if (!ret)
		ret = vm_legacy_init(vm, err);
	if (ret < 0)
		return ret;
	vm->exit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_efd < 0)
		return husk_err(err, errno, "eventfd");
	return 0;
}

static struct husk_vm *vm_alloc(void)
{
	struct husk_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->t_create = husk_now_ns();
	kvm_init_fds(&vm->kvm);
	vm->exit_efd = -1;
	vm->sample_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	pthread_mutex_init(&vm->dev_lock, NULL);
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	return vm;
}

int husk_vm_create(const struct husk_vm_config *cfg, struct husk_vm **out, struct husk_error **err)
{
	struct husk_vm *vm = vm_alloc();
	int ret;

	if (!vm)
		return husk_err(err, ENOMEM, "husk_vm_create");
	ret = vm_config_copy(&vm->cfg, cfg, err);
	if (!ret)
		ret = vm_config_check(&vm->cfg, err);
	if (!ret) {
		vm->log = (struct log_sink){ vm->cfg.log_fn, vm->cfg.log_opaque,
					     vm->cfg.log_level };
		vm->nr_vcpus = vm->cfg.nr_cpus;
		ret = vm_setup(vm, &vm->cfg, err);
	}
	/* The caller's strings are not ours to keep. */
	vm->cfg.kernel_path = vm->cfg.initrd_path = vm->cfg.cmdline = NULL;
	vm->cfg.init_path = NULL;
	if (ret < 0) {
		husk_vm_destroy(vm);
		return ret;
	}
	log_info(&vm->log, "VM created: %u vCPU(s), %u MiB%s", vm->nr_vcpus, vm->cfg.mem_mib,
		 vm->kvm.pvm ? ", PVM host" : "");
	vm->t_created = husk_now_ns();
	*out = vm;
	return 0;
}

/* ms between two husk_now_ns() readings, for the teardown's log line */
static double vm_ms(uint64_t from, uint64_t to)
{
	return (double)(to - from) / 1e6;
}

void husk_vm_destroy(struct husk_vm *vm)
{
	uint64_t t[6];
	unsigned int i;

	if (!vm)
		return;
	t[0] = husk_now_ns();
	if (vm->started) {
		husk_vm_request_stop(vm);
		husk_vm_wait(vm, NULL);
	}
	t[1] = husk_now_ns();
	/*
	 * Virtio devices while the event loop still runs (their teardown
	 * unregisters from it), then the loop, all before guest RAM goes.
	 */
	vm_vdevs_fini(vm);
	event_loop_fini(&vm->loop);
	pc_devices_fini(&vm->legacy);
	t[2] = husk_now_ns();
	for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	free(vm->cpuid);
	t[3] = husk_now_ns();
	kvm_close(&vm->kvm);
	t[4] = husk_now_ns();
	guest_mem_fini(&vm->mem);
	t[5] = husk_now_ns();
	/* Where a teardown's time goes, as the boot's phases say for a start. */
	log_info(&vm->log,
		 "VM destroyed in %.1f ms: stop %.1f, devices %.1f, vCPUs %.1f, KVM VM %.1f, "
		 "guest RAM %.1f",
		 vm_ms(t[0], t[5]), vm_ms(t[0], t[1]), vm_ms(t[1], t[2]), vm_ms(t[2], t[3]),
		 vm_ms(t[3], t[4]), vm_ms(t[4], t[5]));
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
