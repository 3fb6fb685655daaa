// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_warm_msg.c - the warm pool's hand-over message (shim/warm/
 * warm_msg.c): arbitrary bytes into the strict decoder; whatever it
 * accepts must encode again and decode to the same fields, so the two
 * sides of the hand-over cannot disagree on a message either wrote.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/warm/warm_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_round_trip(const struct warm_adopt *a)
{
	struct warm_adopt b = { 0 };
	struct husk_error *e = NULL;
	char buf[WARM_MSG_MAX];
	int n = warm_msg_encode(a, buf, sizeof(buf));

	/* Longer than a message may be: the decoder took more than the encoder makes. */
	if (n == -ENAMETOOLONG)
		return;
	if (n < 0 || warm_msg_decode(buf, (size_t)n, &b, &e))
		abort();
	if (!same(a->ns, b.ns) || !same(a->id, b.id) || !same(a->address, b.address) ||
	    !same(a->bundle, b.bundle) || !same(a->publish_binary, b.publish_binary) ||
	    !same(a->ttrpc_address, b.ttrpc_address) || a->debug != b.debug)
		abort();
	warm_adopt_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct warm_adopt a = { 0 };
	struct husk_error *e = NULL;

	if (!warm_msg_decode((const char *)data, size, &a, &e))
		check_round_trip(&a);
	warm_adopt_clear(&a);
	husk_error_free(e);
	return 0;
}
