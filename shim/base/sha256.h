/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.h - SHA-256 (FIPS 180-4), only to name shim sockets: the socket
 * of a grouping is /run/containerd/s/<hex sha256 of address/ns/group>,
 * which keeps the path under sun_path's 108 bytes whatever the ids are.
 */
#ifndef HUSK_SHIM_BASE_SHA256_H
#define HUSK_SHIM_BASE_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* sha256_hex - lowercase hex digest into @hex (65 bytes with the NUL). */
void sha256_hex(const void *data, size_t len, char hex[2 * SHA256_LEN + 1]);

#endif
