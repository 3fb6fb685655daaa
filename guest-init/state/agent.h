/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h - husk-init's state: the agent (one per VM), its connections,
 * containers and processes. One object graph, no globals: main() owns the
 * struct agent. In a folder of its own below every folder that uses it
 * (requests/, container/, replies/ and main.c above; stdio/ and system/
 * below), so dependencies run one way. What each folder offers the others is in its own header:
 * requests/requests.h, container/container.h, replies/replies.h,
 * system/system.h (stdio/streams.h for a process's streams).
 */
#ifndef HUSK_INIT_STATE_AGENT_H
#define HUSK_INIT_STATE_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-codec/agent_msg.h"
#include "common/error.h"
#include "guest-init/system/list.h"
#include "guest-init/system/init_log.h"
#include "guest-init/system/loop.h"
#include "guest-init/stdio/streams.h"

struct agent {
	int epfd;
	bool vm;		  /* PID 1 of a VM, not the host test mode */
	const char *listen;	  /* "vsock:PORT" or "unix:PATH" */
	char state_dir[200];	  /* containers' mount points live here */
	char etc_dir[210];	  /* hosts, resolv.conf, hostname */
	char files_dir[256];	  /* HUSK_AGENT_FILES_DIR (test: STATE/files) */
	char share_dir[PATH_MAX]; /* HUSK_AGENT_SHARE_DIR (test: --share); "" none */
	char shm_dir[256];	  /* HUSK_AGENT_POD_SHM_DIR (test: STATE/shm) */
	bool share_up, shm_up;	  /* mounted (test mode: the share needs none) */
	char cg_root[200];	  /* cgroup v2 folder for containers; "" none */
	char cg_ctrls[256];	  /* controllers enabled for containers */
	int devnull;		  /* for streams the host does not want */
	int pidns;		  /* husk-init's own pid namespace */
	bool pidns_lost;	  /* could not return to it: no more forks */
	struct watch listen_w, signal_w, inotify_w;
	struct list conns, containers;
	int forwards;  /* PORT_CONNECT connections, connecting or open */
	bool shutdown; /* SHUTDOWN accepted: leave the loop */
};

struct conn {
	struct watch w;
	struct list link;
	struct agent *ag;
	bool hello;   /* gets events */
	bool used;    /* a message arrived: STDIO_BIND no longer allowed */
	bool closing; /* close once the output is flushed */
	bool handed;  /* the fd now belongs to a stdio relay or port forward */
	bool paused;  /* PORT_CONNECT connecting: neither read nor closed */
	uint8_t hdr_buf[HUSK_AGENT_HDR_SIZE];
	size_t hdr_len;
	struct husk_agent_hdr hdr;
	uint8_t *payload;
	size_t got;
	bool skip; /* payload of a refused frame: read, drop */
	uint8_t *out;
	size_t out_len, out_cap;
	uint64_t req_ns; /* CLOCK_MONOTONIC: the request being dispatched was read */
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
	int sync_fd; /* to the held child; -1 once started */
	struct streams io;
	int exit_status, signal;
	int64_t exited_at;
	bool oom;
	uint64_t oom_base; /* the cgroup's oom_kill count at start */
	struct list waiters;
};

/* a container's namespaces, as kept in struct container's ns[] */
enum { NS_MNT, NS_UTS, NS_IPC, NS_PID, NS_CGROUP, NS_COUNT };

struct container {
	struct list link;
	struct agent *ag;
	char id[HUSK_AGENT_MAX_ID + 1];
	char dir[PATH_MAX];    /* STATE/c/ID */
	char rootfs[PATH_MAX]; /* STATE/c/ID/rootfs */
	char files[PATH_MAX];  /* FILES_DIR/ID: CREATE's "files" */
	char cg[PATH_MAX];     /* its cgroup; "" without cgroups */
	int ns[NS_COUNT];      /* the init's namespaces, by NS_*; -1 none */
	bool cgroup_ns;	       /* its processes get a cgroup namespace of their own */
	int rootfd;	       /* the init's root directory, after pivot_root */
	int oom_wd;	       /* inotify watch on memory.events, or -1 */
	uint64_t oom_kills;
	int nmounts; /* rootfs mounts to undo, innermost last */
	char mounts[AMSG_MAX_LOWER + 2][PATH_MAX];
	struct proc *init;
	struct list procs;
};

#endif
