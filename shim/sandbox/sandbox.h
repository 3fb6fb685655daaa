/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox.h - the shim's real backend (struct shim_backend_ops): one
 * husk VM per shim, created by the first Create, with husk-init as PID 1
 * driven over vsock (include/husk_agent.h). Every container of the shim's
 * group (a pod: `shim start` groups by sandbox id) runs in that VM, each
 * with its own disks in the VM's disk slots.
 *
 * Files, by concern, top first (each calls only files below it):
 *   sandbox_backend.c       the ops table task/backend.h calls
 *   sandbox_proc.c          process ops: Start, Exec, Kill, Pids, Stats, ...
 *   sandbox_container.c     Create, Delete and Destroy of containers
 *   sandbox_rootfs.c        a container's root in and out: a host mount in
 *                           the share or its disks; CREATE's ROOTFS
 *   sandbox_stdio.c         stdio relays between containerd's FIFOs/files
 *                           (or a binary:// logger, io/stdio_logger.c) and
 *                           the per-stream vsock connections
 *   sandbox_boot.c          the VM: config, disks, vsock, console, agent
 *                           connection, the VM-end watcher, shutdown
 *   sandbox_port_forward.c  the pod's port-forward relay in the VM's life
 *   sandbox_fs.c            host file sharing: the sandbox's share and its
 *                           virtiofsd, each container's binds in and out
 *   sandbox_events.c        agent events: exits (after output drained), OOM
 *   sandbox_disks.c         disk slots: containers' images in and out
 *   sandbox.c               the backend object, finding a process, requests
 *                           and vsock connections to husk-init (every file
 *                           above uses it)
 *   sandbox_warm.c          a VM booted before its sandbox exists (a
 *                           spare of the warm pool) and its hand-over to
 *                           the first Create
 *   sandbox_warm_net.c      the spare's tapless interface, and the pod's
 *                           tap handed to it
 *   sandbox_phases.c        where a container's start and teardown time
 *                           goes: the phase lines (base/phase_log.h)
 *   sandbox_dump.c          the SIGUSR1 dump's agent requests and vCPUs
 *   sandbox_relay_dump.c    the dump's RELAY_STATUS query: husk-init's
 *                           side of the stdio streams, logged on arrival
 * and the pure or host-side helpers they use:
 *   sandbox_plan.c          pure: VM size, rootfs mounts -> share or disks
 *   sandbox_rootfs_image.c  erofs/ext4 images (recorded in the bundle's
 *                           state file, base/bundle_state.c)
 *   sandbox_rootfs_share.c  a root mounted on the host in the share
 *   sandbox_mounts.c        the spec's mounts rewritten for the VM
 *   guest_panic.c           a guest kernel panic spotted in the console
 *   console_tail.c          the console log's last lines, logged when a
 *                           boot failed (containerd removes the bundle)
 * The network (net/), the share (share/), the agent connection (agent/)
 * and stdio strings (io/) are folders below this one.
 *
 * Where things go: the guest console is <bundle>/husk-console.log, capped
 * at "console_log_max_bytes" with one older husk-console.log.1 (and, with
 * "debug_console": true, the shim log too; the last lines of a VM that
 * did not come up, too); per-container images are
 * in <bundle>/work (containerd's scratch folder for the task) and listed
 * in <bundle>/husk-state for `delete`; merged layer images are a shared
 * cache in /var/lib/husk/images; host paths the containers bind are in
 * the sandbox's share, FS_SHARE_BASE/<sandbox id> (fs_share.h).
 *
 * Locking: be->lock guards the container and process lists and every
 * process's exit state; it is never held across an agent request, a VM
 * call or a thread join. be->boot_lock serialises VM boot and teardown,
 * Create and the end of Delete, and guards the disk slots. be->dump_lock
 * is held only while be->agent or be->vm is set or taken away, and while
 * the SIGUSR1 dump reads through them (it may not wait for the others).
 */
#ifndef HUSK_SHIM_SANDBOX_SANDBOX_H
#define HUSK_SHIM_SANDBOX_SANDBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "common/rotating_file.h"
#include "husk.h"
#include "shim/task/backend.h"
#include "shim/base/host_cgroup.h"
#include "shim/base/oci_hooks.h"
#include "shim/base/phase_log.h"
#include "shim/share/fs_daemon.h"
#include "shim/io/stdio_logger.h"
#include "shim/io/stdio_uri.h"
#include "shim/sandbox/guest_panic.h"
#include "shim/sandbox/sandbox_mounts.h"
#include "shim/sandbox/sandbox_rootfs_image.h"

#define SANDBOX_AGENT_TIMEOUT_MS \
	60000 /* a stdio connection's handshake (requests: agent_deadline_ms) */
#define SANDBOX_BOOT_TIMEOUT_MS	  180000 /* VM start to husk-init's HELLO */
#define SANDBOX_DRAIN_TIMEOUT_MS  5000	 /* exit waits this long for output */
#define SANDBOX_VM_EXIT_STATUS	  255	 /* what a process reports when the VM ended */
#define SANDBOX_DISK_SLOTS	  8	 /* disks of a VM: two per container (erofs, ext4) */
/* Disks of a VM whose first container's root is in the share: the pod's
 * later roots go there too (same snapshotter and runtime config), and
 * each empty disk costs the guest a probe at boot (15 ms in the rig);
 * one container with its own disks (a devmapper volume, say) still fits. */
#define SANDBOX_DISK_SLOTS_SHARED 2

struct agent_client;
struct sandbox;
struct husk_vm;
struct sandbox_net;
struct port_forward;

/* One relayed stream: bytes from @from to @to on its own thread. */
/* What a relay thread does now, for the SIGUSR1 dump (atomics). */
enum sandbox_stream_phase {
	STREAM_WAITING, /* in poll for its source */
	STREAM_READING,
	STREAM_WRITING, /* in write to its sink: a reader that stopped shows here */
	STREAM_DONE,
};

struct sandbox_stream {
	int from, to;
	bool output;  /* guest -> host (counts towards the drain) */
	bool running; /* thread started (join it) */
	pthread_t thread;
	struct sandbox *be;
	struct sandbox_proc *proc;
	/* Written by the relay thread, read by the dump (atomics). */
	uint64_t bytes_read, bytes_written;
	int phase;	  /* enum sandbox_stream_phase */
	int64_t phase_ms; /* husk_now_ms() when phase began */
};

struct sandbox_stdio {
	struct stdio_config cfg;
	struct sandbox_stream s[3]; /* stdin, stdout, stderr */
	int stdin_keep;		    /* kept writer of the stdin FIFO; CloseIO closes it */
	int stop_fd;		    /* eventfd: relays give up (delete) */
	struct stdio_logger logger; /* binary:// stdout */
};

struct sandbox_proc {
	struct sandbox_container *container;
	char *exec_id; /* NULL: the container's init */
	uint32_t pid;
	bool started;
	bool exited;   /* the guest reported the exit */
	bool reported; /* shim_tasks_exited() was called */
	uint32_t status;
	struct timespec at;
	int open_outputs; /* output relays still copying */
	int drainers;	  /* drain threads that still look at this */
	struct sandbox_stdio io;
	struct sandbox_proc *next;
};

struct sandbox_container {
	char *id;
	char *bundle;
	struct sandbox_disks disks;
	int slot[2];			 /* disk slots of disks.lower and disks.upper; -1: none */
	struct sandbox_host_mount share; /* a root for the share; source NULL: disks */
	bool share_mounted;		 /* it is an entry of be->share_root */
	struct sandbox_mounts mounts;	 /* its spec for the VM, its share entries */
	struct sandbox_proc *procs;	 /* the init first */
	struct oci_hook_ctx hooks;	 /* the spec's OCI hooks, run on the host */
	struct phase_log start;		 /* Create's request to Start's answer */
	struct phase_log stop;		 /* kill or exit to Delete's end (under be->lock) */
	struct sandbox_container *next;
};

struct sandbox {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* open_outputs went down */
	pthread_mutex_t boot_lock;
	pthread_mutex_t dump_lock; /* be->agent and be->vm stay while the dump reads */
	struct shim_tasks *tasks;
	struct husk_vm *vm;
	struct agent_client *agent;
	struct sandbox_net *net;      /* the spec's netns bridged to the VM (sandbox_net.h) */
	struct port_forward *pf;      /* its port-forward relay, or NULL (port_forward.h) */
	struct rotating_file console; /* <bundle>/husk-console.log, capped */
	struct guest_panic panic;     /* fed by the console, read when the VM ended */
	bool debug_console;
	bool vm_dead;
	bool stopping;	   /* teardown asked the guest to SHUTDOWN */
	int watch_stop_fd; /* eventfd: the VM-end watcher returns */
	pthread_t watcher;
	bool watching;
	bool slot_used[SANDBOX_DISK_SLOTS]; /* under boot_lock */
	int nr_slots;			    /* disks the VM booted with */
	struct fs_daemon fsd;		    /* the share's virtiofsd (under boot_lock) */
	bool roots_on_share;		    /* atomic: a container's root came from the share */
	char share_root[4096];		    /* FS_SHARE_BASE/<sandbox id> */
	bool share_made;
	struct host_cgroup cgroup; /* the pod's host cgroup the shim joined (under boot_lock) */
	struct sandbox_size size;  /* the VM's (under boot_lock), planned by its first Create */
	/* The teardown phases of the last container's Delete (which took the VM down),
	 * or of Destroy's, logged as the shim exits (under be->lock). */
	struct phase_log stop;
	char stop_of[128]; /* whose they are: a container id, or "the VM" */
	/* A VM booted ahead by a spare (sandbox_warm.c), until the first Create takes it. */
	bool warm_pending;
	bool warm_size_ok;		       /* the first Create planned the VM's size */
	const struct runtime_config *warm_cfg; /* the spare's config (outlives the backend) */
	char warm_dir[4096];		       /* the spare's stand-in bundle */
	long long warm_up_ms;		       /* husk_now_ms() when it was up */
	bool warm_net; /* the spare's VM has net 0 without a tap (sandbox_boot.c) */
	struct sandbox_container *containers;
};

/* sandbox.c */
int sandbox_backend_new(struct sandbox **out);
struct sandbox_proc *sandbox_find(struct sandbox *be, const char *id, const char *exec_id);
int sandbox_call(struct sandbox *be, uint16_t type, const char *json, yajl_val *reply,
		 struct husk_error **err);
/* sandbox_call_pid - a request whose reply carries "pid": *@pid (0 when absent). */
int sandbox_call_pid(struct sandbox *be, uint16_t type, const char *json, uint32_t *pid,
		     struct husk_error **err);
/* sandbox_ids_json - {"id":..,"exec_id":..} without the closing brace, into @buf. */
void sandbox_ids_json(char *buf, size_t len, const char *id, const char *exec_id);
/*
 * sandbox_vsock_connect - a new connection to husk-init's vsock port in
 * *@fd, retried (every 10 ms) while the guest is not listening yet, for
 * up to @timeout_ms; ESRCH once the VM has ended.
 */
int sandbox_vsock_connect(struct sandbox *be, int timeout_ms, int *fd, struct husk_error **err);

/* sandbox_container.c: the container ops */
int sandbox_create(void *opaque, const struct shim_create_req *req, uint32_t *pid,
		   struct husk_error **err);
int sandbox_delete(void *opaque, const char *id, const char *exec_id, struct husk_error **err);
void sandbox_destroy(void *opaque);
/* sandbox_proc_free - stop @p's stdio relays, free it. */
void sandbox_proc_free(struct sandbox_proc *p);

/* sandbox_warm.c */
struct runtime_config;
/*
 * sandbox_warm_boot - boot @be's VM before any sandbox exists, for spare
 * @name with stand-in bundle @dir (console log, state file): the share,
 * virtiofsd, the VM at @cfg's size with the disk slots of a root on the
 * share, husk-init answering. @cfg must outlive @be.
 */
int sandbox_warm_boot(struct sandbox *be, const struct runtime_config *cfg, const char *name,
		      const char *dir, struct husk_error **err);
/*
 * sandbox_warm_settle - the first Create's decision on a warm VM: keep it
 * (*@used) when it is what this Create would boot, recording its files
 * in the Create's bundle, else tear it down for a VM of its own. Under
 * boot_lock.
 */
int sandbox_warm_settle(struct sandbox *be, const struct shim_create_req *req,
			const struct sandbox_container *c, bool *used, struct husk_error **err);

/* sandbox_warm_net.c */
struct sandbox_net;
/*
 * sandbox_warm_net_misfit - why the warm VM cannot serve @req's network
 * namespace (NULL: it can; no namespace fits). *@net: the namespace's
 * links as read (NULL: none, or loopback only), the caller's until
 * sandbox_warm_net_take (sandbox_net_teardown when unused).
 */
const char *sandbox_warm_net_misfit(struct sandbox *be, const struct shim_create_req *req,
				    struct sandbox_net **net);
/*
 * sandbox_warm_net_take - @net (from sandbox_warm_net_misfit, now be->net):
 * its tap made and handed to the VM's interface, the port-forward relay.
 */
int sandbox_warm_net_take(struct sandbox *be, const struct shim_create_req *req,
			  struct sandbox_net *net, struct husk_error **err);

/* sandbox_proc.c: the process ops */
int sandbox_start(void *opaque, const char *id, const char *exec_id, uint32_t *pid,
		  struct husk_error **err);
int sandbox_exec(void *opaque, const struct shim_exec_req *req, struct husk_error **err);
int sandbox_kill(void *opaque, const char *id, const char *exec_id, uint32_t signal, bool all,
		 struct husk_error **err);
int sandbox_pids(void *opaque, const char *id, uint32_t **pids, size_t *n, struct husk_error **err);
int sandbox_close_io(void *opaque, const char *id, const char *exec_id, struct husk_error **err);
int sandbox_resize_pty(void *opaque, const char *id, const char *exec_id, uint32_t width,
		       uint32_t height, struct husk_error **err);
int sandbox_stats(void *opaque, const char *id, struct shim_stats *st, struct husk_error **err);
int sandbox_pause(void *opaque, const char *id, struct husk_error **err);
int sandbox_resume(void *opaque, const char *id, struct husk_error **err);
int sandbox_update(void *opaque, const char *id, const char *resources, size_t len,
		   struct husk_error **err);

/* sandbox_dump.c */
/* sandbox_dump - log the agent requests waiting and each vCPU's state; never blocks long. */
void sandbox_dump(struct sandbox *be);

/* sandbox_relay_dump.c */
/*
 * sandbox_dump_relays - ask @agent's husk-init for its stdio relays
 * (RELAY_STATUS) on a thread of its own and log the answer when it comes,
 * or that none came within DUMP_RELAY_QUERY_MS; returns at once.
 */
void sandbox_dump_relays(struct agent_client *agent);

/* sandbox_boot.c */
/*
 * sandbox_vm_boot - a VM of be->size with empty disk slots and the share's device (the
 * share exists: sandbox_fs_share), its virtiofsd started (sandbox_fs_daemon), up to
 * husk-init's answer. The daemon starts while the VM is created, unless @background
 * (a spare's boot, which nobody waits on): then first, one thing at a time, so that
 * the boot takes fewer CPUs from the sandboxes starting meanwhile.
 */
int sandbox_vm_boot(struct sandbox *be, const struct shim_create_req *req, bool background,
		    struct phase_log *pl, struct husk_error **err);
/*
 * sandbox_configure_net - after the boot: the network of the spec's netns,
 * and @etc (the booting container's hosts/resolv.conf/hostname) for the
 * VM itself. Nothing of either: no request.
 */
int sandbox_configure_net(struct sandbox *be, const struct sandbox_net_etc *etc,
			  struct husk_error **err);
/* sandbox_vm_teardown - the VM, its network and share gone; marks @pl (NULL: none). */
void sandbox_vm_teardown(struct sandbox *be, struct phase_log *pl);

/* sandbox_port_forward.c: never failing, a warning says why it is off */
/* sandbox_port_forward_setup - the listener and NAT rule in @netns (be->pf). */
void sandbox_port_forward_setup(struct sandbox *be, const char *netns);
/* sandbox_port_forward_start - relay to husk-init (after it answered). */
void sandbox_port_forward_start(struct sandbox *be);
/* sandbox_port_forward_stop - relay, rule and listener gone (before the VM). */
void sandbox_port_forward_stop(struct sandbox *be);

/* sandbox_disks.c (under boot_lock) */
/* sandbox_disks_add_slots - be->nr_slots empty disks, each with @limit, before start. */
int sandbox_disks_add_slots(struct sandbox *be, const struct husk_rate_limit *limit,
			    struct husk_error **err);
/* sandbox_disks_attach - @c's images into free slots (c->slot). */
int sandbox_disks_attach(struct sandbox *be, struct sandbox_container *c, struct husk_error **err);
/* sandbox_disks_detach - @c's images out (the guest unmounted them), slots freed. */
void sandbox_disks_detach(struct sandbox *be, struct sandbox_container *c);
/*
 * sandbox_disks_forget - the VM is gone, and its slots with it: no container
 * may detach from the next VM's slots what it put into this one's.
 */
void sandbox_disks_forget(struct sandbox *be);
/* sandbox_disk_node - the guest's device node of @slot: "/dev/vda" for 0. */
void sandbox_disk_node(int slot, char *buf, size_t len);

/* sandbox_rootfs.c (under boot_lock) */
/* sandbox_rootfs_attach - @c's root into the VM: its share mount or its disks. */
int sandbox_rootfs_attach(struct sandbox *be, const struct shim_create_req *req,
			  struct sandbox_container *c, struct husk_error **err);
/* sandbox_rootfs_release - @c's root out (the guest let go): unmounted, slots freed. */
void sandbox_rootfs_release(struct sandbox *be, struct sandbox_container *c);
/* sandbox_rootfs_json - CREATE's ROOTFS object for @c. */
void sandbox_rootfs_json(const struct sandbox_container *c, char *buf, size_t len);
/* sandbox_fs.c (under boot_lock) */
/* sandbox_fs_share - the sandbox's share folder (first Create, before the rewrite). */
int sandbox_fs_share(struct sandbox *be, const struct shim_create_req *req,
		     struct husk_error **err);
/*
 * sandbox_fs_daemon - its virtiofsd launched (first Create's boot), on a
 * thread of its own while the VM is created; sandbox_fs_daemon_wait (always
 * called after a launch) joins it and records its pid in @req's bundle.
 */
int sandbox_fs_daemon(struct sandbox *be, const struct shim_create_req *req,
		      struct husk_error **err);
int sandbox_fs_daemon_wait(struct sandbox *be, const struct shim_create_req *req,
			   struct husk_error **err);
/* sandbox_fs_add_device - the VM's virtio-fs device, connected to the daemon. */
int sandbox_fs_add_device(struct sandbox *be, struct husk_error **err);
/* sandbox_fs_record - the share and daemon in a later container's bundle. */
int sandbox_fs_record(struct sandbox *be, const char *bundle, struct husk_error **err);
/* sandbox_fs_rewrite - @c's spec for the VM (c->mounts), its binds in the share. */
int sandbox_fs_rewrite(struct sandbox *be, const struct shim_create_req *req,
		       struct sandbox_container *c, struct husk_error **err);
/* sandbox_fs_release - @c's entries out of the share, c->mounts freed. */
void sandbox_fs_release(struct sandbox *be, struct sandbox_container *c);
/* sandbox_fs_stop - after the VM: stop the daemon, remove the share. */
void sandbox_fs_stop(struct sandbox *be);

/* sandbox_events.c */
void sandbox_on_event(void *opaque, uint16_t type, yajl_val payload);
void sandbox_output_done(struct sandbox *be, struct sandbox_proc *p);
void sandbox_vm_ended(struct sandbox *be);

/* sandbox_stdio.c */
int sandbox_stdio_parse(const struct shim_stdio *s, struct sandbox_stdio *io,
			struct husk_error **err);
/* sandbox_stdio_json - the STDIO object of a CREATE/EXEC request. */
void sandbox_stdio_json(const struct sandbox_stdio *io, char *buf, size_t len);
/* sandbox_stdio_attach - bind the named streams and start their relays. */
int sandbox_stdio_attach(struct sandbox *be, struct sandbox_proc *p, struct husk_error **err);
void sandbox_stdio_close_in(struct sandbox_stdio *io);
/* sandbox_stdio_stop - stop and join the relays, close everything. */
void sandbox_stdio_stop(struct sandbox_stdio *io);

/* sandbox_phases.c: the phase lines (ARCHITECTURE.md lists the names) */
/* sandbox_phases_begin - @c's start phases: the task layer's so far (req->phases). */
void sandbox_phases_begin(struct sandbox_container *c, const struct shim_create_req *req);
/* sandbox_phases_boot - libhusk's "kernel" (first KVM_RUN) and husk-init's boot "marker". */
void sandbox_phases_boot(struct sandbox *be, struct phase_log *pl);
/* sandbox_phases_started - Start answered: "start", @c's start line logged. */
void sandbox_phases_started(struct sandbox_container *c);
/* sandbox_phase_stop - @name into @pl, a teardown log (be->lock taken here). */
void sandbox_phase_stop(struct sandbox *be, struct phase_log *pl, const char *name);
/* sandbox_phases_deleted - @c's teardown line logged, or kept for the shim's exit if the VM went
 * down with it (@vm_gone). */
void sandbox_phases_deleted(struct sandbox *be, struct sandbox_container *c, bool vm_gone);
/* sandbox_phases_destroy - Destroy takes a running VM down: the log of its teardown, or NULL. */
struct phase_log *sandbox_phases_destroy(struct sandbox *be);
/*
 * sandbox_phases_exit - the shim exits: "shim-exit", the kept teardown
 * line logged (by the daemon before its ttrpc connection closes, and by
 * Destroy for a VM it took down).
 */
void sandbox_phases_exit(struct sandbox *be);

/* sandbox_backend.c */
extern const struct shim_backend_ops sandbox_backend_ops;

#endif
