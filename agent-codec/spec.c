// SPDX-License-Identifier: Apache-2.0
/*
 * spec.c - config.json's top level and its process object. The spec's
 * "linux" object and "mounts" are in spec_linux.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "agent-codec/capname.h"
#include "agent-codec/spec.h"

static const struct {
	const char *name;
	int res;
} rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA },		{ "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE },		{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static int spec_u32(yajl_val obj, const char *key, uint32_t *out, struct husk_error **e)
{
	int64_t v = SPEC_UNSET;

	if (json_member_int64(obj, key, &v, e) < 0)
		return -EINVAL;
	if (v == SPEC_UNSET)
		return 0;
	if (v < 0 || v > UINT32_MAX)
		return husk_err(e, 0, "\"%s\" %lld is out of range", key, (long long)v);
	*out = (uint32_t)v;
	return 0;
}

static int spec_user_parse(yajl_val u, struct spec_user *user, struct husk_error **e)
{
	yajl_val gids = json_member(u, "additionalGids");
	size_t i;

	user->umask = SPEC_UNSET;
	if (!u)
		return 0;
	if (spec_u32(u, "uid", &user->uid, e) < 0 || spec_u32(u, "gid", &user->gid, e) < 0 ||
	    json_member_string(u, "username", false, &user->username, e) < 0 ||
	    json_member_int64(u, "umask", &user->umask, e) < 0)
		return husk_err_wrap(e, "process.user");
	if (!gids || YAJL_IS_NULL(gids))
		return 0;
	if (!YAJL_IS_ARRAY(gids) || gids->u.array.len > 4096)
		return husk_err(e, 0,
				"process.user.additionalGids is not an array of at most 4096");
	user->gids = calloc(gids->u.array.len + 1, sizeof(*user->gids));
	if (!user->gids)
		return husk_err(e, ENOMEM, "process.user.additionalGids");
	for (i = 0; i < gids->u.array.len; i++) {
		yajl_val g = gids->u.array.values[i];

		if (!YAJL_IS_INTEGER(g) || g->u.number.i < 0 || g->u.number.i > UINT32_MAX)
			return husk_err(e, 0, "process.user.additionalGids[%zu] is not a gid", i);
		user->gids[user->ngids++] = (uint32_t)g->u.number.i;
	}
	return 0;
}

static int spec_rlimit_one(yajl_val r, struct spec_rlimit *out, struct husk_error **e)
{
	const char *type = NULL;
	int64_t soft = SPEC_UNSET, hard = SPEC_UNSET;
	size_t i;

	if (json_member_string(r, "type", true, &type, e) < 0 ||
	    json_member_int64(r, "soft", &soft, e) < 0 ||
	    json_member_int64(r, "hard", &hard, e) < 0)
		return -EINVAL;
	if (soft == SPEC_UNSET || hard == SPEC_UNSET)
		return husk_err(e, 0, "%s needs soft and hard", type);
	for (i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++) {
		if (strcmp(rlimit_names[i].name, type) == 0) {
			out->resource = rlimit_names[i].res;
			/* JSON integers are signed: -1 stands for unlimited */
			out->soft = soft < 0 ? RLIM_INFINITY : (uint64_t)soft;
			out->hard = hard < 0 ? RLIM_INFINITY : (uint64_t)hard;
			return 0;
		}
	}
	return husk_err(e, 0, "unknown rlimit type \"%s\"", type);
}

static int spec_rlimits_parse(yajl_val arr, struct spec_process *p, struct husk_error **e)
{
	size_t i;

	if (!arr || YAJL_IS_NULL(arr))
		return 0;
	if (!YAJL_IS_ARRAY(arr) || arr->u.array.len > 64)
		return husk_err(e, 0, "process.rlimits is not an array of at most 64");
	p->rlimits = calloc(arr->u.array.len + 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return husk_err(e, ENOMEM, "process.rlimits");
	for (i = 0; i < arr->u.array.len; i++) {
		if (spec_rlimit_one(arr->u.array.values[i], &p->rlimits[i], e) < 0)
			return husk_err_wrap(e, "process.rlimits[%zu]", i);
		p->nrlimits++;
	}
	return 0;
}

/* A capability set; names this kernel table does not know are skipped,
 * as a newer spec may name capabilities an older guest lacks. */
static int spec_capset(yajl_val caps, const char *key, uint64_t *out, struct husk_error **e)
{
	const char **names = NULL;
	size_t i;
	int n;

	if (json_member_strv(caps, key, &names, e) < 0)
		return husk_err_wrap(e, "process.capabilities");
	*out = 0;
	for (i = 0; names && names[i]; i++) {
		n = capname_lookup(names[i]);
		if (n >= 0)
			*out |= 1ull << n;
	}
	free(names);
	return 0;
}

static int spec_caps_parse(yajl_val caps, struct spec_caps *c, struct husk_error **e)
{
	if (!caps || YAJL_IS_NULL(caps))
		return 0;
	if (!YAJL_IS_OBJECT(caps))
		return husk_err(e, 0, "process.capabilities is not an object");
	c->set = true;
	if (spec_capset(caps, "bounding", &c->bounding, e) < 0 ||
	    spec_capset(caps, "effective", &c->effective, e) < 0 ||
	    spec_capset(caps, "inheritable", &c->inheritable, e) < 0 ||
	    spec_capset(caps, "permitted", &c->permitted, e) < 0 ||
	    spec_capset(caps, "ambient", &c->ambient, e) < 0)
		return -EINVAL;
	return 0;
}

static int spec_console_parse(yajl_val v, struct spec_process *p, struct husk_error **e)
{
	uint32_t rows = 0, cols = 0;

	if (!v)
		return 0;
	if (spec_u32(v, "height", &rows, e) < 0 || spec_u32(v, "width", &cols, e) < 0)
		return husk_err_wrap(e, "process.consoleSize");
	if (rows > 0xffff || cols > 0xffff)
		return husk_err(e, 0, "process.consoleSize above 65535");
	p->rows = rows;
	p->cols = cols;
	return 0;
}

int spec_process_parse(yajl_val v, struct spec_process *p, struct husk_error **e)
{
	memset(p, 0, sizeof(*p));
	p->oom_score_adj = SPEC_UNSET;
	p->cwd = "/";
	if (!YAJL_IS_OBJECT(v))
		return husk_err(e, 0, "process is not an object");
	if (json_member_bool(v, "terminal", &p->terminal, e) < 0 ||
	    json_member_strv(v, "args", &p->args, e) < 0 ||
	    json_member_strv(v, "env", &p->env, e) < 0 ||
	    json_member_string(v, "cwd", false, &p->cwd, e) < 0 ||
	    json_member_bool(v, "noNewPrivileges", &p->no_new_privs, e) < 0 ||
	    json_member_int64(v, "oomScoreAdj", &p->oom_score_adj, e) < 0)
		return husk_err_wrap(e, "process");
	if (!p->args || !p->args[0] || !p->args[0][0])
		return husk_err(e, 0, "process.args is empty");
	if (p->cwd[0] != '/')
		return husk_err(e, 0, "process.cwd \"%s\" is not absolute", p->cwd);
	if (spec_console_parse(json_member(v, "consoleSize"), p, e) < 0 ||
	    spec_user_parse(json_member(v, "user"), &p->user, e) < 0 ||
	    spec_rlimits_parse(json_member(v, "rlimits"), p, e) < 0 ||
	    spec_caps_parse(json_member(v, "capabilities"), &p->caps, e) < 0)
		return -EINVAL;
	return 0;
}

void spec_process_free(struct spec_process *p)
{
	free(p->args);
	free(p->env);
	free(p->user.gids);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

int spec_parse(yajl_val root, struct spec *s, struct husk_error **e)
{
	yajl_val r = json_member(root, "root");
	int ret;

	memset(s, 0, sizeof(*s));
	if (!YAJL_IS_OBJECT(root))
		return husk_err(e, 0, "spec is not an object");
	ret = spec_process_parse(json_member(root, "process"), &s->process, e);
	if (ret < 0)
		return ret;
	if (json_member_bool(r, "readonly", &s->root_readonly, e) < 0 ||
	    json_member_string(root, "hostname", false, &s->hostname, e) < 0)
		return husk_err_wrap(e, "spec");
	ret = spec_mounts_parse(root, s, e);
	if (ret < 0)
		return ret;
	return spec_linux_parse(json_member(root, "linux"), s, e);
}

void spec_free(struct spec *s)
{
	size_t i;

	spec_process_free(&s->process);
	for (i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].data);
		free(s->mounts[i].resolved);
	}
	free(s->mounts);
	free(s->masked);
	free(s->readonly);
	free(s->devices);
	memset(s, 0, sizeof(*s));
}
