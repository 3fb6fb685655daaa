/* SPDX-License-Identifier: Apache-2.0 */
/* suite.h - shared pieces of the husk-init test suite (tests/agent/). */
#ifndef HUSK_TESTS_AGENT_SUITE_H
#define HUSK_TESTS_AGENT_SUITE_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/agent/suite_client.h"

struct suite {
	const char *addr;	  /* unix:PATH, vsock:CID:PORT, hvsock:PATH:PORT */
	const char *rootfs;	  /* busybox directory (not --in-vm) */
	const char *erofs, *ext4; /* block devices holding images of it */
	const char *etc;	  /* husk-init's etc folder, as husk-init sees it */
	const char *share;	  /* this machine's view of husk-init's share; NULL none */
	bool in_vm;		  /* husk-init is a VM's init: no host view of its files */
	const char *require;	  /* comma list of features that must run */
	bool net;		  /* an eth0 exists for CONFIGURE_NETWORK */
	struct ac *ac;
	bool cgroup, memory; /* what HELLO reported */
	int passed, failed, skipped;
};

/* What a test container is; zero values are defaults. */
struct tspec {
	const char *sh;	 /* args: sh -c SH */
	const char *env; /* extra env entries, JSON list body */
	const char *cwd;
	long long uid, gid; /* -1: root */
	const char *gids;   /* additionalGids, JSON list body */
	const char *username;
	bool terminal;
	int rows, cols;
	const char *hostname;
	long long mem_limit;	   /* 0: none */
	const char *process_extra; /* ,"key":value... inside process */
	const char *linux_extra;   /* ,"key":value... inside linux */
	const char *namespaces;	   /* linux.namespaces, JSON list body; default: own
				    * pid, mount, ipc and uts */
	bool readonly;
	const char *masked;	  /* maskedPaths, JSON list body */
	const char *rootfs_json;  /* CREATE's "rootfs"; default: the busybox dir */
	const char *mounts_extra; /* ,{mount}... appended to the mounts */
	const char *create_extra; /* ,"key":value... in the CREATE payload */
};

struct tresult {
	struct ac_buf out, err;
	long long exit_status, signal;
	bool oom;
	char why[512];
};

char *spec_build(const struct tspec *t);
/* rootfs_json - CREATE's default "rootfs" (@buf: 1024 bytes): the busybox
 * directory, or in a VM the erofs image (read-only root). */
const char *rootfs_json(const struct suite *s, char *buf);
char *json_quote(const char *s);

/* run_container - create, bind, start, feed stdin, collect, wait, delete. */
int run_container(struct suite *s, const char *id, const struct tspec *t, const char *in,
		  size_t in_len, struct tresult *r);
void tresult_free(struct tresult *r);

/* create_json - CREATE's payload for container @id (free it). */
char *create_json(const struct suite *s, const char *id, const struct tspec *t, const char *stdio);

/* suite_ops.c: a request that must succeed (@why gets 512 bytes otherwise) */
struct ac_msg *must(struct suite *s, uint16_t type, const char *json, char *why);
bool ok(struct suite *s, uint16_t type, const char *json, char *why);
/* refused - @json gets ERROR whose message holds @needle; else false, @why says. */
bool refused(struct suite *s, uint16_t type, const char *json, const char *needle, char *why);
void delete_quiet(struct suite *s, const char *id);
long long start_sleeper(struct suite *s, const char *id, const struct tspec *t, char *why);
bool exec_create(struct suite *s, const char *id, const char *ex, const char *cmd, bool in,
		 bool out, bool tty, char *why);
bool exec_start(struct suite *s, const char *id, const char *ex, char *why);
struct ac_msg *wait_for(struct suite *s, const char *id, const char *ex, char *why);
int exec_run(struct suite *s, const char *id, const char *ex, const char *cmd, struct ac_buf *out,
	     long long *status, char *why);

/* outcome lines */
void suite_pass(struct suite *s, const char *name);
void suite_fail(struct suite *s, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void suite_skip(struct suite *s, const char *name, const char *feature, const char *why);

/* test groups */
void tests_basic(struct suite *s);
void tests_process(struct suite *s);
void tests_isolation(struct suite *s);
void tests_pod(struct suite *s);
void tests_cgroup(struct suite *s);
void tests_malformed(struct suite *s);
void tests_rootfs(struct suite *s);
void tests_network(struct suite *s);
void tests_files(struct suite *s);
void tests_share(struct suite *s);
void tests_share_root(struct suite *s);
void tests_forward(struct suite *s);
void tests_steps(struct suite *s);
void tests_relay(struct suite *s);

#endif
