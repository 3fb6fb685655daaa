/* SPDX-License-Identifier: Apache-2.0 */
/* error.h - building struct husk_error objects inside the library. */
#ifndef HUSK_VMM_ERROR_H
#define HUSK_VMM_ERROR_H

#include "husk.h"

struct husk_error {
	int errnum;	/* positive errno */
	char *msg;	/* "operation: cause" */
};

/*
 * husk_err - fill *@err (when @err is not NULL) with "fmt...: strerror(errnum)".
 * With @errnum 0 the message stands alone and EINVAL is recorded: that is
 * the form for rejected input ("bzImage: setup header magic missing"). Returns -errnum (or -EINVAL), so call sites
 * read `return husk_err(err, errno, "open %s", path);`.
 * When *@err already holds an error it is replaced.
 */
int husk_err(struct husk_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * husk_err_wrap - prefix the message already in *@err with context,
 * "context: inner". Returns the negative errno the error carries, so a
 * caller can `return husk_err_wrap(err, "disk %s", path);`.
 */
int husk_err_wrap(struct husk_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
