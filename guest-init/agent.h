/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h - husk-init's state: the agent (one per VM), its connections,
 * containers and processes, and the functions the modules offer each
 * other. One object graph, no globals: main() owns the struct agent.
 */
#ifndef HUSK_INIT_AGENT_H
#define HUSK_INIT_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-codec/agent_msg.h"
#include "common/error.h"
#include "guest-init/system/list.h"
#include "guest-init/system/init_log.h"
#include "guest-init/system/loop.h"
#include "guest-init/server/streams.h"

struct agent {
	int epfd;
	bool vm;			/* PID 1 of a VM, not the host test mode */
	const char *listen;		/* "vsock:PORT" or "unix:PATH" */
	char state_dir[200];	/* containers' mount points live here */
	char etc_dir[210];		/* hosts, resolv.conf, hostname */
	char files_dir[256];		/* HUSK_AGENT_FILES_DIR (test: STATE/files) */
	char share_dir[PATH_MAX];	/* HUSK_AGENT_SHARE_DIR (test: --share); "" none */
	char shm_dir[256];		/* HUSK_AGENT_POD_SHM_DIR (test: STATE/shm) */
	bool share_up, shm_up;		/* mounted (test mode: the share needs none) */
	char cg_root[200];		/* cgroup v2 folder for containers; "" none */
	char cg_ctrls[256];		/* controllers enabled for containers */
	int devnull;			/* for streams the host does not want */
	int pidns;			/* husk-init's own pid namespace */
	bool pidns_lost;		/* could not return to it: no more forks */
	struct watch listen_w, signal_w, inotify_w;
	struct list conns, containers;
	bool shutdown;			/* SHUTDOWN accepted: leave the loop */
};

struct conn {
	struct watch w;
	struct list link;
	struct agent *ag;
	bool hello;			/* gets events */
	bool used;			/* a message arrived: STDIO_BIND no longer allowed */
	bool closing;			/* close once the output is flushed */
	bool handed;			/* the fd now belongs to a stdio relay */
	uint8_t hdr_buf[HUSK_AGENT_HDR_SIZE];
	size_t hdr_len;
	struct husk_agent_hdr hdr;
	uint8_t *payload;
	size_t got;
	bool skip;			/* payload of a refused frame: read, drop */
	uint8_t *out;
	size_t out_len, out_cap;
};

enum proc_state { PROC_CREATED, PROC_RUNNING, PROC_EXITED };

struct waiter {
	struct list link;
	struct conn *conn;
	uint64_t req_id;
};

struct proc {
	struct list link;
	struct container *c;
	char exec_id[HUSK_AGENT_MAX_ID + 1];
	pid_t pid;
	enum proc_state state;
	int sync_fd;			/* to the held child; -1 once started */
	struct streams io;
	int exit_status, signal;
	int64_t exited_at;
	bool oom;
	uint64_t oom_base;		/* the cgroup's oom_kill count at start */
	struct list waiters;
};

struct container {
	struct list link;
	struct agent *ag;
	char id[HUSK_AGENT_MAX_ID + 1];
	char dir[PATH_MAX];		/* STATE/c/ID */
	char rootfs[PATH_MAX];		/* STATE/c/ID/rootfs */
	char files[PATH_MAX];		/* FILES_DIR/ID: CREATE's "files" */
	char cg[PATH_MAX];		/* its cgroup; "" without cgroups */
	int ns[4];			/* the init's mnt, uts, ipc, pid namespaces */
	int rootfd;			/* the init's root directory, after pivot_root */
	int oom_wd;			/* inotify watch on memory.events, or -1 */
	uint64_t oom_kills;
	int nmounts;			/* rootfs mounts to undo, innermost last */
	char mounts[AMSG_MAX_LOWER + 2][PATH_MAX];
	struct proc *init;
	struct list procs;
};

enum { NS_MNT, NS_UTS, NS_IPC, NS_PID };

/* conn.c */
int conn_listen(struct agent *ag, struct husk_error **e);
void conn_send(struct conn *c, unsigned int type, uint64_t id, const void *p, size_t len);
void conn_close(struct conn *c);
/* conn_take_fd - hand the socket to a stdio relay; the conn is freed later. */
int conn_take_fd(struct conn *c);
void conn_watch(struct conn *c);
void conn_flush(struct conn *c);

/* reply.c */
void reply_ok(struct conn *c, uint64_t id, yajl_gen g);
void reply_err(struct conn *c, uint64_t id, const struct husk_error *e);
void event_broadcast(struct agent *ag, unsigned int type, yajl_gen g);
yajl_gen reply_gen(void);

/* dispatch.c */
void dispatch(struct conn *c, const struct husk_agent_hdr *h, const uint8_t *payload);

/* container.c */
struct container *container_find(struct agent *ag, const char *id);
struct proc *container_proc(struct container *c, const char *exec_id);
int container_create(struct agent *ag, struct amsg *m, struct husk_error **e);
int container_delete(struct container *c, struct husk_error **e);
void container_kill_all(struct container *c, int sig);

/* files.c: a container's own files (CREATE "files") */
int files_write(const struct container *c, const struct amsg *m, struct husk_error **e);
void files_remove(const struct container *c);

/* share.c: bind sources that are not plain VM paths (share, pod shm, files) */
int share_init(struct agent *ag, const char *share, struct husk_error **e);
int share_resolve(struct agent *ag, struct spec *spec, int64_t shm_size, struct husk_error **e);
/*
 * share_resolve_dir - @dir as husk-init reaches it, into *@out (malloc'd):
 * under HUSK_AGENT_SHARE_DIR the share is mounted first (test mode: the
 * --share folder); *@shared says so. Any other path is used as it is.
 */
int share_resolve_dir(struct agent *ag, const char *dir, char **out, bool *shared,
		      struct husk_error **e);
/* share_source_open - in the child: an O_PATH fd of @m's source, beneath its folder */
int share_source_open(const struct spec_mount *m, struct husk_error **e);

/* blkdev.c: wait until @source (a /dev/vdX slot) has its medium */
int blkdev_ready(const char *source, struct husk_error **e);

/* rootfs.c */
int rootfs_mount(struct container *c, const struct amsg_rootfs *r, struct husk_error **e);
void rootfs_umount(struct container *c);

/* process.c */
struct proc *proc_new(struct container *c, const char *exec_id);
void proc_free(struct proc *p);
int proc_spawn(struct proc *p, const struct spec_process *op, const struct spec *spec,
	       const struct amsg_stdio *want, struct husk_error **e);
int proc_start(struct proc *p, struct husk_error **e);
void proc_reap(struct agent *ag);
void proc_exit_fields(const struct proc *p, yajl_gen g);
int proc_signal(struct proc *p, int sig, struct husk_error **e);

/* child.c, child_init.c: run in the forked child, never return */
void child_init_main(struct container *c, const struct spec *spec,
		     struct proc *p, int sync) __attribute__((noreturn));
void child_exec_main(struct container *c, const struct spec_process *op,
		     struct proc *p, int sync) __attribute__((noreturn));
void child_run(const struct spec_process *op, struct proc *p, int sync)
	__attribute__((noreturn));
void child_fail(int sync, const struct husk_error *e) __attribute__((noreturn));
/* Bytes of an error message a child sends its parent (longer ones are cut). */
#define CHILD_FAIL_MSG_MAX	512
/* child_ready_and_wait - make the pty (process.terminal), report ready
 * with its master, wait for START. */
int child_ready_and_wait(int sync, struct proc *p, struct husk_error **e);

/* mounts.c: the container's mounts, in the child before pivot_root */
int mounts_setup(const char *rootfs, const struct spec *spec, struct husk_error **e);
/* mounts_finish - after pivot_root: masked and readonly paths, read-only root */
int mounts_finish(const struct spec *spec, struct husk_error **e);
/* devices.c */
int devices_setup(int rootfd, bool dev_tmpfs, const struct spec *spec, struct husk_error **e);

/* user.c */
int user_resolve(struct spec_user *u, const char **home, struct husk_error **e);

/* caps.c */
int caps_bounding(const struct spec_caps *c, struct husk_error **e);
int caps_apply(const struct spec_caps *c, struct husk_error **e);

/* cgroup.c, cgroup_stats.c */
int cgroup_setup(struct agent *ag, const char *dir, struct husk_error **e);
int cgroup_create(struct container *c, const struct spec_resources *r, struct husk_error **e);
/* cgroup_update - UPDATE: the limits @r gives, on a running container. */
int cgroup_update(const struct container *c, const struct spec_resources *r, struct husk_error **e);
int cgroup_attach(const struct container *c, pid_t pid, struct husk_error **e);
void cgroup_kill(const struct container *c, int sig);
int cgroup_remove(struct container *c, struct husk_error **e);
uint64_t cgroup_oom_kills(const struct container *c);
void cgroup_oom_event(struct agent *ag, int wd);
/* cgroup_oom_check - broadcast an OOM event if @c has new OOM kills. */
void cgroup_oom_check(struct container *c);
int cgroup_stats(const struct container *c, yajl_gen g, struct husk_error **e);
int cgroup_pids(const struct container *c, yajl_gen g, struct husk_error **e);
int cgroup_write(const char *dir, const char *file, const char *val, struct husk_error **e);
/* cgroup_freeze.c - freeze (PAUSE) or thaw (RESUME), waiting until done. */
int cgroup_freeze(const struct container *c, bool freeze, struct husk_error **e);

/* net.c, netconf.c */
int net_link_set(int ifindex, const char *mac, unsigned int mtu, bool up, struct husk_error **e);
int net_addr_add(int ifindex, const char *cidr, struct husk_error **e);
int net_route_add(const char *dest, const char *gw, int ifindex, struct husk_error **e);
int netconf_apply(struct agent *ag, const struct amsg_net *n, struct husk_error **e);

/* sysmount.c */
int sysmount_vm(struct husk_error **e);
int sysmount_test(struct husk_error **e);
void sysmount_boot_marker(void);

/* power.c */
void power_off(struct agent *ag) __attribute__((noreturn));

/* util.c */
int util_mkdir_p(const char *path, mode_t mode, struct husk_error **e);
int util_write_file(const char *path, const char *data, size_t len, struct husk_error **e);
ssize_t util_read_file(const char *path, char *buf, size_t size);
int64_t util_now_ns(void);

#endif
