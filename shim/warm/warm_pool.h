/* SPDX-License-Identifier: Apache-2.0 */
/*
 * warm_pool.h - VMs booted ahead of need ("warm_vms" in the runtime
 * config), each in a spare shim process (cmd_warm.c) that waits, with
 * its VM up and husk-init answering, for `start` to hand it a sandbox.
 * That saves a sandbox its VM's boot (virtiofsd, VM create, kernel,
 * husk-init); Kata's VM cache and Firecracker users' pre-booted pools
 * do the same.
 *
 * The pool is a folder, WARM_POOL_DIR, with per spare NAME = KEY-PID
 * (KEY: a hash of the runtime config file's path, so a spare only serves
 * sandboxes of the config it booted with):
 *   NAME.boot   while it boots (then removed)
 *   NAME.sock   while it waits: `start` connects here to hand it over
 *   NAME.d/     its stand-in bundle: console log, state file, shim log
 * A spare takes one hand-over, removes its .sock and becomes that
 * sandbox's shim, or ends, removing its files, after
 * "warm_vm_idle_seconds" unused or on SIGTERM.
 */
#ifndef HUSK_SHIM_WARM_WARM_POOL_H
#define HUSK_SHIM_WARM_WARM_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct husk_error;
struct warm_adopt;

#ifndef WARM_POOL_DIR
#define WARM_POOL_DIR "/run/husk/warm"
#endif
#define WARM_KEY_LEN	      16    /* hex digits */
#define WARM_NAME_MAX	      64    /* KEY-PID and a suffix */
#define WARM_CLAIM_WAIT_MS    8000  /* for a booting spare to be ready */
#define WARM_HANDOVER_WAIT_MS 10000 /* for a spare's "ok" */

/* warm_pool_key - the pool key of runtime config file @config_path ("" or NULL: the default). */
void warm_pool_key(const char *config_path, char key[WARM_KEY_LEN + 1]);

/* warm_pool_path - WARM_POOL_DIR/<name><suffix>. */
void warm_pool_path(const char *name, const char *suffix, char *out, size_t len);

/*
 * warm_pool_claim - hand the sandbox @a and its listening socket
 * @listen_fd to a spare of pool @key: a ready one, else one that is
 * booting (waited for up to WARM_CLAIM_WAIT_MS). Returns 0 once a spare
 * answered "ok" (*@name says which), -ENOENT when none could take it,
 * with why in *@err.
 */
int warm_pool_claim(const char *key, const struct warm_adopt *a, int listen_fd, char *name,
		    size_t name_len, struct husk_error **err);

/* warm_pool_count - spares of pool @key booting or waiting. */
unsigned warm_pool_count(const char *key);

/*
 * warm_pool_count_below - those with a pid below @below: a new spare that
 * finds "warm_vms" older ones ends at once (two `start`s topped the pool
 * up at the same time).
 */
unsigned warm_pool_count_below(const char *key, pid_t below);

/*
 * warm_pool_sweep - the files of spares that died without cleaning up
 * (SIGKILL), with the share each one made (@share_base/NAME).
 */
void warm_pool_sweep(const char *share_base);

/* warm_pool_remove - spare @name's files and its share (@share_base/NAME). */
void warm_pool_remove(const char *name, const char *share_base);

/*
 * warm_dir_make - make @dir (mode 0700) and its parent (0711), either of
 * which may exist already: the pool's folders under /run/husk.
 * Returns 0, or -errno with @err (may be NULL) set.
 */
int warm_dir_make(const char *dir, struct husk_error **err);

/*
 * warm_pool_spawn - start one spare for @config_path ("": the default),
 * detached (its own session, stdio on /dev/null): this binary run as
 * `warm -config PATH`. Does not wait for it.
 */
int warm_pool_spawn(const char *config_path, bool debug, struct husk_error **err);

#endif
