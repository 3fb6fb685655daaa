// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_agent_msg.c - husk-init's message parser: the input is one frame
 * as the host would send it (24-byte header, then payload). The header is
 * decoded and checked as husk-init's connection code does; the payload is
 * decoded as a request of the header's type, whatever the header's
 * verdict, so every request decoder (and the OCI spec parser behind
 * CREATE and EXEC) sees arbitrary bytes.
 */
#include <stddef.h>
#include <errno.h>
#include <stdint.h>

#include "agent-codec/agent_msg.h"
#include "common/error.h"
#include "husk_agent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct husk_agent_hdr h;
	struct husk_error *e = NULL;
	struct amsg m;
	size_t len;

	if (husk_agent_hdr_decode(data, size, &h) == -EAGAIN)
		return 0;
	/* the real reader takes exactly h.length bytes; here, what is there */
	len = size - HUSK_AGENT_HDR_SIZE;
	if (len > h.length)
		len = h.length;
	amsg_parse(h.type, data + HUSK_AGENT_HDR_SIZE, len, &m, &e);
	amsg_free(&m);
	husk_error_free(e);
	return 0;
}
