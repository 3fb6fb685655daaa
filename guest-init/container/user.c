// SPDX-License-Identifier: Apache-2.0
/*
 * user.c - user and group names looked up in the container's own
 * /etc/passwd and /etc/group (read after pivot_root, so these are the
 * image's files). Parsed by hand: glibc's getpwnam would load NSS
 * modules, which a static PID 1 does not have.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-init/container/container.h"

#define USER_MAX_GROUPS 256

/* Split a colon-separated line into at most @n fields; returns the count. */
static int user_fields(char *line, char **f, int n)
{
	int i = 0;

	line[strcspn(line, "\n")] = '\0';
	f[i++] = line;
	while (i < n && (line = strchr(line, ':'))) {
		*line++ = '\0';
		f[i++] = line;
	}
	return i;
}

static bool user_number(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The passwd entry whose name is u->username, or whose uid is u->uid. */
static int user_passwd(struct spec_user *u, char **home, struct husk_error **e)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[1024], *fl[7];
	uint32_t uid, gid;
	int ret = u->username ? -ENOENT : 0;

	if (!f)
		return u->username ? husk_err(e, errno, "user %s: /etc/passwd", u->username) : 0;
	while (fgets(line, sizeof(line), f)) {
		if (user_fields(line, fl, 7) < 7 || !user_number(fl[2], &uid) ||
		    !user_number(fl[3], &gid))
			continue;
		if (u->username ? strcmp(fl[0], u->username) != 0 : uid != u->uid)
			continue;
		if (u->username) {
			u->uid = uid;
			u->gid = gid;
		}
		free(*home);
		*home = strdup(fl[5]);
		ret = 0;
		break;
	}
	fclose(f);
	if (ret < 0)
		return husk_err(e, 0, "user \"%s\" is not in the container's /etc/passwd",
				u->username);
	return 0;
}

static bool user_member(char *list, const char *name)
{
	char *save = NULL, *m;

	for (m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (strcmp(m, name) == 0)
			return true;
	return false;
}

/* Supplementary groups naming u->username in /etc/group, after the spec's own. */
static int user_groups(struct spec_user *u, struct husk_error **e)
{
	FILE *f = fopen("/etc/group", "re");
	char line[4096], *fl[4];
	uint32_t *gids, gid;

	if (!f)
		return 0;
	gids = realloc(u->gids, (u->ngids + USER_MAX_GROUPS) * sizeof(*gids));
	if (!gids) {
		fclose(f);
		return husk_err(e, ENOMEM, "groups of %s", u->username);
	}
	u->gids = gids;
	while (fgets(line, sizeof(line), f) && u->ngids < USER_MAX_GROUPS) {
		if (user_fields(line, fl, 4) == 4 && user_number(fl[2], &gid) &&
		    user_member(fl[3], u->username))
			u->gids[u->ngids++] = gid;
	}
	fclose(f);
	return 0;
}

int user_resolve(struct spec_user *u, const char **home, struct husk_error **e)
{
	char *h = NULL;
	uint32_t *copy = NULL;

	/* the gid array belongs to the parsed spec: work on a copy */
	if (u->ngids) {
		copy = malloc(u->ngids * sizeof(*copy));
		if (!copy)
			return husk_err(e, ENOMEM, "groups");
		memcpy(copy, u->gids, u->ngids * sizeof(*copy));
	}
	u->gids = copy;
	if (user_passwd(u, &h, e) < 0)
		return -husk_error_errno(*e);
	if (u->username && user_groups(u, e) < 0)
		return -husk_error_errno(*e);
	*home = h;
	return 0;
}
