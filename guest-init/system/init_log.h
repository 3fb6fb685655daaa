/* SPDX-License-Identifier: Apache-2.0 */
/*
 * init_log.h - husk-init's log lines, on stderr: the VM's console (the kernel
 * gives /init /dev/console), or the test's log file.
 */
#ifndef HUSK_INIT_LOG_H
#define HUSK_INIT_LOG_H

#include "common/error.h"

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_err - log the error in @e with a leading context. */
void log_err(const struct husk_error *e, const char *context);

#endif
