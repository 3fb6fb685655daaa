/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bpf.h - seccomp rules and the classic-BPF program built from them.
 *
 * A rule allows one system call, optionally only when up to three
 * conditions on its arguments hold, each "(low 32 bits of argument i &
 * mask) == value". Only the low half is looked at: every argument a rule
 * checks (fds, ioctl requests, fcntl commands, prot and flag words, socket
 * families, signal numbers) is an int or unsigned int to the kernel, which
 * ignores the upper half, so comparing it too would only let a caller slip
 * past a check by setting bits the kernel drops anyway. Several rules for
 * the same call are alternatives (any one may allow it). A rule may also
 * refuse a call with an errno instead of allowing it, for callers that
 * have a fallback (the sanitizer runtime, policy.c).
 */
#ifndef HUSK_VMM_SECCOMP_BPF_H
#define HUSK_VMM_SECCOMP_BPF_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#define SECCOMP_RULE_CONDS 3

/* A condition with mask 0 is an unused slot. */
struct seccomp_cond {
	uint8_t arg; /* 0..5 */
	uint32_t mask;
	uint32_t value;
};

struct seccomp_rule {
	int nr; /* __NR_* (x86-64) */
	struct seccomp_cond conds[SECCOMP_RULE_CONDS];
	uint32_t refuse; /* 0: allow; else fail the call with this errno instead */
};

/* A table of rules; a thread kind's policy is a few of them. */
struct seccomp_rules {
	const struct seccomp_rule *rules;
	size_t count;
};

/*
 * SECCOMP_VALUE_KICK_SIGNAL - a condition value replaced, when the
 * program is built, by the vCPU kick signal (SIGRTMIN, known at run time).
 */
#define SECCOMP_VALUE_KICK_SIGNAL 0xffffffffu

#define SECCOMP_ARG_EQ(i, v) \
	{ \
		(i), 0xffffffffu, (uint32_t)(v) \
	}
#define SECCOMP_ARG_CLEAR(i, bits) \
	{ \
		(i), (uint32_t)(bits), 0 \
	}
#define SECCOMP_ARG_SET(i, bits) \
	{ \
		(i), (uint32_t)(bits), (uint32_t)(bits) \
	}
#define SECCOMP_ALLOW(nr_) \
	{ \
		.nr = (nr_) \
	}
#define SECCOMP_ALLOW_IF(nr_, ...) \
	{ \
		.nr = (nr_), .conds = { __VA_ARGS__ } \
	}
#define SECCOMP_REFUSE(nr_, errno_) \
	{ \
		.nr = (nr_), .refuse = (errno_) \
	}

/* Room for the largest policy (each rule costs at most 11 instructions). */
#define SECCOMP_PROG_MAX 1024

struct seccomp_prog {
	struct sock_filter insns[SECCOMP_PROG_MAX];
	unsigned short len;
};

/*
 * seccomp_prog_build - the program: refuse any architecture but x86-64 and
 * x32 call numbers, then allow what a rule of @sets (@nr_sets tables)
 * allows, and end everything else with @deny (a SECCOMP_RET_* action).
 * Returns 0 or -E2BIG when the rules do not fit.
 */
int seccomp_prog_build(struct seccomp_prog *p, const struct seccomp_rules *sets, size_t nr_sets,
		       uint32_t deny, uint32_t kick_signal);

#endif
