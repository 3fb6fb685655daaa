/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake_backend.h - a shim backend (shim/task/backend.h) that simulates
 * processes in memory, so the whole Task service can be driven over a
 * real socket without a VM.
 *
 * Behaviour: create/exec record a process; start gives it a pid (1000,
 * 1001, ...) and makes it run; kill of a created or running process ends
 * it with status 128 + signal (signal 0 only probes), reporting the exit
 * from inside kill; killing init first ends every running exec, as a pid
 * namespace would. Knobs below make start fail, exit at once, or block.
 */
#ifndef HUSK_TESTS_FAKE_BACKEND_H
#define HUSK_TESTS_FAKE_BACKEND_H

#include <stdint.h>

#include "shim/task/backend.h"

struct fake_backend;

extern const struct shim_backend_ops fake_backend_ops;

struct fake_backend *fake_backend_new(void);

/* The process exits with @status from inside its start call. */
void fake_backend_exit_on_start(struct fake_backend *fb, const char *exec_id, int status);

/* The next call of op @op ("create", "start", ...) fails with -@err. */
void fake_backend_fail_next(struct fake_backend *fb, const char *op, int err);

/* start blocks until fake_backend_release_start() (busy-state tests). */
void fake_backend_hold_start(struct fake_backend *fb);
void fake_backend_release_start(struct fake_backend *fb);

/* Make a running process exit on its own (as if it finished). */
void fake_backend_exit(struct fake_backend *fb, const char *id, const char *exec_id, int status);

/* How many times op @op ran (successfully or not). */
unsigned fake_backend_calls(struct fake_backend *fb, const char *op);

/* The phase names the last Create's request carried (req->phases), space-separated. */
const char *fake_backend_create_phases(struct fake_backend *fb);

/* The resources JSON the last Update passed, or "" */
const char *fake_backend_last_update(struct fake_backend *fb);

#endif
