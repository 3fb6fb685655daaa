// SPDX-License-Identifier: Apache-2.0
/*
 * gunzip.c - zlib inflate of an in-memory gzip stream into a growing
 * buffer. The output grows by doubling up to the caller's bound, so a
 * small kernel costs little and a gzip bomb stops at the bound.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

#include "vmm/base/gunzip.h"

#define GUNZIP_FIRST_CHUNK (1u << 20)

static int gunzip_grow(z_stream *zs, uint8_t **buf, size_t *cap, size_t limit, const char *what,
		       struct husk_error **err)
{
	size_t used = *cap - zs->avail_out;
	size_t ncap = *cap ? *cap * 2 : GUNZIP_FIRST_CHUNK;
	uint8_t *n;

	if (*cap >= limit)
		return husk_err(err, EFBIG, "%s: inflated size exceeds the %zu-byte bound", what,
				limit);
	if (ncap > limit || ncap < *cap)
		ncap = limit;
	n = realloc(*buf, ncap);
	if (!n)
		return husk_err(err, ENOMEM, "%s: allocating %zu bytes to inflate into", what,
				ncap);
	*buf = n;
	*cap = ncap;
	zs->next_out = n + used;
	/* zlib counts in uInt: hand it at most UINT_MAX at a time. */
	zs->avail_out = (ncap - used) > UINT_MAX ? UINT_MAX : (uInt)(ncap - used);
	return 0;
}

static int gunzip_run(z_stream *zs, const uint8_t *src, size_t len, size_t limit, const char *what,
		      uint8_t **buf, size_t *cap, struct husk_error **err)
{
	size_t fed = 0;
	int zr, ret;

	for (;;) {
		if (zs->avail_in == 0 && fed < len) {
			size_t n = len - fed > UINT_MAX ? UINT_MAX : len - fed;

			zs->next_in = (Bytef *)(uintptr_t)(src + fed);
			zs->avail_in = (uInt)n;
			fed += n;
		}
		if (zs->avail_out == 0) {
			ret = gunzip_grow(zs, buf, cap, limit, what, err);
			if (ret < 0)
				return ret;
		}
		zr = inflate(zs, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			return 0;
		if (zr == Z_BUF_ERROR && zs->avail_in == 0 && fed == len)
			return husk_err(err, 0, "%s: gzip data truncated", what);
		if (zr != Z_OK && zr != Z_BUF_ERROR)
			return husk_err(err, 0, "%s: corrupt gzip data (%s)", what,
					zs->msg ? zs->msg : "inflate failed");
	}
}

int gunzip(const uint8_t *src, size_t len, size_t limit, const char *what, uint8_t **out,
	   size_t *out_len, struct husk_error **err)
{
	z_stream zs = { 0 };
	uint8_t *buf = NULL;
	size_t cap = 0;
	int ret;

	/* 16 + MAX_WBITS: expect a gzip wrapper, not raw zlib (zlib.h). */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return husk_err(err, ENOMEM, "%s: inflateInit2", what);
	ret = gunzip_run(&zs, src, len, limit, what, &buf, &cap, err);
	if (!ret) {
		*out = buf;
		*out_len = cap - zs.avail_out;
		buf = NULL;
	}
	inflateEnd(&zs);
	free(buf);
	return ret;
}
