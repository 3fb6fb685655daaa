// SPDX-License-Identifier: Apache-2.0
/* cli.c - Go-flag-style parsing of the shim's command line. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "shim/cli.h"
#include "common/error.h"

struct flag {
	const char *name;
	size_t str_off;	 /* offset of a const char * in shim_args, or -1 */
	size_t bool_off; /* offset of a bool in shim_args, or -1 */
};

#define STR(n, f) \
	{ \
		n, offsetof(struct shim_args, f), (size_t)-1 \
	}
#define BOOL(n, f) \
	{ \
		n, (size_t)-1, offsetof(struct shim_args, f) \
	}

static const struct flag flags[] = {
	STR("namespace", ns), STR("address", address), STR("publish-binary", publish_binary),
	STR("id", id),	      STR("bundle", bundle),   STR("socket", socket),
	BOOL("debug", debug), BOOL("v", version),      BOOL("version", version),
	BOOL("info", info),   STR("config", config),
};

static const struct flag *find_flag(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strlen(flags[i].name) == len && !strncmp(flags[i].name, name, len))
			return &flags[i];
	return NULL;
}

static bool is_action(const char *s)
{
	return !strcmp(s, "start") || !strcmp(s, "delete") || !strcmp(s, "warm");
}

static int set_bool(struct shim_args *a, const struct flag *f, const char *val,
		    struct husk_error **err)
{
	bool *b = (bool *)((char *)a + f->bool_off);

	if (!val || !strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "t"))
		*b = true;
	else if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "f"))
		*b = false;
	else
		return husk_err(err, 0, "-%s: invalid boolean \"%s\"", f->name, val);
	return 0;
}

/* One flag at argv[*i]; advances *i past a separate value. */
static int parse_flag(int argc, char **argv, int *i, struct shim_args *a, struct husk_error **err)
{
	const char *name = argv[*i] + 1 + (argv[*i][1] == '-');
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const char *val = eq ? eq + 1 : NULL;
	const struct flag *f = find_flag(name, len);

	if (f && f->bool_off != (size_t)-1)
		return set_bool(a, f, val, err);
	if (!val && *i + 1 < argc && (f || (argv[*i + 1][0] != '-' && !is_action(argv[*i + 1]))))
		val = argv[++*i];
	if (f && !val)
		return husk_err(err, 0, "flag needs an argument: -%s", f->name);
	if (f)
		*(const char **)((char *)a + f->str_off) = val;
	return 0;
}

int shim_args_parse(int argc, char **argv, struct shim_args *a, struct husk_error **err)
{
	int i, ret;

	memset(a, 0, sizeof(*a));
	a->ns = "default";
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--")) {
			i++;
			break;
		}
		if (s[0] != '-' || !s[1])
			break;
		ret = parse_flag(argc, argv, &i, a, err);
		if (ret)
			return ret;
	}
	if (i >= argc)
		return 0;
	if (!strcmp(argv[i], "start"))
		a->action = SHIM_ACTION_START;
	else if (!strcmp(argv[i], "delete"))
		a->action = SHIM_ACTION_DELETE;
	else if (!strcmp(argv[i], "warm"))
		a->action = SHIM_ACTION_WARM;
	else
		return husk_err(err, 0, "unknown action \"%s\" (start, delete or warm)", argv[i]);
	return 0;
}
