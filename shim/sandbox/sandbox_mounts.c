// SPDX-License-Identifier: Apache-2.0
/* sandbox_mounts.c - one pass over a spec's mounts for the VM (sandbox_mounts.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <yajl/yajl_gen.h>

#include "common/error.h"
#include "shim/share/fs_share.h"
#include "shim/share/fs_state.h"
#include "husk_agent.h"
#include "agent-codec/json.h"
#include "shim/base/config_file.h"
#include "shim/sandbox/sandbox_mounts.h"

/* The files husk-init writes per container: bind destination, file name. */
static const char *const sandbox_etc_dest[] = { "/etc/hosts", "/etc/resolv.conf", "/etc/hostname" };
static const char *const sandbox_etc_name[] = { "hosts", "resolv.conf", "hostname" };

static bool sandbox_mount_has_opt(yajl_val m, const char *opt)
{
	yajl_val opts = json_member(m, "options");
	size_t i;

	for (i = 0; YAJL_IS_ARRAY(opts) && i < opts->u.array.len; i++) {
		yajl_val o = opts->u.array.values[i];

		if (YAJL_IS_STRING(o) && !strcmp(o->u.string, opt))
			return true;
	}
	return false;
}

static bool sandbox_mount_is_bind(yajl_val m)
{
	yajl_val type = json_member(m, "type");

	return (YAJL_IS_STRING(type) && !strcmp(type->u.string, "bind")) ||
	       sandbox_mount_has_opt(m, "bind") || sandbox_mount_has_opt(m, "rbind");
}

/* The mount's source becomes @fmt...; yajl_tree strings are malloc(3)'d, ours to swap. */
static int sandbox_mount_set_source(yajl_val src, struct husk_error **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sandbox_mount_set_source(yajl_val src, struct husk_error **err, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return husk_err(err, ENOMEM, "mount source");
	free(src->u.string);
	src->u.string = s;
	return 0;
}

/* /etc/hosts & co: the text into etc; false when it goes through the share. */
static bool sandbox_mount_etc(yajl_val src, int k, const struct sandbox_mounts_ctx *ctx,
			      struct sandbox_mounts *out, int *ret, struct husk_error **err)
{
	char **slot[3] = { &out->etc.hosts, &out->etc.resolv, &out->etc.hostname };
	char *text = sandbox_net_etc_read(src->u.string);

	if (!text)
		return false;
	*ret = sandbox_mount_set_source(src, err, "%s/%s/%s", HUSK_AGENT_FILES_DIR, ctx->cid,
					sandbox_etc_name[k]);
	if (*ret) {
		free(text);
		return true;
	}
	free(*slot[k]);
	*slot[k] = text;
	return true;
}

/* CRI's sandbox shm folder: the pod's tmpfs in the VM, with the host's size. */
static int sandbox_mount_shm(yajl_val src, struct sandbox_mounts *out, struct husk_error **err)
{
	struct statfs sf;

	if (!statfs(src->u.string, &sf) && sf.f_type == TMPFS_MAGIC)
		out->shm_size = (int64_t)sf.f_blocks * sf.f_bsize;
	return sandbox_mount_set_source(src, err, "%s", HUSK_AGENT_POD_SHM_DIR);
}

static int sandbox_mount_keep_entry(struct sandbox_mounts *out, const char *entry)
{
	char **e = realloc(out->entries, (out->n_entries + 1) * sizeof(*e));

	if (!e)
		return -ENOMEM;
	out->entries = e;
	e[out->n_entries] = strdup(entry);
	if (!e[out->n_entries])
		return -ENOMEM;
	out->n_entries++;
	return 0;
}

/* Any other host source: an entry in the share. */
static int sandbox_mount_share(yajl_val m, yajl_val src, const char *dest,
			       const struct sandbox_mounts_ctx *ctx, struct sandbox_mounts *out,
			       struct husk_error **err)
{
	unsigned int flags = 0;
	char entry[FS_SHARE_ENTRY_MAX + 32];
	int ret;

	if (sandbox_mount_has_opt(m, "ro") || sandbox_mount_has_opt(m, "rro"))
		flags |= FS_SHARE_RO;
	if (sandbox_mount_has_opt(m, "rbind") || sandbox_mount_has_opt(m, "rro"))
		flags |= FS_SHARE_REC;
	ret = fs_share_entry_name(ctx->cid, dest, entry, sizeof(entry));
	if (ret)
		return husk_err(err, -ret, "share entry for %s", dest);
	if (ctx->bundle && (ret = fs_state_entry(ctx->bundle, ctx->share_root, entry)))
		return husk_err(err, -ret, "record share entry %s", entry);
	ret = fs_share_add(ctx->share_root, entry, src->u.string, flags, err);
	if (ret)
		return ret;
	if (sandbox_mount_keep_entry(out, entry)) {
		fs_share_del(ctx->share_root, entry);
		return husk_err(err, ENOMEM, "share entry %s", entry);
	}
	return sandbox_mount_set_source(src, err, "%s/%s", HUSK_AGENT_SHARE_DIR, entry);
}

static int sandbox_mount_one(yajl_val m, const struct sandbox_mounts_ctx *ctx,
			     struct sandbox_mounts *out, struct husk_error **err)
{
	yajl_val dest = json_member(m, "destination"), src = json_member(m, "source");
	struct stat st;
	int k, ret = 0;

	if (!YAJL_IS_STRING(dest) || !YAJL_IS_STRING(src) || src->u.string[0] != '/' ||
	    !sandbox_mount_is_bind(m))
		return 0;
	for (k = 0; k < 3; k++)
		if (!strcmp(dest->u.string, sandbox_etc_dest[k]) &&
		    sandbox_mount_etc(src, k, ctx, out, &ret, err))
			return ret;
	/* Said before anything is made: runc refuses a missing source too. */
	if (stat(src->u.string, &st))
		return husk_err(err, errno, "bind source %s", src->u.string);
	if (!strcmp(dest->u.string, "/dev/shm") && S_ISDIR(st.st_mode))
		return sandbox_mount_shm(src, out, err);
	if (!ctx->share_root)
		return husk_err(err, ENOTSUP, "bind of host path %s: no share", src->u.string);
	return sandbox_mount_share(m, src, dest->u.string, ctx, out, err);
}

int sandbox_mounts_rewrite(const char *spec, size_t len, const struct sandbox_mounts_ctx *ctx,
			   struct sandbox_mounts *out, struct husk_error **err)
{
	yajl_val root, mounts, m;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	out->shm_size = -1;
	ret = json_parse(spec, len, "config.json", CONFIG_JSON_MAX_DEPTH, &root, err);
	if (ret)
		return ret;
	mounts = json_member(root, "mounts");
	for (i = 0; !ret && YAJL_IS_ARRAY(mounts) && i < mounts->u.array.len; i++) {
		m = mounts->u.array.values[i];
		ret = sandbox_mount_one(m, ctx, out, err);
		if (ret)
			husk_err_wrap(err, "mount on %s",
				      YAJL_IS_STRING(json_member(m, "destination")) ?
					      json_member(m, "destination")->u.string :
					      "?");
	}
	if (!ret)
		ret = json_to_text(root, "config.json for the VM", &out->spec, &out->spec_len, err);
	yajl_tree_free(root);
	if (ret) {
		sandbox_mounts_release(ctx->share_root, out);
		sandbox_mounts_clear(out);
	}
	return ret;
}

static void sandbox_gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

int sandbox_mounts_extra_json(const struct sandbox_mounts *m, char **out)
{
	const char *texts[3] = { m->etc.hosts, m->etc.resolv, m->etc.hostname };
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	int k, n;

	if (!g)
		return -ENOMEM;
	yajl_gen_map_open(g);
	for (k = 0; k < 3; k++) {
		if (texts[k]) {
			sandbox_gen_str(g, sandbox_etc_name[k]);
			sandbox_gen_str(g, texts[k]);
		}
	}
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return -ENOMEM;
	}
	if (m->shm_size > 0)
		n = asprintf(out, ",\"files\":%.*s,\"shm_size\":%lld", (int)len, buf,
			     (long long)m->shm_size);
	else
		n = asprintf(out, ",\"files\":%.*s", (int)len, buf);
	yajl_gen_free(g);
	return n < 0 ? -ENOMEM : 0;
}

void sandbox_mounts_release(const char *root, struct sandbox_mounts *m)
{
	size_t i;

	for (i = 0; root && i < m->n_entries; i++)
		fs_share_del(root, m->entries[i]);
}

void sandbox_mounts_clear(struct sandbox_mounts *m)
{
	size_t i;

	for (i = 0; i < m->n_entries; i++)
		free(m->entries[i]);
	free(m->entries);
	free(m->spec);
	sandbox_net_etc_clear(&m->etc);
	memset(m, 0, sizeof(*m));
	m->shm_size = -1;
}
