// SPDX-License-Identifier: Apache-2.0
/*
 * host_cgroup_path.c - a spec's linux.cgroupsPath, cgroupfs or systemd
 * style, as a path under a cgroup hierarchy's root (host_cgroup.h). Pure:
 * no file system.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "shim/base/host_cgroup.h"

/* Appends "/@part" (@n bytes); false when it does not fit. */
static bool path_add(char *out, size_t len, size_t *at, const char *part, size_t n,
		     const char *suffix)
{
	int w = snprintf(out + *at, len - *at, "/%.*s%s", (int)n, part, suffix);

	if (w < 0 || (size_t)w >= len - *at)
		return false;
	*at += (size_t)w;
	return true;
}

static bool name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* "/a/b//c" -> "/a/b/c"; "." and ".." refused: a pod may not climb out. */
static int path_cgroupfs(const char *p, char *out, size_t len)
{
	size_t at = 0, n;

	out[0] = '\0';
	while (*p) {
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (!n)
			break;
		if (!name_ok(p, n) || !path_add(out, len, &at, p, n, ""))
			return -EINVAL;
		p += n;
	}
	return at ? 0 : -EINVAL; /* the root cgroup is no pod's */
}

/* systemd's slice names: "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice. */
static int path_slice(const char *slice, size_t n, char *out, size_t len, size_t *at)
{
	size_t i, name_len;

	if (n == 7 && !strncmp(slice, "-.slice", 7))
		return 0; /* the root slice */
	if (n <= 6 || strncmp(slice + n - 6, ".slice", 6) || !name_ok(slice, n))
		return -EINVAL;
	name_len = n - 6;
	if (slice[0] == '-' || slice[name_len - 1] == '-' || memmem(slice, name_len, "--", 2))
		return -EINVAL;
	for (i = 1; i < name_len; i++)
		if (slice[i] == '-' && !path_add(out, len, at, slice, i, ".slice"))
			return -EINVAL;
	return path_add(out, len, at, slice, n, "") ? 0 : -EINVAL;
}

/* "<slice>:<prefix>:<name>" -> <slice path>/<prefix>-<name>.scope */
static int path_systemd(const char *p, char *out, size_t len)
{
	const char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	size_t at = 0, slice_len, prefix_len;
	char unit[512];
	int w;

	out[0] = '\0';
	if (!c1 || !c2 || strchr(c2 + 1, ':'))
		return -EINVAL;
	slice_len = (size_t)(c1 - p);
	prefix_len = (size_t)(c2 - c1 - 1);
	/* runc's default when the slice is left out. */
	if (!slice_len ? path_slice("system.slice", 12, out, len, &at) :
			 path_slice(p, slice_len, out, len, &at))
		return -EINVAL;
	w = snprintf(unit, sizeof(unit), "%.*s%s%s.scope", (int)prefix_len, c1 + 1,
		     prefix_len ? "-" : "", c2 + 1);
	if (w < 0 || (size_t)w >= sizeof(unit) || !c2[1] || !name_ok(unit, (size_t)w))
		return -EINVAL;
	return path_add(out, len, &at, unit, (size_t)w, "") ? 0 : -EINVAL;
}

int host_cgroup_path(const char *cgroups_path, char *out, size_t len, struct husk_error **err)
{
	int ret;

	if (cgroups_path[0] == '/')
		ret = path_cgroupfs(cgroups_path, out, len);
	else if (strchr(cgroups_path, ':'))
		ret = path_systemd(cgroups_path, out, len);
	else
		ret = -EINVAL; /* relative to the runtime's own cgroup: not for a pod */
	if (ret)
		return husk_err(
			err, 0,
			"linux.cgroupsPath \"%s\": neither a cgroupfs path under the root nor slice:prefix:name",
			cgroups_path);
	return 0;
}
