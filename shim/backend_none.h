/* SPDX-License-Identifier: Apache-2.0 */
/* backend_none.h - placeholder backend: every task fails UNIMPLEMENTED. */
#ifndef HUSK_SHIM_BACKEND_NONE_H
#define HUSK_SHIM_BACKEND_NONE_H

#include "shim/backend.h"

extern const struct shim_backend_ops backend_none_ops;

#endif
