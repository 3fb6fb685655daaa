// SPDX-License-Identifier: Apache-2.0
/* error.c - error objects carrying an errno and a message with context: the one
 * error API of libhusk, the shim, husk-init and the CLI. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/*
 * When memory for the message cannot be had, the error still reports its
 * errno through this static object (it is never freed and has no message
 * of its own beyond a fixed one).
 */
static struct husk_error error_oom = { ENOMEM, (char *)"out of memory while reporting an error" };

static void error_store(struct husk_error **err, int errnum, char *msg)
{
	struct husk_error *e;

	if (*err && *err != &error_oom) {
		free((*err)->msg);
		free(*err);
	}
	*err = NULL;
	e = msg ? malloc(sizeof(*e)) : NULL;
	if (!e) {
		free(msg);
		*err = &error_oom;
		return;
	}
	e->errnum = errnum;
	e->msg = msg;
	*err = e;
}

int husk_err(struct husk_error **err, int errnum, const char *fmt, ...)
{
	char *head = NULL, *msg = NULL;
	va_list ap;
	int n;

	int plain;

	/* a negative errno (a `return -errno` result passed on) counts as its positive */
	if (errnum < 0)
		errnum = -errnum;
	plain = errnum == 0;
	if (plain)
		errnum = EINVAL;
	if (!err)
		return -errnum;
	va_start(ap, fmt);
	n = vasprintf(&head, fmt, ap);
	va_end(ap);
	if (n < 0)
		head = NULL;
	if (head && !plain) {
		if (asprintf(&msg, "%s: %s", head, strerror(errnum)) < 0)
			msg = NULL;
		free(head);
	} else {
		msg = head;
	}
	error_store(err, errnum, msg);
	return -errnum;
}

int husk_err_relay(struct husk_error **err, int errnum, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	if (!err)
		return -errnum;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	error_store(err, errnum, msg);
	return -errnum;
}

int husk_err_wrap(struct husk_error **err, const char *fmt, ...)
{
	char *ctx = NULL, *msg = NULL;
	va_list ap;
	int errnum;

	if (!err || !*err)
		return -EINVAL;
	errnum = (*err)->errnum;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		ctx = NULL;
	va_end(ap);
	if (ctx && asprintf(&msg, "%s: %s", ctx, (*err)->msg) < 0)
		msg = NULL;
	free(ctx);
	if (!msg)
		return -errnum;
	error_store(err, errnum, msg);
	return -errnum;
}

const char *husk_error_message(const struct husk_error *e)
{
	return e ? e->msg : "no error";
}

int husk_error_errno(const struct husk_error *e)
{
	return e ? e->errnum : 0;
}

void husk_error_free(struct husk_error *e)
{
	if (!e || e == &error_oom)
		return;
	free(e->msg);
	free(e);
}
