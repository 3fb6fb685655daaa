/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the library's only way to say something: the embedder's callback.
 *
 * With no callback installed nothing is printed (the library never writes
 * to stdout/stderr on its own). Messages above the configured level are
 * dropped before they are formatted.
 */
#ifndef HUSK_VMM_BASE_LOG_H
#define HUSK_VMM_BASE_LOG_H

#include "husk.h"

struct log_sink {
	husk_log_fn fn; /* NULL: silent */
	void *opaque;
	int level; /* highest HUSK_LOG_* level passed on */
};

/* log_msg - format and hand one line (no trailing newline) to the sink. */
void log_msg(const struct log_sink *l, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(l, ...)	  log_msg(l, HUSK_LOG_ERROR, __VA_ARGS__)
#define log_warn(l, ...)  log_msg(l, HUSK_LOG_WARN, __VA_ARGS__)
#define log_info(l, ...)  log_msg(l, HUSK_LOG_INFO, __VA_ARGS__)
#define log_debug(l, ...) log_msg(l, HUSK_LOG_DEBUG, __VA_ARGS__)

#endif
