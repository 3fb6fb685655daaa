// SPDX-License-Identifier: Apache-2.0
/*
 * bpf.c - turn seccomp rule tables into a classic-BPF filter (bpf.h).
 *
 * Layout: the architecture check, the x32 check, then one block per rule
 * in table order:
 *     A = nr; if (A != rule.nr) goto next;
 *     for each condition: A = low32(arg); [A &= mask;] if (A != value) goto next;
 *     return ALLOW (or ERRNO(rule.refuse));
 *   next:
 * and a final "return deny". A rule that does not match falls through to
 * the next one, so rules for one call may sit in several tables.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdbool.h>

#include "vmm/seccomp/bpf.h"

/* x32 system calls share the x86-64 audit arch; their numbers carry this bit. */
#define SECCOMP_X32_SYSCALL_BIT 0x40000000u

#define ARG_LOW(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8u * (i)))

static bool cond_used(const struct seccomp_cond *c)
{
	return c->mask != 0;
}

static unsigned int rule_len(const struct seccomp_rule *r)
{
	unsigned int i, n = 3; /* load nr, compare, return ALLOW */

	for (i = 0; i < SECCOMP_RULE_CONDS; i++)
		if (cond_used(&r->conds[i]))
			n += r->conds[i].mask == 0xffffffffu ? 2 : 3;
	return n;
}

static void emit(struct seccomp_prog *p, struct sock_filter insn)
{
	p->insns[p->len++] = insn;
}

static void emit_rule(struct seccomp_prog *p, const struct seccomp_rule *r, uint32_t kick_signal)
{
	unsigned int next = p->len + rule_len(r), i;
	const struct seccomp_cond *c;
	uint32_t value;

	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, 0,
					     (uint8_t)(next - p->len - 1)));
	for (i = 0; i < SECCOMP_RULE_CONDS; i++) {
		c = &r->conds[i];
		if (!cond_used(c))
			continue;
		value = c->value == SECCOMP_VALUE_KICK_SIGNAL ? kick_signal : c->value;
		emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(c->arg)));
		if (c->mask != 0xffffffffu)
			emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, c->mask));
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0,
						     (uint8_t)(next - p->len - 1)));
	}
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					     r->refuse ? SECCOMP_RET_ERRNO |
								 (r->refuse & SECCOMP_RET_DATA) :
							 SECCOMP_RET_ALLOW));
}

static void emit_prologue(struct seccomp_prog *p, uint32_t deny)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny));
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SECCOMP_X32_SYSCALL_BIT, 0,
					     1));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny));
}

int seccomp_prog_build(struct seccomp_prog *p, const struct seccomp_rules *sets, size_t nr_sets,
		       uint32_t deny, uint32_t kick_signal)
{
	size_t s, i;

	p->len = 0;
	emit_prologue(p, deny);
	for (s = 0; s < nr_sets; s++)
		for (i = 0; i < sets[s].count; i++) {
			if (p->len + rule_len(&sets[s].rules[i]) + 1 > SECCOMP_PROG_MAX)
				return -E2BIG;
			emit_rule(p, &sets[s].rules[i], kick_signal);
		}
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny));
	return 0;
}
