/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backend_vm.h - the shim's real backend (struct shim_backend_ops): one
 * husk VM per shim, created by the first Create, with husk-init as PID 1
 * driven over vsock (include/husk_agent.h). Every container of the shim's
 * group (a pod: `shim start` groups by sandbox id) runs in that VM, each
 * with its own disks in the VM's disk slots.
 *
 * Files, by concern:
 *   backend_vm.c         the ops table, Create and Delete of containers
 *   backend_vm_proc.c    process ops: Start, Exec, Kill, Pids, Stats, ...
 *   backend_vm_boot.c    the VM: config, disks, vsock, console, agent
 *                        connection, the VM-end watcher, shutdown
 *   backend_vm_disks.c   disk slots: containers' images in and out
 *   backend_vm_rootfs.c  a container's root in and out: a host mount in
 *                        the share or its disks; CREATE's ROOTFS
 *   backend_vm_fs.c      host file sharing: the sandbox's share and its
 *                        virtiofsd, each container's binds in and out
 *   backend_vm_events.c  agent events: exits (after output drained), OOM
 *   backend_vm_stdio.c   stdio relays between containerd's FIFOs/files
 *                        (or a binary:// logger, stdio_logger.c) and the
 *                        per-stream vsock connections
 *   vm_plan.c            pure: VM size, rootfs mounts -> share or disks
 *   vm_rootfs.c          erofs/ext4 images; vm_state.c their record
 *   vm_rootfs_share.c    a root mounted on the host in the share
 *   vm_net*.c            the spec's network namespace: its links read
 *                        (netlink.c), taps + tc mirred, CONFIGURE_NETWORK,
 *                        hosts/resolv.conf, cleanup records
 *
 * Where things go: the guest console is <bundle>/husk-console.log (and,
 * with "debug_console": true, the shim log too); per-container images are
 * in <bundle>/work (containerd's scratch folder for the task) and listed
 * in <bundle>/husk-state for `delete`; merged layer images are a shared
 * cache in /var/lib/husk/images; host paths the containers bind are in
 * the sandbox's share, FS_SHARE_BASE/<sandbox id> (fs_share.h).
 *
 * Locking: be->lock guards the container and process lists and every
 * process's exit state; it is never held across an agent request, a VM
 * call or a thread join. be->boot_lock serialises VM boot and teardown,
 * Create and the end of Delete, and guards the disk slots.
 */
#ifndef HUSK_SHIM_BACKEND_VM_H
#define HUSK_SHIM_BACKEND_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "shim/backend.h"
#include "shim/fs_daemon.h"
#include "shim/stdio_logger.h"
#include "shim/stdio_uri.h"
#include "shim/vm_mounts.h"
#include "shim/vm_rootfs.h"

#define BVM_AGENT_TIMEOUT_MS	60000	/* one request (CREATE mounts disks) */
#define BVM_BOOT_TIMEOUT_MS	180000	/* VM start to husk-init's HELLO */
#define BVM_DRAIN_TIMEOUT_MS	5000	/* exit waits this long for output */
#define BVM_VM_EXIT_STATUS	255	/* what a process reports when the VM ended */
#define BVM_DISK_SLOTS		8	/* disks of a VM: two per container (erofs, ext4) */

struct agent_client;
struct bvm;
struct husk_vm;
struct vm_net;

/* One relayed stream: bytes from @from to @to on its own thread. */
struct bvm_stream {
	int from, to;
	bool output;		/* guest -> host (counts towards the drain) */
	bool running;		/* thread started (join it) */
	pthread_t thread;
	struct bvm *be;
	struct bvm_proc *proc;
};

struct bvm_stdio {
	struct stdio_config cfg;
	struct bvm_stream s[3];	/* stdin, stdout, stderr */
	int stdin_keep;		/* kept writer of the stdin FIFO; CloseIO closes it */
	int stop_fd;		/* eventfd: relays give up (delete) */
	struct stdio_logger logger;	/* binary:// stdout */
};

struct bvm_proc {
	struct bvm_ctr *ctr;
	char *exec_id;		/* NULL: the container's init */
	uint32_t pid;
	bool started;
	bool exited;		/* the guest reported the exit */
	bool reported;		/* shim_tasks_exited() was called */
	uint32_t status;
	struct timespec at;
	int open_outputs;	/* output relays still copying */
	int drainers;		/* drain threads that still look at this */
	struct bvm_stdio io;
	struct bvm_proc *next;
};

struct bvm_ctr {
	char *id;
	char *bundle;
	struct vm_disks disks;
	int slot[2];		/* disk slots of disks.lower and disks.upper; -1: none */
	struct vm_host_mount share;	/* a root for the share; source NULL: disks */
	bool share_mounted;	/* it is an entry of be->share_root */
	struct vm_mounts mounts;	/* its spec for the VM, its share entries */
	struct bvm_proc *procs;	/* the init first */
	struct bvm_ctr *next;
};

struct bvm {
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* open_outputs went down */
	pthread_mutex_t boot_lock;
	struct shim_tasks *tasks;
	struct husk_vm *vm;
	struct agent_client *agent;
	struct vm_net *net;	/* the spec's netns bridged to the VM (vm_net.h) */
	int console_fd;
	bool debug_console;
	bool vm_dead;
	bool stopping;		/* teardown asked the guest to SHUTDOWN */
	int watch_stop_fd;	/* eventfd: the VM-end watcher returns */
	pthread_t watcher;
	bool watching;
	bool slot_used[BVM_DISK_SLOTS];	/* under boot_lock */
	struct fs_daemon fsd;		/* the share's virtiofsd (under boot_lock) */
	bool roots_on_share;		/* atomic: a container's root came from the share */
	char share_root[4096];		/* FS_SHARE_BASE/<sandbox id> */
	bool share_made;
	struct bvm_ctr *ctrs;
};

/* backend_vm.c */
struct bvm_proc *bvm_find(struct bvm *be, const char *id, const char *exec_id);
void bvm_proc_free(struct bvm_proc *p);
int bvm_call(struct bvm *be, uint16_t type, const char *json, yajl_val *reply,
	     struct husk_error **err);
/* bvm_call_pid - a request whose reply carries "pid": *@pid (0 when absent). */
int bvm_call_pid(struct bvm *be, uint16_t type, const char *json, uint32_t *pid,
		 struct husk_error **err);
/* bvm_ids_json - {"id":..,"exec_id":..} without the closing brace, into @buf. */
void bvm_ids_json(char *buf, size_t len, const char *id, const char *exec_id);

/* backend_vm_proc.c: the process ops */
int bvm_start(void *opaque, const char *id, const char *exec_id, uint32_t *pid,
	      struct husk_error **err);
int bvm_exec(void *opaque, const struct shim_exec_req *req, struct husk_error **err);
int bvm_kill(void *opaque, const char *id, const char *exec_id, uint32_t signal,
	     bool all, struct husk_error **err);
int bvm_pids(void *opaque, const char *id, uint32_t **pids, size_t *n,
	     struct husk_error **err);
int bvm_close_io(void *opaque, const char *id, const char *exec_id,
		 struct husk_error **err);
int bvm_resize_pty(void *opaque, const char *id, const char *exec_id,
		   uint32_t width, uint32_t height, struct husk_error **err);
int bvm_stats(void *opaque, const char *id, struct shim_stats *st,
	      struct husk_error **err);
int bvm_pause(void *opaque, const char *id, struct husk_error **err);
int bvm_resume(void *opaque, const char *id, struct husk_error **err);
int bvm_update(void *opaque, const char *id, const char *resources, size_t len,
	       struct husk_error **err);

/* backend_vm_boot.c */
/*
 * bvm_vm_boot - a VM with empty disk slots and the share's device (the
 * share and its daemon already run: bvm_fs_share, bvm_fs_daemon), up to
 * husk-init's answer.
 */
int bvm_vm_boot(struct bvm *be, const struct shim_create_req *req, struct husk_error **err);
/*
 * bvm_configure_net - after the boot: the network of the spec's netns,
 * and @etc (the booting container's hosts/resolv.conf/hostname) for the
 * VM itself. Nothing of either: no request.
 */
int bvm_configure_net(struct bvm *be, const struct vm_net_etc *etc, struct husk_error **err);
void bvm_vm_teardown(struct bvm *be);
int bvm_vsock_connect(struct bvm *be, int timeout_ms, int *fd, struct husk_error **err);

/* backend_vm_disks.c (under boot_lock) */
/* bvm_disks_add_slots - the BVM_DISK_SLOTS empty disks, before start. */
int bvm_disks_add_slots(struct bvm *be, struct husk_error **err);
/* bvm_disks_attach - @c's images into free slots (c->slot). */
int bvm_disks_attach(struct bvm *be, struct bvm_ctr *c, struct husk_error **err);
/* bvm_disks_detach - @c's images out (the guest unmounted them), slots freed. */
void bvm_disks_detach(struct bvm *be, struct bvm_ctr *c);
/*
 * bvm_disks_forget - the VM is gone, and its slots with it: no container
 * may detach from the next VM's slots what it put into this one's.
 */
void bvm_disks_forget(struct bvm *be);
/* bvm_disk_node - the guest's device node of @slot: "/dev/vda" for 0. */
void bvm_disk_node(int slot, char *buf, size_t len);

/* backend_vm_rootfs.c (under boot_lock) */
/* bvm_rootfs_attach - @c's root into the VM: its share mount or its disks. */
int bvm_rootfs_attach(struct bvm *be, const struct shim_create_req *req, struct bvm_ctr *c,
		      struct husk_error **err);
/* bvm_rootfs_release - @c's root out (the guest let go): unmounted, slots freed. */
void bvm_rootfs_release(struct bvm *be, struct bvm_ctr *c);
/* bvm_rootfs_json - CREATE's ROOTFS object for @c. */
void bvm_rootfs_json(const struct bvm_ctr *c, char *buf, size_t len);
/* backend_vm_fs.c (under boot_lock) */
/* bvm_fs_share - the sandbox's share folder (first Create, before the rewrite). */
int bvm_fs_share(struct bvm *be, const struct shim_create_req *req, struct husk_error **err);
/* bvm_fs_daemon - its virtiofsd (first Create, before the VM boots). */
int bvm_fs_daemon(struct bvm *be, const struct shim_create_req *req, struct husk_error **err);
/* bvm_fs_add_device - the VM's virtio-fs device, connected to the daemon. */
int bvm_fs_add_device(struct bvm *be, struct husk_error **err);
/* bvm_fs_record - the share and daemon in a later container's bundle. */
int bvm_fs_record(struct bvm *be, const char *bundle, struct husk_error **err);
/* bvm_fs_rewrite - @c's spec for the VM (c->mounts), its binds in the share. */
int bvm_fs_rewrite(struct bvm *be, const struct shim_create_req *req, struct bvm_ctr *c,
		   struct husk_error **err);
/* bvm_fs_release - @c's entries out of the share, c->mounts freed. */
void bvm_fs_release(struct bvm *be, struct bvm_ctr *c);
/* bvm_fs_stop - after the VM: stop the daemon, remove the share. */
void bvm_fs_stop(struct bvm *be);

/* backend_vm_events.c */
void bvm_on_event(void *opaque, uint16_t type, yajl_val payload);
void bvm_output_done(struct bvm *be, struct bvm_proc *p);
void bvm_vm_ended(struct bvm *be);

/* backend_vm_stdio.c */
int bvm_stdio_parse(const struct shim_stdio *s, struct bvm_stdio *io, struct husk_error **err);
/* bvm_stdio_json - the STDIO object of a CREATE/EXEC request. */
void bvm_stdio_json(const struct bvm_stdio *io, char *buf, size_t len);
/* bvm_stdio_attach - bind the named streams and start their relays. */
int bvm_stdio_attach(struct bvm *be, struct bvm_proc *p, struct husk_error **err);
void bvm_stdio_close_in(struct bvm_stdio *io);
/* bvm_stdio_stop - stop and join the relays, close everything. */
void bvm_stdio_stop(struct bvm_stdio *io);

extern const struct shim_backend_ops backend_vm_ops;
int backend_vm_new(struct bvm **out);

#endif
