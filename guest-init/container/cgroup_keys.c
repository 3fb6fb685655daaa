// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup_keys.c - picking values out of a flat-keyed cgroup file's text by
 * whole-key match (see cgroup_keys.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guest-init/container/cgroup_keys.h"

/* The value of one "key value\n" line's value part at @p, or -1. Only a
 * line ended by '\n' counts: a file cut short by the read buffer must not
 * yield a truncated number. */
static int64_t cgroup_keys_value(const char *p)
{
	char *end;
	long long v;

	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (errno || *end != '\n')
		return -1;
	return v;
}

/* The index in @keys of the name that is exactly @line's key, or @n. */
static size_t cgroup_keys_find(const char *line, size_t len, const char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(keys[i]) == len && memcmp(line, keys[i], len) == 0)
			return i;
	return n;
}

void cgroup_keys_pick(const char *text, const char *const *keys, int64_t *vals, size_t n)
{
	const char *p = text, *sp, *nl;
	size_t i;

	for (i = 0; i < n; i++)
		vals[i] = -1;
	for (; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		sp = strchr(p, ' ');
		if (!sp || (nl && sp > nl))
			continue;
		i = cgroup_keys_find(p, (size_t)(sp - p), keys, n);
		if (i < n && vals[i] < 0)
			vals[i] = cgroup_keys_value(sp + 1);
	}
}
