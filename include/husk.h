/* SPDX-License-Identifier: Apache-2.0 */
/*
 * husk.h - the public API of libhusk, a KVM virtual machine monitor library.
 *
 * Conventions, for every function below unless its comment says otherwise:
 *  - Handles are opaque pointers; there is no global state, so several VMs
 *    may live in one process.
 *  - Fallible functions return 0 (or a non-negative value) on success and a
 *    negative errno on failure. When they take `struct husk_error **err` and
 *    it is not NULL, a failure also stores an error object there whose
 *    message names the operation and the cause ("open /dev/kvm: Permission
 *    denied"). The caller frees it with husk_error_free().
 *  - The library never exits, aborts or prints on its own.
 */
#ifndef HUSK_H
#define HUSK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HUSK_BUILDING_LIB)
#define HUSK_API __attribute__((visibility("default")))
#else
#define HUSK_API
#endif

/* ---------------------------------------------------------------- errors */

/* An error: an errno value and a message with context. */
struct husk_error;

/*
 * husk_error_message - the error's text.
 * Returns: a NUL-terminated string owned by @e, valid until husk_error_free().
 */
HUSK_API const char *husk_error_message(const struct husk_error *e);

/* husk_error_errno - the positive errno value the error carries. */
HUSK_API int husk_error_errno(const struct husk_error *e);

/* husk_error_free - free @e (NULL is allowed). */
HUSK_API void husk_error_free(struct husk_error *e);

/* husk_version - the library's version string, e.g. "0.1.0". */
HUSK_API const char *husk_version(void);

#ifdef __cplusplus
}
#endif
#endif /* HUSK_H */
