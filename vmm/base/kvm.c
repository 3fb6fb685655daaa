// SPDX-License-Identifier: Apache-2.0
/* kvm.c - /dev/kvm, capability checks, the VM fd and its machine core. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/base/kvm.h"

#define KVM_API_VERSION_REQUIRED 12

static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

void kvm_init_fds(struct kvm *k)
{
	k->sys_fd = -1;
	k->vm_fd = -1;
	k->vcpu_mmap_size = 0;
	k->pvm = false;
}

bool kvm_host_is_pvm(void)
{
	return access(KVM_PVM_PATH, F_OK) == 0;
}

static int kvm_check_caps(struct kvm *k, struct husk_error **err)
{
	size_t i;

	for (i = 0; i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]); i++) {
		if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0)
			return husk_err(err, ENOTSUP, "%s: host KVM lacks %s", KVM_DEV_PATH,
					kvm_required_caps[i].name);
	}
	return 0;
}

int kvm_open(struct kvm *k, struct husk_error **err)
{
	int ret;

	k->sys_fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0)
		return husk_err(err, errno, "open %s", KVM_DEV_PATH);
	ret = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (ret < 0)
		return husk_err(err, errno, "KVM_GET_API_VERSION");
	if (ret != KVM_API_VERSION_REQUIRED)
		return husk_err(err, ENOTSUP, "%s: KVM API version %d, need %d", KVM_DEV_PATH, ret,
				KVM_API_VERSION_REQUIRED);
	ret = kvm_check_caps(k, err);
	if (ret < 0)
		return ret;
	k->vcpu_mmap_size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->vcpu_mmap_size < (int)sizeof(struct kvm_run))
		return husk_err(err, k->vcpu_mmap_size < 0 ? errno : EINVAL,
				"KVM_GET_VCPU_MMAP_SIZE");
	k->pvm = kvm_host_is_pvm();
	return 0;
}

int kvm_vm_create(struct kvm *k, uint64_t tss_gpa, uint64_t idmap_gpa, struct husk_error **err)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	__u64 idmap = idmap_gpa;

	k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0)
		return husk_err(err, errno, "KVM_CREATE_VM");
	if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return husk_err(err, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)tss_gpa) < 0)
		return husk_err(err, errno, "KVM_SET_TSS_ADDR");
	/* The irqchip must exist before any vCPU is created (api.rst). */
	if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return husk_err(err, errno, "KVM_CREATE_IRQCHIP");
	if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return husk_err(err, errno, "KVM_CREATE_PIT2");
	return 0;
}

int kvm_add_guest_mem(struct kvm *k, const struct guest_mem *gm, struct husk_error **err)
{
	struct kvm_userspace_memory_region r;
	unsigned int i;

	for (i = 0; i < gm->nr_regions; i++) {
		r = (struct kvm_userspace_memory_region){
			.slot = i,
			.guest_phys_addr = gm->regions[i].gpa,
			.memory_size = gm->regions[i].size,
			.userspace_addr = (uintptr_t)gm->regions[i].hva,
		};
		if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return husk_err(err, errno,
					"KVM_SET_USER_MEMORY_REGION slot %u (0x%llx+0x%llx)", i,
					(unsigned long long)r.guest_phys_addr,
					(unsigned long long)r.memory_size);
	}
	return 0;
}

void kvm_close(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	k->vm_fd = -1;
	k->sys_fd = -1;
}

int kvm_irq_line(struct kvm *k, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

	return ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

int kvm_irqfd(struct kvm *k, int fd, uint32_t gsi, bool deassign, struct husk_error **err)
{
	struct kvm_irqfd req = {
		.fd = (__u32)fd,
		.gsi = gsi,
		.flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : 0,
	};

	if (ioctl(k->vm_fd, KVM_IRQFD, &req) < 0)
		return husk_err(err, errno, "KVM_IRQFD gsi %u", gsi);
	return 0;
}

int kvm_ioeventfd(struct kvm *k, int fd, const struct kvm_ioevent *ev, bool deassign,
		  struct husk_error **err)
{
	struct kvm_ioeventfd req = {
		.datamatch = ev->data,
		.addr = ev->addr,
		.len = ev->len,
		.fd = fd,
	};

	if (ev->pio)
		req.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (ev->datamatch)
		req.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (deassign)
		req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(k->vm_fd, KVM_IOEVENTFD, &req) < 0)
		return husk_err(err, errno, "KVM_IOEVENTFD %s 0x%llx", ev->pio ? "pio" : "mmio",
				(unsigned long long)ev->addr);
	return 0;
}
