// SPDX-License-Identifier: Apache-2.0
/* err.c - fixed-buffer error reports (see err.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guest-init/err.h"

int err_set(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (errnum < 0)
		errnum = -errnum;
	if (!e)
		return errnum ? -errnum : -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	e->code = errnum ? errnum : EINVAL;
	return -e->code;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char inner[sizeof(e->msg)], ctx[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return -EINVAL;
	if (!e->code)
		e->code = EINVAL;
	memcpy(inner, e->msg, sizeof(inner));
	inner[sizeof(inner) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	/* both halves fit in twice the size; the result is cut to one */
	snprintf(e->msg, sizeof(e->msg), "%.200s: %.300s", ctx, inner);
	return -e->code;
}
