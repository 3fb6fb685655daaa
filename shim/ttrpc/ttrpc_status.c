// SPDX-License-Identifier: Apache-2.0
/* ttrpc_status.c - status codes: names, errno mapping, reply helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/ttrpc/ttrpc.h"

static const char *const code_names[] = {
	"OK",
	"CANCELLED",
	"UNKNOWN",
	"INVALID_ARGUMENT",
	"DEADLINE_EXCEEDED",
	"NOT_FOUND",
	"ALREADY_EXISTS",
	"PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION",
	"ABORTED",
	"OUT_OF_RANGE",
	"UNIMPLEMENTED",
	"INTERNAL",
	"UNAVAILABLE",
	"DATA_LOSS",
	"UNAUTHENTICATED",
};

const char *ttrpc_code_name(int code)
{
	if (code >= 0 && (size_t)code < sizeof(code_names) / sizeof(code_names[0]))
		return code_names[code];
	return "UNKNOWN_CODE";
}

int ttrpc_code_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return TTRPC_OK;
	case ENOENT:
	case ESRCH:
		return TTRPC_NOT_FOUND;
	case EEXIST:
		return TTRPC_ALREADY_EXISTS;
	case EINVAL:
		return TTRPC_INVALID_ARGUMENT;
	case EBUSY:
	case EPERM:
	case EALREADY:
		return TTRPC_FAILED_PRECONDITION;
	case ENOSYS:
	case ENOTSUP:
		return TTRPC_UNIMPLEMENTED;
	case ETIMEDOUT:
		return TTRPC_DEADLINE_EXCEEDED;
	case ECANCELED:
		return TTRPC_CANCELLED;
	case EAGAIN:
	case ECONNRESET: /* husk-init's connection ended: the VM is going away */
	case EPIPE:
		return TTRPC_UNAVAILABLE;
	case ENOSPC: /* no free disk slot, a full disk: not a bug of the shim */
	case EDQUOT:
		return TTRPC_RESOURCE_EXHAUSTED;
	default:
		return TTRPC_INTERNAL;
	}
}

int ttrpc_pack(const ProtobufCMessage *msg, uint8_t **buf, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);

	*buf = malloc(n ? n : 1);
	if (!*buf)
		return -ENOMEM;
	*len = protobuf_c_message_pack(msg, *buf);
	return 0;
}

void ttrpc_reply_msg(struct ttrpc_reply *reply, const ProtobufCMessage *msg)
{
	free(reply->payload);
	reply->payload = NULL;
	if (ttrpc_pack(msg, &reply->payload, &reply->payload_len)) {
		ttrpc_reply_error(reply, TTRPC_INTERNAL, "out of memory packing reply");
		return;
	}
	reply->code = TTRPC_OK;
}

void ttrpc_reply_error(struct ttrpc_reply *reply, int code, const char *fmt, ...)
{
	va_list ap;

	free(reply->message);
	free(reply->payload);
	reply->message = NULL;
	reply->payload = NULL;
	reply->payload_len = 0;
	reply->code = code;
	va_start(ap, fmt);
	if (vasprintf(&reply->message, fmt, ap) < 0)
		reply->message = NULL;
	va_end(ap);
}

const char *ttrpc_unix_path(const char *addr)
{
	static const char prefix[] = "unix://";

	if (addr && !strncmp(addr, prefix, sizeof(prefix) - 1))
		return addr + sizeof(prefix) - 1;
	return addr;
}
