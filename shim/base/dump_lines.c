// SPDX-License-Identifier: Apache-2.0
/* dump_lines.c - formatting the SIGUSR1 dump's lines (see dump_lines.h). */
#include <stdio.h>

#include "shim/base/dump_lines.h"

void dump_age(char *buf, size_t len, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	snprintf(buf, len, "%lld.%lld s", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
}

void dump_ttrpc_line(char *buf, size_t len, const char *method, uint32_t stream_id, int64_t age_ms)
{
	char age[32];

	dump_age(age, sizeof(age), age_ms);
	snprintf(buf, len, "dump: ttrpc %s (stream %u) running for %s", method, stream_id, age);
}

void dump_agent_line(char *buf, size_t len, const char *type, const char *subject, int64_t age_ms,
		     int deadline_ms)
{
	char age[32], deadline[32];

	dump_age(age, sizeof(age), age_ms);
	if (deadline_ms < 0)
		snprintf(deadline, sizeof(deadline), "no deadline");
	else
		snprintf(deadline, sizeof(deadline), "deadline %d s", (deadline_ms + 999) / 1000);
	snprintf(buf, len, "dump: agent %s%s%s waiting for husk-init for %s, %s", type,
		 *subject ? " for " : "", subject, age, deadline);
}

/* "pio com1 0x3f8-0x3ff", "mmio virtio2 0xd0002000", "hlt", "" for none. */
static void exit_name(char *buf, size_t len, const struct husk_vcpu_status *st)
{
	const char *range = "";

	if (st->exit_kind < 0) {
		buf[0] = '\0';
		return;
	}
	if (st->exit_kind == HUSK_VMEXIT_PIO && st->exit_range >= 0)
		range = husk_pio_range_string((unsigned int)st->exit_range);
	else if (st->exit_kind == HUSK_VMEXIT_MMIO && st->exit_range >= 0)
		range = husk_mmio_range_string((unsigned int)st->exit_range);
	snprintf(buf, len, "%s%s%s", husk_vmexit_kind_string((unsigned int)st->exit_kind),
		 *range ? " " : "", range);
}

void dump_vcpu_line(char *buf, size_t len, unsigned int index, const struct husk_vcpu_status *st,
		    uint64_t now_ns)
{
	const char *state = husk_vcpu_state_string(st->state);
	char age[32], exit[96];

	exit_name(exit, sizeof(exit), st);
	if (st->state == HUSK_VCPU_NOT_STARTED) {
		snprintf(buf, len, "dump: vcpu %u %s", index, state);
		return;
	}
	dump_age(age, sizeof(age),
		 now_ns > st->since_ns ? (int64_t)((now_ns - st->since_ns) / 1000000u) : 0);
	if (st->state == HUSK_VCPU_IN_EXIT)
		snprintf(buf, len, "dump: vcpu %u %s %s for %s", index, state, exit, age);
	else if (*exit)
		snprintf(buf, len, "dump: vcpu %u %s for %s (last exit: %s)", index, state, age,
			 exit);
	else
		snprintf(buf, len, "dump: vcpu %u %s for %s", index, state, age);
}
