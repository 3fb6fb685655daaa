/* SPDX-License-Identifier: Apache-2.0 */
/*
 * warm_failed.h - what is left of a spare of the warm pool that failed
 * (its VM did not boot, ended before a sandbox took it, or the hand-over
 * broke), and its replacement.
 *
 * A spare's log lives in its NAME.d folder, which goes when the spare
 * ends; a failed spare's would go with it, and nobody would learn why
 * the pool is empty. So its shim log and guest console move to
 * WARM_FAILED_DIR as NAME.log and NAME.console, the newest
 * WARM_FAILED_KEEP spares' kept.
 *
 * Only `start` tops the pool up, so a failed spare would leave it short
 * until the next sandbox starts. A failed spare starts a replacement
 * instead, after a back-off, unless WARM_RESPAWN_MAX spares of its line
 * of replacements failed in a row (the count goes from one to the next in
 * WARM_ATTEMPT_ENV): a host that cannot boot VMs does not spawn forever.
 */
#ifndef HUSK_SHIM_WARM_WARM_FAILED_H
#define HUSK_SHIM_WARM_WARM_FAILED_H

#include <stddef.h>

#include "shim/warm/warm_pool.h"

#ifndef WARM_FAILED_DIR
#define WARM_FAILED_DIR WARM_POOL_DIR "-failed"
#endif
#define WARM_FAILED_KEEP 8
#define WARM_RESPAWN_MAX 3
#define WARM_ATTEMPT_ENV "HUSK_WARM_ATTEMPT"

/*
 * warm_failed_keep - move spare @name's shim log and console from its
 * folder @dir to WARM_FAILED_DIR, then remove the kept files of all but
 * the newest WARM_FAILED_KEEP spares. The kept log's path into @kept.
 * Returns 0, or -errno when nothing could be kept.
 */
int warm_failed_keep(const char *name, const char *dir, char *kept, size_t len);

/*
 * warm_failed_attempt - this spare's place in its line of replacements,
 * from WARM_ATTEMPT_ENV (1 when unset or not 1..WARM_RESPAWN_MAX); the
 * variable is removed so that nothing this spare starts inherits it.
 */
unsigned warm_failed_attempt(void);

/* warm_failed_backoff_ms - the wait before replacing spare number @attempt: 1 s, 2 s, ... */
unsigned warm_failed_backoff_ms(unsigned attempt);

/*
 * warm_failed_respawn - start the replacement of spare number @attempt
 * (warm_pool_spawn) with @attempt + 1 in WARM_ATTEMPT_ENV.
 */
int warm_failed_respawn(const char *config_path, bool debug, unsigned attempt,
			struct husk_error **err);

#endif
