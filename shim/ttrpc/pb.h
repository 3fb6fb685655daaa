/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pb.h - the generated protobuf-c messages (from shim/proto/) and small
 * helpers for Any and Timestamp shared by the task service and events.
 */
#ifndef HUSK_SHIM_TTRPC_PB_H
#define HUSK_SHIM_TTRPC_PB_H

#include <stdint.h>
#include <time.h>

#include "cgroups_v2.pb-c.h"
#include "events.pb-c.h"
#include "events_service.pb-c.h"
#include "mount.pb-c.h"
#include "runc_options.pb-c.h"
#include "runtime_options.pb-c.h"
#include "shim_task.pb-c.h"
#include "task_types.pb-c.h"
#include "ttrpc.pb-c.h"
#include "wkt.pb-c.h"

/*
 * Go's zero time.Time (0001-01-01 UTC) in Unix seconds. Go shims send it
 * as exited_at before a process has exited, and containerd 1.6 decodes a
 * missing timestamp as that value too, so it is what "not yet" looks like.
 */
#define PB_GO_ZERO_SECONDS (-62135596800LL)

/*
 * pb_timestamp - fill @ts from @t; a NULL or all-zero @t gives Go's zero
 * time. No allocation.
 */
void pb_timestamp(Google__Protobuf__Timestamp *ts, const struct timespec *t);

/*
 * pb_any_pack - wrap @msg in @any: type_url is the bare full message name
 * ("containerd.events.TaskExit", no type.googleapis.com/ prefix, which 1.6
 * cannot read), value its encoding (malloc'd; free with pb_any_clear()).
 * Returns 0 or -ENOMEM.
 */
int pb_any_pack(Google__Protobuf__Any *any, const ProtobufCMessage *msg);

/* pb_any_clear - free what pb_any_pack() allocated. */
void pb_any_clear(Google__Protobuf__Any *any);

/* pb_any_is - true when @any is set and its type_url names @desc's message. */
int pb_any_is(const Google__Protobuf__Any *any, const ProtobufCMessageDescriptor *desc);

#endif
