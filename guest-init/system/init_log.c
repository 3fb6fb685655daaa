// SPDX-License-Identifier: Apache-2.0
/* init_log.c - husk-init's prefixed log lines on stderr (see init_log.h). */
#include <stdarg.h>
#include <stdio.h>

#include "guest-init/system/init_log.h"

static void __attribute__((format(printf, 2, 0)))
log_line(const char *level, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* one write per line, so lines of concurrent writers never mix */
	fprintf(stderr, "husk-init: %s%s\n", level, line);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", fmt, ap);
	va_end(ap);
}

void log_err(const struct husk_error *e, const char *context)
{
	fprintf(stderr, "husk-init: error: %s: %s\n", context, e ? husk_error_message(e) : "");
}
