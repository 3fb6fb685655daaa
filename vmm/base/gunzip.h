/* SPDX-License-Identifier: Apache-2.0 */
/* gunzip.h - inflate one gzip member from memory, with an output bound. */
#ifndef HUSK_VMM_BASE_GUNZIP_H
#define HUSK_VMM_BASE_GUNZIP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/*
 * gunzip - inflate the gzip stream at @src (RFC 1952) into a malloc'd
 * buffer of at most @limit bytes, returned in *@out (caller frees) with
 * its length in *@out_len. Bytes after the end of the first member are
 * ignored (some kernel builds append a size word). Errors, with the prefix
 * @what ("bzImage: payload ..."), are -EINVAL for corrupt or truncated
 * data, -EFBIG when the output would exceed @limit, -ENOMEM.
 */
int gunzip(const uint8_t *src, size_t len, size_t limit, const char *what, uint8_t **out,
	   size_t *out_len, struct husk_error **err);

#endif
