/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.h - the one error API of husk: libhusk, the CLI, the shim and
 * husk-init all report failures as a struct husk_error holding a positive
 * errno and a message with context ("open /dev/kvm: Permission denied").
 * Readers use husk_error_message/errno/free from husk.h; code never touches
 * the fields itself (an error may be the shared out-of-memory object).
 */
#ifndef HUSK_COMMON_ERROR_H
#define HUSK_COMMON_ERROR_H

#include "husk.h"

struct husk_error {
	int errnum; /* positive errno */
	char *msg;  /* "operation: cause" */
};

/*
 * husk_err - fill *@err (when @err is not NULL) with "fmt...: strerror(errnum)".
 * A negative @errnum is taken as its positive (so `-rc` may be passed on).
 * With @errnum 0 the message stands alone and EINVAL is recorded: that is
 * the form for rejected input ("bzImage: setup header magic missing"). Returns -errnum (or -EINVAL), so call sites
 * read `return husk_err(err, errno, "open %s", path);`.
 * When *@err already holds an error it is replaced.
 */
int husk_err(struct husk_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * husk_err_received - fill *@err with an error another process reported:
 * the message "fmt..." stands as it came, and @errnum (a negative one taken
 * as its positive, 0 as EINVAL) is the errno it came with. Returns -errno.
 */
int husk_err_received(struct husk_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * husk_err_wrap - prefix the message already in *@err with context,
 * "context: inner". Returns the negative errno the error carries, so a
 * caller can `return husk_err_wrap(err, "disk %s", path);`.
 */
int husk_err_wrap(struct husk_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
