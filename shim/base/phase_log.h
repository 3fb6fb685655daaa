/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phase_log.h - the shim's phase lines: common/phase_log.h's recorder,
 * and its line logged at debug level (shim_log.h).
 */
#ifndef HUSK_SHIM_BASE_PHASE_LOG_H
#define HUSK_SHIM_BASE_PHASE_LOG_H

#include "common/phase_log.h"

/* phase_log_debug - the line of @pl, logged at debug level. */
void phase_log_debug(const struct phase_log *pl, const char *title);

#endif
