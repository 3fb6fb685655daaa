/* SPDX-License-Identifier: Apache-2.0 */
/*
 * task_metrics.h - struct shim_stats as the io.containerd.cgroups.v2.Metrics
 * Any that Stats answers (what containerd's CRI turns into ContainerStats).
 */
#ifndef HUSK_SHIM_TASK_METRICS_H
#define HUSK_SHIM_TASK_METRICS_H

#include "shim/task/backend.h"
#include "shim/ttrpc/pb.h"

/* task_metrics_pack - encode @st in @any (free with pb_any_clear()); -ENOMEM. */
int task_metrics_pack(const struct shim_stats *st, Google__Protobuf__Any *any);

#endif
