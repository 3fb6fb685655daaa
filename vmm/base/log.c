// SPDX-License-Identifier: Apache-2.0
/* log.c - forward formatted messages to the embedder's log callback. */
#include <stdarg.h>
#include <stdio.h>

#include "vmm/base/log.h"

void log_msg(const struct log_sink *l, int level, const char *fmt, ...)
{
	/* Fixed size on purpose: logging may happen on a vCPU thread and must
	 * not allocate; a longer message is truncated, not lost. */
	char buf[512];
	va_list ap;

	if (!l || !l->fn || level > l->level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l->fn(l->opaque, level, buf);
}
