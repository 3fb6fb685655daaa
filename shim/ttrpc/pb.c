// SPDX-License-Identifier: Apache-2.0
/* pb.c - Any and Timestamp helpers over the generated protobuf-c code. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shim/ttrpc/pb.h"
#include "shim/ttrpc/ttrpc.h"

void pb_timestamp(Google__Protobuf__Timestamp *ts, const struct timespec *t)
{
	google__protobuf__timestamp__init(ts);
	if (!t || (!t->tv_sec && !t->tv_nsec)) {
		ts->seconds = PB_GO_ZERO_SECONDS;
		return;
	}
	ts->seconds = t->tv_sec;
	ts->nanos = (int32_t)t->tv_nsec;
}

int pb_any_pack(Google__Protobuf__Any *any, const ProtobufCMessage *msg)
{
	size_t len;

	google__protobuf__any__init(any);
	/* The descriptor's name is the full name: "package.Message". */
	any->type_url = (char *)msg->descriptor->name;
	if (ttrpc_pack(msg, &any->value.data, &len))
		return -ENOMEM;
	any->value.len = len;
	return 0;
}

void pb_any_clear(Google__Protobuf__Any *any)
{
	free(any->value.data);
	any->value.data = NULL;
	any->value.len = 0;
}

int pb_any_is(const Google__Protobuf__Any *any, const ProtobufCMessageDescriptor *desc)
{
	const char *url;
	const char *slash;

	if (!any || !any->type_url)
		return 0;
	/* containerd 1.7+ may send the prefixed form; accept both. */
	url = any->type_url;
	slash = strrchr(url, '/');
	if (slash)
		url = slash + 1;
	return !strcmp(url, desc->name);
}
