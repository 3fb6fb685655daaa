// SPDX-License-Identifier: Apache-2.0
/* warm_msg.c - encode and strictly decode a spare's hand-over message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "shim/warm/warm_msg.h"

static const char *const keys[] = {
	"ns", "id", "address", "bundle", "publish_binary", "ttrpc_address", "debug"
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The string fields in the order of keys[] (debug excluded). */
static char **field(struct warm_adopt *a, size_t k)
{
	char **f[] = { &a->ns,		 &a->id, &a->address, &a->bundle, &a->publish_binary,
		       &a->ttrpc_address };

	return k < sizeof(f) / sizeof(f[0]) ? f[k] : NULL;
}

int warm_msg_encode(const struct warm_adopt *a, char *buf, size_t len)
{
	const char *v[] = {
		a->ns, a->id, a->address, a->bundle, a->publish_binary, a->ttrpc_address
	};
	size_t k, off = 0;
	int n;

	if (!a->ns || !a->id || !a->bundle)
		return -EINVAL;
	for (k = 0; k < NKEYS; k++) {
		const char *val = k < NKEYS - 1 ? v[k] : a->debug ? "1" : NULL;

		if (!val)
			continue;
		if (strchr(val, '\n'))
			return -EINVAL;
		n = snprintf(buf + off, len - off, "%s=%s\n", keys[k], val);
		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	if (off + 1 >= len)
		return -ENAMETOOLONG;
	buf[off++] = '\n';
	return (int)off;
}

/* One "key=value" line of @n bytes (no newline) into @a. */
static int decode_line(const char *line, size_t n, struct warm_adopt *a, unsigned *seen,
		       struct husk_error **err)
{
	const char *eq = memchr(line, '=', n);
	size_t k, klen = eq ? (size_t)(eq - line) : 0;
	char *val;

	for (k = 0; eq && k < NKEYS; k++)
		if (strlen(keys[k]) == klen && !memcmp(line, keys[k], klen))
			break;
	if (!eq || k == NKEYS)
		return husk_err(err, 0, "hand-over message: bad line \"%.*s\"",
				(int)(n > 64 ? 64 : n), line);
	if (*seen & (1u << k))
		return husk_err(err, 0, "hand-over message: %s given twice", keys[k]);
	*seen |= 1u << k;
	if (memchr(line, '\0', n))
		return husk_err(err, 0, "hand-over message: NUL in %s", keys[k]);
	if (!field(a, k)) {
		a->debug = n - klen - 1 == 1 && eq[1] == '1';
		return 0;
	}
	val = strndup(eq + 1, n - klen - 1);
	if (!val)
		return husk_err(err, ENOMEM, "hand-over message");
	*field(a, k) = val;
	return 0;
}

int warm_msg_decode(const char *buf, size_t len, struct warm_adopt *a, struct husk_error **err)
{
	unsigned seen = 0;
	size_t off = 0;
	const char *nl;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	if (len > WARM_MSG_MAX)
		ret = husk_err(err, 0, "hand-over message: %zu bytes, more than %d", len,
			       WARM_MSG_MAX);
	while (!ret && off < len && (nl = memchr(buf + off, '\n', len - off)) && nl != buf + off) {
		ret = decode_line(buf + off, (size_t)(nl - buf - off), a, &seen, err);
		off = (size_t)(nl - buf) + 1;
	}
	if (!ret && (off >= len || buf[off] != '\n' || off + 1 != len))
		ret = husk_err(err, 0, "hand-over message: not ended by one empty line");
	if (!ret && (!a->ns || !a->id || !a->bundle || !*a->id))
		ret = husk_err(err, 0, "hand-over message: ns, id and bundle are required");
	if (!ret && a->bundle[0] != '/')
		ret = husk_err(err, 0, "hand-over message: bundle \"%s\" is not absolute",
			       a->bundle);
	if (ret)
		warm_adopt_clear(a);
	return ret ? -EINVAL : 0;
}

void warm_adopt_clear(struct warm_adopt *a)
{
	size_t k;

	for (k = 0; field(a, k); k++)
		free(*field(a, k));
	memset(a, 0, sizeof(*a));
}
