/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h - error reports inside husk-init: an errno and a message with
 * context, in a fixed buffer, so that reporting a failure never needs an
 * allocation that could itself fail in PID 1.
 */
#ifndef HUSK_INIT_ERR_H
#define HUSK_INIT_ERR_H

struct err {
	int code;		/* positive errno; 0 = no error */
	char msg[512];		/* "operation: cause" */
};

/*
 * err_set - record "fmt...: strerror(errnum)" in @e (may be NULL). With
 * @errnum 0 the message stands alone and EINVAL is recorded: the form for
 * rejected input. Returns the negative errno, for `return err_set(...)`.
 */
int err_set(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* err_wrap - prefix the message in @e with context; returns -e->code. */
int err_wrap(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
