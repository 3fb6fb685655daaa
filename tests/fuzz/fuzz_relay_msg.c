// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_relay_msg.c - the shim's decoder of husk-init's RELAY_STATUS reply
 * (agent-codec/agent_relay_msg.c): the input is the reply's payload as a
 * guest could send it; the shim's SIGUSR1 dump decodes exactly this. Any
 * entry that decodes is formatted as the dump formats it, so the line
 * code sees every value the decoder lets through.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent-codec/agent_relay_msg.h"
#include "common/error.h"
#include "shim/base/dump_lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct amsg_relay_status st;
	struct husk_error *e = NULL;
	char line[DUMP_LINE_MAX];
	size_t i;

	if (amsg_relay_decode((const char *)data, size, &st, &e) == 0)
		for (i = 0; i < st.n; i++)
			dump_relay_line(line, sizeof(line), &st.s[i]);
	husk_error_free(e);
	return 0;
}
