/* SPDX-License-Identifier: Apache-2.0 */
/*
 * warm_msg.h - the message `start` sends a spare shim to hand it a
 * sandbox (warm_pool.h): what the daemon would have had on its command
 * line and in its environment. Text, one "key=value" line per field,
 * an empty line at the end; the listening socket rides along as
 * SCM_RIGHTS. The spare answers "ok\n" or one line of error text, as a
 * daemon answers `start` on its ready pipe.
 */
#ifndef HUSK_SHIM_WARM_WARM_MSG_H
#define HUSK_SHIM_WARM_WARM_MSG_H

#include <stdbool.h>
#include <stddef.h>

struct husk_error;

#define WARM_MSG_MAX 8192 /* a whole message, bytes */

struct warm_adopt {
	char *ns;	      /* -namespace */
	char *id;	      /* -id */
	char *address;	      /* -address: containerd's gRPC socket */
	char *bundle;	      /* absolute */
	char *publish_binary; /* -publish-binary, or NULL */
	char *ttrpc_address;  /* $TTRPC_ADDRESS, or NULL */
	bool debug;	      /* -debug */
};

/*
 * warm_msg_encode - @a as a message into @buf. Returns its length, or
 * -EINVAL (a value with a newline, a missing id, bundle or namespace)
 * or -ENAMETOOLONG (over @len).
 */
int warm_msg_encode(const struct warm_adopt *a, char *buf, size_t len);

/*
 * warm_msg_decode - parse @len bytes. Strict: every line "key=value"
 * with a known key at most once, ns, id and bundle present, the bundle
 * absolute, the empty line last. Returns 0 or -EINVAL (named in *@err).
 */
int warm_msg_decode(const char *buf, size_t len, struct warm_adopt *a, struct husk_error **err);

void warm_adopt_clear(struct warm_adopt *a);

#endif
